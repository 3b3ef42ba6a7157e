"""Issue 9, payroll CSV: signed correction rows, the row's own dates in its business key, the
hours bound from the period's length, a loontijdvak per row checked against the dates, an
oversized field reported at its row and column, and a CSV report without live formulas."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import re
import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from adapters.payroll_csv import CsvFileError, read_rows
from adapters.payroll_csv.periods import period_dates
from adapters.payroll_csv.profile import load_profile
from adapters.texts import TEXTS
from gateway.localkafka import LocalKafka
from gateway.uploads.report import neutralise
from tests.kafka_reader import headers_of, read_topic
from tests.uploads.conftest import UploadGatewayFactory

PROFILE = """
id = "dagloon"
name = "Dagloon BV"
agency_kvk = "34567890"
policy = "{policy}"
loontijdvak = "week"

[csv]
delimiter = ";"
decimal = ","
thousands = ""
date_format = "%d-%m-%Y"

[kinds]
fixed = "payroll"

[correction]
column = "Correctie"
values = ["J"]
mode = "delta"

[columns]
bsn = "BSN"
assignment_id = "Plaatsing"
loontijdvak = "Tijdvak"
period_year = "Jaar"
period_number = "Periode"
period_start = "Van"
period_end = "Tot"
hours = "Uren"
gross = "Bruto"
"""
HEADER = "BSN;Plaatsing;Tijdvak;Jaar;Periode;Van;Tot;Uren;Bruto;Correctie"
AS = "detapower"  # the agency client with KvK 34567890


def profile_dir(tmp_path: Path, policy: str = "all-or-nothing") -> Path:
    directory = tmp_path / f"profiles-{uuid.uuid4().hex[:6]}"
    directory.mkdir()
    (directory / "dagloon.toml").write_text(PROFILE.format(policy=policy), encoding="utf-8")
    return directory


def nl(value: Decimal) -> str:
    return f"{value:.2f}".replace(".", ",")


def line(
    bsn: str,
    placement: str,
    start: date,
    end: date,
    hours: Decimal,
    gross: Decimal,
    *,
    tijdvak: str = "",
    year: str = "",
    number: str = "",
    correction: bool = False,
) -> str:
    return ";".join(
        [
            bsn,
            placement,
            tijdvak,
            year,
            number,
            start.strftime("%d-%m-%Y"),
            end.strftime("%d-%m-%Y"),
            nl(hours),
            nl(gross),
            "J" if correction else "",
        ]
    )


def csv_bytes(*lines: str) -> bytes:
    return ("\r\n".join([HEADER, *lines]) + "\r\n").encode("utf-8")


def outcomes(tmp_path: Path, content: bytes) -> list[Any]:
    profile = load_profile(profile_dir(tmp_path) / "dagloon.toml")
    return list(read_rows(io.BytesIO(content), profile))


MONDAY = date(2026, 11, 9)  # ISO week 46 of 2026


# --- rows, without the store -----------------------------------------------------------------
def test_daily_payroll_rows_of_one_week_have_their_own_keys(tmp_path: Path) -> None:
    days = [MONDAY + timedelta(days=i) for i in range(7)]
    rows = outcomes(
        tmp_path,
        csv_bytes(*(line("111222333", "P-1", d, d, Decimal(8), Decimal(100)) for d in days)),
    )
    assert [r.issues for r in rows] == [[]] * 7
    assert len({r.key for r in rows}) == 7
    pay = [r.draft.data.pay_period for r in rows]
    assert {(p.loontijdvak, p.year, p.number) for p in pay} == {("week", 2026, 46)}
    assert [p.period.start for p in pay] == days


def test_hours_per_day_come_from_the_row_s_own_period(tmp_path: Path) -> None:
    rows = outcomes(
        tmp_path,
        csv_bytes(
            line("111222333", "P-1", MONDAY, MONDAY, Decimal(25), Decimal(100)),
            line("111222333", "P-1", MONDAY, MONDAY, Decimal(24), Decimal(100)),
            line("111222333", "P-1", MONDAY, MONDAY + timedelta(days=6), Decimal(169), Decimal(1)),
        ),
    )
    assert [[(i.field, i.code) for i in r.issues] for r in rows] == [
        [("Uren", "hours_out_of_range")],
        [],
        [("Uren", "hours_out_of_range")],
    ]


def test_each_row_has_its_own_loontijdvak_checked_against_its_dates(tmp_path: Path) -> None:
    q4 = period_dates("kwartaal", 2026, 4)
    month = period_dates("maand", 2026, 11)
    four = period_dates("4-weken", 2026, 12)
    rows = outcomes(
        tmp_path,
        csv_bytes(
            # weekly rows and one quarterly correction in one file: the dates tell each type
            line("111222333", "P-1", MONDAY, MONDAY + timedelta(days=6), Decimal(30), Decimal(9)),
            line("111222333", "P-1", *q4, Decimal(0), Decimal(50), correction=True),
            line("111222333", "P-1", *month, Decimal(80), Decimal(900)),
            line("111222333", "P-1", *four, Decimal(80), Decimal(900)),
            # a column says the type; the number must be the period that holds the dates
            line("111222333", "P-1", *month, Decimal(80), Decimal(9), tijdvak="maand", number="10"),
            line("111222333", "P-1", *month, Decimal(80), Decimal(9), tijdvak="week"),
            line(
                "111222333", "P-1", MONDAY, MONDAY, Decimal(8), Decimal(9), year="2026", number="47"
            ),
        ),
    )
    pay = [(r.draft.data.pay_period.loontijdvak, r.draft.data.pay_period.number) for r in rows[:4]]
    assert pay == [("week", 46), ("kwartaal", 4), ("maand", 11), ("4-weken", 12)]
    assert [[(i.field, i.code) for i in r.issues] for r in rows[4:]] == [
        [("Periode", "period_mismatch")],
        [("Tot", "period_crosses_boundary")],
        [("Periode", "period_mismatch")],
    ]


def test_negative_values_only_in_correction_rows(tmp_path: Path) -> None:
    rows = outcomes(
        tmp_path,
        csv_bytes(
            line("111222333", "P-1", MONDAY, MONDAY, Decimal(-8), Decimal(-100)),
            line("111222333", "P-1", MONDAY, MONDAY, Decimal(-8), Decimal(-100), correction=True),
        ),
    )
    assert [(i.field, i.code) for i in rows[0].issues] == [
        ("Uren", "hours_out_of_range"),
        ("Bruto", "negative_value"),
    ]
    assert rows[1].issues == []
    assert rows[1].delta == {"hours": Decimal(-8), "gross": Decimal(-100)}
    assert rows[1].draft.data.hours == Decimal(8)  # the draft holds the size; the sign is apart


def test_an_oversized_field_is_a_row_error_at_its_line_and_column(tmp_path: Path) -> None:
    big = "x" * (csv.field_size_limit() + 10)
    content = csv_bytes(
        line("111222333", "P-1", MONDAY, MONDAY, Decimal(8), Decimal(100)),
        f"111222333;{big};;;;09-11-2026;09-11-2026;8,00;100,00;",
        line("111222333", "P-1", MONDAY + timedelta(days=1), MONDAY, Decimal(8), Decimal(100)),
    )
    rows = outcomes(tmp_path, content)
    assert rows[0].issues == []
    [issue] = rows[1].issues
    assert (rows[1].line, issue.where, issue.field, issue.code) == (
        3,
        "line 3",
        "Plaatsing",
        "field_too_large",
    )
    assert "shorten the value" in issue.message
    assert rows[2].line == 4  # reading went on after the oversized field


def test_an_unclosed_quote_is_named_as_the_cause(tmp_path: Path) -> None:
    filler = "\r\n".join(["a" * 1000] * 200)
    content = csv_bytes(f'111222333;"P-1{filler}', "111222333;P-2;;;;;;;;")
    with pytest.raises(CsvFileError) as info:
        outcomes(tmp_path, content)
    issue = info.value.issue
    assert (issue.where, issue.field, issue.code) == ("line 2", "Plaatsing", "field_too_large")
    assert "quote" in issue.message and "not closed" in issue.message


# --- through the upload channel --------------------------------------------------------------
@pytest.mark.kafka
async def test_a_csv_error_report_has_no_cell_that_starts_a_formula(
    make_upload_gateway: UploadGatewayFactory, kafka: LocalKafka, tmp_path: Path
) -> None:
    # (A leading tab or carriage return is trimmed with the other spaces of a field; the
    # report writer's own rule for them is tested below.)
    hostile = ["=1+1", "@SUM(A1:A2)", "+31612345678", "-2+3+cmd|' /C calc'!A0"]
    content = csv_bytes(
        *(f"111222333;{value};;;;09-11-2026;09-11-2026;{value};100,00;" for value in hostile)
    )
    async with make_upload_gateway(kafka=kafka, upload_profiles_dir=profile_dir(tmp_path)) as gw:
        status = await gw.upload_settled(content, as_client=AS, content_type="text/csv")
        report = await gw.get(f"/v1/uploads/{status['upload_id']}/errors", as_client=AS)
        as_csv = await gw.get(
            f"/v1/uploads/{status['upload_id']}/errors", as_client=AS, format="csv"
        )
    assert status["status"] == "rejected"
    values = {e["value"] for e in report.json()["errors"]}
    assert set(hostile) <= values  # the JSON report keeps the values as received
    cells = list(csv.reader(io.StringIO(as_csv.content.decode("utf-8-sig")), delimiter=";"))
    assert len(cells) == 1 + len(report.json()["errors"])
    assert all(not cell.startswith(("=", "+", "-", "@", "\t", "\r")) for r in cells for cell in r)
    assert {f"'{v}" for v in hostile} <= {cell for r in cells for cell in r}
    for error in report.json()["errors"]:
        assert error["line"] is not None and error["column"], error


@pytest.mark.parametrize("cell", ["=1", "+1", "-1", "@x", "\tx", "\rx"])
def test_the_csv_report_prefixes_every_formula_start_with_a_quote(cell: str) -> None:
    assert neutralise(cell) == "'" + cell
    assert neutralise("1" + cell) == "1" + cell
    assert neutralise(12) == 12


@pytest.mark.kafka
async def test_every_daily_payroll_row_of_a_week_is_published(
    make_upload_gateway: UploadGatewayFactory, kafka: LocalKafka, tmp_path: Path
) -> None:
    days = [MONDAY + timedelta(days=i) for i in range(5)]
    content = csv_bytes(*(line("111222333", "P-1", d, d, Decimal(8), Decimal(120)) for d in days))
    async with make_upload_gateway(
        kafka=kafka, upload_profiles_dir=profile_dir(tmp_path, "accept-valid")
    ) as gw:
        status = await gw.upload_settled(content, as_client=AS, content_type="text/csv")
        await gw.wait_drained()
        records = (await read_topic(kafka.bootstrap, gw.topic)).records
    assert status["status"] == "accepted", status
    assert status["counts"]["rows_quarantined"] == 0
    published = sorted(json.loads(r.value)["pay_period"]["period"]["start"] for r in records)
    assert published == [d.isoformat() for d in days]


@pytest.mark.kafka
async def test_a_credit_line_supersedes_the_row_it_corrects_with_the_net_values(
    make_upload_gateway: UploadGatewayFactory, kafka: LocalKafka, tmp_path: Path
) -> None:
    week = (MONDAY, MONDAY + timedelta(days=6))
    async with make_upload_gateway(kafka=kafka, upload_profiles_dir=profile_dir(tmp_path)) as gw:
        first = await gw.upload_settled(
            csv_bytes(line("111222333", "P-1", *week, Decimal(32), Decimal(460))),
            as_client=AS,
            content_type="text/csv",
        )
        credit = await gw.upload_settled(
            csv_bytes(
                line("111222333", "P-1", *week, Decimal(-8), Decimal("-115.50"), correction=True)
            ),
            as_client=AS,
            content_type="text/csv",
        )
        too_much = await gw.upload_settled(
            csv_bytes(line("111222333", "P-1", *week, Decimal(-30), Decimal(0), correction=True)),
            as_client=AS,
            content_type="text/csv",
        )
        await gw.wait_drained()
        records = (await read_topic(kafka.bootstrap, gw.topic)).records
        report = (await gw.get(f"/v1/uploads/{too_much['upload_id']}/errors", as_client=AS)).json()
    assert (first["status"], credit["status"], too_much["status"]) == (
        "accepted",
        "accepted",
        "rejected",
    )
    assert credit["counts"]["rows_corrected"] == 1
    original, corrected = records
    assert headers_of(corrected)["ce_supersedes"] == headers_of(original)["ce_id"]
    value = json.loads(corrected.value)
    assert (value["hours"], value["gross"]) == ("24.00", "344.50")
    [error] = report["errors"]
    assert (error["line"], error["column"], error["code"]) == (2, "Uren", "hours_out_of_range")


# --- acceptance 2: generated files, totals on Kafka ------------------------------------------
KINDS = ("day", "week", "4-weken", "maand", "kwartaal")
BSNS = ("111222333", "123456782")


@dataclass(frozen=True)
class Row:
    bsn: str
    start: date
    end: date
    hours: Decimal
    gross: Decimal
    correction: bool = False


def _period(kind: str, anchor: date) -> tuple[date, date]:
    if kind == "day":
        return anchor, anchor
    from adapters.payroll_csv.periods import period_number

    year, number = period_number(kind, anchor)
    return period_dates(kind, year, number)


def hundredths(low: Decimal, high: Decimal) -> st.SearchStrategy[Decimal]:
    return st.integers(int(low * 100), int(high * 100)).map(lambda c: Decimal(c) / 100)


@st.composite
def payroll_files(draw: st.DrawFn) -> tuple[list[list[Row]], dict[tuple[str, date, date], Any]]:
    """Two files of originals and signed corrections, and the totals per person and period."""
    anchors = st.dates(min_value=date(2026, 1, 5), max_value=date(2026, 12, 20))
    periods = draw(
        st.lists(
            st.tuples(st.sampled_from(BSNS), st.sampled_from(KINDS), anchors),
            min_size=1,
            max_size=8,
        )
    )
    totals: dict[tuple[str, date, date], list[Decimal]] = {}
    files: list[list[Row]] = [[], []]
    for bsn, kind, anchor in periods:
        start, end = _period(kind, anchor)
        if (bsn, start, end) in totals:
            continue
        bound = Decimal(24 * ((end - start).days + 1))
        hours = draw(hundredths(Decimal(0), bound))
        gross = draw(hundredths(Decimal(0), Decimal(400)))
        # Rows of one period stay in delivery order: once one went to the second file, the
        # later ones do too (a credit line is applied after what it corrects).
        at = draw(st.integers(0, 1))
        files[at].append(Row(bsn, start, end, hours, gross))
        totals[(bsn, start, end)] = [hours, gross]
        for _ in range(draw(st.integers(0, 2))):
            now_hours, now_gross = totals[(bsn, start, end)]
            d_hours = draw(hundredths(-now_hours, bound - now_hours))
            d_gross = draw(hundredths(-now_gross, Decimal(100)))
            if d_hours == 0 and d_gross == 0:
                continue
            at = max(at, draw(st.integers(0, 1)))
            files[at].append(Row(bsn, start, end, d_hours, d_gross, correction=True))
            totals[(bsn, start, end)] = [now_hours + d_hours, now_gross + d_gross]
    return files, totals


def _content(rows: list[Row], placement: str) -> bytes:
    return csv_bytes(
        *(
            line(r.bsn, placement, r.start, r.end, r.hours, r.gross, correction=r.correction)
            for r in rows
        )
    )


async def _scenario(factory: Any, kafka: LocalKafka, profiles: Path, case: Any) -> None:
    files, totals = case
    placement = f"P-{uuid.uuid4().hex[:8]}"  # keys of earlier examples stay apart
    async with factory(kafka=kafka, upload_profiles_dir=profiles) as gw:
        contents = [_content(rows, placement) for rows in files if rows]
        for content in contents:
            status = await gw.upload_settled(content, as_client=AS, content_type="text/csv")
            if status["status"] != "accepted":
                errors = await gw.get(f"/v1/uploads/{status['upload_id']}/errors", as_client=AS)
                raise AssertionError((status, errors.json()))
        await gw.wait_drained()
        first_read = await read_topic(kafka.bootstrap, gw.topic)
        records = first_read.records
        # Re-uploading publishes nothing: same upload ids, and the topic's end stays put.
        for content in contents:
            again = await gw.upload(content, as_client=AS, content_type="text/csv")
            assert again.json()["repeated"] is True
        await gw.wait_drained()
        after = await read_topic(kafka.bootstrap, gw.topic)
    assert records, "the reader found the topic and read what was published"
    assert after.end_offsets == first_read.end_offsets  # the topic's end did not move
    superseded = {headers_of(r).get("ce_supersedes") for r in records}
    effective = [r for r in records if headers_of(r)["ce_id"] not in superseded]
    found: dict[tuple[str, date, date], list[Decimal]] = defaultdict(
        lambda: [Decimal(0), Decimal(0)]
    )
    for record in effective:
        value = json.loads(record.value)
        period = value["pay_period"]["period"]
        key = (value["bsn"], date.fromisoformat(period["start"]), date.fromisoformat(period["end"]))
        found[key][0] += Decimal(value.get("hours", "0"))
        found[key][1] += Decimal(value["gross"])
    assert dict(found) == totals


@pytest.mark.kafka
@settings(
    max_examples=4,
    deadline=None,
    # Every example runs a gateway against the broker; shrinking a failure would take minutes,
    # so the failing example is reported as generated.
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(case=payroll_files())
def test_generated_payroll_totals_reach_kafka_exactly_once(
    make_upload_gateway: UploadGatewayFactory, kafka: LocalKafka, tmp_path: Path, case: Any
) -> None:
    profiles = tmp_path / "profiles-prop"
    if not profiles.exists():
        profiles.mkdir()
        (profiles / "dagloon.toml").write_text(
            PROFILE.format(policy="all-or-nothing"), encoding="utf-8"
        )
    asyncio.run(_scenario(make_upload_gateway, kafka, profiles, case))


async def test_an_oversized_field_is_reported_at_its_line_and_column_in_both_languages(
    make_upload_gateway: UploadGatewayFactory, tmp_path: Path
) -> None:
    big = "x" * (csv.field_size_limit() + 1)
    content = csv_bytes(
        line("111222333", "P-1", MONDAY, MONDAY, Decimal(8), Decimal(100)),
        f"111222333;P-1;;;;09-11-2026;09-11-2026;8,00;{big};",
    )
    async with make_upload_gateway(upload_profiles_dir=profile_dir(tmp_path)) as gw:
        status = await gw.upload_settled(content, as_client=AS, content_type="text/csv")
        report = await gw.get(f"/v1/uploads/{status['upload_id']}/errors", as_client=AS)
    assert (status["status"], status["error"]["code"]) == ("rejected", "invalid_rows")
    [error] = report.json()["errors"]
    assert (error["line"], error["column"], error["code"]) == (3, "Bruto", "field_too_large")
    assert "Bruto" in error["message_en"] and "shorten the value" in error["message_en"]
    assert "aanhalingsteken" in error["message_nl"] and "korter" in error["message_nl"]
    assert "quote" in error["message_en"] or "shorten" in error["message_en"]


def test_every_documented_code_has_a_dutch_and_an_english_text() -> None:
    docs = (Path(__file__).resolve().parents[2] / "docs" / "uploads.md").read_text("utf-8")
    listed = docs.split("Row codes:", 1)[1].split("Dutch and", 1)[0]
    codes = set(re.findall(r"`([a-z_]+)`", listed))
    assert {"field_too_large", "period_mismatch", "negative_value", "conflict"} <= codes
    for code in codes:
        dutch, english = TEXTS[code]
        assert dutch and english and dutch != english, code
