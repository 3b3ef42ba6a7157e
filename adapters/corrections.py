"""A correction row with signed differences (a payroll credit line such as ``-8,00``) becomes
the row's new complete values: what was delivered before for the same business key plus the
differences. The gateway publishes that, superseding the earlier message, so a consumer only
ever replaces (docs/uploads.md, "Corrections").
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from pydantic import BaseModel

from schemas.payroll import EarningsReportedData, HoursReportedData

__all__ = ["CorrectionRefused", "apply_delta"]


class CorrectionRefused(ValueError):
    """The corrected values are impossible (negative hours or pay, > 24 hours a day)."""

    def __init__(self, field: str, code: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.code = code
        self.message = message


def apply_delta(
    row: BaseModel, earlier: BaseModel | None, delta: Mapping[str, Decimal]
) -> BaseModel:
    """``row`` (the correction row's data, absolute values) with each field of ``delta``
    replaced by the earlier value plus the signed difference. Without an earlier row the
    differences are the values. Raises :class:`CorrectionRefused`."""
    if isinstance(row, HoursReportedData):
        before = earlier.lines[0].hours if isinstance(earlier, HoursReportedData) else None
        hours = _sum(before, delta["hours"])
        days = (row.period.end - row.period.start).days + 1
        if row.lines[0].day is not None:
            days = 1
        _check_hours(hours, days)
        kept: dict[str, Any] = {}
        if isinstance(earlier, HoursReportedData):
            old = earlier.lines[0]
            kept = {n: getattr(old, n) for n in _LINE_KEPT if getattr(row.lines[0], n) is None}
        line = row.lines[0].model_copy(update={**kept, "hours": hours})
        return row.model_copy(update={"lines": [line]})
    if isinstance(row, EarningsReportedData):
        # A value the correction row leaves empty did not change: the earlier one stays.
        values: dict[str, Any] = {
            name: getattr(earlier, name)
            for name in _EARNINGS_KEPT
            if earlier is not None and getattr(row, name) is None
        }
        for name, difference in delta.items():
            previous = getattr(earlier, name, None) if earlier is not None else None
            values[name] = _sum(previous, difference)
        if "hours" in delta:
            period = row.pay_period.period
            days = (period.end - period.start).days + 1 if period is not None else 366
            _check_hours(values["hours"], days)
        if "gross" in delta and values["gross"] < 0:
            raise CorrectionRefused(
                "gross",
                "negative_value",
                f"the correction leaves a negative gross wage ({values['gross']}) for the period",
            )
        return row.model_copy(update=values)
    raise TypeError(f"no signed corrections for {type(row).__name__}")


#: Values a correction row may leave empty to keep the earlier ones.
_EARNINGS_KEPT = (
    "hours",
    "wage_tax",
    "net",
    "assignment_id",
    "employee_number",
    "loonheffingennummer",
    "iban",
)
_LINE_KEPT = ("multiplier_percent", "rate", "source_type")


def _sum(before: Decimal | None, difference: Decimal) -> Decimal:
    return (before or Decimal(0)) + difference


def _check_hours(hours: Decimal, days: int) -> None:
    if hours < 0:
        raise CorrectionRefused(
            "hours",
            "hours_out_of_range",
            f"the correction leaves {hours} hours for the period: hours cannot be negative",
        )
    if hours > 24 * days:
        raise CorrectionRefused(
            "hours",
            "hours_out_of_range",
            f"the correction leaves {hours} hours for {days} day(s): at most 24 per day",
        )
