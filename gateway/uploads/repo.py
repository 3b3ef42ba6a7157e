"""Queries of the upload pipeline: the upload row, its errors, business keys, quarantine,
known placements and workers, and the staged messages of the outbox."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Row, Table, and_, delete, func, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from gateway.states import IllegalTransition, InboundState, MessageState, can_move_inbound
from gateway.store.bulk import BulkInsert, one_of
from gateway.store.history import Event, record_event
from gateway.store.intake_repo import MESSAGE_INSERT
from gateway.store.tables import (
    inbound,
    messages,
    upload_errors,
    upload_keys,
    upload_placements,
    upload_quarantine,
    upload_workers,
    uploads,
)
from gateway.uploads.model import ACCEPTED_STATES, FINAL_STATES, Counts, Upload

__all__ = [
    "ERRORS",
    "KEYS",
    "EarlierRow",
    "KnownPlacement",
    "count_published",
    "discard_work",
    "find_by_hash",
    "flip_staged",
    "get_upload",
    "insert_placements",
    "insert_quarantine",
    "insert_upload",
    "insert_workers",
    "lookup_keys",
    "lookup_placements",
    "lookup_workers",
    "message_values",
    "next_received",
    "read_errors",
    "save_counts",
    "set_state",
    "staged_seq_range",
    "unfinished_uploads",
    "uploads_with_staged",
]

#: The outbox insert shared with the intake (same columns, same driver-level executemany).
MESSAGES = MESSAGE_INSERT
KEYS = BulkInsert(
    upload_keys,
    ("agency_kvk", "key_hash", "upload_id", "value_hash", "message_id", "timecard_id", "line"),
)
ERRORS = BulkInsert(
    upload_errors,
    ("upload_id", "line", "location", "column_name", "value", "code", "message_nl", "message_en"),
)


@dataclass(frozen=True, slots=True)
class EarlierRow:
    value_hash: str
    message_id: str | None
    timecard_id: str | None
    upload_id: str


@dataclass(frozen=True, slots=True)
class KnownPlacement:
    bsn: str
    start_date: date
    end_date: date | None
    state: dict[str, Any]


_UPLOAD_COLUMNS = (
    uploads.c.id,
    uploads.c.sender,
    uploads.c.agency_kvk,
    uploads.c.channel,
    uploads.c.format,
    uploads.c.profile,
    uploads.c.file_name,
    uploads.c.content_hash,
    uploads.c.state,
    uploads.c.policy,
    uploads.c.size,
    uploads.c.received_at,
    uploads.c.started_at,
    uploads.c.finished_at,
    uploads.c.error_code,
    uploads.c.detail,
    uploads.c.report_dir,
    uploads.c.bytes_read,
    uploads.c.rows_read,
    uploads.c.rows_accepted,
    uploads.c.rows_rejected,
    uploads.c.rows_duplicate,
    uploads.c.rows_quarantined,
    uploads.c.rows_corrected,
    uploads.c.messages,
    uploads.c.errors,
    inbound.c.payload_path,
)


def _upload(row: Any) -> Upload:
    m = row._mapping
    return Upload(
        id=m["id"],
        sender=m["sender"],
        agency_kvk=m["agency_kvk"],
        channel=m["channel"],
        format=m["format"],
        profile=m["profile"],
        file_name=m["file_name"],
        content_hash=m["content_hash"],
        state=m["state"],
        policy=m["policy"],
        size=int(m["size"]),
        received_at=m["received_at"],
        started_at=m["started_at"],
        finished_at=m["finished_at"],
        error_code=m["error_code"],
        detail=m["detail"],
        report_dir=m["report_dir"],
        payload_path=m["payload_path"] or "",
        counts=Counts(
            bytes_read=int(m["bytes_read"]),
            rows_read=int(m["rows_read"]),
            rows_accepted=int(m["rows_accepted"]),
            rows_rejected=int(m["rows_rejected"]),
            rows_duplicate=int(m["rows_duplicate"]),
            rows_quarantined=int(m["rows_quarantined"]),
            rows_corrected=int(m["rows_corrected"]),
            messages=int(m["messages"]),
            errors=int(m["errors"]),
        ),
    )


def _select_uploads() -> Any:
    return select(*_UPLOAD_COLUMNS).select_from(uploads.join(inbound, inbound.c.id == uploads.c.id))


# --- the upload row --------------------------------------------------------------------------
async def insert_upload(conn: AsyncConnection, upload: Upload) -> None:
    """The ``uploads`` row; the ``inbound`` row with the same id must exist already."""
    await conn.execute(
        insert(uploads).values(
            id=upload.id,
            sender=upload.sender,
            agency_kvk=upload.agency_kvk,
            channel=upload.channel,
            format=upload.format,
            profile=upload.profile,
            file_name=upload.file_name,
            content_hash=upload.content_hash,
            dedupe_hash=upload.content_hash,
            state=upload.state,
            policy=upload.policy,
            size=upload.size,
            received_at=upload.received_at,
            report_dir=upload.report_dir,
            **upload.counts.as_columns(),
        )
    )


async def get_upload(conn: AsyncConnection, upload_id: str) -> Upload | None:
    row = (await conn.execute(_select_uploads().where(uploads.c.id == upload_id))).first()
    return None if row is None else _upload(row)


async def find_by_hash(conn: AsyncConnection, agency_kvk: str, content_hash: str) -> Upload | None:
    """The upload of this file by this agency that was not rejected, if any."""
    row = (
        await conn.execute(
            _select_uploads().where(
                uploads.c.agency_kvk == agency_kvk, uploads.c.dedupe_hash == content_hash
            )
        )
    ).first()
    return None if row is None else _upload(row)


async def unfinished_uploads(conn: AsyncConnection) -> list[str]:
    rows = await conn.execute(
        select(uploads.c.id)
        .where(uploads.c.state.in_((InboundState.RECEIVED, InboundState.VALIDATING)))
        .order_by(uploads.c.received_at)
    )
    return [str(r[0]) for r in rows]


async def next_received(conn: AsyncConnection) -> str | None:
    """The oldest upload waiting to be processed."""
    found = await conn.scalar(
        select(uploads.c.id)
        .where(uploads.c.state == InboundState.RECEIVED)
        .order_by(uploads.c.received_at)
        .limit(1)
    )
    return None if found is None else str(found)


async def uploads_with_staged(conn: AsyncConnection) -> list[str]:
    """Accepted uploads whose messages were not all released (a stop during the release)."""
    rows = await conn.execute(
        select(uploads.c.id).where(
            uploads.c.state.in_(ACCEPTED_STATES),
            select(messages.c.seq)
            .where(messages.c.inbound_id == uploads.c.id, messages.c.state == MessageState.STAGED)
            .exists(),
        )
    )
    return [str(r[0]) for r in rows]


async def set_state(
    conn: AsyncConnection,
    upload_id: str,
    state: InboundState,
    *,
    at: datetime,
    actor: str,
    error_code: str | None = None,
    detail: str | None = None,
    started: bool = False,
) -> None:
    current = await conn.scalar(select(uploads.c.state).where(uploads.c.id == upload_id))
    if current is None:
        raise IllegalTransition(f"upload {upload_id} does not exist")
    # Checked before anything is written (the history writer would only catch it last).
    if state != current and not can_move_inbound(current, state):
        raise IllegalTransition(f"upload {upload_id}: {current} -> {state} is not allowed")
    values: dict[str, Any] = {"state": state, "error_code": error_code, "detail": detail}
    if started:
        values["started_at"] = at
    if state in FINAL_STATES:
        values["finished_at"] = at
    if state == InboundState.REJECTED:
        values["dedupe_hash"] = None
    if state == InboundState.RECEIVED:
        values |= {"started_at": None, **Counts().as_columns()}
    await conn.execute(update(uploads).where(uploads.c.id == upload_id).values(**values))
    inbound_values: dict[str, Any] = {"state": state, "error_code": error_code}
    if state == InboundState.REJECTED:
        inbound_values["dedupe_hash"] = None
    await conn.execute(update(inbound).where(inbound.c.id == upload_id).values(**inbound_values))
    await record_event(
        conn,
        Event(
            state,
            at,
            actor,
            inbound_id=upload_id,
            code=error_code,
            detail=detail,
            moved_from=None if state == current else current,
        ),
    )


async def save_counts(conn: AsyncConnection, upload_id: str, counts: Counts) -> None:
    await conn.execute(
        update(uploads).where(uploads.c.id == upload_id).values(**counts.as_columns())
    )


async def count_published(conn: AsyncConnection, upload_id: str) -> int:
    return int(
        await conn.scalar(
            select(func.count())
            .select_from(messages)
            .where(messages.c.inbound_id == upload_id, messages.c.state == MessageState.PUBLISHED)
        )
        or 0
    )


# --- errors ----------------------------------------------------------------------------------
async def read_errors(
    conn: AsyncConnection, upload_id: str, *, after: int, limit: int
) -> list[tuple[int, dict[str, Any]]]:
    rows = await conn.execute(
        select(
            upload_errors.c.seq,
            upload_errors.c.line,
            upload_errors.c.location,
            upload_errors.c.column_name,
            upload_errors.c.value,
            upload_errors.c.code,
            upload_errors.c.message_nl,
            upload_errors.c.message_en,
        )
        .where(upload_errors.c.upload_id == upload_id, upload_errors.c.seq > after)
        .order_by(upload_errors.c.seq)
        .limit(limit)
    )
    return [
        (
            int(r.seq),
            {
                "line": r.line,
                "location": r.location,
                "column": r.column_name,
                "value": r.value,
                "code": r.code,
                "message_nl": r.message_nl,
                "message_en": r.message_en,
            },
        )
        for r in rows
    ]


# --- what the agency delivered before --------------------------------------------------------
def _visible(upload_id_column: Any, me: str) -> Any:
    """Rows of accepted uploads, and of the upload being processed."""
    accepted = select(uploads.c.id).where(uploads.c.state.in_(ACCEPTED_STATES))
    return or_(upload_id_column == me, upload_id_column.in_(accepted))


@dataclass(frozen=True, slots=True)
class _Earlier:
    """One kind of thing an agency delivered before, found by its key (``key`` column)."""

    table: Table
    key: str
    columns: tuple[str, ...]

    async def latest(
        self, conn: AsyncConnection, agency_kvk: str, wanted: Iterable[str], me: str
    ) -> dict[str, Row[Any]]:
        """The latest row (by ``seq``) per key, of accepted uploads and of this one (``me``);
        keys not found are left out."""
        values = sorted(set(wanted))
        if not values:
            return {}
        c = self.table.c
        rows = await conn.execute(
            select(c[self.key], *(c[name] for name in self.columns))
            .where(
                c.agency_kvk == agency_kvk,
                one_of(conn, c[self.key], values),
                _visible(c.upload_id, me),
            )
            .order_by(c.seq)
        )
        return {row[0]: row for row in rows}


_KEYS = _Earlier(upload_keys, "key_hash", ("value_hash", "message_id", "timecard_id", "upload_id"))
_PLACEMENTS = _Earlier(
    upload_placements, "assignment_id", ("bsn", "start_date", "end_date", "state")
)
_WORKERS = _Earlier(upload_workers, "worker_id", ("bsn",))


async def lookup_keys(
    conn: AsyncConnection, agency_kvk: str, key_hashes: Iterable[str], me: str
) -> dict[str, EarlierRow]:
    found = await _KEYS.latest(conn, agency_kvk, key_hashes, me)
    return {
        k: EarlierRow(r.value_hash, r.message_id, r.timecard_id, r.upload_id)
        for k, r in found.items()
    }


async def message_values(conn: AsyncConnection, ids: Iterable[str]) -> dict[str, bytes]:
    """Message id -> canonical JSON value: the earlier rows a signed correction adds to."""
    wanted = sorted(set(ids))
    if not wanted:
        return {}
    rows = await conn.execute(
        select(messages.c.id, messages.c.value).where(one_of(conn, messages.c.id, wanted))
    )
    return {r.id: bytes(r.value) for r in rows}


async def lookup_placements(
    conn: AsyncConnection, agency_kvk: str, assignment_ids: Iterable[str], me: str
) -> dict[str, KnownPlacement]:
    found = await _PLACEMENTS.latest(conn, agency_kvk, assignment_ids, me)
    return {
        k: KnownPlacement(r.bsn, r.start_date, r.end_date, dict(r.state)) for k, r in found.items()
    }


async def lookup_workers(
    conn: AsyncConnection, agency_kvk: str, worker_ids: Iterable[str], me: str
) -> dict[str, str]:
    found = await _WORKERS.latest(conn, agency_kvk, worker_ids, me)
    return {k: r.bsn for k, r in found.items()}


async def insert_placements(conn: AsyncConnection, rows: Sequence[dict[str, Any]]) -> None:
    if rows:
        await conn.execute(insert(upload_placements), list(rows))


async def insert_workers(conn: AsyncConnection, rows: Sequence[dict[str, Any]]) -> None:
    if rows:
        await conn.execute(insert(upload_workers), list(rows))


async def insert_quarantine(conn: AsyncConnection, rows: Sequence[dict[str, Any]]) -> None:
    if rows:
        await conn.execute(insert(upload_quarantine), list(rows))


# --- staged messages and clean-up ------------------------------------------------------------
async def staged_seq_range(conn: AsyncConnection, upload_id: str) -> tuple[int, int] | None:
    row = (
        await conn.execute(
            select(func.min(messages.c.seq), func.max(messages.c.seq)).where(
                messages.c.inbound_id == upload_id, messages.c.state == MessageState.STAGED
            )
        )
    ).one()
    if row[0] is None:
        return None
    return int(row[0]), int(row[1])


async def flip_staged(conn: AsyncConnection, upload_id: str, low: int, high: int) -> int:
    """Staged messages of the upload with ``low <= seq <= high`` become ``queued``."""
    result = await conn.execute(
        update(messages)
        .where(
            messages.c.inbound_id == upload_id,
            messages.c.state == MessageState.STAGED,
            messages.c.seq.between(low, high),
        )
        .values(state=MessageState.QUEUED)
    )
    return int(result.rowcount or 0)


async def discard_work(
    conn: AsyncConnection, upload_id: str, *, keep_errors: bool, batch: int = 50_000
) -> int:
    """Removes what processing an upload left behind (staged messages, keys, placements,
    workers, quarantine; errors unless kept), in batches; returns how many rows went. Called
    once per batch until it returns 0, each call its own transaction."""
    removed = 0
    staged = select(messages.c.seq).where(
        messages.c.inbound_id == upload_id, messages.c.state == MessageState.STAGED
    )
    result = await conn.execute(
        delete(messages).where(messages.c.seq.in_(staged.limit(batch).scalar_subquery()))
    )
    removed += int(result.rowcount or 0)
    tables = [upload_keys, upload_placements, upload_workers, upload_quarantine]
    if not keep_errors:
        tables.append(upload_errors)
    for table in tables:
        chosen = select(table.c.seq).where(table.c.upload_id == upload_id).limit(batch)
        result = await conn.execute(
            delete(table).where(and_(table.c.seq.in_(chosen.scalar_subquery())))
        )
        removed += int(result.rowcount or 0)
    return removed
