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

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

import orjson
import structlog

from adapters.base import Draft, Issue
from adapters.corrections import CorrectionRefused, apply_delta
from adapters.placements import change_event, placement_change
from adapters.texts import dutch
from gateway.events import OutboxRecord
from gateway.states import InboundState, MessageState, QuarantineState
from gateway.store import Store
from gateway.uploads import repo
from gateway.uploads.model import Counts, Upload
from gateway.uploads.prepare import Prepared, Preparer
from gateway.value_hash import value_hash
from schemas.payroll import HoursReportedData
from schemas.placement import PlacementStartedData
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
        for issue in issues:
            self._error_rows(chunk, _line_of(issue.where), [issue])
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
            # What signed corrections add to: earlier rows of their keys (this chunk's own
            # records are added to ``values`` as they are made).
            values = await repo.message_values(
                conn,
                (
                    earlier[r.key_hash].message_id or ""
                    for r in rows
                    if r.delta is not None and r.key_hash in earlier
                ),
            )
        now = self._clock()
        for row in rows:
            record = row.record
            assert record is not None
            problem = self._placement_problem(row, placements)
            if problem is not None:
                self._reject(chunk, row, [problem])
                continue
            key_hash = row.key_hash
            before = earlier.get(key_hash) if key_hash else None
            value_hash = row.value_hash
            if row.delta is not None:
                netted = self._net(chunk, row, record, before, values)
                if netted is None:
                    continue
                record, value_hash = netted
            if before is not None and key_hash is not None:
                if before.value_hash == value_hash:
                    self.counts.rows_duplicate += 1
                    continue
                if row.delta is not None:
                    # Netted above: the record already supersedes the earlier message.
                    self.counts.rows_corrected += 1
                elif row.correction or (
                    row.timecard_id is not None and before.timecard_id == row.timecard_id
                ):
                    replaced = self._correction(row, record, before.message_id, placements)
                    if replaced is None:  # a placement correction that changes nothing
                        self.counts.rows_duplicate += 1
                        continue
                    record = replaced
                    self.counts.rows_corrected += 1
                else:
                    previous = values.get(before.message_id or "")
                    if previous is None and before.message_id:
                        async with self._store.read() as conn:
                            found = await repo.message_values(conn, [before.message_id])
                        previous = found.get(before.message_id)
                    self._quarantine(chunk, row, record, key_hash, before.message_id, now, previous)
                    continue
            self.counts.rows_accepted += 1
            # Keys, placements and workers are kept even once the file is failing: later rows
            # are still checked against them (they count only if the upload is accepted).
            if not self.failing:
                self.counts.messages += 1
                chunk.messages.append(self._message_tuple(record, now))
            if key_hash is not None and value_hash is not None:
                earlier[key_hash] = repo.EarlierRow(value_hash, record.id, row.timecard_id, me)
                values[record.id] = record.value
                chunk.keys.append(
                    (agency, key_hash, me, value_hash, record.id, row.timecard_id, row.line)
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
    def _net(
        self,
        chunk: _Chunk,
        row: Prepared,
        record: OutboxRecord,
        before: repo.EarlierRow | None,
        values: dict[str, bytes],
    ) -> tuple[OutboxRecord, str] | None:
        """A signed correction row as its new complete values (earlier + differences), the
        record that publishes them (superseding the earlier message) and its value hash; or
        None when the result is impossible (the row is rejected)."""
        assert row.delta is not None
        event = BY_SHORT_TYPE[record.type]
        model = data_model(event)
        data = model.model_validate_json(record.value)
        previous = values.get(before.message_id or "") if before is not None else None
        earlier = model.model_validate_json(previous) if previous is not None else None
        try:
            net = apply_delta(data, earlier, row.delta)
        except CorrectionRefused as exc:
            column = row.columns.get(exc.field, exc.field)
            self._reject(chunk, row, [Issue(row.location, exc.code, exc.message, field=column)])
            return None
        supersedes = before.message_id if before is not None else None
        netted = self.preparer.record(Draft(event, net), row.index, supersedes=supersedes)
        return netted, value_hash(net, netted)

    def _placement_problem(
        self, row: Prepared, placements: dict[str, repo.KnownPlacement]
    ) -> Issue | None:
        if row.record is None or row.record.type not in ("hours.reported", "earnings.reported"):
            return None
        aid = row.assignment_id
        known = placements.get(aid) if aid else None
        column = row.columns.get("assignment_id")
        if known is None:
            if self._require_placement:
                return Issue(
                    row.location,
                    "unknown_placement",
                    f"placement {aid!r} is not known; send it first",
                    field=column,
                    value=aid,
                )
            return None
        if known.bsn != row.bsn:
            return Issue(
                row.location,
                "placement_person_mismatch",
                f"placement {aid!r} belongs to another person",
                field=column,
                value=aid,
            )
        period = row.period
        if period is not None and (
            period[0] < known.start_date
            or (known.end_date is not None and period[1] > known.end_date)
        ):
            until = known.end_date.isoformat() if known.end_date else "open end"
            outside = "start" if period[0] < known.start_date else "end"
            return Issue(
                row.location,
                "outside_placement",
                f"the period {period[0]}..{period[1]} lies outside placement {aid!r} "
                f"({known.start_date}..{until})",
                field=_period_column(row.columns, outside),
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
            return self.preparer.record(Draft(change_event(change), change), row.index)
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
        previous: bytes | None = None,
    ) -> None:
        self.counts.rows_quarantined += 1
        differing = _differences(previous, record.value) if previous is not None else []
        named = [row.columns.get(name, name) for name, _ in differing]
        issue = Issue(
            row.location,
            "conflict",
            "this row repeats an earlier row's person, placement, period and kind with other "
            + (f"values ({', '.join(named)})" if named else "values")
            + "; it is held in quarantine. Mark it as a correction if the new values apply",
            field=", ".join(named) or None,
            value=differing[0][1] if differing else None,
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


#: Canonical JSON member (``lines[0]`` flattened) -> the profile's canonical field.
_FIELD_OF = {
    "kind": "hour_kind",
    "source_type": "hour_kind",
    "multiplier_percent": "multiplier",
    "client.name": "client_name",
    "client.kvk": "client_kvk",
}


def _differences(before: bytes, after: bytes) -> list[tuple[str, str]]:
    """(canonical field, new value) of every value in which two versions of a row differ."""
    old, new = _flat(orjson.loads(before)), _flat(orjson.loads(after))
    found: dict[str, str] = {}
    for name in sorted(set(old) | set(new)):
        if old.get(name) != new.get(name):
            found.setdefault(_FIELD_OF.get(name, name), str(new.get(name, "")))
    return list(found.items())


def _flat(value: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for name, member in value.items():
        if name == "lines" and isinstance(member, list) and len(member) == 1:
            member = member[0]
            name = ""
        key = f"{prefix}{name}"
        if isinstance(member, dict) and name != "period":
            flat.update(_flat(member, f"{key}." if key else ""))
        else:
            flat[key] = member
    return flat


def _period_column(columns: Mapping[str, str], side: str) -> str | None:
    """The column that holds the start (or end) of a row's period, as the agency names it."""
    names = ("work_date", f"period_{side}", "period_number", "period_start")
    return next((columns[n] for n in names if n in columns), None)


def _line_of(where: str) -> int | None:
    """The file line a file-level issue names (``line 12``), if any."""
    number = where.removeprefix("line ")
    return int(number) if number != where and number.isdigit() else None


def _error_tuple(upload_id: str, line: int | None, issue: Issue) -> tuple[Any, ...]:
    return (
        upload_id,
        line if line is not None else issue.line,
        issue.where,
        issue.field,
        issue.value,
        issue.code,
        dutch(issue.code),
        issue.message,
    )
