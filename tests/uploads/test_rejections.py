"""Issue 4, acceptance 2: a file with errors in many rows is rejected with a report listing
each of them (row, column, code, message in Dutch and English); nothing is published."""

from __future__ import annotations

import csv
import io

import pytest
from sqlalchemy import select

from gateway.localkafka import LocalKafka
from gateway.store.tables import message_events
from tests.kafka_reader import read_topic
from tests.uploads.conftest import UploadGatewayFactory

HEADER = (
    "Soort;Personeelsnummer;BSN;Plaatsingsnummer;Inlener;KvK inlener;Functie;Begindatum;"
    "Einddatum;Uurloon;Uren per week;Gemeente;Datum;Urensoort;Uren;Jaar;Periode;Bruto loon;"
    "Loonheffing;Netto loon;Loonheffingennummer;IBAN;Correctie"
)
COLUMNS = HEADER.split(";")


def row(**values: str) -> str:
    named = {k.replace("_", " "): v for k, v in values.items()}
    return ";".join(named.get(c, "") for c in COLUMNS)


P = {"Soort": "P", "Inlener": "Café Zuid", "Begindatum": "02-11-2026", "Uurloon": "14,40"}
U = {"Soort": "U", "Urensoort": "100", "Uren": "8,00"}
L = {"Soort": "L", "Jaar": "2026", "Periode": "46", "Bruto loon": "100,00"}

#: (line, column as in the header, expected code) for every problem the file holds.
BAD_ROWS: list[tuple[str, list[tuple[str | None, str]]]] = [
    # line 2: a good placement (its hours below are checked against it)
    (row(**P, Personeelsnummer="1", BSN="111222333", Plaatsingsnummer="A-1"), []),
    # line 3: BSN fails the eleven test
    (row(**P, BSN="111222334", Plaatsingsnummer="A-2"), [("BSN", "invalid_bsn")]),
    # line 4: an impossible date and an end before the start... of a valid other placement
    (
        row(**{**P, "Begindatum": "31-02-2026"}, BSN="123456782", Plaatsingsnummer="A-3"),
        [("Begindatum", "invalid_date")],
    ),
    (
        row(**{**P, "Einddatum": "01-11-2026"}, BSN="123456782", Plaatsingsnummer="A-4"),
        [("Einddatum", "end_before_start")],
    ),
    # line 6: more than 24 hours on one day
    (
        row(**{**U, "Uren": "25,00"}, BSN="111222333", Plaatsingsnummer="A-1", Datum="09-11-2026"),
        [("Uren", "hours_out_of_range")],
    ),
    # line 7: three decimals, and an hour type the profile does not know
    (
        row(
            **{**U, "Uren": "8,125", "Urensoort": "999"},
            BSN="111222333",
            Plaatsingsnummer="A-1",
            Datum="10-11-2026",
        ),
        [("Uren", "too_many_decimals"), ("Urensoort", "unknown_hour_kind")],
    ),
    # line 8: hours before the placement started
    (
        row(**U, BSN="111222333", Plaatsingsnummer="A-1", Datum="01-11-2026"),
        [("Datum", "outside_placement")],
    ),
    # line 9: bad IBAN, bad loonheffingennummer, amount with a thousands dot in the wrong place
    (
        row(
            **{**L, "Bruto loon": "12.34,56"},
            BSN="111222333",
            Plaatsingsnummer="A-1",
            IBAN="NL00ABNA0417164300",
            Loonheffingennummer="111222333X01",
        ),
        [("Bruto loon", "invalid_number")],
    ),
    (
        row(
            **L,
            BSN="111222333",
            Plaatsingsnummer="A-1",
            IBAN="NL00ABNA0417164300",
            Loonheffingennummer="111222333X01",
        ),
        [("Loonheffingennummer", "invalid_loonheffingennummer"), ("IBAN", "invalid_iban")],
    ),
    # line 11: required fields missing
    (
        row(Soort="U", BSN="111222333", Datum="11-11-2026"),
        [
            ("Plaatsingsnummer", "missing"),
            ("Uren", "missing"),
        ],
    ),
    # line 12: an unknown row kind, and week 54 that does not exist
    (row(Soort="X", BSN="111222333"), [("Soort", "unknown_row_kind")]),
    (
        row(**{**L, "Periode": "54"}, BSN="111222333", Plaatsingsnummer="A-1"),
        [
            ("Periode", "invalid_period"),
        ],
    ),
    # line 14: a good hours row; it is not published either
    (row(**U, BSN="111222333", Plaatsingsnummer="A-1", Datum="12-11-2026"), []),
]


def bad_file() -> bytes:
    return ("\r\n".join([HEADER, *(text for text, _ in BAD_ROWS)]) + "\r\n").encode("cp1252")


def expected_problems() -> set[tuple[int, str | None, str]]:
    return {
        (line, column, code)
        for line, (_, problems) in enumerate(BAD_ROWS, start=2)
        for column, code in problems
    }


@pytest.mark.kafka
async def test_file_with_many_bad_rows_is_rejected_with_every_error_and_nothing_published(
    make_upload_gateway: UploadGatewayFactory, kafka: LocalKafka
) -> None:
    async with make_upload_gateway(kafka=kafka) as gw:
        status = await gw.upload_settled(bad_file(), content_type="text/csv")
        upload_id = status["upload_id"]
        report = await gw.get(f"/v1/uploads/{upload_id}/errors")
        report_csv = await gw.get(f"/v1/uploads/{upload_id}/errors", format="csv")
        by_accept = await gw.client.get(
            f"/v1/uploads/{upload_id}/errors",
            headers={
                "Authorization": report.request.headers["Authorization"],
                "Accept": "text/csv",
            },
        )
        stored = await gw.count()
        marker = await gw.publish_marker()
        records = await read_topic(kafka.bootstrap, gw.topic)

    assert status["status"] == "rejected"
    assert status["error"]["code"] == "invalid_rows"
    bad_lines = {line for line, (_, p) in enumerate(BAD_ROWS, start=2) if p}
    assert status["counts"]["rows_read"] == len(BAD_ROWS)
    assert status["counts"]["rows_rejected"] == len(bad_lines)
    assert stored == 0
    # the read found the marker sent after the upload, and nothing of the upload
    assert records.ce_ids() == [marker]

    assert report.status_code == 200
    body = report.json()
    assert body["status"] == "rejected"
    errors = body["errors"]
    found = {(e["line"], e["column"], e["code"]) for e in errors}
    assert found == expected_problems()
    for error in errors:
        assert error["location"] == f"line {error['line']}"
        assert error["message_nl"] and error["message_en"]
        assert error["message_nl"] != error["message_en"]
    bsn_error = next(e for e in errors if e["code"] == "invalid_bsn")
    assert bsn_error["value"] == "******334"
    lhn_error = next(e for e in errors if e["code"] == "invalid_loonheffingennummer")
    assert lhn_error["value"] == "******333X01"
    assert "111222334" not in report.text and "111222333" not in report.text

    assert report_csv.status_code == 200
    assert report_csv.headers["content-type"].startswith("text/csv")
    assert by_accept.text == report_csv.text
    text = report_csv.content.decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text), delimiter=";"))
    assert {(int(r["line"]), r["column"] or None, r["code"]) for r in rows} == expected_problems()
    assert all(r["message_nl"] and r["message_en"] for r in rows)
    assert "111222334" not in text


async def test_a_profile_that_accepts_valid_rows_publishes_them_and_reports_the_rest(
    make_upload_gateway: UploadGatewayFactory,
) -> None:
    body = (
        b"Employee ID,Sofinummer,Assignment,Date,Hour type,Hours,Percentage,Rate\n"
        b"E-1,234567806,UW-1,2026-11-09,regular,7.50,100,\n"
        b"E-1,234567806,UW-1,2026-11-10,regular,27.50,100,\n"
        b"E-2,234567819,UW-2,2026-11-09,regular,7.50,100,\n"
        b"E-2,234567818,UW-2,2026-11-10,overtime,1.25,150,\n"
    )
    async with make_upload_gateway() as gw:
        status = await gw.upload_settled(body, as_client="andere-uitzend")
        errors = (
            await gw.get(f"/v1/uploads/{status['upload_id']}/errors", as_client="andere-uitzend")
        ).json()
        queued = await gw.count("queued")
        staged = await gw.count("staged")

    assert status["status"] == "partially_accepted"
    assert status["policy"] == "accept-valid"
    assert status["counts"]["rows_accepted"] == 2 and status["counts"]["rows_rejected"] == 2
    assert queued == 2 and staged == 0
    assert [(e["line"], e["column"], e["code"]) for e in errors["errors"]] == [
        (3, "Hours", "hours_out_of_range"),
        (4, "Sofinummer", "invalid_bsn"),
    ]
    assert errors["errors"][1]["value"] == "******819"


async def test_a_partially_accepted_upload_says_so_in_its_history(
    make_upload_gateway: UploadGatewayFactory,
) -> None:
    body = (
        b"Employee ID,Sofinummer,Assignment,Date,Hour type,Hours,Percentage,Rate\n"
        b"E-1,234567806,UW-1,2026-11-09,regular,7.50,100,\n"
        b"E-1,234567806,UW-1,2026-11-10,regular,27.50,100,\n"
    )
    async with make_upload_gateway() as gw:
        status = await gw.upload_settled(body, as_client="andere-uitzend")
        async with gw.ctx.store.read() as conn:
            history = (
                await conn.execute(
                    select(message_events.c.state, message_events.c.code)
                    .where(message_events.c.inbound_id == status["upload_id"])
                    .order_by(message_events.c.seq)
                )
            ).all()

    assert status["status"] == "partially_accepted"
    assert [tuple(e) for e in history] == [
        ("received", None),
        ("validating", None),
        ("partially_accepted", None),
    ]
