"""Issue 2 acceptance 1, 2 and 4: REST in, real Kafka out, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from gateway.localkafka import LocalKafka
from schemas.registry import BY_TYPE
from tests.conftest import PERSON_KEY_SECRET, GatewayFactory
from tests.kafka_reader import headers_of, read_topic
from tests.samples import candidate_enrolled, placement_started

SCHEMA_DIR = Path(__file__).resolve().parents[2] / "schemas" / "json"

pytestmark = pytest.mark.kafka


def _validator(ce_type: str) -> jsonschema.Draft202012Validator:
    cls = BY_TYPE[ce_type]
    schema = json.loads((SCHEMA_DIR / f"{cls.short_type}.v1.json").read_text())
    return jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())


async def test_posted_message_arrives_on_kafka_with_ce_headers_and_pseudonymous_key(
    make_gateway: GatewayFactory, kafka: LocalKafka
) -> None:
    import hashlib
    import hmac

    async with make_gateway(kafka=kafka) as gw:
        response = await gw.post(candidate_enrolled(bsn="111222333"))
        assert response.status_code == 202, response.text
        [message_id] = response.json()["message_ids"]
        await gw.wait_drained()
        records = await read_topic(kafka.bootstrap, gw.topic)

    assert len(records.records) == 1
    record = records.records[0]
    headers = headers_of(record)
    expected_key = hmac.new(PERSON_KEY_SECRET.encode(), b"111222333", hashlib.sha256).hexdigest()
    assert record.key.decode() == expected_key
    assert b"111222333" not in record.key
    assert headers["ce_id"] == message_id
    assert headers["ce_specversion"] == "1.0"
    assert headers["ce_type"] == "nl.flextensie.candidate.enrolled.v1"
    assert headers["ce_source"] == "urn:flextensie:gateway:gemeente-amsterdam"
    assert headers["ce_subject"] == expected_key
    assert headers["ce_dataschema"].endswith("candidate.enrolled.v1.json")
    assert headers["content-type"] == "application/json"
    assert headers["ce_time"].endswith("Z")
    value = json.loads(record.value)
    _validator(headers["ce_type"]).validate(value)
    assert value["bsn"] == "111222333"
    assert value["municipality"] == "0363"


async def test_same_idempotency_key_twice_gives_same_ids_and_one_record(
    make_gateway: GatewayFactory, kafka: LocalKafka
) -> None:
    body = placement_started()
    async with make_gateway(kafka=kafka) as gw:
        first = await gw.post(body, as_client="flexwerk-uitzend", **{"Idempotency-Key": "run-1"})
        await gw.wait_drained()
        second = await gw.post(body, as_client="flexwerk-uitzend", **{"Idempotency-Key": "run-1"})
        # Same content under another key, and without a key: still the original answer.
        third = await gw.post(body, as_client="flexwerk-uitzend")
        await gw.wait_drained()
        records = await read_topic(kafka.bootstrap, gw.topic)
        stored = await gw.count()

    assert first.status_code == second.status_code == third.status_code == 202
    assert (
        first.json()["message_ids"] == second.json()["message_ids"] == third.json()["message_ids"]
    )
    assert first.json()["inbound_id"] == second.json()["inbound_id"]
    assert second.headers["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first.headers
    assert stored == 1
    assert len(records.records) == records.end_total == 1


async def test_reused_idempotency_key_with_other_body_is_a_conflict(
    make_gateway: GatewayFactory, kafka: LocalKafka
) -> None:
    async with make_gateway(kafka=kafka) as gw:
        first = await gw.post(candidate_enrolled(), **{"Idempotency-Key": "k-1"})
        other = await gw.post(candidate_enrolled(bsn="123456782"), **{"Idempotency-Key": "k-1"})
        await gw.wait_drained()
        records = await read_topic(kafka.bootstrap, gw.topic)
    assert first.status_code == 202
    assert other.status_code == 409
    assert other.json()["code"] == "idempotency-key-reused"
    assert len(records.records) == records.end_total == 1


async def test_invalid_messages_give_422_with_every_error_and_nothing_on_kafka(
    make_gateway: GatewayFactory, kafka: LocalKafka
) -> None:
    good = candidate_enrolled()
    bad_bsn = candidate_enrolled(bsn="111222334")
    bad_many = candidate_enrolled(bsn="123")
    bad_many["data"]["iban"] = "NL00ABNA0417164300"
    bad_many["data"]["enrolled_on"] = "2026-13-01"
    del bad_many["data"]["name"]
    unknown = {"type": "nl.flextensie.nonsense.v1", "data": {}}
    async with make_gateway(kafka=kafka) as gw:
        response = await gw.post([good, bad_bsn, bad_many, unknown])
        await gw.wait_drained()
        stored = await gw.count()
        marker = await gw.publish_marker()
        records = await read_topic(kafka.bootstrap, gw.topic)

    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["status"] == 422
    assert problem["type"].endswith("/invalid-message")
    pointers = {(e["pointer"], e["code"]) for e in problem["errors"]}
    assert pointers == {
        ("#/1/data/bsn", "invalid_bsn"),
        ("#/2/data/bsn", "invalid_bsn"),
        ("#/2/data/iban", "invalid_iban"),
        ("#/2/data/enrolled_on", "date_from_datetime_parsing"),
        ("#/2/data/name", "missing"),
        ("#/3/type", "unknown_type"),
    }
    # The BSN as sent is never echoed back.
    assert "111222334" not in response.text
    assert stored == 0
    # the reader found the marker sent after the rejected request, and nothing else
    assert records.ce_ids() == [marker]
