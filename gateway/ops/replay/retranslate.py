"""Re-translation: run the adapter that translated a stored raw payload again (after its
profile or mapping was fixed) and build the message that supersedes an old one."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from adapters.base import Adapter, Draft, TranslationError
from gateway.auth import ClientLookup
from gateway.errors import GatewayError
from gateway.events import EventFactory, OutboxRecord
from gateway.ops.masking import mask_text
from gateway.store.tables import inbound, messages
from gateway.timeutil import as_utc

__all__ = ["RetranslateError", "Retranslator", "SourcePayload"]


class RetranslateError(Exception):
    """This message cannot be re-translated; the text says why (shown to ops, no BSN)."""


@dataclass(frozen=True, slots=True)
class SourcePayload:
    inbound_id: str
    sender: str
    adapter: str | None
    content_hash: str
    received_at: datetime
    payload: bytes | None
    #: Set for uploaded files, which stay on disk instead of in the inbound row.
    payload_path: str | None
    #: Ids of the inbound's original messages (not re-translations), in seq order.
    originals: list[str]


class Retranslator:
    def __init__(
        self, *, adapters: Mapping[str, Adapter], clients: ClientLookup, events: EventFactory
    ) -> None:
        self._adapters = adapters
        self._clients = clients
        self._events = events

    async def load_source(self, conn: AsyncConnection, inbound_id: str) -> SourcePayload:
        row = (await conn.execute(select(inbound).where(inbound.c.id == inbound_id))).one()
        originals = await conn.scalars(
            select(messages.c.id)
            .where(messages.c.inbound_id == inbound_id, messages.c.supersedes.is_(None))
            .order_by(messages.c.seq)
        )
        return SourcePayload(
            inbound_id=row.id,
            sender=row.sender,
            adapter=row.adapter,
            content_hash=row.content_hash,
            received_at=as_utc(row.received_at),
            payload=row.payload,
            payload_path=row.payload_path,
            originals=list(originals),
        )

    async def index_of(self, conn: AsyncConnection, message: Any, source: SourcePayload) -> int:
        """Where the message stands among its payload's drafts: follow ``supersedes`` back to
        the original message, whose position the intake fixed."""
        current_id, supersedes = message.id, message.supersedes
        for _ in range(100):
            if supersedes is None:
                break
            current_id = supersedes
            supersedes = await conn.scalar(
                select(messages.c.supersedes).where(messages.c.id == current_id)
            )
        try:
            return source.originals.index(current_id)
        except ValueError:
            raise RetranslateError("cannot find the message's place in its payload") from None

    def translate(self, source: SourcePayload) -> list[Draft]:
        if source.payload is None and source.payload_path:
            raise RetranslateError(
                "this message comes from an uploaded file, which is not re-translated (files "
                "can be gigabytes); after fixing the profile, ask the agency for a corrected "
                "file or mark the rows as corrections"
            )
        if source.payload is None:
            raise RetranslateError("the raw payload was purged (retention); re-publish instead")
        if not source.adapter:
            raise RetranslateError("the payload does not say which adapter translated it")
        adapter = self._adapters.get(source.adapter)
        if adapter is None:
            raise RetranslateError(f"adapter {source.adapter!r} is not installed")
        try:
            drafts = adapter.translate(source.payload, sender=source.sender)
        except TranslationError as exc:
            first = "; ".join(f"{i.where}: {i.message}" for i in exc.issues[:3])
            raise RetranslateError(mask_text(f"{exc.summary}: {first}")[:1000]) from None
        client = self._clients.get(source.sender)
        if client is None:
            raise RetranslateError(f"sender {source.sender!r} is no longer a configured client")
        try:
            for draft in drafts:
                client.check_owns(draft.data, draft.origin)
        except GatewayError as exc:
            raise RetranslateError(mask_text(exc.detail)[:1000]) from None
        return drafts

    def record(
        self,
        source: SourcePayload,
        drafts: list[Draft],
        index: int,
        *,
        replaces: str,
        generation: str,
    ) -> OutboxRecord:
        """The superseding message: new id (deterministic per ``generation``, e.g. the job),
        same place in the payload, ``supersedes`` = ``replaces``."""
        if index >= len(drafts):
            raise RetranslateError(
                f"the payload now yields {len(drafts)} message(s); "
                f"nothing stands at position {index + 1}"
            )
        [record] = self._events.build(
            [drafts[index]],
            sender=source.sender,
            content_hash=f"{source.content_hash}/retranslate/{generation}",
            received_at=source.received_at,
            first_index=index,
            supersedes=[replaces],
        )
        return record
