"""What every adapter is: a translator from one inbound format to canonical message drafts.

Adapters know nothing of HTTP, Kafka or the store. They get bytes (or a stream) and the id of
the sender, and return drafts or raise :class:`TranslationError` listing every problem found.
The gateway turns drafts into CloudEvents (ids, person keys, time) and stores them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import ClassVar, Protocol, runtime_checkable

from pydantic import BaseModel

from schemas.envelope import CloudEvent

__all__ = ["Adapter", "AdapterConfig", "Configurable", "Draft", "Issue", "TranslationError"]


@dataclass(frozen=True, slots=True)
class Draft:
    """One canonical message before the gateway gives it an id, a key and a time."""

    event: type[CloudEvent]
    data: BaseModel
    #: When it happened at the source, if the source says; otherwise the receive time is used.
    occurred_at: datetime | None = None
    #: Where in the input it came from (JSON pointer, row number, XPath), for reports.
    origin: str = ""


@dataclass(frozen=True, slots=True)
class Issue:
    """One thing wrong with the input, precise enough for the sender to fix it.

    ``where`` is a JSON pointer (``#/0/data/bsn``), ``row 12``, or an XPath; ``code`` is
    stable (senders may act on it); ``message`` is for a person and never echoes a BSN.
    """

    where: str
    code: str
    message: str
    field: str | None = None
    value: str | None = None  # as received, already masked where personal
    #: The line of the input where the problem is, when ``where`` is not one (an XPath).
    line: int | None = None


@dataclass(eq=False)
class TranslationError(Exception):
    """The input cannot become canonical messages; ``issues`` lists every reason found."""

    issues: Sequence[Issue]
    code: str = "invalid-message"
    summary: str = field(default="")

    def __post_init__(self) -> None:
        if not self.summary:
            count = len(self.issues)
            self.summary = f"{count} problem{'s' if count != 1 else ''} found in the input"
        super().__init__(self.summary)

    retriable: ClassVar[bool] = False


@runtime_checkable
class Adapter(Protocol):
    """An inbound format. ``name`` is unique across the registry."""

    name: str

    def translate(self, payload: bytes, *, sender: str) -> list[Draft]:
        """All drafts of one payload, or ``TranslationError`` with every issue."""
        ...


@dataclass(frozen=True, slots=True)
class AdapterConfig:
    """What a deployment sets for the formats. The gateway builds it from its settings when it
    builds the registry (adapters never read the environment); the defaults are the settings'
    defaults, so an adapter built without one behaves as in an unconfigured gateway."""

    #: Largest document a format parses in one piece (``FLEXGW_MAX_BODY_BYTES``).
    max_body_bytes: int = 20 * 1024 * 1024
    #: Deepest XML nesting accepted in a StUF message (``FLEXGW_STUF_MAX_DEPTH``).
    stuf_max_depth: int = 32
    #: Agency CSV profiles; ``None`` means the shipped ones (``FLEXGW_UPLOAD_PROFILES_DIR``).
    payroll_profiles_dir: Path | None = None
    #: Official SETU schemas to validate XML against, if any (``FLEXGW_SETU_SCHEMA_DIR``).
    setu_schema_dir: Path | None = None


@runtime_checkable
class Configurable(Protocol):
    """An adapter whose behaviour depends on the deployment. The registry calls
    ``configured`` once and registers what it returns; the entry point's object is left as
    it is, so two gateways in one process never share a configuration."""

    def configured(self, config: AdapterConfig) -> Adapter: ...
