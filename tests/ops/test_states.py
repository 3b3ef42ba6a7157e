"""The transition table is the authority: what replay touches and what ops actions move must
be transitions it allows."""

from __future__ import annotations

from gateway.ops.replay.model import ELIGIBLE, ReplayKind
from gateway.states import (
    INBOUND_TRANSITIONS,
    MESSAGE_TRANSITIONS,
    InboundState,
    MessageState,
    can_move,
    sources_of,
)


def test_replay_kinds_only_take_messages_the_table_lets_them_move() -> None:
    target = {
        ReplayKind.REPUBLISH: MessageState.QUEUED,
        ReplayKind.RETRANSLATE: MessageState.REPLAYED,
    }
    for kind, states in ELIGIBLE.items():
        assert states, kind
        assert all(target[kind] in MESSAGE_TRANSITIONS[s] for s in states), kind
        assert MessageState.HELD not in states  # held messages wait for a release


def test_table_shape() -> None:
    assert set(MESSAGE_TRANSITIONS) == set(MessageState)
    assert MESSAGE_TRANSITIONS[MessageState.REPLAYED] == frozenset()  # superseded is final
    assert sources_of(MessageState.HELD) == ["failed", "queued"]
    assert sources_of(MessageState.FAILED) == ["published", "queued"]
    assert can_move("held", MessageState.QUEUED)
    assert not can_move("held", MessageState.PUBLISHED)
    assert not can_move("no-such-state", MessageState.QUEUED)
    assert INBOUND_TRANSITIONS[InboundState.REJECTED] == {InboundState.ACCEPTED}
    assert INBOUND_TRANSITIONS[InboundState.ACCEPTED] == frozenset()
