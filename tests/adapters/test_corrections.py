"""Signed correction rows become the row's new complete values (adapters/corrections.py)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from adapters.corrections import CorrectionRefused, apply_delta
from schemas.payroll import EarningsReportedData, HoursReportedData

HOURS = {
    "bsn": "111222333",
    "agency_kvk": "12345678",
    "assignment_id": "P-1",
    "period": {"start": "2026-11-09", "end": "2026-11-09"},
}
PAY = {
    "bsn": "111222333",
    "agency_kvk": "12345678",
    "pay_period": {
        "loontijdvak": "week",
        "year": 2026,
        "number": 46,
        "period": {"start": "2026-11-09", "end": "2026-11-15"},
    },
}


def hours_row(hours: str) -> HoursReportedData:
    line = {"kind": "regular", "day": "2026-11-09", "hours": hours}
    return HoursReportedData.model_validate({**HOURS, "lines": [line]})


def pay_row(**values: str) -> EarningsReportedData:
    return EarningsReportedData.model_validate({**PAY, **values})


def test_a_credit_line_takes_hours_off_the_earlier_row() -> None:
    net = apply_delta(hours_row("2.5"), hours_row("8"), {"hours": Decimal("-2.5")})
    assert isinstance(net, HoursReportedData)
    assert net.lines[0].hours == Decimal("5.5")


def test_amounts_and_hours_of_a_payroll_row_add_up_field_by_field() -> None:
    earlier = pay_row(gross="460.00", hours="32", wage_tax="20.00")
    net = apply_delta(
        pay_row(gross="115.50", hours="8"),
        earlier,
        {"gross": Decimal("-115.50"), "hours": Decimal(-8), "net": Decimal("10.00")},
    )
    assert isinstance(net, EarningsReportedData)
    assert (net.gross, net.hours, net.wage_tax, net.net) == (
        Decimal("344.50"),
        Decimal(24),
        Decimal("20.00"),  # left empty in the correction row: unchanged
        Decimal("10.00"),
    )


def test_without_an_earlier_row_the_differences_are_the_values() -> None:
    net = apply_delta(pay_row(gross="50.00"), None, {"gross": Decimal("50.00")})
    assert isinstance(net, EarningsReportedData)
    assert net.gross == Decimal("50.00")


@pytest.mark.parametrize(
    ("earlier", "delta", "code"),
    [
        ("8", Decimal(-9), "hours_out_of_range"),  # below zero
        ("8", Decimal(17), "hours_out_of_range"),  # above 24 on one day
    ],
)
def test_impossible_results_are_refused(earlier: str, delta: Decimal, code: str) -> None:
    with pytest.raises(CorrectionRefused) as info:
        apply_delta(hours_row(str(abs(delta))), hours_row(earlier), {"hours": delta})
    assert (info.value.field, info.value.code) == ("hours", code)


def test_a_gross_wage_below_zero_is_refused() -> None:
    with pytest.raises(CorrectionRefused) as info:
        apply_delta(pay_row(gross="500.00"), pay_row(gross="460.00"), {"gross": Decimal(-500)})
    assert (info.value.field, info.value.code) == ("gross", "negative_value")
