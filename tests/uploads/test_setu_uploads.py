"""SETU files through the upload channel: the person is found through what the agency sent
before (worker numbers from payroll CSV rows, placements from Assignments); corrections
supersede; the same timecard twice is a duplicate; unknown people are reported."""

from __future__ import annotations

import json
from typing import Any

import pytest

from gateway.localkafka import LocalKafka
from tests.kafka_reader import headers_of, read_topic
from tests.standards import setu_dir
from tests.uploads.conftest import UploadGatewayFactory
from tests.uploads.test_rejections import HEADER, P, row


def examples(folder: str, name: str) -> bytes:
    return (setu_dir() / "setu" / "examples" / folder / name).read_bytes()


def typed(records: list[Any], short: str) -> list[dict[str, Any]]:
    return [
        json.loads(r.value)
        for r in records
        if headers_of(r)["ce_type"].rsplit(".", 1)[0] == f"nl.flextensie.{short}"
    ]


@pytest.mark.kafka
async def test_assignment_then_timecard_from_the_official_examples(
    make_upload_gateway: UploadGatewayFactory, kafka: LocalKafka
) -> None:
    # The payroll export names worker 179943169 (the Assignment's HumanResourceId) with a BSN.
    teach = (
        "\r\n".join(
            [
                HEADER,
                row(**P, Personeelsnummer="179943169", BSN="111222333", Plaatsingsnummer="X-1"),
            ]
        )
        + "\r\n"
    ).encode("cp1252")
    async with make_upload_gateway(kafka=kafka, setu_schema_dir=setu_dir()) as gw:
        taught = await gw.upload_settled(teach, content_type="text/csv")
        assignment = await gw.upload_settled(
            examples("Assignment", "AssignmentExample_v1.4.xml"), content_type="application/xml"
        )
        timecard = await gw.upload_settled(examples("Timecard", "TimecardExample_v1.4.xml"))
        status_message = await gw.upload_settled(
            examples("Assignment", "StatusAssignmentExample_v1.4.xml"), format="setu"
        )
        # Hours from 2013 cannot belong to a placement that started in 2017.
        outside = await gw.upload_settled(examples("Timecard", "TimecardExample_v1.3.xml"))
        outside_errors = (await gw.get(f"/v1/uploads/{outside['upload_id']}/errors")).json()
        await gw.wait_drained()
        records = (await read_topic(kafka.bootstrap, gw.topic)).records

    assert taught["status"] == "accepted"
    assert assignment["status"] == "accepted" and assignment["format"] == "setu-xml"
    assert timecard["status"] == "accepted" and timecard["counts"]["messages"] == 1
    assert status_message["status"] == "accepted" and status_message["counts"]["messages"] == 0
    assert "nothing new to publish" in status_message["detail"]
    assert outside["status"] == "rejected"
    [error] = outside_errors["errors"]
    assert error["code"] == "outside_placement"
    assert error["location"] == "/TimeCard/ReportedTime/PeriodStartDate"

    [started] = [s for s in typed(records, "placement.started") if s["assignment_id"] != "X-1"]
    assert started["bsn"] == "111222333"
    assert started["assignment_id"] == "1234/1234561"
    [hours] = typed(records, "hours.reported")
    assert hours["bsn"] == "111222333"
    assert hours["timecard_id"] == "TC00123456"
    assert len(hours["lines"]) == 5


@pytest.mark.kafka
async def test_correction_timecard_supersedes_and_a_repeated_timecard_is_a_duplicate(
    make_upload_gateway: UploadGatewayFactory, kafka: LocalKafka
) -> None:
    # Another agency knows the timecard's person id (23456) from its hours export.
    teach = (
        b"Employee ID,Sofinummer,Assignment,Date,Hour type,Hours,Percentage,Rate\n"
        b"23456,234567806,UW-1,2026-11-09,regular,7.50,100,\n"
    )
    original = examples("Timecard", "TimecardExample_v1.3.xml")
    correction = examples("Timecard", "TimecardExample_v1.3_CorrectionTimecard.xml")
    async with make_upload_gateway(kafka=kafka) as gw:
        await gw.upload_settled(teach, as_client="andere-uitzend", content_type="text/csv")
        first = await gw.upload_settled(original, as_client="andere-uitzend")
        corrected = await gw.upload_settled(correction, as_client="andere-uitzend")
        # The same timecard in another layout (a new file, the same content): a duplicate.
        reformatted = await gw.upload_settled(
            correction.replace(b"\t", b"  "), as_client="andere-uitzend"
        )
        # Same person, placement and period from another timecard, other hours: a conflict.
        conflicting = await gw.upload_settled(
            original.replace(
                b"<IdValue>TC00123456</IdValue>", b"<IdValue>TC999</IdValue>", 1
            ).replace(b"<Duration>8.00</Duration>", b"<Duration>7.00</Duration>", 1),
            as_client="andere-uitzend",
        )
        # The first agency does not know worker 23456.
        unknown = await gw.upload_settled(original, as_client="flexwerk-uitzend")
        unknown_errors = (
            await gw.get(f"/v1/uploads/{unknown['upload_id']}/errors", as_client="flexwerk-uitzend")
        ).json()
        await gw.wait_drained()
        records = (await read_topic(kafka.bootstrap, gw.topic)).records

    assert first["status"] == "accepted"
    assert corrected["status"] == "accepted" and corrected["counts"]["rows_corrected"] == 1
    assert reformatted["status"] == "accepted" and reformatted["counts"]["rows_duplicate"] == 1
    assert reformatted["upload_id"] != corrected["upload_id"]
    assert conflicting["status"] == "partially_accepted"
    assert conflicting["counts"]["rows_quarantined"] == 1
    assert unknown["status"] == "rejected"
    assert [e["code"] for e in unknown_errors["errors"]] == ["unknown_assignment"]

    timecards = [r for r in records if headers_of(r)["ce_type"].endswith("hours.reported.v1")]
    timecards = [r for r in timecards if json.loads(r.value).get("timecard_id")]
    assert len(timecards) == 2
    before, after = sorted(timecards, key=lambda r: "ce_supersedes" in headers_of(r))
    assert headers_of(after)["ce_supersedes"] == headers_of(before)["ce_id"]
    value = json.loads(after.value)
    assert value["correction_of"] == "TC00123456"
    assert value["bsn"] == "234567806"
    assert [line["hours"] for line in value["lines"]] == ["8.00", "1.00"]


async def test_v2_json_assignment_through_the_upload_channel(
    make_upload_gateway: UploadGatewayFactory,
) -> None:
    teach = (
        b"Employee ID,Sofinummer,Assignment,Date,Hour type,Hours,Percentage,Rate\n"
        b"29b2b0713de,234567818,UW-2,2026-11-09,regular,7.50,100,\n"
    )
    async with make_upload_gateway() as gw:
        await gw.upload_settled(teach, as_client="andere-uitzend", content_type="text/csv")
        status = await gw.upload_settled(
            examples("Assignment", "AssignmentExample_v2.0.json"),
            as_client="andere-uitzend",
            content_type="application/json",
        )
        again = await gw.upload(
            examples("Assignment", "AssignmentExample_v2.0.json"), as_client="andere-uitzend"
        )
        broken = await gw.upload_settled(b"<TimeCard><Id>", as_client="andere-uitzend")
        unsafe = await gw.upload_settled(
            b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>'
            b"<x>&e;</x>",
            as_client="andere-uitzend",
        )
        refused = await gw.upload(b"plain text", as_client="andere-uitzend", format="setu")

    assert status["status"] == "accepted" and status["format"] == "setu-json"
    assert status["counts"]["messages"] == 1
    assert again.json()["upload_id"] == status["upload_id"] and again.json()["repeated"]
    assert broken["status"] == "rejected" and broken["error"]["code"] == "invalid_xml"
    assert unsafe["status"] == "rejected" and unsafe["error"]["code"] == "invalid_xml"
    assert "DOCTYPE" in unsafe["error"]["detail"]
    assert refused.status_code == 415
