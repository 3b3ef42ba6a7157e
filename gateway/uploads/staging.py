"""Stages one upload, chunk by chunk, and settles it: all or nothing by default.

Each chunk is one transaction: its messages go into the outbox in state ``staged`` (the relay
publishes only ``queued``), with the business keys, placements and worker numbers they bring,
the errors found, and the progress counters. When the whole file was read, the upload is
accepted (staged -> queued, in batches) or rejected (staged rows deleted). Memory holds one
chunk, whatever the file's size.

Per row, against what the agency delivered before (rows of accepted uploads and earlier rows
of this one): same business key and same values is a duplicate (skipped); same key, other
values is a conflict (quarantined and reported) unless the row is an explicit correction, which
supersedes the earlier message.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

import structlog
from pydantic import BaseModel

from adapters.base import Draft, Issue
from adapters.placements import placement_change
from adapters.texts import dutch
from gateway.events import EventFactory, OutboxRecord
from gateway.store import Store
from gateway.uploads import repo
from gateway.uploads.model import Counts, Upload, UploadState
from schemas.payroll import EarningsReportedData, HoursReportedData
from schemas.placement import PlacementChanged, PlacementStarted, PlacementStartedData

__all__ = ["Item", "Settlement", "Stager"]

log = structlog.get_logger(__name__)

_FLIP_BATCH = 50_000


@dataclass(slots=True)
class Item:
    """One unit of an upload: a CSV row or a SETU document."""

    line: int | None
    location: str
    issues: list[Issue]
    draft: Draft | None = None
    #: Business key without the agency: (kind, bsn, placement, period[, ...]).
    key: tuple[str, ...] | None = None
    correction: bool = False
    timecard_id: str | None = None
    #: The state of a placement after this item (SETU Assignments compute it themselves).
    placement_state: dict[str, Any] | None = None
    #: (worker id, BSN) learned from this row.
    worker: tuple[str, str] | None = None
    #: First message index: message ids are uuid5(sender, file hash, index).
    index: int = 0


@dataclass(frozen=True, slots=True)
class Settlement:
    state: UploadState
    error_code: str | None = None
    detail: str | None = None


@dataclass(slots=True)
class _Chunk:
    messages: list[tuple[Any, ...]] = field(default_factory=list)
    keys: list[tuple[Any, ...]] = field(default_factory=list)
    placements: list[dict[str, Any]] = field(default_factory=list)
    workers: list[dict[str, Any]] = field(default_factory=list)
    quarantine: list[dict[str, Any]] = field(default_factory=list)
    errors: list[tuple[Any, ...]] = field(default_factory=list)


class Stager:
    def __init__(
        self,
        *,
        store: Store,
        events: EventFactory,
        upload: Upload,
        require_placement: bool = False,
        max_errors: int = 1_000_000,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._store = store
        self._events = events
        self.upload = upload
        self._all_or_nothing = upload.policy != "accept-valid"
        self._require_placement = require_placement
        self._max_errors = max_errors
        self._clock = clock
        self.counts = Counts()
        self._fatal: Issue | None = None
        self._error_cap_noted = False
        #: Why a valid file published nothing (a SETU confirmation, a rejected timecard).
        self.note = ""

    @property
    def failing(self) -> bool:
        """Nothing more will be published from this file: messages need not be built."""
        return self._fatal is not None or (self._all_or_nothing and self.counts.rows_rejected > 0)

    # --- chunks ----------------------------------------------------------------------------
    async def add(self, items: Sequence[Item], *, bytes_read: int) -> None:
        chunk = _Chunk()
        self.counts.rows_read += len(items)
        self.counts.bytes_read = bytes_read
        for item in items:
            if item.issues:
                self._reject(chunk, item, item.issues)
        valid = [i for i in items if not i.issues and i.draft is not None]
        if valid and not self.failing:
            await self._classify(chunk, valid)
        elif valid:
            # The file is rejected already; still check each row so the report is complete.
            await self._classify(chunk, valid, build=False)
        await self._write(chunk)

    async def file_error(self, issues: Sequence[Issue]) -> None:
        """The file as a whole cannot be read further (encoding, structure, unknown format)."""
        self._fatal = issues[0]
        chunk = _Chunk()
        self._error_rows(chunk, None, issues)
        await self._write(chunk)

    def _reject(self, chunk: _Chunk, item: Item, issues: Sequence[Issue]) -> None:
        self.counts.rows_rejected += 1
        self._error_rows(chunk, item.line, issues)

    def _error_rows(self, chunk: _Chunk, line: int | None, issues: Sequence[Issue]) -> None:
        for issue in issues:
            if self.counts.errors >= self._max_errors:
                if not self._error_cap_noted:
                    self._error_cap_noted = True
                    cap = Issue(
                        issue.where,
                        "too_many_errors",
                        f"more than {self._max_errors} errors; later ones are not listed",
                    )
                    chunk.errors.append(_error_tuple(self.upload.id, line, cap))
                return
            self.counts.errors += 1
            chunk.errors.append(_error_tuple(self.upload.id, line, issue))

    async def _classify(self, chunk: _Chunk, items: Sequence[Item], *, build: bool = True) -> None:
        agency = self.upload.agency_kvk
        hashes = {id(i): self._key_hash(i.key) for i in items if i.key is not None}
        assignments = {aid for i in items if (aid := _assignment_of(i.draft)) is not None}
        worker_ids = {i.worker[0] for i in items if i.worker is not None}
        async with self._store.read() as conn:
            earlier = await repo.lookup_keys(conn, agency, hashes.values(), self.upload.id)
            placements = await repo.lookup_placements(conn, agency, assignments, self.upload.id)
            workers = await repo.lookup_workers(conn, agency, worker_ids, self.upload.id)
        now = self._clock()
        for item in items:
            draft = item.draft
            assert draft is not None
            problem = self._placement_problem(draft, placements)
            if problem is not None:
                self._reject(chunk, item, [Issue(item.location, *problem)])
                continue
            key_hash = hashes.get(id(item))
            value_hash = _value_hash(draft.data)
            supersedes: str | None = None
            before = earlier.get(key_hash) if key_hash else None
            if before is not None and key_hash is not None:
                if before.value_hash == value_hash:
                    self.counts.rows_duplicate += 1
                    continue
                corrects = item.correction or (
                    item.timecard_id is not None and before.timecard_id == item.timecard_id
                )
                if not corrects:
                    self._quarantine(chunk, item, draft, key_hash, before.message_id, now)
                    continue
                supersedes = before.message_id
                draft = self._correction_draft(item, draft, placements)
                if draft is None:  # a placement correction that changes nothing
                    self.counts.rows_duplicate += 1
                    continue
                self.counts.rows_corrected += 1
            self.counts.rows_accepted += 1
            if not build or self.failing:
                continue
            records = self._events.build(
                [draft],
                sender=self.upload.sender,
                content_hash=self.upload.content_hash,
                received_at=self.upload.received_at,
                first_index=item.index,
                supersedes=[supersedes]
                if supersedes and draft.event is not PlacementChanged
                else (),
            )
            self.counts.messages += len(records)
            chunk.messages.extend(self._message_tuple(r, now) for r in records)
            message_id = records[0].id if records else None
            if key_hash is not None:
                earlier[key_hash] = repo.EarlierRow(
                    value_hash, message_id, item.timecard_id, self.upload.id
                )
                chunk.keys.append(
                    (
                        agency,
                        key_hash,
                        self.upload.id,
                        value_hash,
                        message_id,
                        item.timecard_id,
                        item.line,
                    )
                )
            state = self._placement_state(item, placements)
            if state is not None:
                placements[state.assignment_id] = state.known
                chunk.placements.append(state.row(agency, self.upload.id))
            if item.worker is not None and workers.get(item.worker[0]) != item.worker[1]:
                workers[item.worker[0]] = item.worker[1]
                chunk.workers.append(
                    {
                        "agency_kvk": agency,
                        "worker_id": item.worker[0],
                        "bsn": item.worker[1],
                        "upload_id": self.upload.id,
                    }
                )

    # --- row rules -------------------------------------------------------------------------
    def _placement_problem(
        self, draft: Draft, placements: dict[str, repo.KnownPlacement]
    ) -> tuple[str, str] | None:
        data = draft.data
        if isinstance(data, HoursReportedData):
            period: tuple[date, date] | None = (data.period.start, data.period.end)
        elif isinstance(data, EarningsReportedData):
            pay = data.pay_period.period
            period = (pay.start, pay.end) if pay is not None else None
        else:
            return None
        aid = _assignment_of(draft)
        known = placements.get(aid) if aid else None
        if known is None:
            if self._require_placement:
                return ("unknown_placement", f"placement {aid!r} is not known; send it first")
            return None
        if known.bsn != data.bsn:
            return ("placement_person_mismatch", f"placement {aid!r} belongs to another person")
        if period is not None and (
            period[0] < known.start_date
            or (known.end_date is not None and period[1] > known.end_date)
        ):
            until = known.end_date.isoformat() if known.end_date else "open end"
            return (
                "outside_placement",
                f"the period {period[0]}..{period[1]} lies outside placement {aid!r} "
                f"({known.start_date}..{until})",
            )
        return None

    def _correction_draft(
        self, item: Item, draft: Draft, placements: dict[str, repo.KnownPlacement]
    ) -> Draft | None:
        data = draft.data
        if draft.event is PlacementStarted and isinstance(data, PlacementStartedData):
            known = placements.get(data.assignment_id)
            previous = known.state if known is not None else None
            if previous is None:
                return draft
            change = placement_change(previous, data)
            if change is None:
                return None
            return Draft(PlacementChanged, change, draft.occurred_at, draft.origin)
        if isinstance(data, HoursReportedData) and item.timecard_id and not data.correction_of:
            return Draft(
                draft.event,
                data.model_copy(update={"correction_of": item.timecard_id}),
                draft.occurred_at,
                draft.origin,
            )
        return draft

    def _placement_state(
        self, item: Item, placements: dict[str, repo.KnownPlacement]
    ) -> _PlacementState | None:
        if item.placement_state is not None:
            return _PlacementState.of(item.placement_state)
        data = item.draft.data if item.draft is not None else None
        if not isinstance(data, PlacementStartedData):
            return None
        known = placements.get(data.assignment_id)
        merged = {
            **(known.state if known is not None else {}),
            **data.model_dump(mode="json", exclude_none=True),
        }
        return _PlacementState.of(merged)

    def _quarantine(
        self,
        chunk: _Chunk,
        item: Item,
        draft: Draft,
        key_hash: str,
        conflicts_with: str | None,
        now: datetime,
    ) -> None:
        self.counts.rows_quarantined += 1
        issue = Issue(
            item.location,
            "conflict",
            "this row repeats an earlier row's person, placement, period and kind with other "
            "values; it is held in quarantine. Mark it as a correction if the new values apply",
        )
        self._error_rows(chunk, item.line, [issue])
        chunk.quarantine.append(
            {
                "upload_id": self.upload.id,
                "agency_kvk": self.upload.agency_kvk,
                "line": item.line,
                "location": item.location,
                "key_hash": key_hash,
                "conflicts_with": conflicts_with,
                "type": draft.event.short_type,
                "value": draft.data.model_dump_json(exclude_none=True).encode("utf-8"),
                "state": "held",
                "created_at": now,
            }
        )

    def _key_hash(self, key: tuple[str, ...]) -> str:
        # The BSN (second part) enters as its pseudonymous person key, never in the clear.
        parts = [self.upload.agency_kvk, key[0], self._events.person_key(key[1]), *key[2:]]
        return hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()

    def _message_tuple(self, record: OutboxRecord, now: datetime) -> tuple[Any, ...]:
        return (
            record.id,
            self.upload.id,
            self.upload.sender,
            record.type,
            record.topic,
            record.key,
            record.headers,
            record.value,
            repo.STAGED,
            0,
            now,
            record.supersedes,
        )

    async def _write(self, chunk: _Chunk) -> None:
        write_messages = not self.failing
        async with self._store.write() as conn:
            if write_messages:
                await repo.MESSAGES.insert(conn, chunk.messages)
                await repo.KEYS.insert(conn, chunk.keys)
                await repo.insert_placements(conn, chunk.placements)
                await repo.insert_workers(conn, chunk.workers)
                await repo.insert_quarantine(conn, chunk.quarantine)
            await repo.ERRORS.insert(conn, chunk.errors)
            await repo.save_counts(conn, self.upload.id, self.counts)

    # --- the end ---------------------------------------------------------------------------
    def settlement(self) -> Settlement:
        c = self.counts
        if self._fatal is not None:
            return Settlement("rejected", self._fatal.code, self._fatal.message)
        if c.rows_read == 0:
            return Settlement("rejected", "empty_file", "the file holds no rows")
        kept = c.rows_accepted + c.rows_duplicate
        problems = c.rows_rejected + c.rows_quarantined
        if c.rows_rejected and self._all_or_nothing:
            return Settlement(
                "rejected",
                "invalid_rows",
                f"{c.rows_rejected} row(s) have errors; nothing of this file was published",
            )
        if c.rows_rejected and kept == 0:
            return Settlement("rejected", "invalid_rows", "no row of this file is valid")
        if problems:
            return Settlement(
                "partially_accepted",
                None,
                f"{c.rows_rejected} row(s) rejected, {c.rows_quarantined} quarantined",
            )
        return Settlement("accepted", None, self.note or None)


@dataclass(frozen=True, slots=True)
class _PlacementState:
    assignment_id: str
    known: repo.KnownPlacement

    @classmethod
    def of(cls, state: dict[str, Any]) -> _PlacementState:
        start = date.fromisoformat(str(state["start_date"]))
        end = date.fromisoformat(str(state["end_date"])) if state.get("end_date") else None
        return cls(
            str(state["assignment_id"]),
            repo.KnownPlacement(str(state["bsn"]), start, end, state),
        )

    def row(self, agency: str, upload_id: str) -> dict[str, Any]:
        return {
            "agency_kvk": agency,
            "assignment_id": self.assignment_id,
            "bsn": self.known.bsn,
            "start_date": self.known.start_date,
            "end_date": self.known.end_date,
            "state": self.known.state,
            "upload_id": upload_id,
        }


def _assignment_of(draft: Draft | None) -> str | None:
    if draft is None:
        return None
    value = getattr(draft.data, "assignment_id", None)
    return value if isinstance(value, str) and value else None


_NOT_VALUES = frozenset({"timecard_id", "correction_of"})


def _value_hash(data: BaseModel) -> str:
    """What the row says, without the identity of the document that said it."""
    exclude = set(_NOT_VALUES) if isinstance(data, HoursReportedData) else None
    text = data.model_dump_json(exclude_none=True, exclude=exclude)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _error_tuple(upload_id: str, line: int | None, issue: Issue) -> tuple[Any, ...]:
    return (
        upload_id,
        line,
        issue.where,
        issue.field,
        issue.value,
        issue.code,
        dutch(issue.code),
        issue.message,
    )
