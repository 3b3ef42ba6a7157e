"""Turns adapter drafts into outbox records, and outbox records into Kafka headers.

On Kafka a canonical message is a CloudEvent in binary content mode (CloudEvents Kafka
protocol binding 1.0): the record value is the JSON ``data``; the attributes travel as
``ce_*`` headers and ``content-type``. The record key is a pseudonymous person key:
HMAC-SHA256 of the BSN under a secret, so all messages of one person land on one partition,
in order, without the BSN ever being a key.

The store keeps the attributes as columns (id, source, type, time, key, supersedes) rather
than the headers themselves; :func:`kafka_headers` derives the headers when publishing.
"""

from __future__ import annotations

import hashlib
import hmac
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from types import MappingProxyType

from adapters.base import Draft
from gateway.timeutil import format_time
from schemas.registry import BY_SHORT_TYPE, data_model, dataschema_uri, full_type, type_key

__all__ = ["EventFactory", "OutboxRecord", "PayloadEvents", "format_time", "kafka_headers"]

# Fixed namespace: ids must come out the same for the same input on every machine, forever.
_ID_NAMESPACE = uuid.UUID("6f1d3f7e-5b0a-4c1e-9a43-2f3c6b1f7e01")

# Bounded: about 200 bytes an entry; the persons of one batch or file recur close together.
_PERSON_KEY_CACHE = 32_768

# Per short type: (ce_type, ce_dataschema) as bytes, computed once.
_TYPE_HEADERS: Mapping[str, tuple[bytes, bytes]] = MappingProxyType(
    {
        short: (full_type(cls).encode(), dataschema_uri(cls).encode())
        for short, cls in BY_SHORT_TYPE.items()
    }
)


@dataclass(frozen=True, slots=True)
class OutboxRecord:
    id: str
    type: str  # short type, e.g. placement.started
    topic: str
    key: str
    source: str
    event_time: str  # RFC 3339, as published in ce_time
    value: bytes
    supersedes: str | None = None


def kafka_headers(
    *,
    id: str,
    source: str,
    type: str,
    event_time: str,
    key: str,
    supersedes: str | None = None,
) -> list[tuple[str, bytes]]:
    ce_type, dataschema = _TYPE_HEADERS[type]
    headers = [
        ("ce_specversion", b"1.0"),
        ("ce_id", id.encode()),
        ("ce_source", source.encode()),
        ("ce_type", ce_type),
        ("ce_time", event_time.encode()),
        ("ce_subject", key.encode()),
        ("ce_dataschema", dataschema),
        ("content-type", b"application/json"),
    ]
    if supersedes:
        headers.append(("ce_supersedes", supersedes.encode()))
    return headers


def _uuid5_text(sha1: bytes) -> str:
    """What ``str(uuid.UUID(bytes=sha1[:16], version=5))`` gives, without the object."""
    raw = bytearray(sha1[:16])
    raw[6] = (raw[6] & 0x0F) | 0x50
    raw[8] = (raw[8] & 0x3F) | 0x80
    h = raw.hex()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


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
        self.source_prefix = source_prefix
        self.topic_for = topic_for
        # The same persons recur in every batch; the HMAC is the costliest step per message.
        self._keys: dict[str, str] = {}

    def person_key(self, bsn: str) -> str:
        key = self._keys.get(bsn)
        if key is None:
            if len(self._keys) >= _PERSON_KEY_CACHE:
                self._keys.clear()
            key = self._keys[bsn] = hmac.digest(self._secret, bsn.encode("ascii"), "sha256").hex()
        return key

    @staticmethod
    def message_id(sender: str, content_hash: str, index: int) -> str:
        """Deterministic per input: a re-sent payload yields the same CloudEvent ids."""
        return str(uuid.uuid5(_ID_NAMESPACE, f"{sender}\x1f{content_hash}\x1f{index}"))

    def for_payload(
        self, *, sender: str, content_hash: str, received_at: datetime
    ) -> PayloadEvents:
        """The builder of one payload's records, for payloads read a record at a time."""
        return PayloadEvents(
            self, sender=sender, content_hash=content_hash, received_at=received_at
        )

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
        payload = self.for_payload(
            sender=sender, content_hash=content_hash, received_at=received_at
        )
        return [
            payload.record(
                draft,
                first_index + offset,
                supersedes[offset] if offset < len(supersedes) else None,
            )
            for offset, draft in enumerate(drafts)
        ]


class PayloadEvents:
    """Everything shared by the records of one payload, worked out once."""

    def __init__(
        self, factory: EventFactory, *, sender: str, content_hash: str, received_at: datetime
    ) -> None:
        self._factory = factory
        self._source = factory.source_prefix + sender
        self._received = format_time(received_at)
        # uuid5 by hand: the namespace digest is shared by every id of this payload.
        self._prefix = hashlib.sha1(_ID_NAMESPACE.bytes, usedforsecurity=False)
        self._prefix.update(f"{sender}\x1f{content_hash}\x1f".encode())
        self._topics: dict[str, str] = {}

    def record(self, draft: Draft, index: int, supersedes: str | None = None) -> OutboxRecord:
        if not isinstance(draft.data, data_model(draft.event)):
            raise TypeError(f"{draft.event.__name__} draft carries {type(draft.data).__name__}")
        digest = self._prefix.copy()
        digest.update(str(index).encode())
        short = type_key(draft.event)
        topic = self._topics.get(short)
        if topic is None:
            # Routed by family: every version of a type goes where its routes say.
            topic = self._topics[short] = self._factory.topic_for(draft.event.short_type)
        return OutboxRecord(
            id=_uuid5_text(digest.digest()),
            type=short,
            topic=topic,
            key=self._factory.person_key(draft.data.bsn),  # type: ignore[attr-defined]
            source=self._source,
            event_time=format_time(draft.occurred_at) if draft.occurred_at else self._received,
            value=draft.data.model_dump_json(exclude_none=True).encode("utf-8"),
            supersedes=supersedes,
        )
