"""One message or a JSON array of messages, each ``{"type": ..., "data": {...}}``.

``type`` is the versioned CloudEvents type (``nl.flextensie.placement.started.v1``); the
gateway assigns ``id``, ``source``, ``subject`` and ``time``. An optional ``time`` says when
the event happened at the sender.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import orjson
from pydantic import TypeAdapter, ValidationError

from adapters.base import Draft, Issue, TranslationError
from adapters.issues import issues_from_validation_error, json_pointer
from schemas.registry import BY_TYPE, data_model

__all__ = ["CanonicalJsonAdapter"]

_ALLOWED_KEYS = frozenset({"type", "data", "time"})
_TIME = TypeAdapter(datetime)


class CanonicalJsonAdapter:
    name = "canonical-json"

    def __init__(self, max_messages: int = 10_000) -> None:
        self.max_messages = max_messages

    def translate(self, payload: bytes, *, sender: str) -> list[Draft]:
        try:
            document = orjson.loads(payload)
        except orjson.JSONDecodeError as exc:
            raise TranslationError(
                [Issue(where="#", code="malformed_json", message=f"not valid JSON: {exc}")],
                code="malformed-json",
            ) from None
        batch = isinstance(document, list)
        items: list[Any] = document if batch else [document]
        if not items:
            raise TranslationError([Issue("#", "empty", "the array holds no messages")])
        if len(items) > self.max_messages:
            raise TranslationError(
                [Issue("#", "too_many", f"at most {self.max_messages} messages per request")],
                code="too-many-messages",
            )
        drafts: list[Draft] = []
        issues: list[Issue] = []
        for index, item in enumerate(items):
            prefix = [index] if batch else []
            draft = _one(item, prefix, issues)
            if draft is not None:
                drafts.append(draft)
        if issues:
            raise TranslationError(issues)
        return drafts


def _one(item: Any, prefix: list[Any], issues: list[Issue]) -> Draft | None:
    if not isinstance(item, dict):
        issues.append(Issue(json_pointer(prefix), "not_an_object", "a message is a JSON object"))
        return None
    found = len(issues)
    for extra in sorted(set(item) - _ALLOWED_KEYS):
        issues.append(
            Issue(
                json_pointer([*prefix, extra]),
                "extra_forbidden",
                "unknown member; a message has only 'type', 'data' and 'time'",
            )
        )
    given = item.get("type")
    event = BY_TYPE.get(given) if isinstance(given, str) else None
    if event is None:
        issues.append(
            Issue(
                json_pointer([*prefix, "type"]),
                "unknown_type" if "type" in item else "missing",
                "type must be one of: " + ", ".join(sorted(BY_TYPE)),
                field="type",
            )
        )
    occurred_at = None
    if "time" in item:
        try:
            occurred_at = _TIME.validate_python(item["time"])
        except ValidationError as exc:
            issues.extend(issues_from_validation_error(exc, prefix=[*prefix, "time"]))
    if "data" not in item:
        issues.append(Issue(json_pointer([*prefix, "data"]), "missing", "data is required"))
        return None
    if event is None:
        return None
    try:
        data = data_model(event).model_validate(item["data"])
    except ValidationError as exc:
        issues.extend(issues_from_validation_error(exc, prefix=[*prefix, "data"]))
        return None
    if len(issues) > found:
        return None
    # Prefix is [] or [index]: the pointer without json_pointer's escaping (a hot path).
    origin = f"#/{prefix[0]}" if prefix else "#"
    return Draft(event=event, data=data, occurred_at=occurred_at, origin=origin)
