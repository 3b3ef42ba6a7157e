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

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

import structlog

from adapters.base import Draft, Issue
from adapters.placements import placement_change
from adapters.texts import dutch
from gateway.events import OutboxRecord
from gateway.states import InboundState, MessageState, QuarantineState
from gateway.store import Store
from gateway.uploads import repo
from gateway.uploads.model import Counts, Upload
from gateway.uploads.prepare import Prepared, Preparer
from schemas.payroll import HoursReportedData
from schemas.placement import PlacementChanged, PlacementStartedData
from schemas.registry import BY_SHORT_TYPE, data_model

__all__ = ["Settlement", "Stager"]

log = structlog.get_logger(__name__)


@dataclass(frozen=True, slots=True)
class Settlement:
    state: InboundState
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
        preparer: Preparer,
        upload: Upload,
        require_placement: bool = False,
        max_errors: int = 1_000_000,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._store = store
        self.preparer = preparer
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
        """Nothing more will be published from this file."""
        return self._fatal is not None or (self._all_or_nothing and self.counts.rows_rejected > 0)

    # --- chunks ----------------------------------------------------------------------------
    async def add(self, rows: Sequence[Prepared], *, bytes_read: int) -> None:
        chunk = _Chunk()
        self.counts.rows_read += len(rows)
        self.counts.bytes_read = bytes_read
        valid: list[Prepared] = []
        for row in rows:
            if row.issues:
                self._reject(chunk, row, row.issues)
            elif row.record is not None:
                valid.append(row)
        if valid:
            # Even when the file is rejected already, each row is still checked against what
            # is known, so that the report lists every bad row.
            await self._classify(chunk, valid)
        await self._write(chunk)

    async def file_error(self, issues: Sequence[Issue]) -> None:
        """The file as a whole cannot be read further (encoding, structure, unknown format)."""
        self._fatal = issues[0]
        chunk = _Chunk()
        self._error_rows(chunk, None, issues)
        await self._write(chunk)

    def _reject(self, chunk: _Chunk, row: Prepared, issues: Sequence[Issue]) -> None:
        self.counts.rows_rejected += 1
        self._error_rows(chunk, row.line, issues)

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

    async def _classify(self, chunk: _Chunk, rows: Sequence[Prepared]) -> None:
        agency = self.upload.agency_kvk
        me = self.upload.id
        async with self._store.read() as conn:
            earlier = await repo.lookup_keys(
                conn, agency, (r.key_hash for r in rows if r.key_hash), me
            )
            placements = await repo.lookup_placements(
                conn, agency, (r.assignment_id for r in rows if r.assignment_id), me
            )
            workers = await repo.lookup_workers(
                conn, agency, (r.worker[0] for r in rows if r.worker), me
            )
        now = self._clock()
        for row in rows:
            record = row.record
            assert record is not None
            problem = self._placement_problem(row, placements)
            if problem is not None:
                self._reject(chunk, row, [Issue(row.location, *problem)])
                continue
            key_hash = row.key_hash
            before = earlier.get(key_hash) if key_hash else None
            if before is not None and key_hash is not None:
                if before.value_hash == row.value_hash:
                    self.counts.rows_duplicate += 1
                    continue
                corrects = row.correction or (
                    row.timecard_id is not None and before.timecard_id == row.timecard_id
                )
                if not corrects:
                    self._quarantine(chunk, row, record, key_hash, before.message_id, now)
                    continue
                replaced = self._correction(row, record, before.message_id, placements)
                if replaced is None:  # a placement correction that changes nothing
                    self.counts.rows_duplicate += 1
                    continue
                record = replaced
                self.counts.rows_corrected += 1
            self.counts.rows_accepted += 1
            # Keys, placements and workers are kept even once the file is failing: later rows
            # are still checked against them (they count only if the upload is accepted).
            if not self.failing:
                self.counts.messages += 1
                chunk.messages.append(self._message_tuple(record, now))
            if key_hash is not None and row.value_hash is not None:
                earlier[key_hash] = repo.EarlierRow(row.value_hash, record.id, row.timecard_id, me)
                chunk.keys.append(
                    (agency, key_hash, me, row.value_hash, record.id, row.timecard_id, row.line)
                )
            if row.placement is not None:
                state = self._placement_state(row.placement, placements)
                placements[state.assignment_id] = state.known
                chunk.placements.append(state.row(agency, me))
            if row.worker is not None and workers.get(row.worker[0]) != row.worker[1]:
                workers[row.worker[0]] = row.worker[1]
                chunk.workers.append(
                    {
                        "agency_kvk": agency,
                        "worker_id": row.worker[0],
                        "bsn": row.worker[1],
                        "upload_id": me,
                    }
                )

    # --- row rules -------------------------------------------------------------------------
    def _placement_problem(
        self, row: Prepared, placements: dict[str, repo.KnownPlacement]
    ) -> tuple[str, str] | None:
        if row.record is None or row.record.type not in ("hours.reported", "earnings.reported"):
            return None
        aid = row.assignment_id
        known = placements.get(aid) if aid else None
        if known is None:
            if self._require_placement:
                return ("unknown_placement", f"placement {aid!r} is not known; send it first")
            return None
        if known.bsn != row.bsn:
            return ("placement_person_mismatch", f"placement {aid!r} belongs to another person")
        period = row.period
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

    def _correction(
        self,
        row: Prepared,
        record: OutboxRecord,
        replaces: str | None,
        placements: dict[str, repo.KnownPlacement],
    ) -> OutboxRecord | None:
        """The record a correction publishes instead: ``placement.changed`` for a placement,
        otherwise the same message carrying ``supersedes`` (and ``correction_of``)."""
        event = BY_SHORT_TYPE[record.type]
        data = data_model(event).model_validate_json(record.value)
        if isinstance(data, PlacementStartedData):
            known = placements.get(data.assignment_id)
            if known is None:
                return record
            change = placement_change(known.state, data)
            if change is None:
                return None
            return self.preparer.record(Draft(PlacementChanged, change), row.index)
        if isinstance(data, HoursReportedData) and row.timecard_id and not data.correction_of:
            data = data.model_copy(update={"correction_of": row.timecard_id})
        return self.preparer.record(Draft(event, data), row.index, supersedes=replaces)

    def _placement_state(
        self, state: dict[str, Any], placements: dict[str, repo.KnownPlacement]
    ) -> _PlacementState:
        known = placements.get(str(state["assignment_id"]))
        merged = {**(known.state if known is not None else {}), **state}
        return _PlacementState.of(merged)

    def _quarantine(
        self,
        chunk: _Chunk,
        row: Prepared,
        record: OutboxRecord,
        key_hash: str,
        conflicts_with: str | None,
        now: datetime,
    ) -> None:
        self.counts.rows_quarantined += 1
        issue = Issue(
            row.location,
            "conflict",
            "this row repeats an earlier row's person, placement, period and kind with other "
            "values; it is held in quarantine. Mark it as a correction if the new values apply",
        )
        self._error_rows(chunk, row.line, [issue])
        chunk.quarantine.append(
            {
                "upload_id": self.upload.id,
                "agency_kvk": self.upload.agency_kvk,
                "line": row.line,
                "location": row.location,
                "key_hash": key_hash,
                "conflicts_with": conflicts_with,
                "type": record.type,
                "value": record.value,
                "state": QuarantineState.HELD,
                "created_at": now,
            }
        )

    def _message_tuple(self, record: OutboxRecord, now: datetime) -> tuple[Any, ...]:
        return (
            record.id,
            self.upload.id,
            self.upload.sender,
            record.type,
            record.topic,
            record.key,
            record.source,
            record.event_time,
            record.value,
            MessageState.STAGED,
            0,
            now,
            record.supersedes,
        )

    async def _write(self, chunk: _Chunk) -> None:
        async with self._store.write() as conn:
            if not self.failing:
                await repo.MESSAGES.insert(conn, chunk.messages)
                await repo.insert_quarantine(conn, chunk.quarantine)
            await repo.KEYS.insert(conn, chunk.keys)
            await repo.insert_placements(conn, chunk.placements)
            await repo.insert_workers(conn, chunk.workers)
            await repo.ERRORS.insert(conn, chunk.errors)
            await repo.save_counts(conn, self.upload.id, self.counts)

    # --- the end ---------------------------------------------------------------------------
    def settlement(self) -> Settlement:
        c = self.counts
        if self._fatal is not None:
            return Settlement(InboundState.REJECTED, self._fatal.code, self._fatal.message)
        if c.rows_read == 0:
            return Settlement(InboundState.REJECTED, "empty_file", "the file holds no rows")
        kept = c.rows_accepted + c.rows_duplicate
        if c.rows_rejected and self._all_or_nothing:
            return Settlement(
                InboundState.REJECTED,
                "invalid_rows",
                f"{c.rows_rejected} row(s) have errors; nothing of this file was published",
            )
        if c.rows_rejected and kept == 0:
            return Settlement(InboundState.REJECTED, "invalid_rows", "no row of this file is valid")
        if c.rows_rejected or c.rows_quarantined:
            return Settlement(
                InboundState.PARTIALLY_ACCEPTED,
                None,
                f"{c.rows_rejected} row(s) rejected, {c.rows_quarantined} quarantined",
            )
        return Settlement(InboundState.ACCEPTED, None, self.note or None)


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
