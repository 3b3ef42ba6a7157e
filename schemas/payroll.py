"""Payroll family: hours worked and what was paid for them."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, Literal, Self

from pydantic import Field, model_validator

from schemas.common import AssignmentRef, CanonicalModel, Period
from schemas.envelope import CloudEvent
from schemas.identifiers import Amount, Bsn, Hours, Iban, KvkNummer, Loonheffingennummer

__all__ = [
    "Allowance",
    "EarningsReported",
    "EarningsReportedData",
    "HoursLine",
    "HoursReported",
    "HoursReportedData",
    "PayPeriod",
]

HourKind = Literal["regular", "overtime", "shift", "on_call", "leave", "sick", "holiday", "other"]
Loontijdvak = Literal["week", "4-weken", "maand", "kwartaal"]


class HoursLine(CanonicalModel):
    kind: HourKind = "regular"
    #: The day worked, when the source reports per day (SETU time intervals do).
    day: date | None = None
    hours: Annotated[Hours, Field(le=24 * 31)]
    multiplier_percent: Annotated[
        Decimal | None, Field(ge=0, le=500, max_digits=5, decimal_places=2)
    ] = None
    rate: Amount | None = None
    source_type: Annotated[
        str | None, Field(max_length=40, description="The sender's own hour type code.")
    ] = None

    @model_validator(mode="after")
    def _plausible_day(self) -> Self:
        if self.day is not None and self.hours > 24:
            raise ValueError("more than 24 hours on one day")
        return self


class Allowance(CanonicalModel):
    code: Annotated[str, Field(min_length=1, max_length=40)]
    amount: Amount | None = None
    quantity: Annotated[Hours | None, Field(description="Units (hours, km, ...).")] = None


class HoursReportedData(AssignmentRef):
    period: Period
    lines: Annotated[list[HoursLine], Field(min_length=1, max_length=1000)]
    allowances: list[Allowance] = []
    timecard_id: Annotated[str | None, Field(max_length=64)] = None
    #: A correction replaces the hours the same timecard reported earlier for this period.
    correction_of: Annotated[str | None, Field(max_length=64)] = None

    @model_validator(mode="after")
    def _days_in_period(self) -> Self:
        for line in self.lines:
            if line.day is not None and not self.period.start <= line.day <= self.period.end:
                raise ValueError(f"hours on {line.day} lie outside the period")
        return self


class PayPeriod(CanonicalModel):
    loontijdvak: Loontijdvak
    year: Annotated[int, Field(ge=2000, le=2100)]
    number: Annotated[int, Field(ge=1, le=53)]
    period: Period | None = None


class EarningsReportedData(CanonicalModel):
    """Pay for one person and period. ``pay_period.period`` holds the row's own dates, which
    may be part of the loontijdvak's period (a day of a weekly payroll). A correction comes
    as a new message with the period's complete new values and `ce_supersedes` = the id of
    the message it replaces: a consumer replaces, never adds (docs/agencies.md#corrections).
    """

    bsn: Bsn
    agency_kvk: KvkNummer
    assignment_id: Annotated[str | None, Field(max_length=64)] = None
    employee_number: Annotated[str | None, Field(max_length=40)] = None
    loonheffingennummer: Loonheffingennummer | None = None
    pay_period: PayPeriod
    hours: Hours | None = None
    gross: Amount
    wage_tax: Amount | None = None
    net: Amount | None = None
    #: The account the net wage was paid into, when the payroll export carries it.
    iban: Iban | None = None
    currency: Literal["EUR"] = "EUR"


class HoursReported(CloudEvent):
    short_type = "hours.reported"
    type: Literal["nl.flextensie.hours.reported.v1"] = "nl.flextensie.hours.reported.v1"
    data: HoursReportedData


class EarningsReported(CloudEvent):
    short_type = "earnings.reported"
    type: Literal["nl.flextensie.earnings.reported.v1"] = "nl.flextensie.earnings.reported.v1"
    data: EarningsReportedData
