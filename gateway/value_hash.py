"""What a message says, without the identity of the document that said it: the upload channel
compares business keys by it, and ops use it when an operator releases a quarantined row (so
the core need not import the channel)."""

from __future__ import annotations

import hashlib
from typing import Any

from gateway.events import OutboxRecord
from schemas.payroll import HoursReportedData

__all__ = ["value_hash"]

# A timecard's own ids differ between two documents that report the same hours.
_NOT_VALUES = {"timecard_id", "correction_of"}


def value_hash(data: Any, record: OutboxRecord) -> str:
    """What the row says, without the identity of the document that said it."""
    if isinstance(data, HoursReportedData) and (data.timecard_id or data.correction_of):
        text = data.model_dump_json(exclude_none=True, exclude=_NOT_VALUES).encode("utf-8")
    else:
        text = record.value
    return hashlib.sha256(text).hexdigest()
