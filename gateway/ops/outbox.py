"""Ops putting new messages into the outbox (re-translations): the rows and an explicit first
history event naming the acting operator (messages from senders have none: their creation is
their first history entry)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncConnection

from gateway.events import OutboxRecord
from gateway.states import MessageState
from gateway.store.history import Event, record_events
from gateway.store.intake_repo import insert_messages

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
    await insert_messages(
        conn, records, inbound_id=inbound_id, sender=sender, at=at, state=MessageState.QUEUED
    )
    await record_events(
        conn,
        [
            Event(
                MessageState.QUEUED,
                at,
                actor,
                message_id=r.id,
                inbound_id=inbound_id,
                code=code,
                detail=detail,
            )
            for r, detail in zip(records, details, strict=True)
        ],
    )
