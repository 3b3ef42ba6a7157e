"""Issue 2 benchmark: the gateway's end-to-end rate against the raw aiokafka producer ceiling,
and the relay's catch-up after an outage.

1. ceiling: a bare aiokafka producer (idempotent, acks=all, the relay's settings) sends N
   records of the same size, keys and headers as the gateway's records, to the same broker.
2. gateway: `flexgw serve` (SQLite, relay in process) receives N canonical messages in
   batches from a load generator in its own process; timed from the first request to the last
   record acknowledged by Kafka (end offsets of the topic).
3. catch-up: N messages queued while no relay runs; then `flexgw relay` starts; timed until
   the last record is on the topic.

With ``--compare-transactions`` every round and the catch-up run twice, with the relay's
Kafka transactions (the default, which fence a relay that lost its lease) and without
(``FLEXGW_RELAY_TRANSACTIONS=false``), so that their cost is measured in the same run.

Usage: python bench/e2e_throughput.py [--messages 100000] [--batch 1000] [--quick]
       [--compare-transactions]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import orjson
import psutil

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.harness import (
    ROOT,
    CpuMeter,
    baseline_producer,
    bsns,
    cores,
    gateway,
    local_broker,
    relay_process,
    wait_for_records,
    workdir,
)
from gateway.localkafka import LocalKafka


def message(bsn: str, i: int) -> dict[str, object]:
    return {
        "type": "nl.flextensie.placement.started.v1",
        "data": {
            "bsn": bsn,
            "agency_kvk": "12345678",
            "assignment_id": f"A-{i}",
            "client": {"name": "Bakkerij Brood & Zo", "kvk": "23456789"},
            "start_date": "2026-12-07",
            "hourly_rate": "14.40",
            "hours_per_week": "24",
            "job_title": "Medewerker productie",
        },
    }


def write_bodies(path: Path, total: int, batch: int) -> None:
    people = bsns(min(total, 20_000))
    with path.open("wb") as handle:
        for start in range(0, total, batch):
            chunk = [
                message(people[i % len(people)], i) for i in range(start, min(total, start + batch))
            ]
            handle.write(orjson.dumps(chunk) + b"\n")


async def raw_ceiling(bootstrap: str, topic: str, total: int) -> float:
    """Records shaped like the gateway's (value, 64-hex key, 8 ce_* headers)."""
    import hashlib

    people = bsns(min(total, 20_000))
    values = [orjson.dumps(message(people[i % len(people)], i)["data"]) for i in range(total)]
    keys = [hashlib.sha256(p.encode()).hexdigest().encode() for p in people]
    headers = [
        ("ce_specversion", b"1.0"),
        ("ce_id", b"6f1d3f7e-5b0a-4c1e-9a43-2f3c6b1f7e01"),
        ("ce_source", b"urn:flextensie:gateway:flexwerk-uitzend"),
        ("ce_type", b"nl.flextensie.placement.started.v1"),
        ("ce_time", b"2026-11-27T10:00:00.000Z"),
        ("ce_subject", keys[0]),
        ("ce_dataschema", b"https://schemas.flextensie.nl/gateway/placement.started.v1.json"),
        ("content-type", b"application/json"),
    ]
    producer = baseline_producer(bootstrap)
    await producer.start()
    await producer.send_and_wait(topic, b"warmup", key=b"warmup")
    started = time.perf_counter()
    futures = [
        await producer.send(topic, values[i], key=keys[i % len(keys)], headers=headers)
        for i in range(total)
    ]
    await asyncio.gather(*futures)
    elapsed = time.perf_counter() - started
    await producer.stop()
    return total / elapsed


def run_loadgen(url: str, bodies: Path, key: str, concurrency: int) -> dict[str, Any]:
    out = subprocess.run(
        [
            sys.executable,
            str(ROOT / "bench" / "loadgen.py"),
            "--url",
            f"{url}/v1/messages",
            "--bodies",
            str(bodies),
            "--concurrency",
            str(concurrency),
            "--header",
            f"Authorization: Bearer {key}",
            "--header",
            "Content-Type: application/json",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    return dict(json.loads(out.stdout))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=100_000)
    parser.add_argument("--batch", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument(
        "--split",
        action="store_true",
        help="run the relay as its own process (serve --no-relay + flexgw relay)",
    )
    parser.add_argument(
        "--compare-transactions",
        action="store_true",
        help="measure with and without the relay's Kafka transactions in the same run",
    )
    args = parser.parse_args()
    total = 10_000 if args.quick else args.messages
    modes: dict[str, dict[str, str]] = {"transactions": {}}
    if args.compare_transactions:
        modes["no_transactions"] = {"FLEXGW_RELAY_TRANSACTIONS": "false"}

    with workdir("e2e") as tmp, local_broker(tmp / "kafka") as kafka:
        bodies = tmp / "bodies.jsonl"
        write_bodies(bodies, total, args.batch)
        rounds = []
        # Ceiling and gateway alternate, so that a noisy neighbour hits both alike; the
        # median round is reported.
        for number in range(1 if args.quick else args.rounds):
            raw_rate = asyncio.run(raw_ceiling(kafka.bootstrap, f"bench.raw.{number}", total))
            for mode, env in modes.items():
                measured = measure_gateway(
                    tmp / f"gw{number}-{mode}",
                    kafka,
                    f"bench.e2e.{number}.{mode}",
                    bodies,
                    total,
                    args,
                    env,
                )
                rounds.append(
                    {
                        "relay": mode,
                        "raw_producer_msgs_per_s": round(raw_rate),
                        **measured,
                        "ratio": round(measured["gateway_e2e_msgs_per_s"] / raw_rate, 3),
                    }
                )
                print(json.dumps(rounds[-1]), file=sys.stderr)

        catchup: dict[str, float] = {}
        for mode, env in modes.items():
            topic = f"bench.catchup.{mode}"
            data_dir = tmp / f"catchup-{mode}"
            with gateway(data_dir, kafka, topic=topic, relay=False, extra_env=env) as gw:
                run_loadgen(gw.url, bodies, gw.key, args.concurrency)
                started = time.perf_counter()
                with relay_process(data_dir, kafka, topic, env):
                    done = asyncio.run(wait_for_records(kafka.bootstrap, topic, total))
            catchup[mode] = done - started

    by_mode = {
        mode: sorted((r for r in rounds if r["relay"] == mode), key=lambda r: r["ratio"])
        for mode in modes
    }
    medians = {mode: found[len(found) // 2] for mode, found in by_mode.items()}
    catchup_seconds = catchup["transactions"]
    median = medians["transactions"]
    result = {
        "cores": cores(),
        "messages": total,
        "batch": args.batch,
        "concurrency": args.concurrency,
        "mode": "serve --no-relay + relay process" if args.split else "serve (relay in process)",
        "rounds": len(by_mode["transactions"]),
        "median_round": median,
        "all_ratios": [r["ratio"] for r in by_mode["transactions"]],
        "catchup_seconds": round(catchup_seconds, 2),
        "catchup_msgs_per_s": round(total / catchup_seconds),
    }
    if args.compare_transactions:
        result["without_transactions"] = {
            "median_round": medians["no_transactions"],
            "catchup_seconds": round(catchup["no_transactions"], 2),
            "catchup_msgs_per_s": round(total / catchup["no_transactions"]),
        }
    print(json.dumps(result, indent=2))


def measure_gateway(
    data_dir: Path,
    kafka: LocalKafka,
    topic: str,
    bodies: Path,
    total: int,
    args: argparse.Namespace,
    env: dict[str, str] | None = None,
) -> dict[str, Any]:
    with (
        gateway(data_dir, kafka, topic=topic, relay=not args.split, extra_env=env) as gw,
        contextlib.ExitStack() as stack,
    ):
        relay_cpu = None
        if args.split:
            relay = stack.enter_context(relay_process(data_dir, kafka, topic, env))
            relay_cpu = CpuMeter(psutil.Process(relay.pid))
            relay_cpu.start()
        meter = CpuMeter(gw.ps)
        meter.start()
        load = run_loadgen(gw.url, bodies, gw.key, args.concurrency)
        done = asyncio.run(wait_for_records(kafka.bootstrap, topic, total))
        cpu_seconds, cpu_share = meter.stop()
        relay_share = relay_cpu.stop()[1] if relay_cpu else None
    expected = total // args.batch + (1 if total % args.batch else 0)
    if load["statuses"] != {"202": expected}:
        raise RuntimeError(f"unexpected answers: {load['statuses']}")
    e2e_seconds = done - float(load["started"])
    return {
        "gateway_e2e_msgs_per_s": round(total / e2e_seconds),
        "gateway_e2e_seconds": round(e2e_seconds, 2),
        "gateway_intake_seconds": round(float(load["seconds"]), 2),
        "server_cpu_share_of_one_core": round(cpu_share, 2),
        "server_cpu_us_per_message": round(cpu_seconds / total * 1e6, 1),
        "relay_process_cpu_share_of_one_core": None
        if relay_share is None
        else round(relay_share, 2),
    }


if __name__ == "__main__":
    main()
