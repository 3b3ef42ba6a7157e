"""What a mapping needs besides the object: the message around it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

__all__ = ["MappingContext"]


@dataclass(frozen=True, slots=True)
class MappingContext:
    #: Where the message is in its document (for issue locations).
    where: str
    mutatiesoort: str
    #: tijdstipBericht as a moment, when the sender gave one.
    sent_at: datetime | None = None
    #: The sending municipality's code, for messages that do not carry it (npsLk01).
    municipality: str | None = None
    #: Why a message that is accepted yields no canonical message ("nothing to publish: ..."),
    #: when the mapping knows better than "nothing changed".
    notes: list[str] = field(default_factory=list)
