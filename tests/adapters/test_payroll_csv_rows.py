"""Row rules of the payroll-CSV adapter: values in the profile's notation, periods from the
loontijdvak, plausibility checks, and where each problem is reported."""

from __future__ import annotations

import io
import itertools
from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from adapters.payroll_csv import read_rows
from adapters.payroll_csv.mapper import RowOutcome
from adapters.payroll_csv.periods import period_dates, period_number
from adapters.payroll_csv.profile import SHIPPED_PROFILES, AgencyProfile, load_profiles
from adapters.payroll_csv.values import BadValue, date_parser, decimal_parser
from schemas.payroll import EarningsReportedData, HoursReportedData

PROFILES = {p.id: p for p in load_profiles([SHIPPED_PROFILES]).values()}


def outcomes(profile: AgencyProfile, text: str, encoding: str = "utf-8") -> list[RowOutcome]:
    return list(read_rows(io.BytesIO(text.encode(encoding)), profile))


@pytest.mark.parametrize(
    ("text", "expected"),
    [("1.234,56", "1234.56"), ("-12,5", "-12.5"), ("0", "0"), ("1234,56", "1234.56")],
)
def test_decimal_comma_with_thousands_dot(text: str, expected: str) -> None:
    assert decimal_parser(",", ".")(text) == Decimal(expected)


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("1,234", "too_many_decimals"),
        ("12.34,5", "invalid_number"),
        ("1,2,3", "invalid_number"),
        ("abc", "invalid_number"),
        ("1.5", "invalid_number"),
    ],
)
def test_numbers_not_in_the_notation_are_refused(text: str, code: str) -> None:
    with pytest.raises(BadValue) as info:
        decimal_parser(",", ".")(text)
    assert info.value.code == code


@given(st.dates(min_value=date(2000, 1, 1), max_value=date(2099, 12, 31)))
def test_fast_date_formats_agree_with_strptime(day: date) -> None:
    for fmt in ("%d-%m-%Y", "%Y-%m-%d", "%Y%m%d", "%d/%m/%Y"):
        assert date_parser(fmt)(day.strftime(fmt)) == day


def test_impossible_dates_are_refused() -> None:
    with pytest.raises(BadValue):
        date_parser("%d-%m-%Y")("29-02-2026")


@given(st.dates(min_value=date(2001, 1, 8), max_value=date(2099, 12, 20)))
def test_every_day_lies_in_the_period_that_period_number_names(day: date) -> None:
    for tijdvak in ("week", "4-weken", "maand", "kwartaal"):
        year, number = period_number(tijdvak, day)
        start, end = period_dates(tijdvak, year, number)
        assert start <= day <= end


def test_four_weekly_periods_cover_the_year_without_gaps() -> None:
    ends = [period_dates("4-weken", 2026, n) for n in range(1, 14)]
    for (_, end), (start, _) in itertools.pairwise(ends):
        assert (start - end).days == 1
    assert ends[0][0] == date(2025, 12, 29)  # ISO week 1 of 2026 starts in 2025
    assert ends[-1][1] == date(2027, 1, 3)


HOURS = "Employee ID,Sofinummer,Assignment,Date,Hour type,Hours,Percentage,Rate\n"


@pytest.mark.parametrize(
    ("line", "field", "code"),
    [
        ("E1,111222333,A,2026-11-09,regular,24.01,100,", "Hours", "hours_out_of_range"),
        ("E1,111222333,A,2026-11-09,regular,-1.00,100,", "Hours", "hours_out_of_range"),
        ("E1,111222333,A,2026-11-09,nap,8,100,", "Hour type", "unknown_hour_kind"),
        ("E1,111222333,A,2026-11-31,regular,8,100,", "Date", "invalid_date"),
        ("E1,111222333,A,2026-11-09,regular,8,100,12.345", "Rate", "too_many_decimals"),
        ("E1,111222333,A,2026-11-09,regular,8,600,", "Percentage", "out_of_range"),
        ("E1,111222333,,2026-11-09,regular,8,100,", "Assignment", "missing"),
        ("E1,111222334,A,2026-11-09,regular,8,100,", "Sofinummer", "invalid_bsn"),
    ],
)
def test_each_bad_value_is_reported_at_its_column(line: str, field: str, code: str) -> None:
    [outcome] = outcomes(PROFILES["uurwerk-flex"], HOURS + line + "\n")
    assert [(i.field, i.code) for i in outcome.issues] == [(field, code)]
    assert outcome.issues[0].where == "line 2"
    assert outcome.draft is None


def test_an_eight_digit_bsn_is_a_bsn_without_its_leading_zero() -> None:
    [outcome] = outcomes(PROFILES["uurwerk-flex"], HOURS + "E1,12345672,A,2026-11-09,regular,8,,\n")
    assert outcome.issues == []
    assert outcome.draft is not None and isinstance(outcome.draft.data, HoursReportedData)
    assert outcome.draft.data.bsn == "012345672"


def test_row_that_is_too_short_and_ignored_rows() -> None:
    profile = PROFILES["flexwerk-uitzend"]
    header = (SHIPPED_PROFILES.parent / "samples" / "flexwerk-uitzend.csv").read_bytes()
    first = header.decode("cp1252").splitlines()[0]
    found = outcomes(profile, f"{first}\nU;1\nT;;;;;;;;;;;;;;1,00;;;;;;;;\n", "cp1252")
    assert [i.code for i in found[0].issues] == ["row_too_short"]
    assert found[1].issues == [] and found[1].draft is None and found[1].kind is None


def test_period_number_without_loontijdvak_column_uses_the_profile_and_derives_dates() -> None:
    [outcome] = outcomes(
        PROFILES["detapower"], "D-1|111222333||2026|1|8,00|100,00|0,00|100,00||X\n", "cp1252"
    )
    assert outcome.draft is not None and isinstance(outcome.draft.data, EarningsReportedData)
    pay = outcome.draft.data.pay_period
    assert (pay.loontijdvak, pay.year, pay.number) == ("4-weken", 2026, 1)
    assert pay.period is not None
    assert (pay.period.start, pay.period.end) == (date(2025, 12, 29), date(2026, 1, 25))
