"""An upload's record. Its states (:class:`~gateway.states.InboundState`) and the transitions
between them are those of every inbound payload, in :mod:`gateway.states`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from gateway.events import format_time
from gateway.states import InboundState

__all__ = [
    "ACCEPTED_STATES",
    "FINAL_STATES",
    "Counts",
    "Upload",
    "UploadFormat",
]

UploadFormat = Literal["csv", "setu-xml", "setu-json"]

#: Rows of an upload in one of these states count as delivered (keys, placements, workers).
ACCEPTED_STATES: tuple[InboundState, ...] = (
    InboundState.ACCEPTED,
    InboundState.PARTIALLY_ACCEPTED,
)
#: Processing of the file is over (its progress is complete).
FINAL_STATES: frozenset[InboundState] = frozenset(
    {InboundState.ACCEPTED, InboundState.PARTIALLY_ACCEPTED, InboundState.REJECTED}
)


@dataclass(slots=True)
class Counts:
    bytes_read: int = 0
    rows_read: int = 0
    rows_accepted: int = 0
    rows_rejected: int = 0
    rows_duplicate: int = 0
    rows_quarantined: int = 0
    rows_corrected: int = 0
    messages: int = 0
    errors: int = 0

    def as_columns(self) -> dict[str, int]:
        return {
            "bytes_read": self.bytes_read,
            "rows_read": self.rows_read,
            "rows_accepted": self.rows_accepted,
            "rows_rejected": self.rows_rejected,
            "rows_duplicate": self.rows_duplicate,
            "rows_quarantined": self.rows_quarantined,
            "rows_corrected": self.rows_corrected,
            "messages": self.messages,
            "errors": self.errors,
        }


@dataclass(slots=True)
class Upload:
    id: str
    sender: str
    agency_kvk: str
    channel: str
    format: UploadFormat
    profile: str | None
    file_name: str | None
    content_hash: str
    state: InboundState
    policy: str
    size: int
    received_at: datetime
    counts: Counts
    payload_path: str
    started_at: datetime | None = None
    finished_at: datetime | None = None
    error_code: str | None = None
    detail: str | None = None
    report_dir: str | None = None

    def receipt(self, *, repeated: bool = False) -> dict[str, Any]:
        """The answer to the upload request (and to a repeat of it)."""
        return {
            "upload_id": self.id,
            "status": self.state,
            "status_url": f"/v1/uploads/{self.id}",
            "errors_url": f"/v1/uploads/{self.id}/errors",
            "received_at": format_time(self.received_at),
            "format": self.format,
            "profile": self.profile,
            "file_name": self.file_name,
            "size": self.size,
            "sha256": self.content_hash,
            "repeated": repeated,
        }

    def status(self, *, published: int) -> dict[str, Any]:
        c = self.counts
        percent = 100.0 if self.state in FINAL_STATES else 0.0
        if self.state not in FINAL_STATES and self.size:
            percent = round(min(c.bytes_read / self.size, 1.0) * 100, 1)
        body = self.receipt()
        body.pop("repeated")
        body.update(
            {
                "policy": self.policy,
                "started_at": format_time(self.started_at) if self.started_at else None,
                "finished_at": format_time(self.finished_at) if self.finished_at else None,
                "progress": {
                    "bytes_read": c.bytes_read if self.state not in FINAL_STATES else self.size,
                    "bytes_total": self.size,
                    "percent": percent,
                },
                "counts": {
                    "rows_read": c.rows_read,
                    "rows_accepted": c.rows_accepted,
                    "rows_rejected": c.rows_rejected,
                    "rows_duplicate": c.rows_duplicate,
                    "rows_quarantined": c.rows_quarantined,
                    "rows_corrected": c.rows_corrected,
                    "messages": c.messages,
                    "messages_published": published,
                    "errors": c.errors,
                },
            }
        )
        #: What came of it in words (why rejected, how many rows were held back, ...).
        body["detail"] = self.detail
        if self.error_code:
            body["error"] = {"code": self.error_code, "detail": self.detail}
        return body
