"""Holds on person keys: while a key is held the relay publishes none of its queued messages
(``outbox_repo.fetch_queued`` skips them), so later messages of that person wait, in order,
until an operator releases the hold."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from gateway.errors import NotFound
from gateway.ops.audit import Actor, record_audit
from gateway.states import MessageState, sources_of
from gateway.store.history import Event, record_event, record_events
from gateway.store.tables import holds, messages
from gateway.timeutil import format_time

__all__ = ["HoldResult", "find_hold_for_message", "list_holds", "place_hold", "release_hold"]


@dataclass(frozen=True, slots=True)
class HoldResult:
    hold_id: str
    key: str
    #: Messages whose state changed (held on placing, queued again on release).
    changed: list[str]
    created: bool = True

    def as_json(self) -> dict[str, Any]:
        return {
            "hold_id": self.hold_id,
            "key": self.key,
            "changed": self.changed,
            "created": self.created,
        }


async def place_hold(
    conn: AsyncConnection,
    *,
    key: str,
    message_id: str | None,
    actor: Actor,
    reason: str,
    at: datetime,
) -> HoldResult:
    """Holds ``key``; the message it was placed on (if queued or failed) becomes ``held``."""
    existing = (await conn.execute(select(holds.c.id).where(holds.c.key == key))).first()
    hold_id = existing.id if existing else str(uuid.uuid4())
    if existing is None:
        await conn.execute(
            insert(holds).values(
                id=hold_id,
                key=key,
                message_id=message_id,
                held_at=at,
                held_by=actor.id,
                reason=reason,
            )
        )
    changed: list[str] = []
    if message_id is not None:
        result = await conn.execute(
            update(messages)
            .where(
                messages.c.id == message_id,
                messages.c.state.in_(sources_of(MessageState.HELD)),
            )
            .values(state=MessageState.HELD)
            .returning(messages.c.id)
        )
        changed = [r.id for r in result]
        if changed:
            await record_event(
                conn,
                Event(
                    MessageState.HELD,
                    at,
                    actor.id,
                    message_id=message_id,
                    code="hold",
                    detail=reason,
                ),
            )
    await record_audit(
        conn,
        actor=actor,
        action="hold",
        at=at,
        target=message_id or f"hold:{hold_id}",
        message_count=len(changed),
        reason=reason,
        detail={"hold_id": hold_id, "key": key, "already_held": existing is not None},
    )
    return HoldResult(hold_id, key, changed, created=existing is None)


async def release_hold(
    conn: AsyncConnection, *, hold_id: str, actor: Actor, reason: str, at: datetime
) -> HoldResult:
    """Lifts the hold; held messages of the key go back to the outbox in their seq order."""
    hold = (await conn.execute(select(holds).where(holds.c.id == hold_id))).first()
    if hold is None:
        raise NotFound(f"no hold {hold_id}")
    await conn.execute(delete(holds).where(holds.c.id == hold_id))
    result = await conn.execute(
        update(messages)
        .where(messages.c.key == hold.key, messages.c.state == MessageState.HELD)
        .values(state=MessageState.QUEUED)
        .returning(messages.c.id)
    )
    changed = [r.id for r in result]
    await record_events(
        conn,
        [
            Event(
                MessageState.QUEUED,
                at,
                actor.id,
                message_id=mid,
                code="release",
                detail=reason,
                moved_from=MessageState.HELD,
            )
            for mid in changed
        ],
    )
    await record_audit(
        conn,
        actor=actor,
        action="release",
        at=at,
        target=hold.message_id or f"hold:{hold_id}",
        message_count=len(changed),
        reason=reason,
        detail={"hold_id": hold_id, "key": hold.key, "released": changed},
    )
    return HoldResult(hold_id, hold.key, changed)


async def find_hold_for_message(conn: AsyncConnection, message_id: str) -> str | None:
    row = (
        await conn.execute(
            select(holds.c.id)
            .join(messages, messages.c.key == holds.c.key)
            .where(messages.c.id == message_id)
        )
    ).first()
    return None if row is None else str(row.id)


async def list_holds(conn: AsyncConnection) -> list[dict[str, Any]]:
    rows = await conn.execute(select(holds).order_by(holds.c.held_at.desc()))
    return [
        {
            "id": r.id,
            "key": r.key,
            "message_id": r.message_id,
            "held_at": format_time(r.held_at),
            "held_by": r.held_by,
            "reason": r.reason,
        }
        for r in rows
    ]
