"""Relay behaviour against the real broker: unpublishable records fail with a reason while the
rest flow; only one relay publishes at a time."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import select

from gateway.localkafka import LocalKafka
from gateway.metrics import Metrics
from gateway.relay import Relay, producer_factory
from gateway.store.tables import message_events, messages
from tests.kafka_reader import headers_of, read_topic
from tests.samples import hours_reported, placement_started

pytestmark = pytest.mark.kafka


async def test_too_large_record_is_failed_with_reason_and_others_flow(
    make_gateway, kafka: LocalKafka
) -> None:
    async with make_gateway(kafka=kafka, kafka_max_request_size=4096) as gw:
        batch = [
            placement_started(),
            hours_reported(lines=150),
            placement_started(assignment="A-2"),
        ]
        response = await gw.post(batch, as_client="flexwerk-uitzend")
        assert response.status_code == 202
        small1, big, small2 = response.json()["message_ids"]
        await gw.wait_drained()
        async with gw.ctx.store.read() as conn:
            rows = {
                r.id: r
                for r in await conn.execute(
                    select(
                        messages.c.id,
                        messages.c.state,
                        messages.c.error_code,
                        messages.c.error_message,
                    )
                )
            }
            events = [
                tuple(r)
                for r in await conn.execute(
                    select(message_events.c.state, message_events.c.code).where(
                        message_events.c.message_id == big
                    )
                )
            ]
        records = await read_topic(kafka.bootstrap, gw.topic)

    assert rows[big].state == "failed"
    assert rows[big].error_code == "record-too-large"
    assert "MessageSizeTooLarge" in rows[big].error_message
    assert events == [("failed", "record-too-large")]
    assert rows[small1].state == rows[small2].state == "published"
    assert [headers_of(r)["ce_id"] for r in records] == [small1, small2]


async def test_only_one_relay_publishes_at_a_time(make_gateway, kafka: LocalKafka) -> None:
    async with make_gateway(kafka=kafka) as gw:
        second = Relay(
            store=gw.ctx.store,
            settings=gw.settings,
            metrics=Metrics(),
            make_producer=producer_factory(gw.settings),
        )
        for _ in range(100):
            if gw.ctx.relay.holds_lease:  # type: ignore[union-attr]
                break
            await asyncio.sleep(0.05)
        second.start()
        try:
            await asyncio.sleep(0.5)
            assert gw.ctx.relay.holds_lease  # type: ignore[union-attr]
            assert not second.holds_lease
            response = await gw.post(
                [placement_started(assignment=f"A-{i}") for i in range(20)],
                as_client="flexwerk-uitzend",
            )
            assert response.status_code == 202
            await gw.wait_drained()
        finally:
            await second.stop()
        records = await read_topic(kafka.bootstrap, gw.topic)
    assert len(records) == 20
