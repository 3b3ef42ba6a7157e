"""Durable intake: the raw payload and its canonical messages are stored in one transaction
before the sender hears anything; a repeated submission gets the original answer back.

Every channel (REST, StUF SOAP push, batch files and pull, uploads) uses the same operations:

* :meth:`Intake.accept` stores a submission with the drafts its adapter made of it (group
  commit) and answers with a :class:`Receipt`, or with the original one for a repeat;
* :meth:`Intake.reject` keeps a refused submission raw, for ops, with the error the sender got;
* :meth:`Intake.register_file` records an uploaded file, kept on disk, for later processing;
* :meth:`Intake.submit` is the convenience for channels whose adapter translates a whole body
  at once (REST): translate, authorise, then accept or reject.

:func:`inbound_row` is the one place an inbound row is built.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import structlog
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from adapters.base import Draft, Issue, TranslationError
from gateway.errors import Forbidden, GatewayError, IdempotencyConflict, InvalidMessage
from gateway.events import EventFactory, OutboxRecord, format_time
from gateway.group_commit import GroupCommitter
from gateway.metrics import Metrics
from gateway.offload import off_loop
from gateway.states import InboundState
from gateway.store import Store
from gateway.store.intake_repo import (
    InboundRow,
    StoredAnswer,
    find_accepted,
    insert_inbound,
)

__all__ = [
    "Intake",
    "Receipt",
    "SenderAnswer",
    "StoredFile",
    "Submission",
    "content_hash",
    "inbound_row",
    "nothing_to_publish",
]

log = structlog.get_logger(__name__)


@dataclass(frozen=True, slots=True)
class Submission:
    sender: str
    channel: str
    content_type: str
    payload: bytes
    #: Registry name of the adapter that translates it (kept for re-translation).
    adapter: str | None = None
    idempotency_key: str | None = None
    external_ref: str | None = None
    correlation_id: str | None = None
    #: Why it yields no canonical message, when the channel knows ("nothing to publish: ...").
    note: str | None = None


@dataclass(frozen=True, slots=True)
class SenderAnswer:
    """How a channel answered a refusal when that is not the REST API's problem+json (StUF:
    a SOAP fault with HTTP 500 or 400 and a StUF code): what ops sees is what the sender got."""

    status: int
    code: str
    detail: str
    #: The line of the sender's document the stored payload starts at (a StUF message is
    #: stored without its envelope; the fault's line numbers count in the envelope).
    first_line: int = 1


@dataclass(frozen=True, slots=True)
class StoredFile:
    """A payload kept as a file (relative to the data directory) instead of in the row."""

    path: str
    size: int
    sha256: str


@dataclass(frozen=True, slots=True)
class Receipt:
    inbound_id: str
    message_ids: list[str]
    received_at: str
    #: True when this is the stored answer to an earlier, identical submission.
    repeated: bool = False
    extra: dict[str, Any] = field(default_factory=dict)

    def as_response(self) -> dict[str, Any]:
        return {
            "inbound_id": self.inbound_id,
            "status": "accepted",
            "received_at": self.received_at,
            "message_ids": self.message_ids,
            **self.extra,
        }


def content_hash(payload: bytes) -> str:
    return hashlib.sha256(payload).hexdigest()


def inbound_row(
    submission: Submission,
    *,
    inbound_id: str,
    received_at: datetime,
    state: InboundState,
    status_code: int,
    response: Mapping[str, Any],
    digest: str | None = None,
    error_code: str | None = None,
    stored: StoredFile | None = None,
    note: str | None = None,
) -> InboundRow:
    """The row that records one submission: its payload (or the file it is kept in), who sent
    it through which channel, and the answer the sender got."""
    if stored is not None:
        payload: bytes | None = None
        size = stored.size
        digest = stored.sha256
    else:
        payload = submission.payload
        size = len(payload)
        digest = digest or content_hash(payload)
    return InboundRow(
        id=inbound_id,
        sender=submission.sender,
        channel=submission.channel,
        adapter=submission.adapter,
        content_type=submission.content_type,
        content_hash=digest,
        received_at=received_at,
        state=state,
        payload=payload,
        payload_size=size,
        status_code=status_code,
        response=dict(response),
        idempotency_key=submission.idempotency_key,
        external_ref=submission.external_ref,
        error_code=error_code,
        correlation_id=submission.correlation_id,
        payload_path=stored.path if stored is not None else None,
        note=note,
    )


class Intake:
    def __init__(
        self,
        *,
        store: Store,
        events: EventFactory,
        metrics: Metrics,
        on_queued: Callable[[], None] = lambda: None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        offload_min_bytes: int = 16 * 1024,
        guard: Callable[[str, Sequence[Draft]], Awaitable[None]] | None = None,
    ) -> None:
        #: Checks a sender's drafts against what is stored before they are (gateway.tenancy);
        #: a :class:`Forbidden` it raises is kept as a rejection like any other.
        self._guard = guard
        self._store = store
        self._events = events
        self._metrics = metrics
        self._on_queued = on_queued
        self._clock = clock
        self._offload_min_bytes = offload_min_bytes
        self._committer = GroupCommitter(store)

    async def close(self) -> None:
        await self._committer.close()

    # --- the operations ---------------------------------------------------------------------
    async def accept(self, submission: Submission, drafts: Sequence[Draft]) -> Receipt:
        """Stores the submission and its messages durably; the receipt once committed.

        A repeat (same idempotency key, or same content, from this sender) gets the stored
        answer (``repeated``); the same key with other content is kept as rejected and raises
        :class:`IdempotencyConflict`.
        """
        # A repeat is found by the store's unique constraints when it is written, not by a
        # query before: repeats are rare, and one round trip less per submission matters on
        # the synchronous channels.
        received_at = self._clock()
        await self._check(submission, drafts)
        try:
            digest, records = await off_loop(
                len(submission.payload),
                self._offload_min_bytes,
                self._records,
                submission,
                drafts,
                received_at,
            )
        except Exception as exc:
            raise await self.crashed(submission, exc) from exc
        return await self._accept(submission, digest, received_at, records)

    async def reject(
        self,
        submission: Submission,
        failure: GatewayError | TranslationError,
        *,
        error_code: str | None = None,
        answer: Callable[[GatewayError], SenderAnswer] | None = None,
    ) -> GatewayError:
        """Keeps a refused submission raw for ops (with the issues, the error code, a metric
        and one log line); returns the error the sender is to hear. ``answer`` says how the
        channel words it, when not as problem+json."""
        error = (
            InvalidMessage(failure.summary, issues=failure.issues)
            if isinstance(failure, TranslationError)
            else failure
        )
        told = answer(error) if answer is not None else None
        response: dict[str, Any] = {
            "code": error.code,
            "detail": error.detail,
            "issues": _issues(error.issues),
        }
        if told is not None:
            response.update(code=told.code, detail=told.detail, first_line=told.first_line)
        inbound_id = str(uuid.uuid4())
        row = inbound_row(
            submission,
            inbound_id=inbound_id,
            received_at=self._clock(),
            state=InboundState.REJECTED,
            status_code=told.status if told is not None else error.status,
            response=response,
            error_code=error_code or failure.code,
        )
        async with self._store.write() as conn:
            await insert_inbound(conn, row)
        self._metrics.rejected.labels(submission.channel, error.code).inc()
        log.info(
            "submission_rejected",
            channel=submission.channel,
            sender=submission.sender,
            inbound_id=inbound_id,
            code=error.code,
            issues=len(error.issues),
        )
        return error

    async def register_file(
        self,
        conn: AsyncConnection,
        submission: Submission,
        stored: StoredFile,
        *,
        inbound_id: str,
        received_at: datetime,
        response: Mapping[str, Any],
    ) -> None:
        """Records a file kept on disk as received, in the caller's transaction (the channel
        writes its own bookkeeping beside it); the channel processes it later.
        ``submission.payload`` is not stored: the payload is the file."""
        row = inbound_row(
            submission,
            inbound_id=inbound_id,
            received_at=received_at,
            state=InboundState.RECEIVED,
            status_code=202,
            response=response,
            stored=stored,
        )
        await insert_inbound(conn, row)

    async def submit(
        self,
        submission: Submission,
        translate: Callable[[bytes], list[Draft]],
        authorize: Callable[[Draft], None] = lambda _draft: None,
    ) -> Receipt:
        """Translate and authorise the whole payload, then :meth:`accept` or :meth:`reject`."""
        received_at = self._clock()
        try:
            drafts, digest, records = await off_loop(
                len(submission.payload),
                self._offload_min_bytes,
                self._translate,
                submission,
                translate,
                authorize,
                received_at,
            )
        except (TranslationError, Forbidden) as exc:
            raise await self.reject(submission, exc) from None
        except Exception as exc:
            raise await self.crashed(submission, exc) from exc
        await self._check(submission, drafts)
        return await self._accept(submission, digest, received_at, records)

    async def _check(self, submission: Submission, drafts: Sequence[Draft]) -> None:
        if self._guard is None:
            return
        try:
            await self._guard(submission.sender, drafts)
        except Forbidden as exc:
            raise await self.reject(submission, exc) from None

    # --- the parts ----------------------------------------------------------------------------
    async def crashed(
        self,
        submission: Submission,
        exc: BaseException,
        *,
        answer: Callable[[GatewayError], SenderAnswer] | None = None,
    ) -> GatewayError:
        """Keeps a payload whose translation crashed (a bug on our side) for ops; returns the
        error the sender is to hear, which tells nothing of the crash."""
        log.error("translate_crashed", channel=submission.channel, exc_info=exc)
        error = GatewayError("the gateway could not process this payload; it was kept")
        return await self.reject(submission, error, error_code="crashed", answer=answer)

    def _translate(
        self,
        submission: Submission,
        translate: Callable[[bytes], list[Draft]],
        authorize: Callable[[Draft], None],
        received_at: datetime,
    ) -> tuple[list[Draft], str, list[OutboxRecord]]:
        drafts = translate(submission.payload)
        for draft in drafts:
            authorize(draft)
        return (drafts, *self._records(submission, drafts, received_at))

    def _records(
        self, submission: Submission, drafts: Sequence[Draft], received_at: datetime
    ) -> tuple[str, list[OutboxRecord]]:
        digest = content_hash(submission.payload)
        records = self._events.build(
            drafts, sender=submission.sender, content_hash=digest, received_at=received_at
        )
        return digest, records

    async def _accept(
        self,
        submission: Submission,
        digest: str,
        received_at: datetime,
        records: list[OutboxRecord],
    ) -> Receipt:
        inbound_id = str(uuid.uuid4())
        receipt = Receipt(inbound_id, [r.id for r in records], format_time(received_at))
        row = inbound_row(
            submission,
            inbound_id=inbound_id,
            received_at=received_at,
            state=InboundState.ACCEPTED,
            status_code=202,
            response=receipt.as_response(),
            digest=digest,
            note=None if records else nothing_to_publish(submission.note),
        )
        try:
            await self._committer.write(row, records)
        except IntegrityError:
            # Sent before (or racing an identical request): answer as it was answered.
            try:
                earlier = await self._earlier(submission, digest)
            except IdempotencyConflict as exc:
                raise await self.reject(submission, exc) from None
            if earlier is None:
                raise
            return earlier
        self._metrics.received.labels(submission.channel).inc()
        self._metrics.queued.inc(len(records))
        self._on_queued()
        log.info(
            "submission_accepted",
            channel=submission.channel,
            sender=submission.sender,
            inbound_id=inbound_id,
            messages=len(records),
        )
        return receipt

    async def _earlier(self, submission: Submission, digest: str) -> Receipt | None:
        async with self._store.read() as conn:
            found = await find_accepted(
                conn,
                sender=submission.sender,
                idempotency_key=submission.idempotency_key,
                content_hash=digest,
            )
        if not found:
            return None
        by_key = [
            a
            for a in found
            if submission.idempotency_key and a.idempotency_key == submission.idempotency_key
        ]
        answer: StoredAnswer = by_key[0] if by_key else found[0]
        if by_key and answer.content_hash != digest:
            raise IdempotencyConflict(
                "this Idempotency-Key was used before with a different body; "
                "use a new key for a new submission",
                original_inbound_id=answer.inbound_id,
            )
        self._metrics.repeated.labels(submission.channel).inc()
        log.info("submission_repeated", channel=submission.channel, inbound_id=answer.inbound_id)
        stored = answer.response
        return Receipt(
            inbound_id=answer.inbound_id,
            message_ids=list(stored.get("message_ids", [])),
            received_at=str(stored.get("received_at", "")),
            repeated=True,
            extra={k: v for k, v in stored.items() if k not in _RECEIPT_KEYS},
        )


def nothing_to_publish(reason: str | None) -> str:
    """The history detail of an accepted input that yields no message: no input is answered
    with success and then dropped without a word in its history (issue 9)."""
    if reason and reason.startswith("nothing to publish"):
        return reason
    return f"nothing to publish: {reason or 'the input yields no canonical message'}"


_RECEIPT_KEYS = frozenset({"inbound_id", "status", "received_at", "message_ids"})


def _issues(issues: Sequence[Issue]) -> list[dict[str, Any]]:
    return [{"where": i.where, "code": i.code, "message": i.message} for i in issues]
