"""Issue 10 acceptance 1: two ``flexgw relay`` processes on one store; the lease holder is
paused (SIGSTOP) longer than its lease in the middle of a backlog drain, the other takes over,
then the paused one continues. Kafka (read_committed) holds every message exactly once, in
the order the gateway accepted them per person key."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

import pytest
from sqlalchemy import func, select

from gateway.localkafka import LocalKafka
from gateway.store import Store
from gateway.store.tables import messages
from tests.conftest import PERSON_KEY_SECRET, GatewayFactory
from tests.kafka_reader import headers_of, read_topic
from tests.samples import bsn_list, placement_started

pytestmark = pytest.mark.kafka
FLEXGW = str(Path(sys.executable).with_name("flexgw"))
BACKLOG_REQUESTS = 30
PER_REQUEST = 100  # 3,000 messages over 40 person keys


def start_relay(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:
        return subprocess.Popen([FLEXGW, "relay"], stdout=out, stderr=subprocess.STDOUT, env=env)


async def count(store: Store, state: str) -> int:
    async with store.read() as conn:
        return int(await conn.scalar(select(func.count()).where(messages.c.state == state)) or 0)


async def poll(check, what: str, timeout: float) -> None:  # type: ignore[no-untyped-def]
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not await check():
        if loop.time() > deadline:
            raise TimeoutError(what)
        await asyncio.sleep(0.02)


@pytest.mark.parametrize("lease_seconds", [2.0, 1.0])
async def test_a_paused_relay_is_fenced_no_duplicates_no_loss_order_kept(
    make_gateway: GatewayFactory,
    kafka: LocalKafka,
    store_url: str,
    tmp_path: Path,
    lease_seconds: float,
) -> None:
    persons = bsn_list(40)
    async with make_gateway(kafka=kafka, relay=False) as gw:
        for n in range(BACKLOG_REQUESTS):
            body = [
                placement_started(
                    bsn=persons[(n * PER_REQUEST + i) % len(persons)], assignment=f"A-{n}-{i}"
                )
                for i in range(PER_REQUEST)
            ]
            response = await gw.post(body, as_client="flexwerk-uitzend")
            assert response.status_code == 202, response.text
        topic = gw.topic
    expected = BACKLOG_REQUESTS * PER_REQUEST

    env = {k: v for k, v in os.environ.items() if not k.startswith("FLEXGW_")}
    env.update(
        FLEXGW_DATA_DIR=str(tmp_path / "data"),
        FLEXGW_DATABASE_URL=store_url,
        FLEXGW_KAFKA_BOOTSTRAP_SERVERS=kafka.bootstrap,
        FLEXGW_DEFAULT_TOPIC=topic,
        FLEXGW_PERSON_KEY_SECRET=PERSON_KEY_SECRET,
        FLEXGW_RELAY_LEASE_SECONDS=str(lease_seconds),
        FLEXGW_RELAY_BATCH_SIZE="50",  # many small transactions: a pause lands mid-drain
        FLEXGW_RELAY_POLL_SECONDS="0.1",
        FLEXGW_KAFKA_REQUEST_TIMEOUT_MS="5000",
        FLEXGW_LOG_FORMAT="json",
    )
    store = Store(store_url)
    first = start_relay(env, tmp_path / "relay-a.log")
    second: subprocess.Popen[bytes] | None = None
    try:
        # The first relay holds the lease and is draining when it is paused.
        await poll(lambda: _more_than(store, "published", 0), "relay A never published", 60)
        second = start_relay(env, tmp_path / "relay-b.log")
        first.send_signal(signal.SIGSTOP)
        paused_at = await count(store, "published")
        assert paused_at < expected, "the backlog drained before the pause: make it larger"
        # The second relay takes over once the lease ran out and publishes meanwhile.
        await poll(
            lambda: _more_than(store, "published", paused_at),
            "relay B never took over",
            60,
        )
        # A continues while B is mid-drain: the worst moment for a zombie.
        first.send_signal(signal.SIGCONT)
        await poll(lambda: _drained(store), "the outbox never drained", 120)
        assert await count(store, "failed") == 0
        async with store.read() as conn:
            accepted = (
                await conn.execute(select(messages.c.id, messages.c.key).order_by(messages.c.seq))
            ).all()
    finally:
        for process in (first, second):
            if process is not None:
                process.send_signal(signal.SIGCONT)
                process.terminate()
                process.wait(30)
        await store.dispose()

    read = await read_topic(kafka.bootstrap, topic, timeout=60)
    records = read.records
    ids = read.ce_ids()
    # What the fenced relay wrote is in the log but aborted: consumers never see it.
    assert read.end_total >= expected
    assert len(accepted) == expected
    assert len(ids) == expected, f"{len(ids)} records on Kafka for {expected} accepted"
    assert len(set(ids)) == expected, f"{len(ids) - len(set(ids))} duplicates"
    assert set(ids) == {row.id for row in accepted}
    on_kafka: dict[str, list[str]] = defaultdict(list)
    for record in records:
        on_kafka[record.key.decode()].append(headers_of(record)["ce_id"])
    in_store: dict[str, list[str]] = defaultdict(list)
    for row in accepted:
        in_store[row.key].append(row.id)
    assert on_kafka == in_store
    logs = (tmp_path / "relay-a.log").read_text() + (tmp_path / "relay-b.log").read_text()
    # The paused relay woke up to find itself fenced, and said so.
    assert "lease_lost" in logs or "relay_fenced" in logs


async def _more_than(store: Store, state: str, n: int) -> bool:
    return await count(store, state) > n


async def _drained(store: Store) -> bool:
    return await count(store, "queued") == 0
