"""Turns pydantic validation errors into :class:`Issue` objects every adapter reports alike."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from pydantic import ValidationError

from adapters.base import Issue

__all__ = ["issues_from_validation_error", "json_pointer"]


def json_pointer(parts: Iterable[Any]) -> str:
    """RFC 6901 pointer in URI-fragment form, as RFC 9457 shows it (``#/0/data/bsn``)."""
    escaped = [str(p).replace("~", "~0").replace("/", "~1") for p in parts]
    return "#/" + "/".join(escaped) if escaped else "#"


def _message(error: Any) -> str:
    message = str(error["msg"])
    # Our own validators raise ValueError; pydantic prefixes those, which helps nobody.
    for prefix in ("Value error, ", "Assertion failed, "):
        if message.startswith(prefix):
            return message[len(prefix) :]
    return message


def issues_from_validation_error(
    error: ValidationError, *, prefix: Iterable[Any] = (), where: str | None = None
) -> list[Issue]:
    """One issue per pydantic error; ``where`` overrides the pointer (for row-based inputs),
    otherwise it is ``prefix`` + the error's location as a JSON pointer.

    The value as received is never copied into the message: it may be a BSN.
    """
    base = list(prefix)
    issues = []
    for err in error.errors(include_input=False, include_url=False):
        loc = [part for part in err["loc"] if part != "__root__"]
        field = ".".join(str(p) for p in loc) or None
        issues.append(
            Issue(
                where=where if where is not None else json_pointer([*base, *loc]),
                code=str(err["type"]),
                message=_message(err),
                field=field,
            )
        )
    return issues
