"""docs/delivery.md, broker outages: the wait is visible (the log repeats
``relay_waiting_for_kafka``, ``flexgw_relay_retries_total`` and ``flexgw_outbox_depth`` rise),
and errors outside the producer's own retry are retried with backoff, each time with a fresh
producer. The broker is stopped for real, and the producers are the real ones, counted."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
import structlog
from aiokafka import AIOKafkaProducer
from prometheus_client.parser import text_string_to_metric_families
from structlog.testing import LogCapture

import gateway.relay
from gateway.app import build_context, create_app
from gateway.localkafka import LocalKafka
from gateway.relay import producer_factory
from tests.conftest import Harness, make_test_clients, new_broker, settings_for
from tests.samples import bsn_list, placement_started
from tests.waiting import eventually

pytestmark = pytest.mark.kafka


@pytest.fixture(scope="module")
def own_broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalKafka]:
    """A broker of this module's own: the test stops and restarts it."""
    broker = new_broker(tmp_path_factory.mktemp("relay-outage-kafka"))
    broker.up()
    yield broker
    broker.down()


@pytest.fixture
def relay_log(monkeypatch: pytest.MonkeyPatch) -> LogCapture:
    capture = LogCapture()
    monkeypatch.setattr(gateway.relay, "log", structlog.wrap_logger(None, processors=[capture]))
    return capture


class CountingFactory:
    """The relay's real producer factory, counting the producers it makes."""

    def __init__(self, make: Callable[[], AIOKafkaProducer]) -> None:
        self._make = make
        self.made: list[AIOKafkaProducer] = []

    def __call__(self) -> AIOKafkaProducer:
        producer = self._make()
        self.made.append(producer)
        return producer


@asynccontextmanager
async def gateway_with(
    store_url: str, data_dir: Path, kafka: LocalKafka | None, **settings: Any
) -> AsyncIterator[tuple[Harness, CountingFactory]]:
    # model_copy: settings_for sets the relay's timings itself; these tests set their own.
    config = settings_for(store_url, data_dir, kafka, relay=True).model_copy(update=settings)
    counting = CountingFactory(producer_factory(config))
    ctx = build_context(config, clients=make_test_clients(), make_producer=counting)
    app = create_app(config, context=ctx)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://gateway") as client:
            gw = Harness(ctx=ctx, client=client, settings=config, topic=config.default_topic)
            yield gw, counting


async def metric(gw: Harness, name: str) -> float:
    text = (await gw.client.get("/metrics")).text
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name:
                return float(sample.value)
    raise AssertionError(f"{name} is not in /metrics")


async def test_during_an_outage_the_log_repeats_and_retries_and_depth_rise(
    store_url: str, tmp_path: Path, own_broker: LocalKafka, relay_log: LogCapture
) -> None:
    persons = bsn_list(5, start=60_000_000)
    async with gateway_with(
        store_url, tmp_path / "data", own_broker, kafka_request_timeout_ms=1000
    ) as (gw, _):
        warmup = await gw.post(placement_started(bsn=persons[0]), as_client="flexwerk-uitzend")
        assert warmup.status_code == 202, warmup.text
        await gw.wait_drained()  # a producer is connected now
        retries_before = await metric(gw, "flexgw_relay_retries_total")
        depth_before = await metric(gw, "flexgw_outbox_depth")

        own_broker.down()
        try:
            batch = [placement_started(bsn=b, assignment="outage") for b in persons]
            response = await gw.post(batch, as_client="flexwerk-uitzend")
            assert response.status_code == 202, response.text

            def waits() -> int:
                found = [e for e in relay_log.entries if e["event"] == "relay_waiting_for_kafka"]
                return len(found) if len(found) >= 3 else 0

            await eventually(waits, timeout=60, what="relay_waiting_for_kafka three times")
            retries_during = await metric(gw, "flexgw_relay_retries_total")
            depth_during = await metric(gw, "flexgw_outbox_depth")
        finally:
            own_broker.up()
        await gw.wait_drained(timeout=120)
        depth_after = await metric(gw, "flexgw_outbox_depth")

    assert depth_before == 0
    assert depth_during == len(persons)
    assert retries_during >= retries_before + 3
    assert depth_after == 0


async def test_errors_outside_the_producer_are_retried_with_backoff_and_a_fresh_producer(
    store_url: str, tmp_path: Path, relay_log: LogCapture
) -> None:
    # No broker at all: starting a producer fails, which is outside aiokafka's own retry.
    async with gateway_with(
        store_url,
        tmp_path / "data",
        None,
        relay_backoff_initial_seconds=0.05,
        relay_backoff_max_seconds=0.4,
        kafka_request_timeout_ms=1000,
    ) as (gw, counting):
        response = await gw.post(placement_started(), as_client="flexwerk-uitzend")
        assert response.status_code == 202, response.text

        def retried() -> list[dict[str, Any]]:
            found = [dict(e) for e in relay_log.entries if e["event"] == "relay_retrying"]
            return found if len(found) >= 5 else []

        retries = await eventually(retried, timeout=90, what="five relay retries")
        made = len(counting.made)
        queued = await gw.count("queued")

    attempts = [e["attempt"] for e in retries]
    assert attempts[:5] == [1, 2, 3, 4, 5]
    # Backoff: waits are random up to a bound that doubles per attempt, capped by the setting.
    waits = [e["wait_seconds"] for e in retries]
    assert all(0 <= w <= 0.4 for w in waits), waits
    assert max(waits) > 0
    # A fresh producer each time: one made per attempt, none kept and started again.
    assert made >= len(retries)
    assert queued == 1  # still queued, never failed because the broker is not there
