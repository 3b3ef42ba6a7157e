"""Queries of the intake: store raw payloads with their canonical messages, find repeats."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import insert, or_, select
from sqlalchemy.ext.asyncio import AsyncConnection

from gateway.events import OutboxRecord
from gateway.states import InboundState, MessageState
from gateway.store.bulk import BulkInsert
from gateway.store.history import Event, record_events
from gateway.store.tables import inbound, messages

__all__ = [
    "NOTHING_TO_PUBLISH",
    "InboundRow",
    "StoredAnswer",
    "find_accepted",
    "insert_inbound",
    "insert_messages",
]


@dataclass(frozen=True, slots=True)
class InboundRow:
    id: str
    sender: str
    channel: str
    adapter: str | None
    content_type: str
    content_hash: str
    received_at: datetime
    state: InboundState
    payload: bytes | None
    payload_size: int
    status_code: int
    response: dict[str, Any]
    idempotency_key: str | None = None
    external_ref: str | None = None
    error_code: str | None = None
    correlation_id: str | None = None
    payload_path: str | None = None
    #: An accepted payload without messages says why in its history ("nothing to publish").
    note: str | None = None


#: History code of an accepted payload that yields no canonical message.
NOTHING_TO_PUBLISH = "nothing-to-publish"


@dataclass(frozen=True, slots=True)
class StoredAnswer:
    inbound_id: str
    content_hash: str
    idempotency_key: str | None
    status_code: int
    response: dict[str, Any]


async def find_accepted(
    conn: AsyncConnection, *, sender: str, idempotency_key: str | None, content_hash: str
) -> list[StoredAnswer]:
    """Earlier accepted submissions of this sender with this key or this content."""
    match = inbound.c.dedupe_hash == content_hash
    if idempotency_key is not None:
        match = or_(match, inbound.c.idempotency_key == idempotency_key)
    rows = await conn.execute(
        select(
            inbound.c.id,
            inbound.c.content_hash,
            inbound.c.idempotency_key,
            inbound.c.status_code,
            inbound.c.response,
        ).where(inbound.c.sender == sender, match)
    )
    return [StoredAnswer(*row) for row in rows]


async def insert_inbound(conn: AsyncConnection, row: InboundRow) -> None:
    await insert_inbound_many(conn, [row])


async def insert_inbound_many(conn: AsyncConnection, rows: Sequence[InboundRow]) -> None:
    """Raw payloads with their first history entry (accepted or rejected)."""
    await conn.execute(
        insert(inbound),
        [
            {
                "id": row.id,
                "sender": row.sender,
                "channel": row.channel,
                "adapter": row.adapter,
                "content_type": row.content_type,
                "content_hash": row.content_hash,
                "received_at": row.received_at,
                "state": row.state,
                # Set only when accepted: what a repeated submission is matched against.
                "idempotency_key": row.idempotency_key
                if row.state != InboundState.REJECTED
                else None,
                "dedupe_hash": (row.content_hash if row.state != InboundState.REJECTED else None),
                "external_ref": row.external_ref,
                "status_code": row.status_code,
                "response": row.response,
                "error_code": row.error_code,
                "payload": row.payload,
                "payload_path": row.payload_path,
                "payload_size": row.payload_size,
                "correlation_id": row.correlation_id,
            }
            for row in rows
        ],
    )
    await record_events(
        conn,
        [
            Event(
                row.state,
                row.received_at,
                row.sender,
                inbound_id=row.id,
                code=row.error_code or (NOTHING_TO_PUBLISH if row.note else None),
                detail=row.note,
            )
            for row in rows
        ],
    )


async def insert_messages(
    conn: AsyncConnection,
    records: Sequence[OutboxRecord],
    *,
    inbound_id: str,
    sender: str,
    at: datetime,
    state: MessageState = MessageState.QUEUED,
) -> None:
    """The canonical messages of one payload. Their creation is their first history entry
    (``created_at``, ``inbound_id``); ``message_events`` records later transitions."""
    await insert_messages_many(conn, [(inbound_id, sender, at, records)], state=state)


MESSAGE_INSERT = BulkInsert(
    messages,
    (
        "id",
        "inbound_id",
        "sender",
        "type",
        "topic",
        "key",
        "source",
        "event_time",
        "value",
        "state",
        "attempts",
        "created_at",
        "supersedes",
    ),
    raw=("value",),
)


async def insert_messages_many(
    conn: AsyncConnection,
    payloads: Sequence[tuple[str, str, datetime, Sequence[OutboxRecord]]],
    *,
    state: MessageState = MessageState.QUEUED,
) -> None:
    """The canonical messages of several payloads (inbound id, sender, time, records), in one
    driver-level executemany: this is the hottest statement of the intake."""
    await MESSAGE_INSERT.insert(
        conn,
        [
            (
                r.id,
                inbound_id,
                sender,
                r.type,
                r.topic,
                r.key,
                r.source,
                r.event_time,
                r.value,
                state,
                0,
                at,
                r.supersedes,
            )
            for inbound_id, sender, at, records in payloads
            for r in records
        ],
    )
