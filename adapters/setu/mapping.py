"""SETU documents -> canonical drafts, once the gateway told who the person is.

SETU messages never carry a BSN (by design: the standard keeps it out of Timecard and
Assignment). The gateway's :class:`Directory` supplies it: for a timecard through the
assignment it belongs to, for an assignment through the agency's worker number. See
docs/agencies.md for the rules (and corrections) in full.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from pydantic import BaseModel, ValidationError

from adapters.base import Draft, Issue
from adapters.placements import change_event, placement_change
from adapters.setu.model import AssignmentDoc, Ref, TimecardDoc
from schemas.payroll import HoursReported, HoursReportedData
from schemas.placement import (
    PlacementEnded,
    PlacementEndedData,
    PlacementStartedV2,
    PlacementStartedV2Data,
)

__all__ = [
    "Directory",
    "NoDirectory",
    "SetuOutcome",
    "assignment_drafts",
    "canonical_hour_kind",
    "timecard_drafts",
]

_ENDED = frozenset({"ended", "cancelled", "inactive"})


class Directory(Protocol):
    """What the gateway knows about this agency's people and placements."""

    def bsn_for_assignment(self, assignment_id: str) -> str | None: ...

    def bsn_for_worker(self, worker_ids: Sequence[str]) -> str | None: ...

    def placement_state(self, assignment_id: str) -> Mapping[str, Any] | None: ...


class NoDirectory:
    """Knows nobody: for ``translate`` without a store."""

    def bsn_for_assignment(self, assignment_id: str) -> str | None:
        return None

    def bsn_for_worker(self, worker_ids: Sequence[str]) -> str | None:
        return None

    def placement_state(self, assignment_id: str) -> Mapping[str, Any] | None:
        return None


@dataclass(slots=True)
class SetuOutcome:
    kind: Literal["timecard", "assignment"]
    drafts: list[Draft] = field(default_factory=list)
    issues: list[Issue] = field(default_factory=list)
    #: Timecards: the business key (kind, bsn, placement, period) for duplicate detection.
    key: tuple[str, ...] | None = None
    #: The timecard says it corrects an earlier one (v1 ReportedTime/@status="corrected").
    correction: bool = False
    timecard_id: str | None = None
    #: Assignments: the placement's state after this message (PlacementStartedData JSON).
    placement: dict[str, Any] | None = None
    worker_ids: list[str] = field(default_factory=list)
    #: Why nothing is published although nothing is wrong (confirmation, rejected timecard).
    note: str = ""


# --- timecards -------------------------------------------------------------------------------
_EXACT_KINDS = {"ht100": "regular", "regular": "regular", "overtime": "overtime", "shift": "shift"}


def canonical_hour_kind(source_type: str) -> str:
    """SETU hour type (v1 ``@type``, v2 ``typeCode``) -> canonical kind; the source type is
    kept next to it in ``source_type``."""
    folded = source_type.strip().casefold()
    if folded in _EXACT_KINDS:
        return _EXACT_KINDS[folded]
    for prefix, kind in (("regular", "regular"), ("overtime", "overtime"), ("shift", "shift")):
        if folded.startswith(prefix):
            return kind
    for word, kind in (
        ("sick", "sick"),
        ("leave", "leave"),
        ("vacation", "holiday"),
        ("holiday", "holiday"),
        ("on call", "on_call"),
        ("standby", "on_call"),
    ):
        if word in folded:
            return kind
    return "other"


def timecard_drafts(doc: TimecardDoc, directory: Directory, agency_kvk: str) -> SetuOutcome:
    outcome = SetuOutcome("timecard", issues=list(doc.issues), timecard_id=doc.timecard_id)
    outcome.correction = doc.is_correction
    if doc.status == "rejected":
        outcome.note = "the timecard was rejected by the customer: no hours to report"
        return outcome
    bsn = None
    if doc.assignment_id:
        bsn = directory.bsn_for_assignment(doc.assignment_id) or directory.bsn_for_worker(
            [ref.value for ref in doc.person_ids]
        )
        if bsn is None:
            outcome.issues.append(
                Issue(
                    doc.where.get("assignment_id", "/"),
                    "unknown_assignment",
                    f"assignment {doc.assignment_id!r} is not known for this agency; send its "
                    "Assignment (or a CSV placement row) first",
                    value=doc.assignment_id,
                )
            )
    kept = [e for e in doc.entries if (e.action or "").casefold() != "void"]
    allowances = [a for a in doc.allowances if (a.action or "").casefold() != "void"]
    if not kept:
        outcome.issues.append(
            Issue(doc.where.get("period_start", "/"), "missing_element", "no time intervals")
        )
    if outcome.issues or bsn is None:
        return outcome
    lines = []
    for entry in kept:
        line: dict[str, Any] = {
            "kind": canonical_hour_kind(entry.source_type),
            "hours": entry.hours,
            "source_type": entry.source_type or None,
        }
        if entry.day is not None:
            line["day"] = entry.day
        if entry.multiplier is not None:
            line["multiplier_percent"] = entry.multiplier
        if entry.rate is not None:
            line["rate"] = entry.rate
        lines.append(line)
    values: dict[str, Any] = {
        "bsn": bsn,
        "agency_kvk": agency_kvk,
        "assignment_id": doc.assignment_id,
        "period": {"start": doc.period_start, "end": doc.period_end},
        "lines": lines,
        "allowances": [
            {
                k: v
                for k, v in (("code", a.code), ("amount", a.amount), ("quantity", a.quantity))
                if v is not None
            }
            for a in allowances
        ],
        "timecard_id": doc.timecard_id,
    }
    if doc.is_correction:
        values["correction_of"] = doc.timecard_id
    wheres = {
        "lines": [e.where for e in kept],
        "allowances": [a.where for a in allowances],
    }
    data = _validate(HoursReportedData, values, outcome, doc.where, wheres)
    if data is None:
        return outcome
    outcome.drafts.append(Draft(HoursReported, data, origin=doc.where.get("period_start", "/")))
    outcome.key = ("hours", bsn, str(doc.assignment_id), f"{doc.period_start}..{doc.period_end}")
    return outcome


# --- assignments -----------------------------------------------------------------------------
def assignment_drafts(doc: AssignmentDoc, directory: Directory, agency_kvk: str) -> SetuOutcome:
    outcome = SetuOutcome("assignment", issues=list(doc.issues))
    outcome.worker_ids = [ref.value for ref in doc.worker_ids]
    if doc.is_confirmation:
        outcome.note = "a status message confirming the assignment: nothing new to publish"
        return outcome
    bsn = directory.bsn_for_worker(outcome.worker_ids) if outcome.worker_ids else None
    if bsn is None:
        shown = ", ".join(outcome.worker_ids) or "none given"
        outcome.issues.append(
            Issue(
                doc.where.get("worker", "/"),
                "unknown_worker" if outcome.worker_ids else "missing_element",
                f"no worker of this agency is known by the worker id(s) ({shown}); send a "
                "payroll CSV row with this employee number and the BSN first",
            )
        )
    if doc.customer_id is None and doc.customer_kvk is None:
        outcome.issues.append(
            Issue(doc.where.get("customer", "/"), "missing_element", "no customer identifier")
        )
    if doc.start_date is None:
        outcome.issues.append(
            Issue(doc.where.get("start_date", "/"), "missing_element", "no start date")
        )
    if outcome.issues or bsn is None or doc.assignment_id is None:
        return outcome
    client: dict[str, Any] = {"name": doc.customer_id or doc.customer_kvk}
    if doc.customer_kvk and doc.customer_kvk.isdigit() and len(doc.customer_kvk) == 8:
        client["kvk"] = doc.customer_kvk
    current: dict[str, Any] = {
        "bsn": bsn,
        "agency_kvk": agency_kvk,
        "assignment_id": doc.assignment_id,
        "client": client,
        "start_date": doc.start_date,
        "parties": _parties(doc.parties),
    }
    if doc.assignment_id_owner:
        current["assignment_id_owner"] = doc.assignment_id_owner
    for name, value in (
        ("end_date", doc.actual_end or doc.expected_end),
        ("hourly_rate", doc.hourly_rate),
        ("hours_per_week", doc.hours_per_week),
        ("job_title", doc.job_title),
    ):
        if value is not None:
            current[name] = value
    started = _validate(PlacementStartedV2Data, current, outcome, doc.where, {})
    if started is None:
        return outcome
    previous = directory.placement_state(doc.assignment_id)
    where = doc.where.get("start_date", "/")
    ended = doc.status in _ENDED or (previous is not None and doc.actual_end is not None)
    if ended:
        end = doc.actual_end or doc.expected_end
        if end is None:
            outcome.issues.append(
                Issue(
                    doc.where.get("end_date", "/"),
                    "missing_element",
                    "an ended assignment needs its end date",
                )
            )
            return outcome
        data = PlacementEndedData(
            bsn=bsn,
            agency_kvk=agency_kvk,
            assignment_id=doc.assignment_id,
            end_date=end,
            reason="other" if doc.status == "cancelled" else "completed",
        )
        outcome.drafts.append(Draft(PlacementEnded, data, origin=where))
        outcome.placement = {**(previous or started.model_dump(mode="json")), "end_date": str(end)}
        return outcome
    state = started.model_dump(mode="json", exclude_none=True)
    if previous is None:
        outcome.drafts.append(Draft(PlacementStartedV2, started, origin=where))
        outcome.placement = state
        return outcome
    change = placement_change(previous, started)
    outcome.placement = {**previous, **state}
    if change is None:
        outcome.note = "the assignment repeats what is known: nothing changed"
        return outcome
    outcome.drafts.append(Draft(change_event(change), change, origin=where))
    return outcome


# A worker number the sender says is a BSN is not a party identifier: ``bsn`` carries the person.
_BSN_OWNERS = frozenset({"bsn", "burgerservicenummer", "sofi", "sofinummer"})


def _parties(parties: Sequence[tuple[str, Sequence[Ref]]]) -> list[dict[str, Any]]:
    found = []
    for role, refs in parties:
        ids = [
            {"value": ref.value, "owner": ref.owner}
            for ref in refs
            if ref.owner.strip().casefold() not in _BSN_OWNERS
        ]
        if ids:
            found.append({"role": role, "ids": ids})
    return found


def _validate(
    model: type[BaseModel],
    values: dict[str, Any],
    outcome: SetuOutcome,
    where: Mapping[str, str],
    lists: Mapping[str, Sequence[str]],
) -> Any:
    try:
        return model.model_validate(values)
    except ValidationError as exc:
        for err in exc.errors(include_input=False, include_url=False):
            loc = err["loc"]
            place = where.get("period_start", "/")
            if loc and loc[0] in lists and len(loc) > 1 and isinstance(loc[1], int):
                paths = lists[str(loc[0])]
                place = paths[loc[1]] if loc[1] < len(paths) else place
                if len(loc) > 2:
                    place += f"/{loc[2]}"
            elif loc and str(loc[0]) in where:
                place = where[str(loc[0])]
            elif loc and loc[0] == "period":
                place = where.get("period_end", place)
            elif loc and loc[0] in ("client", "parties"):
                place = where.get("customer", place)
            message = str(err["msg"]).removeprefix("Value error, ")
            code = str(err["type"])
            if code == "value_error":
                code = "invalid_value"
            outcome.issues.append(Issue(place, code, message))
        return None
