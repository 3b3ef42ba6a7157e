"""Issue 2 acceptance 3: with the broker down submissions are still accepted; after it is back
every one arrives exactly once, in order per person key."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from typing import Any

import orjson
import pytest

from gateway.localkafka import LocalKafka
from tests.conftest import GatewayFactory, new_broker
from tests.kafka_reader import headers_of, read_topic
from tests.samples import bsn_list, placement_started
from tests.waiting import eventually

pytestmark = pytest.mark.kafka


@pytest.fixture(scope="module")
def own_broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalKafka]:
    """A broker of this module's own: the test stops and restarts it."""
    broker = new_broker(tmp_path_factory.mktemp("outage-kafka"))
    broker.up()
    yield broker
    broker.down()


async def test_accepts_during_outage_and_delivers_everything_once_in_order(
    make_gateway: GatewayFactory, own_broker: LocalKafka
) -> None:
    persons = bsn_list(10)
    sent_order: dict[str, list[str]] = defaultdict(list)
    async with make_gateway(kafka=own_broker) as gw:
        warmup = await gw.post(
            placement_started(bsn=persons[0], assignment="warmup"), as_client="flexwerk-uitzend"
        )
        assert warmup.status_code == 202
        await gw.wait_drained()

        own_broker.down()
        for round_ in range(8):
            batch = [placement_started(bsn=b, assignment=f"A-{round_}") for b in persons]
            response = await gw.post(batch, as_client="flexwerk-uitzend")
            assert response.status_code == 202, response.text
            for bsn, message_id in zip(persons, response.json()["message_ids"], strict=True):
                sent_order[bsn].append(message_id)
        assert await gw.count("queued") == 80

        async def not_ready() -> Any:
            response = await gw.client.get("/readyz")
            return response if response.status_code == 503 else None

        # the relay notices on its next attempt
        ready = await eventually(not_ready, timeout=20, what="/readyz reports the broker down")

        own_broker.up()
        await gw.wait_drained(timeout=120)
        assert await gw.count("failed") == 0
        records = (await read_topic(own_broker.bootstrap, gw.topic)).records

    assert ready.status_code == 503
    assert orjson.loads(ready.content)["checks"]["kafka"]["ok"] is False
    ids = [headers_of(r)["ce_id"] for r in records]
    assert len(ids) == len(set(ids)) == 81
    by_key: dict[bytes, list[str]] = defaultdict(list)
    for record in records:
        by_key[record.key].append(headers_of(record)["ce_id"])
    delivered_orders = sorted(ids_[-8:] for ids_ in by_key.values())
    assert delivered_orders == sorted(sent_order.values())
    # Per key, one partition: the order on the partition is the submission order.
    partitions_per_key = defaultdict(set)
    for record in records:
        partitions_per_key[record.key].add(record.partition)
    assert all(len(p) == 1 for p in partitions_per_key.values())
