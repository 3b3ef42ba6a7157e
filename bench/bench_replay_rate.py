"""Bulk replay rate: N failed messages replayed to Kafka, from the job's start (the POST that
creates it) to the last record acknowledged (the latest ``published_at`` the relay wrote).

Baseline, measured in the same run against the same broker: a raw aiokafka producer with the
relay's settings (idempotent, acks=all) sending the same N records and awaiting every ack.
Targets (issue 5): >= 2,000 msg/s and >= 25% of the raw producer rate.

    .venv/bin/python bench/replay_rate.py            # 100,000 messages
    .venv/bin/python bench/replay_rate.py --quick    # 5,000 messages, to check it works
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from pathlib import Path

import httpx
from sqlalchemy import func, select

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.harness import (
    OPS_KEY,
    PERSON_KEY_SECRET,
    baseline_producer,
    clients,
    local_broker,
    machine,
    measure_cpu,
    seed,
)
from gateway.app import build_context, create_app
from gateway.log import configure_logging
from gateway.settings import Settings
from gateway.store import Store, upgrade
from gateway.store.tables import messages
from gateway.timeutil import as_utc

VALUE = (
    b'{"bsn":"111222333","agency_kvk":"12345678","assignment_id":"A-000123",'
    b'"client":{"name":"Bakkerij Brood & Zo","kvk":"23456789"},"start_date":"2026-12-07",'
    b'"hourly_rate":"14.40","hours_per_week":"24"}'
)


async def raw_producer_rate(bootstrap: str, topic: str, count: int) -> tuple[float, str]:
    producer = baseline_producer(bootstrap)
    await producer.start()
    headers = [
        ("ce_specversion", b"1.0"),
        ("ce_id", b"x" * 36),
        ("ce_type", b"t" * 40),
        ("content-type", b"application/json"),
    ]
    try:
        await producer.send_and_wait(topic, b"warm-up")
        with measure_cpu() as cpu:
            start = time.perf_counter()
            futures = [
                await producer.send(
                    topic, value=VALUE, key=f"{i % 5000:064d}".encode(), headers=headers
                )
                for i in range(count)
            ]
            await asyncio.gather(*futures)
            elapsed = time.perf_counter() - start
    finally:
        await producer.stop()
    return count / elapsed, cpu.line()


async def replay_rate(
    bootstrap: str, topic: str, count: int, data_dir: Path, url: str
) -> tuple[float, str, float]:
    store = Store(url)
    await upgrade(store)
    await seed(
        store,
        count,
        topic=topic,
        value=VALUE,
        state_of=lambda i: ("failed", "kafka-rejected", "placement.started", "agency-01"),
    )
    await store.dispose()
    settings = Settings(
        _env_file=None,
        data_dir=data_dir,
        database_url=url,
        person_key_secret=PERSON_KEY_SECRET,
        kafka_bootstrap_servers=bootstrap,
        default_topic=topic,
        dlq_enabled=False,
        retention_purge_interval_seconds=0,
    )
    ctx = build_context(settings, clients=clients())
    app = create_app(settings, context=ctx)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(
            transport=transport,
            base_url="http://gw",
            headers={"Authorization": f"Bearer {OPS_KEY}"},
        ) as client:
            await asyncio.sleep(1.0)  # relay up, producer connected
            selection = {"filter": {"state": "failed", "error_code": "kafka-rejected"}}
            # Every bulk replay starts from its plan (count, sample); the job is timed.
            plan = await client.post(
                "/v1/ops/replays/plan", json={"kind": "republish", **selection}
            )
            assert plan.status_code == 200, plan.text
            with measure_cpu() as cpu:
                started_wall = time.time()
                started = time.perf_counter()
                response = await client.post(
                    "/v1/ops/replays",
                    json={
                        "kind": "republish",
                        "reason": "benchmark",
                        "up_to_seq": plan.json()["max_seq"],
                        **selection,
                    },
                )
                assert response.status_code == 202, response.text
                job_id = response.json()["id"]
                while True:
                    job = (await client.get(f"/v1/ops/replays/{job_id}")).json()
                    if job["state"] == "done":
                        break
                    await asyncio.sleep(0.1)
                polled = time.perf_counter() - started
            async with ctx.store.read() as conn:
                last_ack = await conn.scalar(select(func.max(messages.c.published_at)))
                published = await conn.scalar(
                    select(func.count()).where(messages.c.state == "published")
                )
    assert published == count, (published, count)
    assert job["counts"] == {"published": count}, job["counts"]
    elapsed = as_utc(last_ack).timestamp() - started_wall
    return count / elapsed, cpu.line(), polled


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="5,000 messages (a smoke run)")
    parser.add_argument("--messages", type=int, default=None)
    parser.add_argument("--database-url", default="", help="default: SQLite in a temp dir")
    args = parser.parse_args()
    configure_logging("error", "console")
    count = args.messages or (5_000 if args.quick else 100_000)
    with (
        tempfile.TemporaryDirectory(prefix="flexgw-bench-") as tmp,
        local_broker(Path(tmp) / "kafka") as broker,
    ):
        url = args.database_url or f"sqlite+aiosqlite:///{Path(tmp) / 'gateway.db'}"
        raw, raw_cpu = await raw_producer_rate(broker.bootstrap, "bench.raw", count)
        rate, replay_cpu, polled = await replay_rate(
            broker.bootstrap, "bench.replay", count, Path(tmp) / "data", url
        )
    store_kind = url.split(":", 1)[0]
    print(
        f"bulk replay rate ({'quick, ' if args.quick else ''}{count:,} messages, {store_kind}; "
        f"machine: {machine()})"
    )
    print(f"  baseline, raw aiokafka producer (idempotent, acks=all): {raw:,.0f} msg/s; {raw_cpu}")
    print(
        f"  replay job start -> last ack: {rate:,.0f} msg/s ({count / rate:.1f} s; "
        f"job seen done after {polled:.1f} s); {replay_cpu}"
    )
    print(f"  ratio replay/raw: {100 * rate / raw:.0f}%   (targets: >= 2,000 msg/s and >= 25%)")
    ok = rate >= 2000 and rate >= 0.25 * raw
    print(f"  result: {'meets' if ok else 'MISSES'} the targets")


if __name__ == "__main__":
    asyncio.run(main())
