"""The states of inbound payloads and canonical messages, and the one table of the transitions
allowed between them. Every ops action checks its transition here before it writes.

Messages (``messages.state``)::

    (new) ──► queued ──► published ──► failed        (the back office reported it on the DLQ)
                │  ▲         │            ▲ │
                │  └─ replay ┘            │ │
                ├──► failed ──────────────┘ │        (the relay could not publish it)
                │     │  ▲                   │
                ▼     ▼  │ replay (re-publish: back to queued, same CloudEvent id)
               held ◄────┘
                │ release ──► queued
    failed | published ──► replayed   (re-translate: a new message supersedes this one)

Inbound payloads (``inbound.state``; ``received`` is the moment of arrival, shown in history):
``received -> accepted | rejected``; ``rejected -> accepted`` when ops re-translate it after a
fix on our side; a retention purge removes the raw bytes of either and is recorded as a
``purged`` history event without changing the state.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from types import MappingProxyType

__all__ = [
    "INBOUND_TRANSITIONS",
    "MESSAGE_TRANSITIONS",
    "InboundState",
    "MessageState",
    "can_move",
    "sources_of",
]


class MessageState(StrEnum):
    QUEUED = "queued"
    PUBLISHED = "published"
    FAILED = "failed"
    HELD = "held"
    #: Superseded by a re-translated message (``supersedes`` on the new one points here).
    REPLAYED = "replayed"


class InboundState(StrEnum):
    RECEIVED = "received"
    ACCEPTED = "accepted"
    REJECTED = "rejected"


M = MessageState

#: state -> the states it may move to, and which actor moves it.
MESSAGE_TRANSITIONS: Mapping[MessageState, frozenset[MessageState]] = MappingProxyType(
    {
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
        InboundState.RECEIVED: frozenset({InboundState.ACCEPTED, InboundState.REJECTED}),
        InboundState.ACCEPTED: frozenset(),
        # ops: re-translated after a fix on our side (gateway/ops/rejected.py)
        InboundState.REJECTED: frozenset({InboundState.ACCEPTED}),
    }
)


def can_move(source: str, target: MessageState) -> bool:
    try:
        return target in MESSAGE_TRANSITIONS[MessageState(source)]
    except ValueError:
        return False


def sources_of(target: MessageState) -> list[str]:
    """Every state a message may be in for a move to ``target`` (for ``WHERE state IN``)."""
    return sorted(str(s) for s, targets in MESSAGE_TRANSITIONS.items() if target in targets)
