"""The relay: publishes the outbox to Kafka, in order, and marks what Kafka acknowledged.

Guarantees (docs/delivery.md): a message is marked published only after the broker
acknowledged it (idempotent producer, acks=all); transient failures are retried forever with
bounded exponential backoff and jitter, the messages staying queued; a message that can never
be published (too large, broken) is marked failed with the reason and the rest keep flowing.
A crash between the acknowledgement and the mark republishes that message with the same
CloudEvent id; consumers dedupe on it. One relay at a time holds a lease in the store.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import structlog
from aiokafka import AIOKafkaProducer
from aiokafka.errors import (
    CorruptRecordException,
    InvalidTopicError,
    KafkaError,
    MessageSizeTooLargeError,
    RecordListTooLargeError,
    UnsupportedForMessageFormatError,
)
from tenacity import AsyncRetrying, RetryCallState, retry_if_exception_type, wait_random_exponential

from gateway.metrics import Metrics
from gateway.settings import Settings
from gateway.store import Store
from gateway.store.outbox_repo import (
    Failure,
    OutboxRow,
    Published,
    acquire_lease,
    fetch_queued,
    mark_failed,
    mark_published,
    note_transient_failure,
    release_lease,
)

__all__ = ["LEASE_NAME", "Relay", "TransientPublishError", "producer_factory"]

log = structlog.get_logger(__name__)

LEASE_NAME = "outbox"
LEASE_TTL = timedelta(seconds=15)

# Errors that belong to one record: retrying cannot help, the record is marked failed.
_PERMANENT = (
    MessageSizeTooLargeError,
    RecordListTooLargeError,
    CorruptRecordException,
    InvalidTopicError,
    UnsupportedForMessageFormatError,
)


class TransientPublishError(Exception):
    """Kafka could not take (all of) a batch now; the rest stays queued and is retried."""


@dataclass(frozen=True, slots=True)
class _Outcome:
    published: list[Published]
    failed: list[Failure]
    transient: list[OutboxRow]
    transient_reason: str


def producer_factory(settings: Settings) -> Callable[[], AIOKafkaProducer]:
    def make() -> AIOKafkaProducer:
        return AIOKafkaProducer(
            bootstrap_servers=settings.kafka_bootstrap_servers,
            client_id="flexgw-relay",
            enable_idempotence=True,
            acks="all",
            linger_ms=settings.kafka_linger_ms,
            max_request_size=settings.kafka_max_request_size,
            request_timeout_ms=settings.kafka_request_timeout_ms,
            compression_type=None
            if settings.kafka_compression == "none"
            else settings.kafka_compression,
            max_batch_size=256 * 1024,
        )

    return make


class Relay:
    def __init__(
        self,
        *,
        store: Store,
        settings: Settings,
        metrics: Metrics,
        make_producer: Callable[[], AIOKafkaProducer],
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._store = store
        self._settings = settings
        self._metrics = metrics
        self._make_producer = make_producer
        self._clock = clock
        self.owner = f"relay-{uuid.uuid4().hex[:12]}"
        self._producer: AIOKafkaProducer | None = None
        self._wake = asyncio.Event()
        self._stopping = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self.holds_lease = False
        self.broker_ok = False
        self._last_broker_check = 0.0

    # --- lifecycle -------------------------------------------------------------------------
    def start(self) -> None:
        self._task = asyncio.create_task(self.run(), name="relay")

    async def stop(self, grace_seconds: float = 10.0) -> None:
        self._stopping.set()
        self._wake.set()
        if self._task is not None:
            try:
                await asyncio.wait_for(asyncio.shield(self._task), grace_seconds)
            except TimeoutError:
                self._task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await self._task
        await self._close_producer()
        with contextlib.suppress(Exception):
            async with self._store.write() as conn:
                await release_lease(conn, name=LEASE_NAME, owner=self.owner)
        self._metrics.relay_up.set(0)

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    def wake(self) -> None:
        """Something was queued: look now instead of at the next poll."""
        self._wake.set()

    # --- the loop --------------------------------------------------------------------------
    async def run(self) -> None:
        log.info("relay_started", owner=self.owner)
        while not self._stopping.is_set():
            try:
                if not await self._renew_lease():
                    await self._idle(LEASE_TTL.total_seconds() / 3)
                    continue
                published = await self.publish_pending()
                if published == 0:
                    await self._check_broker_when_idle()
                    await self._idle(self._settings.relay_poll_seconds)
            except asyncio.CancelledError:
                raise
            except Exception:
                # The store may be briefly unreachable; never let the relay die of it.
                log.exception("relay_loop_error")
                await self._idle(1.0)
        log.info("relay_stopped", owner=self.owner)

    async def publish_pending(self) -> int:
        """One batch from the outbox, retried until Kafka took it; returns how many."""
        async with self._store.read() as conn:
            rows = await fetch_queued(conn, self._settings.relay_batch_size)
        if not rows:
            return 0
        pending = rows
        async for attempt in AsyncRetrying(
            retry=retry_if_exception_type(TransientPublishError),
            wait=wait_random_exponential(
                multiplier=self._settings.relay_backoff_initial_seconds,
                max=self._settings.relay_backoff_max_seconds,
            ),
            before_sleep=self._before_retry,
            reraise=True,
        ):
            with attempt:
                if self._stopping.is_set():
                    return 0
                pending = await self._publish(pending)
        return len(rows)

    async def _publish(self, rows: Sequence[OutboxRow]) -> list[OutboxRow]:
        outcome = await self._send(rows)
        now = self._clock()
        async with self._store.write() as conn:
            await mark_published(conn, outcome.published, at=now, actor="relay")
            await mark_failed(conn, outcome.failed, at=now, actor="relay")
            await note_transient_failure(
                conn,
                [r.seq for r in outcome.transient],
                code="kafka-unavailable",
                message=outcome.transient_reason,
            )
        if outcome.published:
            self.broker_ok = True
            type_of = {row.seq: row.type for row in rows}
            for done in outcome.published:
                self._metrics.published.labels(type_of[done.seq]).inc()
        for failure in outcome.failed:
            self._metrics.failed.labels(failure.code).inc()
            log.warning("message_failed", message_id=failure.id, code=failure.code)
        if outcome.transient:
            raise TransientPublishError(outcome.transient_reason)
        return []

    async def _send(self, rows: Sequence[OutboxRow]) -> _Outcome:
        failed: list[Failure] = []
        try:
            producer = await self._ensure_producer()
        except Exception as exc:  # start() fails while the broker is down
            return _Outcome([], [], list(rows), _describe(exc))
        sent: list[tuple[OutboxRow, asyncio.Future[Any]]] = []
        unsent: list[OutboxRow] = []
        reason = ""
        for index, row in enumerate(rows):
            try:
                headers = [(name, value.encode("utf-8")) for name, value in row.headers]
                future = await producer.send(
                    row.topic, value=row.value, key=row.key.encode("ascii"), headers=headers
                )
            except _PERMANENT as exc:
                failed.append(Failure(row.seq, row.id, _code(exc), _describe(exc)))
                continue
            except (KafkaError, OSError, TimeoutError) as exc:
                # Keep per-key order: nothing after a record that could not be handed over.
                unsent = list(rows[index:])
                reason = _describe(exc)
                break
            except Exception as exc:  # a broken stored record (headers, key)
                failed.append(Failure(row.seq, row.id, "broken-record", _describe(exc)))
                continue
            sent.append((row, future))
        await self._await_acknowledgements([f for _, f in sent])
        published: list[Published] = []
        transient: list[OutboxRow] = []
        for row, future in sent:
            if not future.done():  # only when stopping during an outage
                transient.append(row)
                reason = reason or "relay stopped before Kafka acknowledged"
                continue
            error = future.exception()
            if isinstance(error, _PERMANENT):
                failed.append(Failure(row.seq, row.id, _code(error), _describe(error)))
            elif error is not None:
                transient.append(row)
                reason = reason or _describe(error)
            else:
                result = future.result()
                published.append(Published(row.seq, row.id, result.partition, result.offset))
        return _Outcome(published, failed, transient + unsent, reason)

    async def _await_acknowledgements(self, futures: list[asyncio.Future[Any]]) -> None:
        """Waits for the broker. aiokafka's idempotent producer never expires a batch: during
        an outage it retries until the broker is back, keeping sequence numbers, so waiting
        (not re-sending) is what keeps order and avoids duplicates. Meanwhile the wait is
        visible: readiness drops and a warning repeats."""
        pending: set[asyncio.Future[Any]] = set(futures)
        patience = self._settings.kafka_request_timeout_ms / 1000
        while pending:
            _, pending = await asyncio.wait(pending, timeout=patience)
            if not pending:
                return
            self.broker_ok = False
            self._metrics.publish_retries.inc()
            log.warning("relay_waiting_for_kafka", unacknowledged=len(pending))
            if self._stopping.is_set():
                return

    # --- helpers ---------------------------------------------------------------------------
    async def _ensure_producer(self) -> AIOKafkaProducer:
        if self._producer is None:
            producer = self._make_producer()
            try:
                await producer.start()
            except BaseException:
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(producer.stop(), 5)
                raise
            self._producer = producer
        return self._producer

    async def _close_producer(self) -> None:
        producer, self._producer = self._producer, None
        if producer is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(producer.stop(), 10)

    async def _before_retry(self, state: RetryCallState) -> None:
        self.broker_ok = False
        self._metrics.publish_retries.inc()
        error = state.outcome.exception() if state.outcome else None
        log.warning(
            "relay_retrying",
            attempt=state.attempt_number,
            wait_seconds=round(state.upcoming_sleep, 2),
            reason=str(error),
        )
        # A fresh producer after a failure: aiokafka's idempotent producer can stay stuck
        # after a sequence error (aiokafka#1017), and a new one costs little.
        await self._close_producer()
        await self._renew_lease()

    async def _renew_lease(self) -> bool:
        async with self._store.write() as conn:
            held = await acquire_lease(
                conn, name=LEASE_NAME, owner=self.owner, now=self._clock(), ttl=LEASE_TTL
            )
        if held != self.holds_lease:
            log.info("relay_lease", held=held, owner=self.owner)
        self.holds_lease = held
        self._metrics.relay_up.set(1 if held else 0)
        return held

    async def _idle(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wake.wait(), seconds)
        self._wake.clear()

    async def _check_broker_when_idle(self) -> None:
        loop = asyncio.get_running_loop()
        if loop.time() - self._last_broker_check < 5.0:
            return
        self._last_broker_check = loop.time()
        try:
            producer = await self._ensure_producer()
            await asyncio.wait_for(producer.client.fetch_all_metadata(), 5)
            self.broker_ok = True
        except Exception as exc:
            if self.broker_ok:
                log.warning("kafka_unreachable", reason=_describe(exc))
            self.broker_ok = False
            await self._close_producer()


def _code(exc: BaseException) -> str:
    if isinstance(exc, MessageSizeTooLargeError | RecordListTooLargeError):
        return "record-too-large"
    if isinstance(exc, InvalidTopicError):
        return "invalid-topic"
    return "kafka-rejected"


def _describe(exc: BaseException) -> str:
    text = str(exc) or type(exc).__name__
    return f"{type(exc).__name__}: {text}"[:500]
