"""How a ``*.changed`` message says what changed.

A field that is present carries its new value; a field that is absent did not change. A
field named in ``cleared`` was explicitly emptied (StUF ``noValue="geenWaarde"``); one named
in ``unknown`` is now unknown to the sender (StUF ``waardeOnbekend``). JSON has no way to tell
"absent" from "null" that every consumer honours, hence the explicit lists.
"""

from __future__ import annotations

from datetime import date
from typing import Generic, Self, TypeVar

from pydantic import BaseModel, model_validator

__all__ = ["ChangeSet"]

F = TypeVar("F", bound=str)


class ChangeSet(BaseModel, Generic[F]):
    effective_date: date | None = None
    cleared: list[F] = []
    unknown: list[F] = []

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        changed = {
            name
            for name in type(self).model_fields
            if name not in _NOT_CHANGE_FIELDS and getattr(self, name) is not None
        }
        both = changed & (set(self.cleared) | set(self.unknown))
        if both:
            raise ValueError(f"field(s) {sorted(both)} both carry a value and are cleared/unknown")
        if set(self.cleared) & set(self.unknown):
            raise ValueError("a field cannot be both cleared and unknown")
        if not changed and not self.cleared and not self.unknown:
            raise ValueError("a change message must change at least one field")
        return self


# Identity fields are the subject of the change, not part of it.
_NOT_CHANGE_FIELDS = frozenset(
    {
        "bsn",
        "municipality",
        "agency_kvk",
        "assignment_id",
        "effective_date",
        "cleared",
        "unknown",
    }
)
