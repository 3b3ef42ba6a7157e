"""Relay behaviour against the real broker: unpublishable records fail with a reason while the
rest flow; only one relay publishes at a time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import insert, select

from gateway.localkafka import LocalKafka
from gateway.metrics import Metrics
from gateway.relay import LEASE_NAME, Relay, producer_factory
from gateway.store.tables import message_events, messages, relay_lease
from tests.conftest import GatewayFactory, Harness
from tests.kafka_reader import headers_of, read_topic
from tests.samples import hours_reported, placement_started
from tests.waiting import eventually

pytestmark = pytest.mark.kafka


async def test_too_large_record_is_failed_with_reason_and_others_flow(
    make_gateway: GatewayFactory, kafka: LocalKafka
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


class MovableClock:
    """The relay's clock, standing still unless the test moves it on; counts its reads."""

    def __init__(self, start: datetime) -> None:
        self.now = start
        self.reads = 0

    def __call__(self) -> datetime:
        self.reads += 1
        return self.now


async def test_the_lease_of_a_relay_that_died_expires_after_15_seconds(
    make_gateway: GatewayFactory,
) -> None:
    """A relay that died without giving the lease back: another waits until the lease is
    15 s old, then takes over."""
    died_at = datetime.now(UTC)
    async with make_gateway(relay=False) as gw:
        async with gw.ctx.store.write() as conn:
            await conn.execute(
                insert(relay_lease).values(
                    name=LEASE_NAME,
                    owner="relay-that-died",
                    expires_at=died_at + timedelta(seconds=15),
                )
            )
        clock = MovableClock(died_at)
        relay = Relay(
            store=gw.ctx.store,
            settings=gw.settings,
            metrics=Metrics(),
            make_producer=producer_factory(gw.settings),
            clock=clock,
        )
        relay.start()
        try:
            await eventually(lambda: clock.reads >= 1, what="the relay asks for the lease")
            assert not relay.holds_lease
            clock.now = died_at + timedelta(seconds=14)
            asked = clock.reads
            await eventually(lambda: clock.reads > asked, what="the relay asks again")
            assert not relay.holds_lease  # 14 s on: still the dead relay's
            clock.now = died_at + timedelta(seconds=16)
            await eventually(lambda: relay.holds_lease, what="the relay takes the lease over")
        finally:
            await relay.stop()


async def test_the_producer_is_idempotent_and_waits_for_all_replicas(
    make_gateway: GatewayFactory,
) -> None:
    async with make_gateway(relay=False) as gw:
        producer = producer_factory(gw.settings)()
        try:
            idempotent = producer._txn_manager is not None
            acks = producer._sender._acks
        finally:
            await producer.stop()
    assert idempotent
    assert acks == -1  # "all"
