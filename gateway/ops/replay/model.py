"""What a replay selects and which messages it may touch."""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from types import MappingProxyType
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, model_validator
from sqlalchemy import ColumnElement

from gateway.ops.filters import MessageFilter, conditions
from gateway.states import MessageState
from gateway.store.tables import messages

__all__ = ["ELIGIBLE", "MAX_IDS", "ReplayKind", "Selection", "eligible_conditions"]

MAX_IDS = 100_000


class ReplayKind(StrEnum):
    REPUBLISH = "republish"
    RETRANSLATE = "retranslate"


#: The states a message may be in for each kind of replay. Held messages are not replayed
#: (release them instead); queued ones are already on their way; replayed ones are superseded.
ELIGIBLE: Mapping[ReplayKind, frozenset[MessageState]] = MappingProxyType(
    {
        ReplayKind.REPUBLISH: frozenset({MessageState.FAILED, MessageState.PUBLISHED}),
        ReplayKind.RETRANSLATE: frozenset({MessageState.FAILED, MessageState.PUBLISHED}),
    }
)


class Selection(BaseModel):
    """Either explicit message ids or a filter; ``up_to_seq`` freezes the set a plan showed."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    message_ids: (
        Annotated[list[Annotated[str, Field(max_length=64)]], Field(max_length=MAX_IDS)] | None
    ) = None
    filter: MessageFilter | None = None
    up_to_seq: int | None = Field(
        default=None, description="Only messages up to this outbox seq (the plan's max_seq)"
    )

    @model_validator(mode="after")
    def _one_way(self) -> Selection:
        if (self.message_ids is None) == (self.filter is None):
            raise ValueError("select either by 'message_ids' or by 'filter'")
        return self

    def describe(self) -> str:
        if self.message_ids is not None:
            return f"{len(self.message_ids)} message id(s)"
        assert self.filter is not None
        return self.filter.describe()


def selected_conditions(selection: Selection) -> list[ColumnElement[bool]]:
    """Matches the selection, whatever state the messages are in (ids in chunks elsewhere)."""
    found: list[ColumnElement[bool]] = []
    if selection.filter is not None:
        found.extend(conditions(selection.filter))
    if selection.up_to_seq is not None:
        found.append(messages.c.seq <= selection.up_to_seq)
    return found


def eligible_conditions(kind: ReplayKind, selection: Selection) -> list[ColumnElement[bool]]:
    states = sorted(s.value for s in ELIGIBLE[kind])
    return [*selected_conditions(selection), messages.c.state.in_(states)]
