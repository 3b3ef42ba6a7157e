"""Quarantined upload rows (conflicts): a row that repeats an earlier row's business key with
other values waits ``held`` until an operator decides. Released, it becomes the message it
would have been, superseding the earlier row's message (the new values apply); discarded, it
is kept for the record and never published. Both are audited, in the same transaction."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from adapters.base import Draft
from gateway.errors import NotFound
from gateway.events import EventFactory
from gateway.ops.audit import Actor, record_audit
from gateway.ops.errors import AlreadyDecided
from gateway.ops.masking import mask_json
from gateway.ops.outbox import insert_queued
from gateway.states import QuarantineState
from gateway.store.tables import inbound, upload_keys, upload_quarantine
from gateway.timeutil import format_time
from gateway.value_hash import value_hash
from schemas.registry import BY_SHORT_TYPE, data_model

__all__ = [
    "QuarantinedRow",
    "count_quarantine",
    "decide",
    "get_quarantined",
    "list_quarantine",
]

_COLUMNS = (
    upload_quarantine.c.seq,
    upload_quarantine.c.upload_id,
    upload_quarantine.c.agency_kvk,
    upload_quarantine.c.line,
    upload_quarantine.c.location,
    upload_quarantine.c.type,
    upload_quarantine.c.conflicts_with,
    upload_quarantine.c.state,
    upload_quarantine.c.created_at,
    upload_quarantine.c.value,
)


@dataclass(frozen=True, slots=True)
class QuarantinedRow:
    seq: int
    upload_id: str
    agency_kvk: str
    line: int | None
    location: str
    type: str
    conflicts_with: str | None
    state: str
    created_at: datetime
    value: bytes

    def as_json(self) -> dict[str, Any]:
        """BSNs masked: the canonical values the row would publish, for the operator's
        comparison with the earlier message."""
        return {
            "seq": self.seq,
            "upload_id": self.upload_id,
            "agency_kvk": self.agency_kvk,
            "line": self.line,
            "location": self.location,
            "type": self.type,
            "conflicts_with": self.conflicts_with,
            "state": self.state,
            "created_at": format_time(self.created_at),
            "value": mask_json(orjson.loads(self.value)),
        }


async def list_quarantine(
    conn: AsyncConnection,
    *,
    state: str | None = QuarantineState.HELD,
    upload_id: str | None = None,
    limit: int = 100,
) -> list[QuarantinedRow]:
    query = select(*_COLUMNS)
    if state:
        query = query.where(upload_quarantine.c.state == state)
    if upload_id:
        query = query.where(upload_quarantine.c.upload_id == upload_id)
    rows = await conn.execute(query.order_by(upload_quarantine.c.seq).limit(limit))
    return [QuarantinedRow(**r._mapping) for r in rows]


async def count_quarantine(conn: AsyncConnection, *, state: str = QuarantineState.HELD) -> int:
    found = await conn.scalar(
        select(func.count())
        .select_from(upload_quarantine)
        .where(upload_quarantine.c.state == state)
    )
    return int(found or 0)


async def get_quarantined(conn: AsyncConnection, seq: int) -> QuarantinedRow:
    row = (await conn.execute(select(*_COLUMNS).where(upload_quarantine.c.seq == seq))).first()
    if row is None:
        raise NotFound(f"no quarantined row {seq}")
    return QuarantinedRow(**row._mapping)


async def decide(
    conn: AsyncConnection,
    events: EventFactory,
    seq: int,
    *,
    release: bool,
    actor: Actor,
    reason: str,
    at: datetime,
) -> dict[str, Any]:
    """Releases (a queued message superseding the earlier row's) or discards a held row."""
    row = await get_quarantined(conn, seq)
    new = QuarantineState.RELEASED if release else QuarantineState.DISCARDED
    moved = await conn.execute(
        update(upload_quarantine)
        .where(upload_quarantine.c.seq == seq, upload_quarantine.c.state == QuarantineState.HELD)
        .values(state=new)
    )
    if moved.rowcount != 1:
        raise AlreadyDecided(f"quarantined row {seq} is {row.state}, not held; nothing was changed")
    message_id = (
        await _publish(conn, events, row, actor=actor, reason=reason, at=at) if release else None
    )
    await record_audit(
        conn,
        actor=actor,
        action="quarantine-release" if release else "quarantine-discard",
        at=at,
        target=f"upload:{row.upload_id}",
        message_count=1 if release else 0,
        reason=reason,
        detail={"quarantine_seq": seq, "line": row.line, "message_id": message_id},
    )
    return {"seq": seq, "state": new.value, "upload_id": row.upload_id, "message_id": message_id}


async def _publish(
    conn: AsyncConnection,
    events: EventFactory,
    row: QuarantinedRow,
    *,
    actor: Actor,
    reason: str,
    at: datetime,
) -> str:
    source = (
        await conn.execute(
            select(inbound.c.sender, inbound.c.content_hash, inbound.c.received_at).where(
                inbound.c.id == row.upload_id
            )
        )
    ).one()
    event = BY_SHORT_TYPE[row.type]
    data = data_model(event).model_validate_json(row.value)
    # Its own deterministic id: the upload's bytes and the row's place in quarantine.
    [record] = events.build(
        [Draft(event, data)],
        sender=source.sender,
        content_hash=f"{source.content_hash}/quarantine/{row.seq}",
        received_at=source.received_at,
        first_index=row.line or 0,
        supersedes=[row.conflicts_with],
    )
    await insert_queued(
        conn,
        [record],
        inbound_id=row.upload_id,
        sender=source.sender,
        actor=actor.id,
        at=at,
        code="quarantine-release",
        details=[f"quarantined row (line {row.line}) released: {reason}"[:2000]],
    )
    # The released values are now the agency's latest for this key: a re-send of them is a
    # duplicate, not another conflict.
    key_hash = await conn.scalar(
        select(upload_quarantine.c.key_hash).where(upload_quarantine.c.seq == row.seq)
    )
    await conn.execute(
        upload_keys.insert().values(
            agency_kvk=row.agency_kvk,
            key_hash=key_hash,
            upload_id=row.upload_id,
            value_hash=value_hash(data, record),
            message_id=record.id,
            timecard_id=getattr(data, "timecard_id", None),
            line=row.line,
        )
    )
    return record.id
