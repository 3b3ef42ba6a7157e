"""Re-translating a rejected payload after a fix on our side (an agency's CSV profile, a
mapping): the current adapter runs on the stored bytes; when they translate now, the payload
becomes accepted with the messages the intake would have made (same deterministic CloudEvent
ids), so a later re-send of the same bytes by the sender is answered as a repeat instead of
creating duplicates."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from gateway.errors import NotFound
from gateway.events import EventFactory, OutboxRecord, format_time
from gateway.ops.audit import Actor, record_audit
from gateway.ops.errors import AlreadyAccepted
from gateway.ops.masking import pretty_json
from gateway.ops.outbox import insert_queued
from gateway.ops.replay.retranslate import RetranslateError, Retranslator
from gateway.states import InboundState
from gateway.store.history import Event, record_event
from gateway.store.tables import inbound
from gateway.timeutil import as_utc

__all__ = ["RejectedPlan", "accept_rejected", "plan_rejected"]


@dataclass(frozen=True, slots=True)
class RejectedPlan:
    inbound_id: str
    translates: bool
    error: str | None
    messages: list[dict[str, Any]]

    def as_json(self) -> dict[str, Any]:
        return {
            "inbound_id": self.inbound_id,
            "translates": self.translates,
            "error": self.error,
            "messages": self.messages,
        }


async def _records(
    conn: AsyncConnection, retranslator: Retranslator, events: EventFactory, inbound_id: str
) -> tuple[list[OutboxRecord], str | None]:
    row = (await conn.execute(select(inbound.c.state).where(inbound.c.id == inbound_id))).first()
    if row is None:
        raise NotFound(f"no inbound payload {inbound_id}")
    if row.state != InboundState.REJECTED:
        raise AlreadyAccepted(f"payload {inbound_id} is {row.state}, not rejected")
    source = await retranslator.load_source(conn, inbound_id)
    done = retranslator.retranslate(source)
    key = done.idempotency_key
    if key is not None:
        taken = await conn.scalar(
            select(inbound.c.id).where(
                inbound.c.sender == source.sender,
                inbound.c.idempotency_key == key,
                inbound.c.state != InboundState.REJECTED,
            )
        )
        if taken is not None:
            # The channel's rule (StUF016: a referentienummer once, with one content) holds
            # for ops too.
            raise RetranslateError(
                f"the sender's reference {key!r} was accepted before with other content "
                f"(payload {taken}); a new message needs a new reference"
            )
    # Exactly what the intake would have built: the same ids for the same bytes.
    records = events.build(
        done.drafts,
        sender=source.sender,
        content_hash=source.content_hash,
        received_at=source.received_at,
    )
    return records, key


async def plan_rejected(
    conn: AsyncConnection, retranslator: Retranslator, events: EventFactory, inbound_id: str
) -> RejectedPlan:
    try:
        records, _key = await _records(conn, retranslator, events, inbound_id)
    except RetranslateError as exc:
        return RejectedPlan(inbound_id, False, str(exc), [])
    return RejectedPlan(
        inbound_id,
        True,
        None,
        [{"id": r.id, "type": r.type, "canonical": pretty_json(r.value)} for r in records],
    )


async def accept_rejected(
    conn: AsyncConnection,
    retranslator: Retranslator,
    events: EventFactory,
    inbound_id: str,
    *,
    actor: Actor,
    reason: str,
    at: datetime,
) -> list[str]:
    """Translates again and, if it works now, accepts the payload with its messages (queued).
    Raises :class:`RetranslateError` (still failing) or :class:`AlreadyAccepted`; when the
    sender's same bytes were accepted since, the store's unique keys refuse it (IntegrityError,
    turned into :class:`AlreadyAccepted` by the caller)."""
    records, key = await _records(conn, retranslator, events, inbound_id)
    source = (await conn.execute(select(inbound).where(inbound.c.id == inbound_id))).one()
    receipt = {
        "inbound_id": inbound_id,
        "status": "accepted",
        "received_at": format_time(as_utc(source.received_at)),
        "message_ids": [r.id for r in records],
    }
    moved = await conn.execute(
        update(inbound)
        .where(inbound.c.id == inbound_id, inbound.c.state == InboundState.REJECTED)
        .values(
            state=InboundState.ACCEPTED,
            dedupe_hash=source.content_hash,
            idempotency_key=key,
            status_code=202,
            response=receipt,
            error_code=None,
        )
    )
    if moved.rowcount != 1:
        raise AlreadyAccepted(f"payload {inbound_id} is no longer rejected")
    await insert_queued(
        conn,
        records,
        inbound_id=inbound_id,
        sender=source.sender,
        actor=actor.id,
        at=at,
        code="retranslate",
        details=[f"rejected payload re-translated: {reason}"[:2000]] * len(records),
    )
    await record_event(
        conn,
        Event(
            InboundState.ACCEPTED,
            at,
            actor.id,
            inbound_id=inbound_id,
            code="retranslate",
            detail=reason,
            moved_from=InboundState.REJECTED,
        ),
    )
    await record_audit(
        conn,
        actor=actor,
        action="retranslate",
        at=at,
        target=f"inbound:{inbound_id}",
        message_count=len(records),
        reason=reason,
        detail={"inbound_id": inbound_id, "message_ids": [r.id for r in records]},
    )
    return [r.id for r in records]
