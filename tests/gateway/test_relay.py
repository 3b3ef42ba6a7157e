"""Relay behaviour against the real broker: unpublishable records fail with a reason while the
rest flow; only one relay publishes at a time."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from gateway.localkafka import LocalKafka
from gateway.metrics import Metrics
from gateway.relay import Relay, producer_factory
from gateway.store.tables import message_events, messages
from tests.conftest import GatewayFactory, Harness
from tests.kafka_reader import headers_of, read_topic
from tests.samples import hours_reported, placement_started
from tests.waiting import eventually

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
    assert [headers_of(r)["ce_id"] for r in records.records] == [small1, small2]


def _second_relay(gw: Harness) -> tuple[Relay, list[datetime]]:
    """Another relay on the same store; its clock records every time it looks at the lease
    (it reads the clock only for the lease while it holds none)."""
    looked: list[datetime] = []

    def clock() -> datetime:
        now = datetime.now(UTC)
        looked.append(now)
        return now

    relay = Relay(
        store=gw.ctx.store,
        settings=gw.settings,
        metrics=Metrics(),
        make_producer=producer_factory(gw.settings),
        clock=clock,
    )
    return relay, looked


def _first_relay(gw: Harness) -> Relay:
    assert gw.ctx.relay is not None
    return gw.ctx.relay


async def test_a_second_relay_waits_while_the_first_holds_the_lease(
    make_gateway: GatewayFactory, kafka: LocalKafka
) -> None:
    async with make_gateway(kafka=kafka) as gw:
        first = _first_relay(gw)
        await eventually(lambda: first.holds_lease, what="the first relay takes the lease")
        second, looked = _second_relay(gw)
        second.start()
        try:
            await eventually(lambda: len(looked) >= 2, what="the second relay asks twice")
            assert first.holds_lease
            assert not second.holds_lease
            response = await gw.post(
                [placement_started(assignment=f"A-{i}") for i in range(20)],
                as_client="flexwerk-uitzend",
            )
            assert response.status_code == 202
            await gw.wait_drained()
            assert not second.holds_lease
        finally:
            await second.stop()
        records = await read_topic(kafka.bootstrap, gw.topic)
    assert len(records.records) == records.end_total == 20


async def test_a_second_relay_takes_over_when_the_first_stops(
    make_gateway: GatewayFactory, kafka: LocalKafka
) -> None:
    async with make_gateway(kafka=kafka) as gw:
        first = _first_relay(gw)
        await eventually(lambda: first.holds_lease, what="the first relay takes the lease")
        second, looked = _second_relay(gw)
        second.start()
        try:
            await eventually(lambda: len(looked) >= 2, what="the second relay asks twice")
            assert not second.holds_lease
            await first.stop()
            # the stopped relay gave the lease back: the waiting one takes it at its next look
            await eventually(lambda: second.holds_lease, what="the second relay takes over")
            response = await gw.post(
                [placement_started(assignment=f"B-{i}") for i in range(5)],
                as_client="flexwerk-uitzend",
            )
            assert response.status_code == 202
            ids = response.json()["message_ids"]
            second.wake()
            await gw.wait_drained()
        finally:
            await second.stop()
        records = await read_topic(kafka.bootstrap, gw.topic)
    assert sorted(records.ce_ids()) == sorted(ids)
    assert records.end_total == 5
