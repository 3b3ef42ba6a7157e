"""Benchmark: synchronous StUF push. kandidaatLk01 messages per second and p50/p99 latency with
50 concurrent clients against the gateway (SQLite, every message stored durably before its
Bv03), next to a bare FastAPI endpoint that only reads the body (the ceiling), in the same run.

Targets (issue 3): >= 1,000 messages/s, p99 < 100 ms, >= 40% of the bare endpoint's rate.

    .venv/bin/python bench/bench_stuf_push.py            # full: 30 s per side
    .venv/bin/python bench/bench_stuf_push.py --quick    # 5 s per side, to prove it works
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._servers import PYTHON, ROOT, cpu_seconds, free_port, start_bare, start_gateway, stop


def load(port: int, path: str, key: str, kind: str, args: argparse.Namespace) -> dict[str, object]:
    out = subprocess.run(
        [
            PYTHON,
            str(ROOT / "bench" / "_load.py"),
            "--port",
            str(port),
            "--path",
            path,
            "--key",
            key,
            "--kind",
            kind,
            "--concurrency",
            str(args.concurrency),
            "--duration",
            str(args.duration),
            "--warmup",
            str(args.warmup),
        ],
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def measure(pid: int, run: object) -> tuple[dict[str, object], float]:
    before, started = cpu_seconds(pid), time.perf_counter()
    result = run()  # type: ignore[operator]
    share = (cpu_seconds(pid) - before) / (time.perf_counter() - started)
    return result, share


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--quick", action="store_true", help="short runs, to check the benchmark works"
    )
    parser.add_argument("--concurrency", type=int, default=50)
    args = parser.parse_args()
    args.duration = 5.0 if args.quick else 30.0
    args.warmup = 1.0 if args.quick else 3.0

    with tempfile.TemporaryDirectory(prefix="bench-stuf-push-") as tmp:
        bare_port = free_port()
        bare = start_bare(bare_port)
        try:
            baseline, bare_cpu = measure(
                bare.pid, lambda: load(bare_port, "/bare", "", "bare", args)
            )
        finally:
            stop(bare)
        port = free_port()
        gateway, key = start_gateway(Path(tmp) / "data", port)
        try:
            push, gw_cpu = measure(
                gateway.pid, lambda: load(port, "/stuf/v1/flextensie", key, "stuf", args)
            )
        finally:
            stop(gateway)

    ratio = float(push["rate"]) / float(baseline["rate"]) if baseline["rate"] else 0.0  # type: ignore[arg-type]
    print(f"StUF synchronous push ({'quick' if args.quick else 'full'} run)")
    print(
        f"  machine: {os.cpu_count()} cores; {args.concurrency} concurrent clients; "
        f"{args.duration:.0f} s per side; load generator in its own process"
    )
    print(
        f"  bare FastAPI (ceiling): {baseline['rate']:>8} req/s  p50 {baseline['p50_ms']} ms  "
        f"p99 {baseline['p99_ms']} ms  server CPU {bare_cpu:.0%} of one core  "
        f"errors {baseline['errors']}"
    )
    print(
        f"  gateway kandidaatLk01:  {push['rate']:>8} msg/s  p50 {push['p50_ms']} ms  "
        f"p99 {push['p99_ms']} ms  server CPU {gw_cpu:.0%} of one core  errors {push['errors']}"
        + (f" (first: {push['first_error']})" if push["errors"] else "")
    )
    print(
        f"  ratio gateway/bare: {ratio:.0%}   targets: >= 1000 msg/s, p99 < 100 ms, >= 40% of bare"
    )
    print(
        json.dumps(
            {
                "benchmark": "stuf_push",
                "quick": args.quick,
                "cores": os.cpu_count(),
                "bare": {**baseline, "server_cpu": round(bare_cpu, 2)},
                "gateway": {**push, "server_cpu": round(gw_cpu, 2)},
                "ratio": round(ratio, 3),
            }
        )
    )


if __name__ == "__main__":
    main()
