"""Issue 4, acceptance 1: each shipped profile's sample file publishes the expected canonical
messages, read back from Kafka (on SQLite and PostgreSQL)."""

from __future__ import annotations

import hashlib
import hmac
import json
from pathlib import Path

import jsonschema
import pytest

from adapters.payroll_csv import SHIPPED_PROFILES, load_profiles
from gateway.localkafka import LocalKafka
from schemas.registry import BY_TYPE
from tests.conftest import PERSON_KEY_SECRET
from tests.kafka_reader import headers_of, read_topic
from tests.uploads.conftest import SAMPLE_SENDERS, SAMPLES, UploadGatewayFactory

EXPECTED = Path(__file__).parent / "expected"
ROOT = Path(__file__).resolve().parents[2]
SCHEMA_DIR = ROOT / "schemas" / "json"


def _canonical(items: list[tuple[str, dict[str, object]]]) -> list[str]:
    return sorted(json.dumps({"type": t, "data": d}, sort_keys=True) for t, d in items)


def test_every_shipped_profile_has_a_sample_and_a_section_in_the_docs() -> None:
    profiles = load_profiles([SHIPPED_PROFILES])
    docs = (ROOT / "docs" / "agencies.md").read_text(encoding="utf-8")
    assert len(profiles) >= 3
    for profile in profiles.values():
        assert (SAMPLES / f"{profile.id}.csv").is_file(), profile.id
        assert f"`{profile.id}`" in docs, f"docs/agencies.md does not describe {profile.id}"
    shapes = {
        (p.csv.encoding, p.csv.delimiter, p.csv.header, p.kinds.fixed) for p in profiles.values()
    }
    assert len(shapes) == len(profiles), "the shipped exports should differ in shape"


@pytest.mark.kafka
@pytest.mark.parametrize("sample", sorted(SAMPLE_SENDERS))
async def test_shipped_sample_publishes_the_expected_messages(
    make_upload_gateway: UploadGatewayFactory, kafka: LocalKafka, sample: str
) -> None:
    expected = json.loads((EXPECTED / sample.replace(".csv", ".json")).read_text("utf-8"))
    async with make_upload_gateway(kafka=kafka) as gw:
        status = await gw.upload_settled(
            (SAMPLES / sample).read_bytes(),
            as_client=SAMPLE_SENDERS[sample],
            content_type="text/csv",
            file_name=sample,
        )
        await gw.wait_drained()
        records = (await read_topic(kafka.bootstrap, gw.topic)).records
        final = await gw.settled(status["upload_id"], as_client=SAMPLE_SENDERS[sample])

    assert status["status"] == "accepted", status
    assert status["format"] == "csv" and status["file_name"] == sample
    assert status["counts"]["messages"] == len(expected)
    assert status["counts"]["rows_rejected"] == 0 and status["counts"]["errors"] == 0
    assert final["counts"]["messages_published"] == len(expected)
    got = [(headers_of(r)["ce_type"], json.loads(r.value)) for r in records]
    assert _canonical(got) == _canonical([(e["type"], e["data"]) for e in expected])
    for record in records:
        headers = headers_of(record)
        value = json.loads(record.value)
        key = hmac.new(PERSON_KEY_SECRET.encode(), value["bsn"].encode(), hashlib.sha256)
        assert record.key.decode() == key.hexdigest()
        assert value["bsn"].encode() not in record.key
        assert headers["ce_source"] == f"urn:flextensie:gateway:{SAMPLE_SENDERS[sample]}"
        cls = BY_TYPE[headers["ce_type"]]
        schema = json.loads((SCHEMA_DIR / f"{cls.short_type}.v1.json").read_text())
        jsonschema.Draft202012Validator(schema).validate(value)
    assert len({headers_of(r)["ce_id"] for r in records}) == len(records)
