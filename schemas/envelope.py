"""The CloudEvents 1.0 envelope every canonical message travels in."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["SPECVERSION", "CloudEvent", "event_type"]

SPECVERSION: Literal["1.0"] = "1.0"
TYPE_PREFIX = "nl.flextensie."


def event_type(short: str, version: int) -> str:
    """The versioned CloudEvents ``type`` string, e.g. ``nl.flextensie.placement.started.v1``."""
    return f"{TYPE_PREFIX}{short}.v{version}"


class CloudEvent(BaseModel):
    """CloudEvents 1.0 attributes plus ``data``; subclasses fix ``type`` and ``data``.

    ``subject`` is the pseudonymous person key (never a BSN), so consumers can route and
    partition without touching personal data. ``supersedes`` is an extension attribute set
    when a message replaces an earlier one (re-translation, correction).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    short_type: ClassVar[str]
    version: ClassVar[int] = 1

    id: Annotated[str, Field(min_length=1, max_length=64, description="Deterministic per input.")]
    source: Annotated[str, Field(min_length=1, description="URI reference of the sender.")]
    specversion: Literal["1.0"] = SPECVERSION
    type: str
    time: datetime
    subject: Annotated[
        str, Field(pattern=r"^[0-9a-f]{64}$", description="Pseudonymous person key.")
    ]
    datacontenttype: Literal["application/json"] = "application/json"
    dataschema: str
    supersedes: Annotated[str | None, Field(max_length=64)] = None
    data: BaseModel
