"""One StUF message from one client, whatever channel brought it (SOAP, batch file, pull):
``prepare`` reads, checks and maps it (CPU only, safe in a worker thread); ``commit`` hands it
to the intake (``accept``, or ``reject``: a refused message is kept raw for ops, as on every
channel) and says what became of it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Literal

import structlog
from lxml import etree

from adapters.base import Draft, Issue, TranslationError
from adapters.stuf.mapping.nps import nps_bsn
from adapters.stuf.messages import MessageKind, kind_of
from adapters.stuf.stuurgegevens import Stuurgegevens, read_stuurgegevens
from adapters.stuf.translate import StufAdapter, canonical_bytes, object_views
from gateway.auth import Client
from gateway.context import GatewayContext
from gateway.errors import Forbidden, GatewayError
from gateway.intake import Receipt, SenderAnswer, Submission
from gateway.store.stuf_repo import is_known_candidate
from gateway.stuf.checks import check_objects, check_systems
from schemas.identifiers import normalise_bsn

__all__ = ["Outcome", "Prepared", "StufPipeline"]

log = structlog.get_logger(__name__)

Result = Literal["accepted", "repeated", "ignored", "rejected"]
NOT_A_CANDIDATE = "nothing to publish: npsLk01 about a person who is not a known candidate"
XML = "application/xml"


@dataclass(frozen=True, slots=True)
class Prepared:
    client: Client
    channel: str
    submission: Submission
    stuurgegevens: Stuurgegevens | None = None
    kind: MessageKind | None = None
    drafts: list[Draft] = field(default_factory=list)
    failure: TranslationError | Forbidden | None = None
    #: A bug in reading or mapping (not the sender's fault): kept for ops as ``crashed``.
    crash: Exception | None = None
    #: npsLk01: the person's BSN; the message counts only for a known candidate.
    nps_bsn: str | None = None
    #: The persons (BSNs) the message is about, to keep one person's messages in order.
    persons: tuple[str, ...] = ()
    #: The line of the sender's document the stored message element starts at.
    first_line: int = 1

    @property
    def referentienummer(self) -> str | None:
        return self.stuurgegevens.referentienummer if self.stuurgegevens else None


@dataclass(frozen=True, slots=True)
class Outcome:
    result: Result
    prepared: Prepared
    receipt: Receipt | None = None
    error: BaseException | None = None


class StufPipeline:
    def __init__(self, ctx: GatewayContext, adapter: StufAdapter) -> None:
        self._ctx = ctx
        self.adapter = adapter

    # --- prepare (no I/O) ------------------------------------------------------------------
    def rejected_payload(
        self,
        client: Client,
        payload: bytes,
        failure: TranslationError | Forbidden,
        *,
        channel: str,
        content_type: str,
        correlation_id: str | None = None,
    ) -> Prepared:
        """A payload that could not even be opened (malformed XML, DOCTYPE, not SOAP)."""
        submission = Submission(
            sender=client.id,
            channel=channel,
            content_type=content_type,
            payload=payload,
            adapter=self.adapter.name,
            correlation_id=correlation_id,
        )
        return Prepared(client, channel, submission, failure=failure)

    def prepare(
        self,
        client: Client,
        element: etree._Element,
        *,
        channel: str,
        soap_action: str | None = None,
        correlation_id: str | None = None,
    ) -> Prepared:
        stuurgegevens = read_stuurgegevens(element)
        reference = (stuurgegevens.referentienummer or None) if stuurgegevens else None
        payload = canonical_bytes(element)

        def submission(key: str | None, note: str | None = None) -> Submission:
            return Submission(
                sender=client.id,
                channel=channel,
                content_type=XML,
                payload=payload,
                adapter=self.adapter.name,
                idempotency_key=key,
                external_ref=reference,
                correlation_id=correlation_id,
                note=note,
            )

        kind = kind_of(element)
        try:
            message = self.adapter.read(element)
            if not message.kind.kennisgeving:
                raise TranslationError(
                    [
                        Issue(
                            f"line {element.sourceline}: /{message.kind.name}",
                            "not-supported",
                            f"this service takes kennisgevingen (Lk01); {message.kind.name} "
                            "is not answered here",
                        )
                    ],
                    code="not-supported",
                )
            check_systems(message, client, self._ctx.settings)
            _check_action(message.kind, soap_action, element)
            mapped = self.adapter.map(message, municipality=client.gemeentecode)
            drafts = mapped.drafts
            check_objects(message, drafts, client)
        except (TranslationError, Forbidden) as failure:
            return Prepared(
                client,
                channel,
                submission(None),
                stuurgegevens,
                kind,
                failure=failure,
                first_line=_first_line(element),
            )
        except Exception as crash:
            return Prepared(
                client,
                channel,
                submission(None),
                stuurgegevens,
                kind,
                crash=crash,
                first_line=_first_line(element),
            )
        views = object_views(message)
        persons = {_bsn(v.text("inp.bsn")) for v in views}
        nps = nps_bsn(views[-1]) if message.kind.entiteittype == "NPS" else None
        return Prepared(
            client,
            channel,
            submission(message.referentienummer, mapped.nothing),
            stuurgegevens,
            message.kind,
            drafts,
            nps_bsn=_bsn(nps) if nps else ("" if message.kind.entiteittype == "NPS" else None),
            persons=tuple(sorted(p for p in persons if p)),
            first_line=_first_line(element),
        )

    # --- commit (store) ----------------------------------------------------------------------
    async def commit(
        self, prepared: Prepared, answer: Callable[[GatewayError], SenderAnswer] | None = None
    ) -> Outcome:
        """``answer``: how the channel words a refusal (the SOAP fault), kept for ops."""
        intake = self._ctx.intake
        if prepared.failure is not None:
            error = await intake.reject(prepared.submission, prepared.failure, answer=answer)
            return Outcome("rejected", prepared, error=error)
        if prepared.crash is not None:
            error = await intake.crashed(prepared.submission, prepared.crash, answer=answer)
            return Outcome("rejected", prepared, error=error)
        ignored = prepared.nps_bsn is not None and not await self._known(prepared.nps_bsn)
        if ignored:
            # Answered with success, so it is recorded: stored like any accepted message (and
            # purged by retention like them), with "nothing to publish" in its history.
            self._ctx.metrics.ignored.labels("stuf-nps-not-a-candidate").inc()
            log.info("stuf_nps_ignored", channel=prepared.channel, sender=prepared.client.id)
            prepared = replace(
                prepared,
                drafts=[],
                submission=replace(prepared.submission, note=NOT_A_CANDIDATE),
            )
        try:
            receipt = await intake.accept(prepared.submission, prepared.drafts)
        except GatewayError as exc:
            # A reused referentienummer (IdempotencyConflict) was kept as rejected by the intake.
            return Outcome("rejected", prepared, error=exc)
        if ignored and not receipt.repeated:
            return Outcome("ignored", prepared, receipt=receipt)
        return Outcome("repeated" if receipt.repeated else "accepted", prepared, receipt=receipt)

    async def _known(self, bsn: str) -> bool:
        if not bsn:
            return False
        key = self._ctx.events.person_key(bsn)
        async with self._ctx.store.read() as conn:
            return await is_known_candidate(conn, key)


def _first_line(element: etree._Element) -> int:
    line: object = element.sourceline
    return line if isinstance(line, int) else 1


def _bsn(value: object) -> str:
    if not isinstance(value, str):
        return ""
    return normalise_bsn(value) or ""


def _check_action(kind: MessageKind, soap_action: str | None, element: etree._Element) -> None:
    given = (soap_action or "").strip().strip('"')
    if given and given != kind.soap_action:
        raise TranslationError(
            [
                Issue(
                    f"line {element.sourceline}: /{kind.name}",
                    "soap-action",
                    f"soapAction '{given}' does not fit the body element {kind.name}; "
                    f"expected '{kind.soap_action}'",
                )
            ],
            code="soap-action",
        )
