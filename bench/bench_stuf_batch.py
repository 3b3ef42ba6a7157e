"""Benchmark: a StUF batch file. Kennisgevingen per second through the gateway (upload streamed,
every kennisgeving validated, mapped and stored durably on SQLite) and the server's peak RSS,
next to a bare lxml iterparse pass over the same file (the ceiling), in the same run.

Target (issue 3): peak RSS under 150 MB whatever the file size (the file is never held in
memory); the rate is reported against the iterparse ceiling.

    .venv/bin/python bench/bench_stuf_batch.py             # full: a 200 MB file
    .venv/bin/python bench/bench_stuf_batch.py --quick     # a 5 MB file
    .venv/bin/python bench/bench_stuf_batch.py --size-mb 1024
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from lxml import etree

from bench._messages import batch_lines
from bench.harness import cpu_seconds, free_port, peak_rss_mb, rss_mb, start_gateway, stop

_MESSAGE_BYTES = 1_550  # about one kandidaatLk01 line


def write_file(path: Path, size_mb: float) -> int:
    count = int(size_mb * 1024 * 1024 / _MESSAGE_BYTES)
    with path.open("wb") as out:
        for line in batch_lines(count):
            out.write(line)
    return count


def iterparse_pass(path: Path) -> tuple[int, float]:
    started = time.perf_counter()
    count = depth = 0
    for event, element in etree.iterparse(
        str(path),
        events=("start", "end"),
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        huge_tree=False,
    ):
        if event == "start":
            depth += 1
            continue
        depth -= 1
        if depth == 1:
            count += 1
            element.clear()
            parent = element.getparent()
            while element.getprevious() is not None:
                del parent[0]
    return count, time.perf_counter() - started


def upload(port: int, key: str, path: Path) -> str:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
    size = path.stat().st_size
    with path.open("rb") as body:
        connection.request(
            "POST",
            "/v1/batches",
            body=body,
            headers={
                "Authorization": f"Bearer {key}",
                "Content-Type": "application/xml",
                "Content-Length": str(size),
                "X-File-Name": path.name,
            },
        )
        response = connection.getresponse()
        answer = json.loads(response.read())
    if response.status != 202:
        raise RuntimeError(f"upload refused: {response.status} {answer}")
    return str(answer["batch_id"])


def wait_done(port: int, key: str, batch_id: str, pid: int) -> tuple[dict[str, object], float]:
    peak = 0.0
    while True:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        connection.request(
            "GET", f"/v1/batches/{batch_id}", headers={"Authorization": f"Bearer {key}"}
        )
        status = json.loads(connection.getresponse().read())
        peak = max(peak, rss_mb(pid))
        if status["state"] in ("done", "failed"):
            return status, peak
        time.sleep(0.5)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--quick", action="store_true", help="a small file, to check the benchmark works"
    )
    parser.add_argument("--size-mb", type=float, default=None)
    args = parser.parse_args()
    size_mb = args.size_mb or (5.0 if args.quick else 200.0)

    with tempfile.TemporaryDirectory(prefix="bench-stuf-batch-") as tmp:
        path = Path(tmp) / "batch.xml"
        count = write_file(path, size_mb)
        actual_mb = path.stat().st_size / 1024 / 1024
        parsed, parse_seconds = iterparse_pass(path)
        assert parsed == count, (parsed, count)

        port = free_port()
        gateway, key = start_gateway(Path(tmp) / "data", port)
        try:
            idle_rss = rss_mb(gateway.pid)
            cpu_before, started = cpu_seconds(gateway.pid), time.perf_counter()
            batch_id = upload(port, key, path)
            status, sampled_peak = wait_done(port, key, batch_id, gateway.pid)
            seconds = time.perf_counter() - started
            cpu_share = (cpu_seconds(gateway.pid) - cpu_before) / seconds
            peak = max(peak_rss_mb(gateway.pid), sampled_peak)
        finally:
            stop(gateway)

    counts = status["counts"]
    rate = count / seconds
    ceiling = parsed / parse_seconds
    print(f"StUF batch file ({'quick' if args.quick else 'full'} run)")
    print(f"  machine: {os.cpu_count()} cores; file {actual_mb:.1f} MB, {count} kandidaatLk01")
    print(
        f"  bare lxml iterparse (ceiling): {ceiling:>10.0f} kennisgevingen/s "
        f"({parse_seconds:.2f} s)"
    )
    print(
        f"  gateway (upload to report):    {rate:>10.0f} kennisgevingen/s ({seconds:.1f} s)  "
        f"server CPU {cpu_share:.0%} of one core  state {status['state']}  counts {counts}"
    )
    print(f"  ratio gateway/iterparse: {rate / ceiling:.1%}")
    print(
        f"  server RSS: idle {idle_rss:.0f} MB, peak {peak:.0f} MB "
        "(target < 150 MB whatever the size)"
    )
    print(
        json.dumps(
            {
                "benchmark": "stuf_batch",
                "quick": args.quick,
                "cores": os.cpu_count(),
                "file_mb": round(actual_mb, 1),
                "messages": count,
                "iterparse_rate": round(ceiling),
                "gateway_rate": round(rate),
                "server_cpu": round(cpu_share, 2),
                "rss_idle_mb": round(idle_rss),
                "rss_peak_mb": round(peak),
                "counts": counts,
            }
        )
    )


if __name__ == "__main__":
    main()
