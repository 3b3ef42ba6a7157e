"""Ops putting new messages into the outbox (re-translations): the rows and their first
history event, written by the acting operator rather than the sender."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from gateway.events import OutboxRecord
from gateway.ops.states import MessageState
from gateway.store.tables import message_events, messages

__all__ = ["insert_queued"]


async def insert_queued(
    conn: AsyncConnection,
    records: Sequence[OutboxRecord],
    *,
    inbound_id: str,
    sender: str,
    actor: str,
    at: datetime,
    code: str,
    details: Sequence[str],
) -> None:
    if not records:
        return
    await conn.execute(
        insert(messages),
        [
            {
                "id": r.id,
                "inbound_id": inbound_id,
                "sender": sender,
                "type": r.type,
                "topic": r.topic,
                "key": r.key,
                "headers": r.headers,
                "value": r.value,
                "state": MessageState.QUEUED.value,
                "attempts": 0,
                "created_at": at,
                "supersedes": r.supersedes,
            }
            for r in records
        ],
    )
    await conn.execute(
        insert(message_events),
        [
            {
                "message_id": r.id,
                "inbound_id": inbound_id,
                "at": at,
                "state": MessageState.QUEUED.value,
                "actor": actor,
                "code": code,
                "detail": detail,
            }
            for r, detail in zip(records, details, strict=True)
        ],
    )
