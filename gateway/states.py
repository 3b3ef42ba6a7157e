"""Every state the gateway writes to the store, and the one table of the transitions allowed
between them. The store, the intake, uploads, the relay and ops all take their states from
here; migration ``0005_states`` holds each column to its list with a CHECK constraint.

Messages (``messages.state``)::

   staged ──► (new) ──► queued ──► published ──► failed   (the back office reported it on the DLQ)
   (files)               │  ▲         │            ▲ │
                         │  └─ replay ┘            │ │
                         ├──► failed ──────────────┘ │    (the relay could not publish it)
                         │     │  ▲                   │
                         ▼     ▼  │ replay (re-publish: back to queued, same CloudEvent id)
                        held ◄────┘
                         │ release ──► queued
    failed | published ──► replayed   (re-translate: a new message supersedes this one)

A file's messages wait ``staged`` (the relay never reads them) until the whole file is
checked: an accepted or partially accepted file moves them to ``queued``; a rejected file, or
processing cut off by a restart, deletes them (they never existed for anyone downstream).

Inbound payloads (``inbound.state``; uploaded files also in ``uploads.state``)::

    received ──► accepted | rejected                  (a request: decided at once)
    received ──► validating ──► accepted | partially_accepted | rejected     (a file)
                 validating ──► received              (restart: processing cut off, done again)
    rejected ──► accepted                             (ops re-translate it after a fix)

A retention purge removes the raw bytes of a payload and is recorded as a ``purged`` history
event without changing its state.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from types import MappingProxyType
from typing import Any

__all__ = [
    "INBOUND_TRANSITIONS",
    "MESSAGE_TRANSITIONS",
    "STATE_COLUMNS",
    "BatchState",
    "EventState",
    "IllegalTransition",
    "InboundState",
    "MessageState",
    "QuarantineState",
    "ReplayJobState",
    "ReplayOutcome",
    "can_move",
    "can_move_inbound",
    "sources_of",
    "sources_of_inbound",
]


class IllegalTransition(RuntimeError):
    """A state change the transition table does not allow (a bug, or a second processor)."""


class MessageState(StrEnum):
    #: A file's message, written while the file is being checked; the relay never reads it.
    STAGED = "staged"
    QUEUED = "queued"
    PUBLISHED = "published"
    FAILED = "failed"
    HELD = "held"
    #: Superseded by a re-translated message (``supersedes`` on the new one points here).
    REPLAYED = "replayed"


class InboundState(StrEnum):
    RECEIVED = "received"
    #: A file being checked row by row (uploads).
    VALIDATING = "validating"
    ACCEPTED = "accepted"
    #: A file of which the valid rows were accepted and the others rejected or quarantined.
    PARTIALLY_ACCEPTED = "partially_accepted"
    REJECTED = "rejected"


class EventState(StrEnum):
    """``message_events.state``: the state a message or payload moved to, or a mark that is no
    state change (``purged``)."""

    STAGED = "staged"
    QUEUED = "queued"
    PUBLISHED = "published"
    FAILED = "failed"
    HELD = "held"
    REPLAYED = "replayed"
    RECEIVED = "received"
    VALIDATING = "validating"
    ACCEPTED = "accepted"
    PARTIALLY_ACCEPTED = "partially_accepted"
    REJECTED = "rejected"
    #: Retention removed the raw bytes; the payload's state is unchanged.
    PURGED = "purged"


class BatchState(StrEnum):
    """``stuf_batches.state``: received -> processing -> done | failed; a restart processes a
    batch left ``processing`` again."""

    RECEIVED = "received"
    PROCESSING = "processing"
    DONE = "done"
    FAILED = "failed"


class ReplayJobState(StrEnum):
    """``replay_jobs.state``: running (putting items back) -> publishing (waiting for the
    relay) -> done; cancel: running | publishing -> cancelling -> cancelled."""

    RUNNING = "running"
    PUBLISHING = "publishing"
    CANCELLING = "cancelling"
    DONE = "done"
    CANCELLED = "cancelled"


class ReplayOutcome(StrEnum):
    """``replay_items.outcome``: pending -> queued | skipped | cancelled | error; once the relay
    is done with a queued item, it takes the state of the message it follows."""

    PENDING = "pending"
    QUEUED = "queued"
    SKIPPED = "skipped"
    CANCELLED = "cancelled"
    ERROR = "error"
    PUBLISHED = "published"
    FAILED = "failed"
    HELD = "held"
    REPLAYED = "replayed"


class QuarantineState(StrEnum):
    """``upload_quarantine.state``: a conflicting row waits ``held`` until someone decides."""

    HELD = "held"
    RELEASED = "released"
    DISCARDED = "discarded"


#: (table, column) -> the vocabulary a CHECK constraint holds it to (migration 0005_states
#: writes these lists out; a test compares them).
STATE_COLUMNS: Mapping[tuple[str, str], type[StrEnum]] = MappingProxyType(
    {
        ("messages", "state"): MessageState,
        ("inbound", "state"): InboundState,
        ("uploads", "state"): InboundState,
        ("message_events", "state"): EventState,
        ("stuf_batches", "state"): BatchState,
        ("replay_jobs", "state"): ReplayJobState,
        ("replay_items", "outcome"): ReplayOutcome,
        ("upload_quarantine", "state"): QuarantineState,
    }
)

M = MessageState
N = InboundState

#: state -> the states it may move to, and which actor moves it.
MESSAGE_TRANSITIONS: Mapping[MessageState, frozenset[MessageState]] = MappingProxyType(
    {
        # uploads: the file was accepted (a rejected file's staged messages are deleted)
        M.STAGED: frozenset({M.QUEUED}),
        # relay: published or failed; ops: hold
        M.QUEUED: frozenset({M.PUBLISHED, M.FAILED, M.HELD}),
        # back office via the DLQ: failed; ops: re-publish (queued) or re-translate (replayed)
        M.PUBLISHED: frozenset({M.FAILED, M.QUEUED, M.REPLAYED}),
        # ops: re-publish (queued), re-translate (replayed), hold
        M.FAILED: frozenset({M.QUEUED, M.REPLAYED, M.HELD}),
        # ops: release lets it go again
        M.HELD: frozenset({M.QUEUED}),
        # final: the superseding message carries on
        M.REPLAYED: frozenset(),
    }
)

INBOUND_TRANSITIONS: Mapping[InboundState, frozenset[InboundState]] = MappingProxyType(
    {
        # a request is decided at once; a file is checked first (uploads)
        N.RECEIVED: frozenset({N.ACCEPTED, N.REJECTED, N.VALIDATING}),
        # uploads: the file's verdict; ``received`` is the restart (processing that was cut
        # off is thrown away and the file is processed again from its stored bytes)
        N.VALIDATING: frozenset({N.RECEIVED, N.ACCEPTED, N.PARTIALLY_ACCEPTED, N.REJECTED}),
        N.ACCEPTED: frozenset(),
        N.PARTIALLY_ACCEPTED: frozenset(),
        # ops: re-translated after a fix on our side (gateway/ops/rejected.py)
        N.REJECTED: frozenset({N.ACCEPTED}),
    }
)


def can_move(source: str, target: MessageState) -> bool:
    return _allowed(MESSAGE_TRANSITIONS, MessageState, source, target)


def sources_of(target: MessageState) -> list[str]:
    """Every state a message may be in for a move to ``target`` (for ``WHERE state IN``)."""
    return _sources(MESSAGE_TRANSITIONS, target)


def can_move_inbound(source: str, target: InboundState) -> bool:
    return _allowed(INBOUND_TRANSITIONS, InboundState, source, target)


def sources_of_inbound(target: InboundState) -> list[str]:
    """Every state a payload may be in for a move to ``target`` (for ``WHERE state IN``)."""
    return _sources(INBOUND_TRANSITIONS, target)


def _allowed(
    table: Mapping[Any, frozenset[Any]], states: type[StrEnum], source: str, target: StrEnum
) -> bool:
    try:
        return target in table[states(source)]
    except ValueError:
        return False


def _sources(table: Mapping[Any, frozenset[Any]], target: StrEnum) -> list[str]:
    return sorted(str(s) for s, targets in table.items() if target in targets)
