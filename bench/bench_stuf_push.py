"""Benchmark: synchronous StUF push. kandidaatLk01 messages per second and p50/p99 latency with
50 concurrent clients against the gateway (SQLite, every message stored durably before its
Bv03), next to a bare FastAPI endpoint that only reads the body (the ceiling), in the same run.

The gateway runs twice in the same run (issue 8): once with every request parsed, validated
and mapped on the event loop (``FLEXGW_OFFLOAD_MIN_BYTES`` huge: "before") and once with the
default threshold, above which that work runs in a worker thread ("after"). Each run is
measured with small kennisgevingen alone, and with one client beside them sending large
ones (a SOAP header of ``--heavy-bytes``) back to back: what a large body does to everyone
else's latency is what moving the work off the loop is for.

Targets (issue 3): >= 1,000 messages/s, p99 < 100 ms, >= 40% of the bare endpoint's rate.

    .venv/bin/python bench/bench_stuf_push.py                  # full: 30 s per measurement
    .venv/bin/python bench/bench_stuf_push.py --duration 12    # shorter
    .venv/bin/python bench/bench_stuf_push.py --quick          # 5 s each, to prove it works
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._messages import kandidaat_lk01, test_bsn
from bench.harness import PYTHON, ROOT, cpu_seconds, free_port, start_bare, start_gateway, stop

#: The two gateway configurations compared in one run: (label, FLEXGW_OFFLOAD_MIN_BYTES).
#: ``None`` keeps the gateway's default.
CONFIGS: tuple[tuple[str, str | None], ...] = (
    ("before: all on the event loop", str(1 << 40)),
    ("after: default offload threshold", None),
)
#: With --all-threaded: every body in a worker thread, to check the default threshold against.
ALL_THREADED = ("every body in a worker thread", "0")


def load(port: int, path: str, key: str, kind: str, args: argparse.Namespace) -> dict[str, Any]:
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
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def measure(pid: int, run: Callable[[], dict[str, Any]]) -> tuple[dict[str, Any], float]:
    before, started = cpu_seconds(pid), time.perf_counter()
    result = run()
    share = (cpu_seconds(pid) - before) / (time.perf_counter() - started)
    return result, share


class HeavySender:
    """One client sending large kennisgevingen back to back (in a thread of this process)."""

    def __init__(self, port: int, key: str, size: int) -> None:
        self._port = port
        self._key = key
        # Many small header elements: parsing, the depth check and canonicalisation all scale
        # with them, as they would with a large message body.
        element = '<t:trace xmlns:t="urn:bench:trace" n="{}">hop-{:08d}</t:trace>'
        self._header = "".join(element.format(i, i) for i in range(max(1, size // 66)))
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self.latencies: list[float] = []
        self.errors = 0

    def body(self, n: int) -> bytes:
        return (
            '<?xml version="1.0" encoding="UTF-8"?>'
            '<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/">'
            f"<soap:Header>{self._header}</soap:Header><soap:Body>"
            + kandidaat_lk01(f"H-{os.getpid()}-{n:08d}", test_bsn(70_000_000 + n))
            + "</soap:Body></soap:Envelope>"
        ).encode()

    def __enter__(self) -> HeavySender:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=120)

    def _run(self) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", self._port, timeout=120)
        n = 0
        while not self._stop.is_set():
            n += 1
            body = self.body(n)
            started = time.perf_counter()
            connection.request(
                "POST",
                "/stuf/v1/flextensie",
                body,
                {
                    "Authorization": f"Bearer {self._key}",
                    "Content-Type": "text/xml; charset=utf-8",
                    "SOAPAction": '"http://www.flextensie.nl/StUF/sector/fx/0100/kandidaatLk01"',
                },
            )
            response = connection.getresponse()
            answer = response.read()
            self.latencies.append(time.perf_counter() - started)
            if response.status != 200 or b"Bv03" not in answer:
                self.errors += 1
        connection.close()

    def summary(self) -> dict[str, Any]:
        done = sorted(self.latencies)
        return {
            "size_bytes": len(self.body(0)),
            "requests": len(done),
            "errors": self.errors,
            "p50_ms": round(done[len(done) // 2] * 1000, 1) if done else 0.0,
        }


def run_gateway(
    data_dir: Path, threshold: str | None, args: argparse.Namespace
) -> dict[str, dict[str, Any]]:
    # start_gateway hands this process's environment to the server it starts.
    if threshold is None:
        os.environ.pop("FLEXGW_OFFLOAD_MIN_BYTES", None)
    else:
        os.environ["FLEXGW_OFFLOAD_MIN_BYTES"] = threshold
    port = free_port()
    try:
        gateway, key = start_gateway(data_dir, port)
    finally:
        os.environ.pop("FLEXGW_OFFLOAD_MIN_BYTES", None)
    results: dict[str, dict[str, Any]] = {}
    try:

        def push() -> dict[str, Any]:
            return load(port, "/stuf/v1/flextensie", key, "stuf", args)

        alone, cpu = measure(gateway.pid, push)
        results["small"] = {**alone, "server_cpu": round(cpu, 2)}
        if args.heavy_bytes:
            with HeavySender(port, key, args.heavy_bytes) as heavy:
                mixed, cpu = measure(gateway.pid, push)
            results["mixed"] = {**mixed, "server_cpu": round(cpu, 2), "heavy": heavy.summary()}
    finally:
        stop(gateway)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--quick", action="store_true", help="short runs, to check the benchmark works"
    )
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--duration", type=float, help="seconds per measurement")
    parser.add_argument(
        "--all-threaded",
        action="store_true",
        help="also run the gateway with every body worked on in a thread (threshold 0)",
    )
    parser.add_argument(
        "--heavy-bytes",
        type=int,
        default=1024 * 1024,
        help="size of the large messages sent beside the small ones (0: none)",
    )
    args = parser.parse_args()
    args.duration = args.duration or (5.0 if args.quick else 30.0)
    args.warmup = 1.0 if args.quick else 3.0

    gateways: dict[str, dict[str, dict[str, Any]]] = {}
    with tempfile.TemporaryDirectory(prefix="bench-stuf-push-") as tmp:
        bare_port = free_port()
        bare = start_bare(bare_port)
        try:
            baseline, bare_cpu = measure(
                bare.pid, lambda: load(bare_port, "/bare", "", "bare", args)
            )
        finally:
            stop(bare)
        configs = (*CONFIGS, ALL_THREADED) if args.all_threaded else CONFIGS
        for number, (label, threshold) in enumerate(configs):
            gateways[label] = run_gateway(Path(tmp) / f"data-{number}", threshold, args)

    print(f"StUF synchronous push ({'quick' if args.quick else 'full'} run)")
    print(
        f"  machine: {os.cpu_count()} cores; {args.concurrency} concurrent clients; "
        f"{args.duration:.0f} s per measurement; load generator in its own process"
    )
    print(
        f"  bare FastAPI (ceiling): {baseline['rate']:>8} req/s  p50 {baseline['p50_ms']} ms  "
        f"p99 {baseline['p99_ms']} ms  server CPU {bare_cpu:.0%} of one core  "
        f"errors {baseline['errors']}"
    )
    for label, results in gateways.items():
        print(f"  gateway, {label}:")
        for push in results.values():
            heavy = push.get("heavy")
            what = (
                "kandidaatLk01 alone"
                if heavy is None
                else f"beside {heavy['size_bytes'] // 1024} KiB messages"
            )
            print(
                f"    {what:<28} {push['rate']:>8} msg/s  p50 {push['p50_ms']} ms  "
                f"p99 {push['p99_ms']} ms  server CPU {push['server_cpu']:.0%} of one core  "
                f"errors {push['errors']}"
                + (f" (first: {push['first_error']})" if push["errors"] else "")
            )
            if heavy is not None:
                print(
                    f"    {'':<28} large: {heavy['requests']} answered, p50 {heavy['p50_ms']} ms, "
                    f"errors {heavy['errors']}"
                )
    after = gateways[CONFIGS[-1][0]]["small"]
    ratio = float(after["rate"]) / float(baseline["rate"]) if baseline["rate"] else 0.0
    print(
        f"  ratio gateway (after, alone)/bare: {ratio:.0%}   "
        "targets: >= 1000 msg/s, p99 < 100 ms, >= 40% of bare"
    )
    print(
        json.dumps(
            {
                "benchmark": "stuf_push",
                "quick": args.quick,
                "cores": os.cpu_count(),
                "bare": {**baseline, "server_cpu": round(bare_cpu, 2)},
                "gateway": gateways,
                "ratio": round(ratio, 3),
            }
        )
    )


if __name__ == "__main__":
    main()
