"""Issue 4, acceptance 3: Windows-1252 with decimal commas and dd-mm-jjjj dates parses
correctly; a UTF-8 byte order mark is not part of the first column name."""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal

import orjson
import pytest
from sqlalchemy import select

from adapters.base import TranslationError
from adapters.payroll_csv import CsvRows, PayrollCsvAdapter, read_rows
from adapters.payroll_csv.profile import SHIPPED_PROFILES, load_profiles
from gateway.store.tables import messages
from schemas.payroll import EarningsReportedData, HoursReportedData
from schemas.placement import PlacementStartedData
from tests.drafts import data_as
from tests.uploads.conftest import SAMPLES, UploadGatewayFactory

PROFILES = load_profiles([SHIPPED_PROFILES])
BY_ID = {p.id: p for p in PROFILES.values()}
ADAPTER = PayrollCsvAdapter(PROFILES)


def test_windows_1252_decimal_comma_and_dutch_dates() -> None:
    raw = (SAMPLES / "flexwerk-uitzend.csv").read_bytes()
    assert "Café".encode("cp1252") in raw  # the sample really is Windows-1252
    drafts = ADAPTER.translate(raw, sender="flexwerk-uitzend")
    first = data_as(drafts[0], PlacementStartedData)
    second = data_as(drafts[1], PlacementStartedData)
    assert first.client.name == "Café De Gouden Leeuw"
    assert second.job_title == "Hulp bakker (één dag p/w)"
    assert first.hourly_rate == Decimal("14.40")
    assert first.start_date == date(2026, 11, 2)
    assert second.end_date == date(2026, 12, 31)
    overtime = data_as(drafts[4], HoursReportedData)
    assert overtime.lines[0].hours == Decimal("2.50")


def test_thousands_separator_and_headerless_positions() -> None:
    drafts = ADAPTER.translate((SAMPLES / "detapower.csv").read_bytes(), sender="detapower")
    gross = [data_as(d, EarningsReportedData).gross for d in drafts]
    assert gross == [Decimal("1843.20"), Decimal("1382.40")]


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp1252"])
def test_encoding_is_detected_when_the_profile_says_auto(encoding: str) -> None:
    text = (SAMPLES / "flexwerk-uitzend.csv").read_bytes().decode("cp1252")
    drafts = ADAPTER.translate(text.encode(encoding), sender="flexwerk-uitzend")
    assert data_as(drafts[0], PlacementStartedData).client.name == "Café De Gouden Leeuw"
    rows = CsvRows(io.BytesIO(text.encode(encoding)), BY_ID["flexwerk-uitzend"].csv)
    list(rows)
    assert rows.header is not None and rows.header[0] == "Soort"


def test_a_utf8_byte_order_mark_is_not_part_of_the_first_column_name() -> None:
    raw = (SAMPLES / "uurwerk-flex.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = CsvRows(io.BytesIO(raw), BY_ID["uurwerk-flex"].csv)
    list(rows)
    assert rows.header is not None and rows.header[0] == "Employee ID"
    outcomes = list(read_rows(io.BytesIO(raw), BY_ID["uurwerk-flex"]))
    # "Employee ID" is the first column and the profile finds it: the worker is learned.
    assert [o.worker for o in outcomes] == [
        ("E-77", "234567806"),
        ("E-77", "234567806"),
        ("E-78", "234567818"),
    ]


def test_bytes_that_are_not_the_declared_encoding_are_reported_with_the_line() -> None:
    text = (SAMPLES / "uurwerk-flex.csv").read_bytes().decode("utf-8-sig")
    broken = (text + "E-79,234567831,UW-5503,2026-11-11,regular,1.00,100,café\n").encode("cp1252")
    with pytest.raises(TranslationError) as info:
        ADAPTER.translate(broken, sender="uurwerk-flex")
    [issue] = info.value.issues
    assert issue.code == "invalid_encoding"
    assert issue.where == "line 5"


async def test_uploaded_windows_1252_file_is_stored_as_proper_text(
    make_upload_gateway: UploadGatewayFactory,
) -> None:
    async with make_upload_gateway() as gw:
        status = await gw.upload_settled((SAMPLES / "flexwerk-uitzend.csv").read_bytes())
        async with gw.ctx.store.read() as conn:
            found = await conn.execute(
                select(messages.c.value).where(messages.c.type == "placement.started")
            )
            values = [orjson.loads(v) for v in found.scalars()]
    assert status["status"] == "accepted"
    assert sorted(v["client"]["name"] for v in values) == [
        "Bakkerij Brood & Zo",
        "Café De Gouden Leeuw",
    ]
