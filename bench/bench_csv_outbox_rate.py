"""Benchmark: payroll-CSV rows per second through parse, validate and map into the outbox,
next to a plain csv.reader pass over the same file (the ceiling, measured in the same run),
and the gateway's peak RSS.

A real gateway (``flexgw serve --no-relay``, embedded SQLite) runs in its own process; the
file is uploaded by a client in another process. The rate is the gateway's own: rows read
divided by the time from the start to the end of processing (both from the upload's status).

    python bench/bench_csv_outbox_rate.py            # 1,000,000 rows
    python bench/bench_csv_outbox_rate.py --gb       # about 1 GB (~13 M rows)
    python bench/bench_csv_outbox_rate.py --quick    # small sizes: proves the script works

Targets (issue 4): >= 50,000 rows/s, >= 25 % of the plain reader, peak RSS < 200 MB (1 GB).
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
    seconds_between,
    upload_in_own_process,
    wait_final,
)

TARGET_RATE = 50_000
TARGET_RATIO = 0.25
TARGET_RSS_MB = 200


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes (20,000 rows / 2 MB)")
    parser.add_argument("--gb", action="store_true", help="a file of about 1 GB")
    parser.add_argument("--keep", type=Path, help="work directory to keep (default: temporary)")
    args = parser.parse_args()

    work = kept_workdir(args.keep)
    path = work / "payroll.csv"
    if args.gb:
        size = 2_000_000 if args.quick else 1_000_000_000
        rows = generate(path, rows_wanted=None, bytes_wanted=size)
    else:
        rows = generate(path, rows_wanted=20_000 if args.quick else 1_000_000, bytes_wanted=None)
    megabytes = path.stat().st_size / 1e6
    print(f"file: {rows:,} rows, {megabytes:,.1f} MB ({'quick' if args.quick else 'full'} size)")
    print(f"machine: {cores()} cores")

    counted, seconds = plain_reader_pass(path)
    assert counted == rows, (counted, rows)
    baseline = rows / seconds
    print(f"baseline: plain csv.reader pass: {baseline:,.0f} rows/s ({seconds:.2f} s)")

    with gateway_server(work / "gateway") as server:
        sampler = Sampler(server.pid)
        sampler.start()
        wall = time.perf_counter()
        sent = upload_in_own_process(server.port, path)
        if sent["status"] != 202:
            raise SystemExit(f"upload answered {sent['status']}: {sent['answer']}")
        status, _ = wait_final(server.port, sent["answer"]["upload_id"], timeout=24 * 3600)
        wall = time.perf_counter() - wall
        cpu = sampler.stop()

    if status["status"] != "accepted":
        raise SystemExit(f"the upload was not accepted: {status}")
    processing = seconds_between(status["started_at"], status["finished_at"])
    rate = status["counts"]["rows_read"] / processing
    ratio = rate / baseline
    rss_mb = sampler.peak_rss / 1e6
    share = cpu / wall
    print(
        f"gateway:  {rate:,.0f} rows/s into the outbox ({processing:.2f} s processing, "
        f"{status['counts']['messages']:,} messages); server CPU {share:.0%} of one core "
        f"over the run ({cores()} cores)"
    )
    print(f"ratio:    {ratio:.1%} of the plain reader (target >= {TARGET_RATIO:.0%})")
    print(f"peak RSS: {rss_mb:,.0f} MB (server process and children; target < {TARGET_RSS_MB} MB)")
    verdict = [
        ("rate", rate >= TARGET_RATE),
        ("ratio", ratio >= TARGET_RATIO),
        ("rss", rss_mb < TARGET_RSS_MB),
    ]
    print("targets:  " + ", ".join(f"{n} {'met' if ok else 'NOT met'}" for n, ok in verdict))
    if args.quick:
        print("(quick run: sizes too small for the targets to mean anything)")


if __name__ == "__main__":
    main()
