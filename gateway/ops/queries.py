"""Read side of ops: list and count messages by filter, one message with its whole story,
rejected payloads. Nothing here changes the store."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncConnection

from gateway.events import kafka_headers
from gateway.ops.filters import MessageFilter, conditions
from gateway.ops.masking import decode_payload, mask_json, mask_text, pretty_json
from gateway.store.tables import holds, inbound, message_events, messages, replay_items
from gateway.timeutil import as_utc, format_time

__all__ = [
    "SUMMARY_COLUMNS",
    "InboundSummary",
    "MessageDetail",
    "MessageSummary",
    "count_messages",
    "find_message",
    "inbound_detail",
    "list_inbound",
    "list_messages",
    "message_detail",
]

#: The columns of a message in a list (error message cut to 300 characters).
SUMMARY_COLUMNS = (
    messages.c.seq,
    messages.c.id,
    messages.c.created_at,
    messages.c.sender,
    messages.c.type,
    messages.c.state,
    messages.c.attempts,
    messages.c.error_code,
    func.substr(messages.c.error_message, 1, 300).label("error_message"),
    messages.c.inbound_id,
    messages.c.supersedes,
)


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else format_time(moment)


@dataclass(frozen=True, slots=True)
class MessageSummary:
    seq: int
    id: str
    created_at: datetime
    sender: str
    type: str
    state: str
    attempts: int
    error_code: str | None
    error_message: str | None
    inbound_id: str
    supersedes: str | None

    def as_json(self) -> dict[str, Any]:
        return {
            "seq": self.seq,
            "id": self.id,
            "created_at": _iso(self.created_at),
            "sender": self.sender,
            "type": self.type,
            "state": self.state,
            "attempts": self.attempts,
            "error_code": self.error_code,
            "error_message": mask_text(self.error_message) if self.error_message else None,
            "inbound_id": self.inbound_id,
            "supersedes": self.supersedes,
        }


async def list_messages(
    conn: AsyncConnection, f: MessageFilter, *, limit: int = 50, before: int | None = None
) -> list[MessageSummary]:
    """Newest first (by outbox seq); ``before`` continues below that seq (keyset paging, so a
    page costs the same on page 1 and page 10,000)."""
    query = select(*SUMMARY_COLUMNS).where(*conditions(f))
    if before is not None:
        query = query.where(messages.c.seq < before)
    rows = await conn.execute(query.order_by(messages.c.seq.desc()).limit(limit))
    return [MessageSummary(*row) for row in rows]


async def count_messages(
    conn: AsyncConnection, f: MessageFilter, *, by: str | None = None
) -> dict[str, int]:
    """Total (``{"total": n}``) or grouped by ``state``, ``error_code``, ``type``, ``sender``."""
    if by is None:
        total = await conn.scalar(select(func.count()).select_from(messages).where(*conditions(f)))
        return {"total": int(total or 0)}
    column = {
        "state": messages.c.state,
        "error_code": messages.c.error_code,
        "type": messages.c.type,
        "sender": messages.c.sender,
    }[by]
    rows = await conn.execute(
        select(column, func.count()).where(*conditions(f)).group_by(column).order_by(column)
    )
    return {str(value) if value is not None else "": int(n) for value, n in rows}


async def find_message(conn: AsyncConnection, message_id: str) -> Any:
    return (await conn.execute(select(messages).where(messages.c.id == message_id))).first()


@dataclass(frozen=True, slots=True)
class MessageDetail:
    message: dict[str, Any]
    inbound: dict[str, Any]
    history: list[dict[str, Any]]
    canonical: str
    raw_payload: str | None
    hold: dict[str, Any] | None
    replays: list[dict[str, Any]]
    superseded_by: list[str]

    def as_json(self) -> dict[str, Any]:
        return {
            "message": self.message,
            "inbound": self.inbound,
            "history": self.history,
            "canonical": self.canonical,
            "raw_payload": self.raw_payload,
            "hold": self.hold,
            "replays": self.replays,
            "superseded_by": self.superseded_by,
        }


def _with_expected_path(
    row: Any, recorded: list[dict[str, Any]], *, sender: str
) -> list[dict[str, Any]]:
    """The expected path is not written as events (it would double the writes of intake and
    relay): a message's creation is its ``queued`` entry and its current ``published_at`` its
    last ``published`` entry. Added here, in time order, unless an event already says so."""
    own = [h for h in recorded if h["subject"] == "message"]
    extra: list[dict[str, Any]] = []
    if not own or own[0]["state"] != "queued":
        extra.append(
            {
                "at": _iso(row.created_at),
                "state": "queued",
                "actor": sender,
                "code": None,
                "detail": None,
                "subject": "message",
            }
        )
    if row.state == "published" and row.published_at is not None:
        extra.append(
            {
                "at": _iso(row.published_at),
                "state": "published",
                "actor": "relay",
                "code": None,
                "detail": f"partition {row.kafka_partition}, offset {row.kafka_offset}",
                "subject": "message",
            }
        )
    # Stable: recorded entries keep their order; derived ones slot in by time.
    return sorted([*recorded, *extra], key=lambda h: h["at"] or "")


def _received_once(
    source: Any, recorded: list[dict[str, Any]], *, subject: str | None
) -> list[dict[str, Any]]:
    """The payload's arrival as the first history entry, unless a channel recorded it as an
    event already (uploads do: ``received`` before ``validating``)."""
    if any(h["state"] == "received" for h in recorded):
        return []
    entry: dict[str, Any] = {
        "at": _iso(source.received_at),
        "state": "received",
        "actor": source.sender,
        "code": None,
        "detail": f"via {source.channel}",
    }
    if subject is not None:
        entry["subject"] = subject
    return [entry]


def _stored_as(source: Any) -> str:
    """Where the raw payload is: in the row, in the uploaded file on disk, or nowhere since
    retention purged it (only then does ``purged_at`` say when)."""
    if source.purged_at is not None:
        return "purged"
    if source.payload is not None:
        return "row"
    return "file" if source.payload_path else "none"


async def message_detail(
    conn: AsyncConnection, message_id: str, *, reveal: bool = False
) -> MessageDetail | None:
    """Everything ops may want to know about one message; BSNs masked unless ``reveal``."""
    row = await find_message(conn, message_id)
    if row is None:
        return None
    source = (await conn.execute(select(inbound).where(inbound.c.id == row.inbound_id))).one()
    events = await conn.execute(
        select(message_events)
        .where(
            or_(
                message_events.c.message_id == row.id,
                (message_events.c.inbound_id == row.inbound_id)
                & message_events.c.message_id.is_(None),
            )
        )
        .order_by(message_events.c.seq)
    )
    recorded = [
        {
            "at": _iso(e.at),
            "state": e.state,
            "actor": e.actor,
            "code": e.code,
            "detail": e.detail if reveal or e.detail is None else mask_text(e.detail),
            "subject": "message" if e.message_id else "inbound",
        }
        for e in events
    ]
    history = _received_once(source, recorded, subject="inbound")
    history.extend(_with_expected_path(row, recorded, sender=source.sender))
    last_failure = next(
        (h for h in reversed(history) if h["state"] == "failed" and h["subject"] == "message"),
        None,
    )
    hold = (await conn.execute(select(holds).where(holds.c.key == row.key))).first()
    replays = await conn.execute(
        select(replay_items.c.job_id, replay_items.c.outcome, replay_items.c.new_message_id)
        .where(replay_items.c.message_seq == row.seq)
        .order_by(replay_items.c.job_id)
    )
    successors = await conn.scalars(select(messages.c.id).where(messages.c.supersedes == row.id))
    error_message = row.error_message
    if error_message and not reveal:
        error_message = mask_text(error_message)
    raw = None
    if source.payload is not None:
        raw = decode_payload(source.payload)
        raw = raw if reveal else mask_text(raw)
    return MessageDetail(
        message={
            "seq": row.seq,
            "id": row.id,
            "type": row.type,
            "topic": row.topic,
            "key": row.key,
            "state": row.state,
            "attempts": row.attempts,
            "created_at": _iso(row.created_at),
            "published_at": _iso(row.published_at),
            "kafka_partition": row.kafka_partition,
            "kafka_offset": row.kafka_offset,
            "supersedes": row.supersedes,
            # The Kafka headers exactly as the relay sends them (derived from the row).
            "headers": [
                [name, value.decode()]
                for name, value in kafka_headers(
                    id=row.id,
                    source=row.source,
                    type=row.type,
                    event_time=row.event_time,
                    key=row.key,
                    supersedes=row.supersedes,
                )
            ],
            "error": None
            if row.error_code is None
            else {
                "code": row.error_code,
                "message": error_message,
                "where": last_failure["actor"] if last_failure else None,
                "at": last_failure["at"] if last_failure else None,
            },
        },
        inbound={
            "id": source.id,
            "sender": source.sender,
            "channel": source.channel,
            "adapter": source.adapter,
            "content_type": source.content_type,
            # The sender chose it (referentienummer, file name): it may spell a BSN.
            "external_ref": _masked(source.external_ref),
            "received_at": _iso(source.received_at),
            "state": source.state,
            "payload_size": source.payload_size,
            "purged_at": _iso(source.purged_at),
            "stored_as": _stored_as(source),
        },
        history=history,
        canonical=pretty_json(row.value, reveal=reveal),
        raw_payload=raw,
        hold=None
        if hold is None
        else {
            "id": hold.id,
            "held_at": _iso(hold.held_at),
            "held_by": hold.held_by,
            "reason": hold.reason,
            "message_id": hold.message_id,
        },
        replays=[
            {"job_id": r.job_id, "outcome": r.outcome, "new_message_id": r.new_message_id}
            for r in replays
        ],
        superseded_by=list(successors),
    )


@dataclass(frozen=True, slots=True)
class InboundSummary:
    id: str
    received_at: datetime
    sender: str
    channel: str
    adapter: str | None
    state: str
    error_code: str | None
    payload_size: int
    purged_at: datetime | None

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "received_at": _iso(self.received_at),
            "sender": self.sender,
            "channel": self.channel,
            "adapter": self.adapter,
            "state": self.state,
            "error_code": self.error_code,
            "payload_size": self.payload_size,
            "purged_at": _iso(self.purged_at),
        }


async def list_inbound(
    conn: AsyncConnection,
    *,
    state: str | None = None,
    sender: str | None = None,
    channel: str | None = None,
    limit: int = 50,
    before: datetime | None = None,
) -> list[InboundSummary]:
    """Payloads as received, newest first (e.g. ``state=rejected``: what senders got wrong)."""
    query = select(
        inbound.c.id,
        inbound.c.received_at,
        inbound.c.sender,
        inbound.c.channel,
        inbound.c.adapter,
        inbound.c.state,
        inbound.c.error_code,
        inbound.c.payload_size,
        inbound.c.purged_at,
    )
    if state:
        query = query.where(inbound.c.state == state)
    if sender:
        query = query.where(inbound.c.sender == sender)
    if channel:
        query = query.where(inbound.c.channel == channel)
    if before is not None:
        query = query.where(inbound.c.received_at < as_utc(before))
    rows = await conn.execute(query.order_by(inbound.c.received_at.desc()).limit(limit))
    return [InboundSummary(*r) for r in rows]


async def inbound_detail(conn: AsyncConnection, inbound_id: str) -> dict[str, Any] | None:
    """One payload as received: the answer the sender got (for a rejection: every issue), its
    history, the messages it became, the raw payload (BSNs masked)."""
    row = (await conn.execute(select(inbound).where(inbound.c.id == inbound_id))).first()
    if row is None:
        return None
    events = await conn.execute(
        select(message_events)
        .where(message_events.c.inbound_id == inbound_id, message_events.c.message_id.is_(None))
        .order_by(message_events.c.seq)
    )
    recorded = [
        {
            "at": _iso(e.at),
            "state": e.state,
            "actor": e.actor,
            "code": e.code,
            "detail": mask_text(e.detail) if e.detail else None,
        }
        for e in events
    ]
    history = _received_once(row, recorded, subject=None) + recorded
    made = await conn.execute(
        select(*SUMMARY_COLUMNS).where(messages.c.inbound_id == inbound_id).order_by(messages.c.seq)
    )
    return {
        "inbound": InboundSummary(
            row.id,
            row.received_at,
            row.sender,
            row.channel,
            row.adapter,
            row.state,
            row.error_code,
            row.payload_size,
            row.purged_at,
        ).as_json()
        | {
            "content_type": row.content_type,
            "external_ref": _masked(row.external_ref),
            "status_code": row.status_code,
            "stored_as": _stored_as(row),
        },
        "answer": mask_json(row.response) if row.response is not None else None,
        "history": history,
        "messages": [MessageSummary(*m).as_json() for m in made],
        "raw_payload": None if row.payload is None else mask_text(decode_payload(row.payload)),
    }


def _masked(text: str | None) -> str | None:
    return None if text is None else mask_text(text)
