"""How ops select messages: one filter model shared by listing, counting and replay."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, model_validator
from sqlalchemy import Boolean, ColumnElement, exists, literal_column

from gateway.states import MessageState
from gateway.store.tables import INDEXED_OFF_PATH_STATES, inbound, messages
from gateway.timeutil import as_utc

__all__ = ["MessageFilter", "conditions"]

_Text = Annotated[str, Field(min_length=1, max_length=200)]


class MessageFilter(BaseModel):
    """Every field narrows the selection; an empty filter selects every message."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    state: MessageState | None = None
    sender: _Text | None = None
    channel: _Text | None = None
    type: _Text | None = Field(default=None, description="Short type, e.g. hours.reported")
    error_code: _Text | None = None
    since: datetime | None = Field(default=None, description="Created at or after (inclusive)")
    until: datetime | None = Field(default=None, description="Created before (exclusive)")

    @model_validator(mode="after")
    def _range(self) -> MessageFilter:
        if self.since and self.until and as_utc(self.since) >= as_utc(self.until):
            raise ValueError("'since' must be before 'until'")
        return self

    def describe(self) -> str:
        parts = [f"{k}={v}" for k, v in self.model_dump(exclude_none=True, mode="json").items()]
        return ", ".join(parts) or "all messages"


def conditions(f: MessageFilter) -> list[ColumnElement[bool]]:
    found: list[ColumnElement[bool]] = []
    if f.state is not None:
        found.append(messages.c.state == f.state.value)
        if f.state.value in INDEXED_OFF_PATH_STATES:
            # The same term as a literal: how the store finds its partial index of this state.
            found.append(literal_column(f"messages.state = '{f.state.value}'", Boolean))
    if f.sender:
        found.append(messages.c.sender == f.sender)
    if f.type:
        found.append(messages.c.type == f.type)
    if f.error_code:
        found.append(messages.c.error_code == f.error_code)
    if f.since:
        found.append(messages.c.created_at >= as_utc(f.since))
    if f.until:
        found.append(messages.c.created_at < as_utc(f.until))
    if f.channel:
        found.append(
            exists().where(inbound.c.id == messages.c.inbound_id, inbound.c.channel == f.channel)
        )
    return found
