"""What the gateway needs from a SETU document, independent of version and syntax.

Readers (``v1``, ``v2``) fill these from HR-XML 2.5 (v1.x) or the v2.0 XML/JSON; the mapping
turns them into canonical drafts once the person is known. ``where`` fields hold an XPath (XML)
or a JSON pointer (JSON) for reports.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any, Literal

from adapters.base import Issue

__all__ = ["AllowanceEntry", "AssignmentDoc", "Ref", "TimeEntry", "TimecardDoc"]


@dataclass(frozen=True, slots=True)
class Ref:
    """An identifier and who issued it (HR-XML ``idOwner``, v2 ``schemeAgencyId``)."""

    value: str
    owner: str = ""


@dataclass(frozen=True, slots=True)
class TimeEntry:
    where: str
    source_type: str
    day: date | None
    hours: Decimal | None
    multiplier: Decimal | None = None
    rate: Decimal | None = None
    #: v1 correction timecards: Add, Change, Void, Unchanged.
    action: str | None = None


@dataclass(frozen=True, slots=True)
class AllowanceEntry:
    where: str
    code: str
    amount: Decimal | None = None
    quantity: Decimal | None = None
    action: str | None = None


@dataclass(slots=True)
class TimecardDoc:
    version: Literal["1.x", "2.0"]
    syntax: Literal["xml", "json"]
    timecard_id: str | None = None
    assignment_id: str | None = None
    person_ids: list[Ref] = field(default_factory=list)
    period_start: date | None = None
    period_end: date | None = None
    entries: list[TimeEntry] = field(default_factory=list)
    allowances: list[AllowanceEntry] = field(default_factory=list)
    #: v1: ReportedTime/@status ("", "corrected", "rejected").
    status: str = ""
    issues: list[Issue] = field(default_factory=list)
    where: dict[str, str] = field(default_factory=dict)
    #: XML: the parsed document, to find the file line of each issue's element.
    root: Any = None

    @property
    def is_correction(self) -> bool:
        return self.status == "corrected"


@dataclass(slots=True)
class AssignmentDoc:
    version: Literal["1.x", "2.0"]
    syntax: Literal["xml", "json"]
    assignment_id: str | None = None
    #: v1 @assignmentStatus (active, ended, cancelled, ...); v2 has none.
    status: str = ""
    worker_ids: list[Ref] = field(default_factory=list)
    customer_id: str | None = None
    customer_kvk: str | None = None
    #: Who issued the assignment id (v1 ``AssignmentId/@idOwner``, v2 ``documentId``'s agency).
    assignment_id_owner: str = ""
    #: Every party of the assignment with all its identifiers: (role, ids) in document order;
    #: roles as in ``schemas.placement.PartyRole``.
    parties: list[tuple[str, list[Ref]]] = field(default_factory=list)
    start_date: date | None = None
    expected_end: date | None = None
    actual_end: date | None = None
    hourly_rate: Decimal | None = None
    hours_per_week: Decimal | None = None
    job_title: str | None = None
    reason_of_change: str | None = None
    issues: list[Issue] = field(default_factory=list)
    where: dict[str, str] = field(default_factory=dict)
    #: XML: the parsed document, to find the file line of each issue's element.
    root: Any = None

    @property
    def is_confirmation(self) -> bool:
        """A v1.x status message confirming an assignment: nothing new to publish."""
        return (self.reason_of_change or "").strip().casefold() == "confirmation"
