"""Durable intake: the raw payload and its canonical messages are stored in one transaction
before the sender hears anything; a repeated submission gets the original answer back.

Channels (REST, SOAP, uploads) call :meth:`Intake.submit` with the payload, a translate
function (an adapter) and an authorise function (may this sender send this message?).
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import structlog
from sqlalchemy.exc import IntegrityError

from adapters.base import Draft, Issue, TranslationError
from gateway.errors import Forbidden, GatewayError, IdempotencyConflict, InvalidMessage
from gateway.events import EventFactory, format_time
from gateway.group_commit import GroupCommitter
from gateway.metrics import Metrics
from gateway.states import InboundState
from gateway.store import Store
from gateway.store.intake_repo import (
    InboundRow,
    StoredAnswer,
    find_accepted,
    insert_inbound,
)

__all__ = ["Intake", "Receipt", "Submission", "content_hash"]

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


class Intake:
    def __init__(
        self,
        *,
        store: Store,
        events: EventFactory,
        metrics: Metrics,
        on_queued: Callable[[], None] = lambda: None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._store = store
        self._events = events
        self._metrics = metrics
        self._on_queued = on_queued
        self._clock = clock
        self._committer = GroupCommitter(store)

    async def close(self) -> None:
        await self._committer.close()

    async def submit(
        self,
        submission: Submission,
        translate: Callable[[bytes], list[Draft]],
        authorize: Callable[[Draft], None] = lambda _draft: None,
    ) -> Receipt:
        # A repeat is found by the store's unique constraints when it is written, not by a
        # query before: repeats are rare, and one round trip less per submission matters on
        # the synchronous channels.
        digest = content_hash(submission.payload)
        received_at = self._clock()
        inbound_id = str(uuid.uuid4())
        try:
            drafts = translate(submission.payload)
            for draft in drafts:
                authorize(draft)
        except TranslationError as exc:
            error: GatewayError = InvalidMessage(exc.summary, issues=exc.issues)
            await self._reject(submission, inbound_id, digest, received_at, error, exc.code)
            raise error from None
        except Forbidden as exc:
            await self._reject(submission, inbound_id, digest, received_at, exc, exc.code)
            raise
        except Exception as exc:
            # A bug in an adapter must not lose the payload: keep it for ops, then fail.
            log.exception("translate_crashed", channel=submission.channel, inbound_id=inbound_id)
            error = GatewayError("the gateway could not process this payload; it was kept")
            await self._reject(submission, inbound_id, digest, received_at, error, "crashed")
            raise error from exc

        records = self._events.build(
            drafts, sender=submission.sender, content_hash=digest, received_at=received_at
        )
        receipt = Receipt(inbound_id, [r.id for r in records], format_time(received_at))
        row = _inbound_row(
            submission,
            inbound_id,
            digest,
            received_at,
            state=InboundState.ACCEPTED,
            status_code=202,
            response=receipt.as_response(),
        )
        try:
            await self._committer.write(row, records)
        except IntegrityError:
            # Sent before (or racing an identical request): answer as it was answered.
            earlier = await self._earlier(submission, digest)
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

    async def _reject(
        self,
        submission: Submission,
        inbound_id: str,
        digest: str,
        received_at: datetime,
        error: GatewayError,
        error_code: str,
    ) -> None:
        row = _inbound_row(
            submission,
            inbound_id,
            digest,
            received_at,
            state=InboundState.REJECTED,
            status_code=error.status,
            response={"code": error.code, "detail": error.detail, "issues": _issues(error.issues)},
            error_code=error_code,
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


def _inbound_row(
    submission: Submission,
    inbound_id: str,
    digest: str,
    received_at: datetime,
    *,
    state: InboundState,
    status_code: int,
    response: dict[str, Any],
    error_code: str | None = None,
) -> InboundRow:
    return InboundRow(
        id=inbound_id,
        sender=submission.sender,
        channel=submission.channel,
        adapter=submission.adapter,
        content_type=submission.content_type,
        content_hash=digest,
        received_at=received_at,
        state=state,
        payload=submission.payload,
        payload_size=len(submission.payload),
        status_code=status_code,
        response=response,
        idempotency_key=submission.idempotency_key,
        external_ref=submission.external_ref,
        error_code=error_code,
        correlation_id=submission.correlation_id,
    )


_RECEIPT_KEYS = frozenset({"inbound_id", "status", "received_at", "message_ids"})


def _issues(issues: Sequence[Issue]) -> list[dict[str, Any]]:
    return [{"where": i.where, "code": i.code, "message": i.message} for i in issues]
