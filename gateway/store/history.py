"""The one writer of ``message_events``: the history of messages and inbound payloads.

Every history row is built as an :class:`Event` and written by :func:`record_events` (or
:func:`record_event`); an event that says which state it moved from is checked against the
transition table in :mod:`gateway.states` before anything is written.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, insert
from sqlalchemy.ext.asyncio import AsyncConnection

from gateway.states import (
    EventState,
    IllegalTransition,
    InboundState,
    MessageState,
    can_move,
    can_move_inbound,
)
from gateway.store.tables import message_events

__all__ = ["COPY_COLUMNS", "Event", "copy_events", "record_event", "record_events"]

#: Longest detail kept in a history row (reasons typed by people, error texts).
DETAIL_LIMIT = 2000


@dataclass(frozen=True, slots=True)
class Event:
    """One history row: a message's (``message_id``) or else a payload's (``inbound_id``)."""

    state: MessageState | InboundState | EventState
    at: datetime
    actor: str
    message_id: str | None = None
    inbound_id: str | None = None
    code: str | None = None
    detail: str | None = None
    #: The state it moved from, when the writer knows it: the move is checked against the
    #: table. ``None`` for a first entry, a copy (a publication) or a mark (``purged``).
    moved_from: str | None = None

    def check(self) -> None:
        if self.moved_from is None:
            return
        if self.message_id is not None:
            allowed = can_move(self.moved_from, MessageState(self.state))
        else:
            allowed = can_move_inbound(self.moved_from, InboundState(self.state))
        if not allowed:
            subject = self.message_id or self.inbound_id
            raise IllegalTransition(f"{subject}: {self.moved_from} -> {self.state} is not allowed")

    def row(self) -> dict[str, Any]:
        return {
            "message_id": self.message_id,
            "inbound_id": self.inbound_id,
            "at": self.at,
            "state": EventState(self.state).value,
            "actor": self.actor,
            "code": self.code,
            "detail": None if self.detail is None else self.detail[:DETAIL_LIMIT],
        }


async def record_events(conn: AsyncConnection, events: Sequence[Event]) -> None:
    """Appends ``events`` in their order (one executemany); raises
    :class:`~gateway.states.IllegalTransition` before writing if any move is not allowed."""
    if not events:
        return
    for event in events:
        event.check()
    await conn.execute(insert(message_events), [e.row() for e in events])


async def record_event(conn: AsyncConnection, event: Event) -> None:
    await record_events(conn, [event])


#: The columns a :func:`copy_events` query yields, in this order.
COPY_COLUMNS = ("message_id", "inbound_id", "at", "state", "actor", "detail")


async def copy_events(conn: AsyncConnection, query: Select[Any]) -> None:
    """Appends one event per row of ``query`` (columns :data:`COPY_COLUMNS`) without reading
    the rows into Python: history copied from the rows it describes (a publication)."""
    await conn.execute(insert(message_events).from_select(list(COPY_COLUMNS), query))
