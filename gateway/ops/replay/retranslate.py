"""Re-translation: run the adapter that translated a stored raw payload again (after its
profile or mapping was fixed) and build the message that supersedes an old one.

It goes through the owning channel with all its rules: a channel that has rules beyond its
adapter (StUF: zender, ontvanger, soapAction, referentienummer) registers a
:class:`~gateway.channels.Retranslate` for its adapter; any other adapter is re-translated as
the REST channel takes it (translate, then the sender must own every message)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from adapters.base import Adapter, Draft, TranslationError
from gateway.auth import ClientLookup
from gateway.channels import Retranslate, Retranslated, StoredInput
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
    channel: str = ""
    external_ref: str | None = None
    error_code: str | None = None


class Retranslator:
    def __init__(
        self,
        *,
        adapters: Mapping[str, Adapter],
        clients: ClientLookup,
        events: EventFactory,
        channels: Mapping[str, Retranslate] | None = None,
    ) -> None:
        self._adapters = adapters
        self._clients = clients
        self._events = events
        self._channels = channels if channels is not None else {}

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
            channel=row.channel,
            external_ref=row.external_ref,
            error_code=row.error_code,
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
        return self.retranslate(source).drafts

    def retranslate(self, source: SourcePayload) -> Retranslated:
        """The drafts the payload's channel makes of it now, with the channel's idempotency
        key; raises :class:`RetranslateError` with the reason it refuses."""
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
        client = self._clients.get(source.sender)
        if client is None:
            raise RetranslateError(f"sender {source.sender!r} is no longer a configured client")
        channel = self._channels.get(source.adapter)
        try:
            if channel is not None:
                done = channel(
                    StoredInput(
                        payload=source.payload,
                        sender=source.sender,
                        channel=source.channel,
                        external_ref=source.external_ref,
                        error_code=source.error_code,
                    )
                )
            else:
                done = Retranslated(adapter.translate(source.payload, sender=source.sender))
            for draft in done.drafts:
                client.check_owns(draft.data, draft.origin)
        except TranslationError as exc:
            first = "; ".join(f"{i.where}: {i.message}" for i in exc.issues[:3])
            raise RetranslateError(mask_text(f"{exc.summary}: {first}")[:1000]) from None
        except GatewayError as exc:
            raise RetranslateError(mask_text(exc.detail)[:1000]) from None
        return done

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
