"""Everything about one row that does not need the store: its outbox record, its business-key
hash and value hash, its placement facts. Computed where the row is parsed (a worker thread),
so the event loop only compares and writes.

A :class:`Prepared` row is plain data (no pydantic objects), cheap to hand between threads.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from adapters.base import Draft, Issue
from gateway.events import EventFactory, OutboxRecord
from gateway.value_hash import value_hash
from schemas.payroll import EarningsReportedData, HoursReportedData
from schemas.placement import PlacementStartedData

__all__ = ["Prepared", "Preparer", "UploadRef"]


@dataclass(frozen=True, slots=True)
class UploadRef:
    """What every message of one upload shares."""

    sender: str
    agency_kvk: str
    content_hash: str
    received_at: datetime


@dataclass(slots=True)
class Prepared:
    line: int | None
    location: str
    issues: list[Issue]
    record: OutboxRecord | None = None
    key_hash: str | None = None
    value_hash: str | None = None
    correction: bool = False
    timecard_id: str | None = None
    assignment_id: str | None = None
    bsn: str | None = None
    #: The period hours or pay cover, to check it lies inside the placement.
    period: tuple[date, date] | None = None
    #: Placement rows and SETU Assignments: the placement's state after this row.
    placement: dict[str, Any] | None = None
    worker: tuple[str, str] | None = None
    index: int = 0
    #: A signed (delta) correction row: its differences, added to the earlier row's values.
    delta: dict[str, Decimal] | None = None
    #: Canonical field -> column as the agency's header names it, for the report.
    columns: Mapping[str, str] = field(default_factory=dict)


class Preparer:
    def __init__(
        self,
        events: EventFactory,
        upload: UploadRef,
        *,
        parties: Callable[[Draft], str | None] | None = None,
    ) -> None:
        #: Why a row's message may not name the parties it names (gateway.tenancy), or None.
        self._parties = parties
        self._events = events
        self._upload = upload
        self._payload = events.for_payload(
            sender=upload.sender, content_hash=upload.content_hash, received_at=upload.received_at
        )

    def key_hash(self, key: tuple[str, ...]) -> str:
        """The business key, hashed; the BSN (second part) enters as its person key."""
        parts = [self._upload.agency_kvk, key[0], self._events.person_key(key[1]), *key[2:]]
        return hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()

    def record(self, draft: Draft, index: int, supersedes: str | None = None) -> OutboxRecord:
        return self._payload.record(draft, index, supersedes)

    def prepare(
        self,
        *,
        line: int | None,
        location: str,
        issues: list[Issue],
        draft: Draft | None,
        index: int,
        key: tuple[str, ...] | None = None,
        correction: bool = False,
        timecard_id: str | None = None,
        worker: tuple[str, str] | None = None,
        placement: dict[str, Any] | None = None,
        delta: dict[str, Decimal] | None = None,
        columns: Mapping[str, str] | None = None,
    ) -> Prepared:
        prepared = Prepared(
            line=line,
            location=location,
            issues=issues,
            correction=correction,
            timecard_id=timecard_id,
            worker=worker,
            index=index,
            placement=placement,
            delta=delta,
            columns=columns or {},
        )
        if issues or draft is None:
            return prepared
        refusal = self._parties(draft) if self._parties is not None else None
        if refusal is not None:
            prepared.issues = [
                Issue(
                    location,
                    "party_not_linked",
                    refusal,
                    field="municipality",
                    value=getattr(draft.data, "municipality", None),
                )
            ]
            return prepared
        data = draft.data
        record = self.record(draft, index)
        prepared.record = record
        prepared.value_hash = value_hash(data, record)
        if key is not None:
            prepared.key_hash = self.key_hash(key)
        prepared.assignment_id = getattr(data, "assignment_id", None) or None
        prepared.bsn = getattr(data, "bsn", None)
        if isinstance(data, HoursReportedData):
            prepared.period = (data.period.start, data.period.end)
        elif isinstance(data, EarningsReportedData) and data.pay_period.period is not None:
            prepared.period = (data.pay_period.period.start, data.pay_period.period.end)
        elif isinstance(data, PlacementStartedData) and placement is None:
            prepared.placement = data.model_dump(mode="json", exclude_none=True)
        return prepared
