"""Queries of the relay: read the outbox in order, record what Kafka said."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import bindparam, exists, func, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from gateway.states import MessageState
from gateway.store.bulk import db_time, executemany
from gateway.store.history import Event, record_events
from gateway.store.tables import holds, messages

__all__ = [
    "Failure",
    "OutboxRow",
    "Published",
    "fetch_queued",
    "mark_failed",
    "mark_published",
    "note_transient_failure",
    "outbox_depth",
]


@dataclass(frozen=True, slots=True)
class OutboxRow:
    seq: int
    id: str
    type: str
    topic: str
    key: str
    source: str
    event_time: str
    value: bytes
    supersedes: str | None


@dataclass(frozen=True, slots=True)
class Published:
    seq: int
    id: str
    type: str
    partition: int
    offset: int


@dataclass(frozen=True, slots=True)
class Failure:
    seq: int
    id: str
    code: str
    message: str


async def fetch_queued(conn: AsyncConnection, limit: int, *, after_seq: int = 0) -> list[OutboxRow]:
    """The next queued messages in publication order (``seq``), after ``after_seq``."""
    rows = await conn.execute(
        select(
            messages.c.seq,
            messages.c.id,
            messages.c.type,
            messages.c.topic,
            messages.c.key,
            messages.c.source,
            messages.c.event_time,
            messages.c.value,
            messages.c.supersedes,
        )
        .where(messages.c.state == MessageState.QUEUED, messages.c.seq > after_seq)
        # A held person key holds all its queued messages until ops release it (issue 5).
        .where(~exists().where(holds.c.key == messages.c.key))
        .order_by(messages.c.seq)
        .limit(limit)
    )
    return [OutboxRow(*row) for row in rows]


async def mark_published(conn: AsyncConnection, done: Sequence[Published], *, at: datetime) -> None:
    """Published is the expected path: the row's ``published_at``, partition and offset are
    its history entry (no extra event row per message on the hot path)."""
    when = db_time(conn, at)
    await executemany(
        conn,
        "UPDATE messages SET state = 'published', published_at = ?, kafka_partition = ?, "
        "kafka_offset = ?, attempts = attempts + 1, error_code = NULL, error_message = NULL "
        "WHERE seq = ?",
        [(when, p.partition, p.offset, p.seq) for p in done],
    )


_fail_stmt = (
    update(messages)
    .where(messages.c.seq == bindparam("b_seq"))
    .values(
        state=MessageState.FAILED,
        attempts=messages.c.attempts + 1,
        error_code=bindparam("b_code"),
        error_message=bindparam("b_message"),
    )
)


async def mark_failed(
    conn: AsyncConnection, failed: Sequence[Failure], *, at: datetime, actor: str
) -> None:
    if not failed:
        return
    await conn.execute(
        _fail_stmt,
        [{"b_seq": f.seq, "b_code": f.code, "b_message": f.message[:2000]} for f in failed],
    )
    await record_events(
        conn,
        [
            Event(
                MessageState.FAILED,
                at,
                actor,
                message_id=f.id,
                code=f.code,
                detail=f.message,
            )
            for f in failed
        ],
    )


async def note_transient_failure(
    conn: AsyncConnection, seqs: Sequence[int], *, code: str, message: str
) -> None:
    """Still queued, but the attempt and its reason are visible to ops."""
    if not seqs:
        return
    await conn.execute(
        update(messages)
        .where(messages.c.seq.in_(seqs))
        .values(attempts=messages.c.attempts + 1, error_code=code, error_message=message[:2000])
    )


async def outbox_depth(conn: AsyncConnection) -> tuple[int, datetime | None]:
    """How many messages wait, and since when the oldest waits."""
    row = (
        await conn.execute(
            select(func.count(), func.min(messages.c.created_at)).where(
                messages.c.state == MessageState.QUEUED
            )
        )
    ).one()
    return int(row[0]), row[1]
