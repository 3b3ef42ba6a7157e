"""What ops screens show of personal data: BSNs masked (``******333``) in raw payloads and
canonical JSON, except in a deliberate, audited reveal."""

from __future__ import annotations

from typing import Any

import orjson

from gateway.log import scrub_text
from schemas.identifiers import mask_bsn

__all__ = ["MAX_SHOWN_BYTES", "decode_payload", "mask_json", "mask_text", "pretty_json"]

#: Raw payloads larger than this are shown cut off (the rest stays in the store).
MAX_SHOWN_BYTES = 256 * 1024
_BSN_FIELDS = frozenset({"bsn", "sofinummer", "burgerservicenummer"})


def decode_payload(payload: bytes) -> str:
    """Raw bytes as text for a screen: UTF-8 (BOM removed), else Windows-1252 as CSV exports
    often are; cut at :data:`MAX_SHOWN_BYTES`."""
    cut = payload[:MAX_SHOWN_BYTES]
    try:
        text = cut.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = cut.decode("cp1252", errors="replace")
    if len(payload) > MAX_SHOWN_BYTES:
        text += f"\n... ({len(payload) - MAX_SHOWN_BYTES} more bytes not shown)"
    return text


def mask_text(text: str) -> str:
    """Every BSN, in every spelling the gateway accepts (``111-222-333``, full-width digits,
    ...), is masked: the one recogniser of ``schemas.identifiers``."""
    return scrub_text(text)


def _mask_value(value: Any) -> Any:
    if isinstance(value, dict):
        return {
            k: mask_bsn(v) if k.lower() in _BSN_FIELDS and isinstance(v, str) else _mask_value(v)
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [_mask_value(v) for v in value]
    if isinstance(value, str):
        return scrub_text(value)
    return value


def mask_json(document: Any) -> Any:
    """A copy with ``bsn`` members masked and BSN-looking numbers in strings masked."""
    return _mask_value(document)


def pretty_json(value: bytes, *, reveal: bool = False) -> str:
    """Canonical JSON as indented text for a screen or a diff, masked unless revealed."""
    try:
        document = orjson.loads(value)
    except orjson.JSONDecodeError:
        text = value.decode("utf-8", errors="replace")
        return text if reveal else mask_text(text)
    shown = document if reveal else mask_json(document)
    return orjson.dumps(shown, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS).decode()
