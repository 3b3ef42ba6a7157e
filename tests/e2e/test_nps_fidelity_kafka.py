"""Issue 9 acceptance 1 end to end: generated npsLk01 W/T messages (tests/adapters/stuf/
test_nps_property.py, every carried field absent, unchanged, set, modified, cleared or unknown,
valid against the official StUF-BG schema), each about its own enrolled candidate, sent over
SOAP to the real gateway: what reaches Kafka is exactly the generated change sets, nothing else,
nothing missing; a message without changes publishes nothing and says why in its history."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from lxml import etree
from sqlalchemy import select
from stdnum.nl import bsn as stdnum_bsn

from gateway.localkafka import LocalKafka
from gateway.store.tables import message_events
from tests import stuf_messages as m
from tests.adapters.stuf.official import assert_valid, official_bg0310
from tests.adapters.stuf.test_nps_property import BSN, kafka_value, nps_message, scenarios
from tests.kafka_reader import headers_of
from tests.stuf_server import stuf_server

pytestmark = pytest.mark.kafka

Scenario = tuple[str, list[list[Any]], dict[str, Any]]


def generated(count: int) -> list[Scenario]:
    found: list[Scenario] = []

    @settings(
        max_examples=count,
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=[HealthCheck.too_slow],
    )
    @given(scenarios())
    def collect(scenario: Scenario) -> None:
        found.append(scenario)

    collect()
    return found


def valid_bsns(count: int) -> list[str]:
    numbers: list[str] = []
    candidate = 100_000_000
    while len(numbers) < count:
        candidate += 1
        if stdnum_bsn.is_valid(str(candidate)) and str(candidate) != BSN:
            numbers.append(str(candidate))
    return numbers


async def test_generated_person_changes_reach_kafka_exactly(
    store_url: str, tmp_path: Path, kafka: LocalKafka
) -> None:
    cases = generated(25)
    bsns = valid_bsns(len(cases))
    expected: dict[str, dict[str, Any]] = {}
    silent: set[str] = set()
    async with stuf_server(store_url, tmp_path / "data", kafka) as server:
        for i, ((mutatiesoort, objects, changes), bsn) in enumerate(zip(cases, bsns, strict=True)):
            enrol = server.post(m.soap(m.kandidaat_lk01(f"E-{i}", m.kandidaat(bsn=bsn))))
            assert enrol.status_code == 200, enrol.text
            xml = nps_message(mutatiesoort, objects, f"P-{i}").replace(BSN, bsn)
            assert_valid(official_bg0310(), etree.fromstring(xml.encode()))
            response = server.post(m.soap(xml))
            assert response.status_code == 200, response.text
            if changes:
                expected[bsn] = kafka_value(mutatiesoort, changes, bsn)
            else:
                silent.add(f"P-{i}")
        read = await server.records(expected=len(cases) + len(expected))
        records = read.records
        rows = {r.external_ref: r.id for r in await server.inbound_rows()}
        async with server.store.read() as conn:
            noted = set(
                await conn.scalars(
                    select(message_events.c.inbound_id).where(
                        message_events.c.code == "nothing-to-publish"
                    )
                )
            )

    assert expected, "the generator made no change at all"
    person = [r for r in records if headers_of(r)["ce_type"] == "nl.flextensie.person.changed.v2"]
    published = {json.loads(r.value)["bsn"]: json.loads(r.value) for r in person}
    assert len(person) == len(published)  # one record per message, none twice
    assert published == expected
    assert {rows[ref] for ref in silent} == noted
    # enrolments + changes, nothing else ever written to the topic
    assert len(records) == read.end_total == len(cases) + len(expected)
