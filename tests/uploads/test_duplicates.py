"""Issue 4, acceptance 4: re-uploading a file and replaying a duplicate row publish nothing
new; a conflicting row is quarantined; an explicit correction supersedes the earlier row."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import select

from gateway.localkafka import LocalKafka
from gateway.store.tables import upload_quarantine
from tests.kafka_reader import headers_of, read_topic
from tests.uploads.conftest import SAMPLES, UploadGatewayFactory
from tests.uploads.test_rejections import HEADER, P, U, row

SAMPLE = (SAMPLES / "flexwerk-uitzend.csv").read_bytes()
SAMPLE_LINES = SAMPLE.decode("cp1252").splitlines()


def csv_file(*lines: str) -> bytes:
    return ("\r\n".join([HEADER, *lines]) + "\r\n").encode("cp1252")


def by_type(records: list[Any], short: str) -> list[Any]:
    return [r for r in records if headers_of(r)["ce_type"] == f"nl.flextensie.{short}.v1"]


@pytest.mark.kafka
async def test_reupload_and_duplicate_rows_publish_nothing_new_and_conflicts_are_quarantined(
    make_upload_gateway: UploadGatewayFactory, kafka: LocalKafka
) -> None:
    async with make_upload_gateway(kafka=kafka) as gw:
        first = await gw.upload(SAMPLE, content_type="text/csv")
        first_status = await gw.settled(first.json()["upload_id"])
        await gw.wait_drained()
        published_before = len((await read_topic(kafka.bootstrap, gw.topic)).records)

        # 1. The same file again: the original upload, nothing new.
        again = await gw.upload(SAMPLE, content_type="text/csv", file_name="again.csv")

        # 2. A new file that repeats rows of the first (same values) next to one new row.
        replay = await gw.upload_settled(
            csv_file(
                SAMPLE_LINES[1],  # placement PL-2026-001, unchanged
                SAMPLE_LINES[3],  # hours 09-11-2026, unchanged
                row(**U, BSN="111222333", Plaatsingsnummer="PL-2026-001", Datum="11-11-2026"),
            ),
            content_type="text/csv",
        )

        # 3. Same person, placement, day and hour type, other hours, no correction mark.
        conflict = await gw.upload_settled(
            csv_file(
                row(
                    **{**U, "Uren": "6,00"},
                    BSN="111222333",
                    Plaatsingsnummer="PL-2026-001",
                    Datum="09-11-2026",
                ),
            ),
            content_type="text/csv",
        )
        conflict_errors = (await gw.get(f"/v1/uploads/{conflict['upload_id']}/errors")).json()
        await gw.wait_drained()
        records = (await read_topic(kafka.bootstrap, gw.topic)).records
        async with gw.ctx.store.read() as conn:
            held = (await conn.execute(select(upload_quarantine))).mappings().all()

    assert first_status["status"] == "accepted"
    assert published_before == first_status["counts"]["messages"] == 8

    assert again.status_code == 202
    assert again.json()["upload_id"] == first.json()["upload_id"]
    assert again.json()["repeated"] is True
    assert again.headers["Idempotent-Replayed"] == "true"

    assert replay["status"] == "accepted"
    assert replay["counts"]["rows_duplicate"] == 2
    assert replay["counts"]["rows_accepted"] == 1
    assert replay["counts"]["messages"] == 1

    assert conflict["status"] == "partially_accepted"
    assert conflict["counts"]["rows_quarantined"] == 1
    assert conflict["counts"]["messages"] == 0
    [error] = conflict_errors["errors"]
    assert (error["line"], error["code"]) == (2, "conflict")
    assert len(held) == 1
    assert held[0]["state"] == "held" and held[0]["line"] == 2
    assert json.loads(held[0]["value"])["lines"][0]["hours"] == "6.00"

    # Only the one new hours row reached Kafka after the first file.
    assert len(records) == published_before + 1
    days = sorted(
        json.loads(r.value)["lines"][0]["day"] for r in by_type(records, "hours.reported")
    )
    assert days == ["2026-11-09", "2026-11-10", "2026-11-10", "2026-11-11", "2026-11-12"]


@pytest.mark.kafka
async def test_explicit_corrections_supersede_the_earlier_row(
    make_upload_gateway: UploadGatewayFactory, kafka: LocalKafka
) -> None:
    async with make_upload_gateway(kafka=kafka) as gw:
        await gw.upload_settled(SAMPLE, content_type="text/csv")
        corrected = await gw.upload_settled(
            csv_file(
                # hours of 09-11-2026 were 8,00: now 6,00, marked as a correction
                row(
                    **{**U, "Uren": "6,00"},
                    BSN="111222333",
                    Plaatsingsnummer="PL-2026-001",
                    Datum="09-11-2026",
                    Correctie="J",
                ),
                # the placement gets a new hourly rate
                row(
                    **{**P, "Uurloon": "15,10", "Inlener": "Café De Gouden Leeuw"},
                    Personeelsnummer="1001",
                    BSN="111222333",
                    Plaatsingsnummer="PL-2026-001",
                    **{
                        "KvK inlener": "23456789",
                        "Functie": "Medewerker bediening",
                        "Uren per week": "24",
                        "Gemeente": "0363",
                    },
                    Correctie="J",
                ),
                # a correction that repeats the current values is a duplicate
                SAMPLE_LINES[4] + "J",  # its last column is Correctie
            ),
            content_type="text/csv",
        )
        await gw.wait_drained()
        records = (await read_topic(kafka.bootstrap, gw.topic)).records

    assert corrected["status"] == "accepted", corrected
    assert corrected["counts"]["rows_corrected"] == 2
    assert corrected["counts"]["rows_duplicate"] == 1
    hours = by_type(records, "hours.reported")
    original = next(
        r
        for r in hours
        if json.loads(r.value)["lines"][0]
        == {"kind": "regular", "day": "2026-11-09", "hours": "8.00", "source_type": "100"}
    )
    replacement = next(r for r in hours if "ce_supersedes" in headers_of(r))
    assert headers_of(replacement)["ce_supersedes"] == headers_of(original)["ce_id"]
    assert json.loads(replacement.value)["lines"][0]["hours"] == "6.00"
    [changed] = by_type(records, "placement.changed")
    value = json.loads(changed.value)
    assert value["assignment_id"] == "PL-2026-001"
    assert value["hourly_rate"] == "15.10"
    assert set(value) - {"bsn", "agency_kvk", "assignment_id", "cleared", "unknown"} == {
        "hourly_rate"
    }
