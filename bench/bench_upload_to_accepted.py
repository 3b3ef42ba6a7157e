"""Benchmark: time from the start of an upload of a 1,000,000-row payroll CSV to the status
saying ``accepted`` (streamed receive, 202, background check, release to the outbox), next to
the time a plain csv.reader pass over the same file takes (measured in the same run).

    python bench/bench_upload_to_accepted.py           # 1,000,000 rows
    python bench/bench_upload_to_accepted.py --quick   # 20,000 rows: proves the script works
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.gen_payroll_csv import generate
from bench.harness import (
    Sampler,
    cores,
    gateway_server,
    kept_workdir,
    plain_reader_pass,
    upload_in_own_process,
    wait_final,
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="20,000 rows instead of 1,000,000")
    parser.add_argument("--keep", type=Path, help="work directory to keep (default: temporary)")
    args = parser.parse_args()

    work = kept_workdir(args.keep)
    path = work / "payroll.csv"
    rows = generate(path, rows_wanted=20_000 if args.quick else 1_000_000, bytes_wanted=None)
    print(f"file: {rows:,} rows, {path.stat().st_size / 1e6:,.1f} MB")
    print(f"machine: {cores()} cores")
    _, reader_seconds = plain_reader_pass(path)
    print(f"baseline: plain csv.reader pass over the file: {reader_seconds:.2f} s")

    with gateway_server(work / "gateway") as server:
        sampler = Sampler(server.pid)
        sampler.start()
        started = time.perf_counter()
        sent = upload_in_own_process(server.port, path)
        answered = time.perf_counter() - started
        status, seen = wait_final(server.port, sent["answer"]["upload_id"], timeout=24 * 3600)
        cpu = sampler.stop()
    total = seen - started
    print(f"upload:   202 after {answered:.2f} s (body streamed in {sent['send_seconds']:.2f} s)")
    print(
        f"accepted: {total:.2f} s after the upload started (status {status['status']}, "
        f"{status['counts']['messages']:,} messages); {total / reader_seconds:.1f}x the plain "
        f"reader; server CPU {cpu / total:.0%} of one core ({cores()} cores)"
    )
    print(f"rate:     {rows / total:,.0f} rows/s end to end")
    if args.quick:
        print("(quick run: 20,000 rows; the full run uses 1,000,000)")


if __name__ == "__main__":
    main()
