"""Turns adapter drafts into outbox records: CloudEvents in Kafka binary content mode.

The record value is the JSON ``data``; the CloudEvents attributes travel as ``ce_*`` headers
(CloudEvents Kafka protocol binding 1.0, binary mode) and ``content-type``. The record key is
a pseudonymous person key: HMAC-SHA256 of the BSN under a secret, so all messages of one
person land on one partition, in order, without the BSN ever being a key.
"""

from __future__ import annotations

import hashlib
import hmac
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from adapters.base import Draft
from schemas.registry import data_model, dataschema_uri, full_type

__all__ = ["EventFactory", "OutboxRecord", "format_time"]

# Fixed namespace: ids must come out the same for the same input on every machine, forever.
_ID_NAMESPACE = uuid.UUID("6f1d3f7e-5b0a-4c1e-9a43-2f3c6b1f7e01")
_ID_NAMESPACE_BYTES = _ID_NAMESPACE.bytes
#: Person keys remembered per factory (bulk uploads repeat a person on many rows).
_PERSON_KEY_CACHE = 65536


@dataclass(frozen=True, slots=True)
class OutboxRecord:
    id: str
    type: str  # short type
    topic: str
    key: str
    headers: list[tuple[str, str]]
    value: bytes
    supersedes: str | None = None


def format_time(moment: datetime) -> str:
    """RFC 3339 in UTC with a ``Z``, as CloudEvents expects."""
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class EventFactory:
    def __init__(
        self,
        *,
        person_key_secret: bytes,
        source_prefix: str,
        topic_for: Callable[[str], str],
    ) -> None:
        if len(person_key_secret) < 16:
            raise ValueError("the person-key secret must be at least 16 bytes")
        self._secret = person_key_secret
        self._hmac = hmac.new(person_key_secret, digestmod=hashlib.sha256)
        self._person_keys: dict[str, str] = {}
        self._source_prefix = source_prefix
        self._topic_for = topic_for

    def person_key(self, bsn: str) -> str:
        found = self._person_keys.get(bsn)
        if found is None:
            mac = self._hmac.copy()
            mac.update(bsn.encode("ascii"))
            found = mac.hexdigest()
            if len(self._person_keys) >= _PERSON_KEY_CACHE:
                self._person_keys.clear()
            self._person_keys[bsn] = found
        return found

    @staticmethod
    def message_id(sender: str, content_hash: str, index: int) -> str:
        """Deterministic per input: a re-sent payload yields the same CloudEvent ids.

        ``uuid5(_ID_NAMESPACE, name)`` computed without building UUID objects (bulk uploads
        ask a million times); a test proves it equals :func:`uuid.uuid5`.
        """
        name = f"{sender}\x1f{content_hash}\x1f{index}".encode()
        raw = bytearray(hashlib.sha1(_ID_NAMESPACE_BYTES + name, usedforsecurity=False).digest())
        raw[6] = (raw[6] & 0x0F) | 0x50  # version 5
        raw[8] = (raw[8] & 0x3F) | 0x80  # RFC 4122 variant
        h = raw[:16].hex()
        return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"

    def build(
        self,
        drafts: Sequence[Draft],
        *,
        sender: str,
        content_hash: str,
        received_at: datetime,
        first_index: int = 0,
        supersedes: Sequence[str | None] = (),
    ) -> list[OutboxRecord]:
        source = self._source_prefix + sender
        received = format_time(received_at)
        records = []
        for offset, draft in enumerate(drafts):
            if not isinstance(draft.data, data_model(draft.event)):
                raise TypeError(f"{draft.event.__name__} draft carries {type(draft.data).__name__}")
            message_id = self.message_id(sender, content_hash, first_index + offset)
            key = self.person_key(draft.data.bsn)  # type: ignore[attr-defined]
            headers = [
                ("ce_specversion", "1.0"),
                ("ce_id", message_id),
                ("ce_source", source),
                ("ce_type", full_type(draft.event)),
                ("ce_time", format_time(draft.occurred_at) if draft.occurred_at else received),
                ("ce_subject", key),
                ("ce_dataschema", dataschema_uri(draft.event)),
                ("content-type", "application/json"),
            ]
            replaced = supersedes[offset] if offset < len(supersedes) else None
            if replaced:
                headers.append(("ce_supersedes", replaced))
            records.append(
                OutboxRecord(
                    id=message_id,
                    type=draft.event.short_type,
                    topic=self._topic_for(draft.event.short_type),
                    key=key,
                    headers=headers,
                    value=draft.data.model_dump_json(exclude_none=True).encode("utf-8"),
                    supersedes=replaced,
                )
            )
        return records
