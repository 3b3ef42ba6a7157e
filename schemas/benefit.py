"""Benefit family: the status of the candidate's social-assistance benefit."""

from __future__ import annotations

from datetime import date
from typing import Literal, Self

from pydantic import model_validator

from schemas.common import Period, PersonRef
from schemas.envelope import CloudEvent

__all__ = ["BenefitStatusChanged", "BenefitStatusChangedData"]

BenefitKind = Literal["participatiewet", "ioaw", "ioaz", "anw", "other"]
BenefitStatus = Literal["active", "suspended", "ended"]
ClearableBenefitField = Literal["benefit_end", "suspension"]


class BenefitStatusChangedData(PersonRef):
    benefit_kind: BenefitKind = "participatiewet"
    status: BenefitStatus
    effective_date: date
    benefit_start: date | None = None
    benefit_end: date | None = None
    suspension: Period | None = None
    #: Fields the sender explicitly emptied (StUF ``noValue="geenWaarde"``): a planned end or a
    #: suspension that no longer applies. Absent fields did not change.
    cleared: list[ClearableBenefitField] = []

    @model_validator(mode="after")
    def _status_fits_dates(self) -> Self:
        if self.status == "suspended" and self.suspension is None:
            raise ValueError("a suspended benefit needs a suspension period")
        if self.status == "ended" and self.benefit_end is None:
            raise ValueError("an ended benefit needs benefit_end")
        if self.benefit_start and self.benefit_end and self.benefit_end < self.benefit_start:
            raise ValueError("benefit_end lies before benefit_start")
        for name in self.cleared:
            if getattr(self, name) is not None:
                raise ValueError(f"'{name}' both carries a value and is cleared")
        return self


class BenefitStatusChanged(CloudEvent):
    short_type = "benefit.status-changed"
    type: Literal["nl.flextensie.benefit.status-changed.v1"] = (
        "nl.flextensie.benefit.status-changed.v1"
    )
    data: BenefitStatusChangedData
