"""Queries of the StUF channels: known candidates, batch files, the pull client's state."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from gateway.states import BatchState
from gateway.store.tables import messages, stuf_batches, stuf_pull_state

__all__ = [
    "BatchRow",
    "find_batch",
    "find_batch_by_hash",
    "insert_batch",
    "is_known_candidate",
    "pending_batches",
    "pull_state",
    "save_pull_state",
    "update_batch",
]


async def is_known_candidate(conn: AsyncConnection, person_key: str) -> bool:
    """Enrolled and not withdrawn since: the latest enrolment/withdrawal is an enrolment."""
    latest = await conn.scalar(
        select(messages.c.type)
        .where(
            messages.c.key == person_key,
            messages.c.type.in_(("candidate.enrolled", "candidate.withdrawn")),
        )
        .order_by(messages.c.seq.desc())
        .limit(1)
    )
    return latest == "candidate.enrolled"


@dataclass(frozen=True, slots=True)
class BatchRow:
    id: str
    sender: str
    source: str
    file_name: str
    payload_path: str
    content_hash: str
    size: int
    state: BatchState
    received_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    total: int
    accepted: int
    repeated: int
    ignored: int
    rejected: int
    report_path: str | None
    error: str | None
    correlation_id: str | None


def _row(found: Any) -> BatchRow:
    return BatchRow(**{column: getattr(found, column) for column in BatchRow.__slots__})


async def insert_batch(conn: AsyncConnection, row: BatchRow) -> None:
    await conn.execute(
        insert(stuf_batches).values(**{c: getattr(row, c) for c in BatchRow.__slots__})
    )


async def find_batch(conn: AsyncConnection, batch_id: str) -> BatchRow | None:
    found = (await conn.execute(select(stuf_batches).where(stuf_batches.c.id == batch_id))).first()
    return None if found is None else _row(found)


async def find_batch_by_hash(
    conn: AsyncConnection, sender: str, content_hash: str
) -> BatchRow | None:
    found = (
        await conn.execute(
            select(stuf_batches).where(
                stuf_batches.c.sender == sender, stuf_batches.c.content_hash == content_hash
            )
        )
    ).first()
    return None if found is None else _row(found)


async def pending_batches(conn: AsyncConnection) -> list[BatchRow]:
    """Batches still to process, oldest first (``processing`` ones were cut off by a stop)."""
    rows = await conn.execute(
        select(stuf_batches)
        .where(stuf_batches.c.state.in_((BatchState.RECEIVED, BatchState.PROCESSING)))
        .order_by(stuf_batches.c.received_at)
    )
    return [_row(r) for r in rows]


async def update_batch(conn: AsyncConnection, batch_id: str, **values: Any) -> None:
    await conn.execute(update(stuf_batches).where(stuf_batches.c.id == batch_id).values(**values))


async def pull_state(
    conn: AsyncConnection, source: str, person_key: str
) -> tuple[str, bytes] | None:
    found = (
        await conn.execute(
            select(stuf_pull_state.c.content_hash, stuf_pull_state.c.object).where(
                stuf_pull_state.c.source == source, stuf_pull_state.c.person_key == person_key
            )
        )
    ).first()
    return None if found is None else (str(found[0]), bytes(found[1]))


async def save_pull_state(
    conn: AsyncConnection,
    *,
    source: str,
    person_key: str,
    content_hash: str,
    obj: bytes,
    at: datetime,
) -> None:
    done = await conn.execute(
        update(stuf_pull_state)
        .where(stuf_pull_state.c.source == source, stuf_pull_state.c.person_key == person_key)
        .values(content_hash=content_hash, object=obj, updated_at=at)
    )
    if done.rowcount == 0:
        await conn.execute(
            insert(stuf_pull_state).values(
                source=source,
                person_key=person_key,
                content_hash=content_hash,
                object=obj,
                updated_at=at,
            )
        )
