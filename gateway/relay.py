"""The relay: publishes the outbox to Kafka, in order, and marks what Kafka acknowledged.

Guarantees (docs/delivery.md): a message is marked published only after the broker
acknowledged it (idempotent producer, acks=all); transient failures are retried forever with
bounded exponential backoff and jitter, the messages staying queued; a message that can never
be published (too large, broken) is marked failed with the reason and the rest keep flowing.
One relay at a time holds a lease in the store, and a relay that lost it can neither publish
nor mark: every drain step and acknowledgement wait renews it, the marks are written only while
the lease is still ours at our epoch (in the same transaction), and each drain batch is one
Kafka transaction under a ``transactional.id`` shared by all relays, so a new holder's producer
fences the old one at the broker. Only a crash between Kafka's commit and the store's commit
republishes (same CloudEvent ids; consumers dedupe on them).
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import structlog
from aiokafka import AIOKafkaProducer
from aiokafka.errors import (
    CorruptRecordException,
    InvalidProducerEpoch,
    InvalidTopicError,
    KafkaError,
    MessageSizeTooLargeError,
    ProducerFenced,
    RecordListTooLargeError,
    UnsupportedForMessageFormatError,
)
from tenacity import AsyncRetrying, RetryCallState, retry_if_exception_type, wait_random_exponential

from gateway.events import kafka_headers
from gateway.kafka_client import client_options
from gateway.metrics import Metrics
from gateway.partitioning import partition_hash
from gateway.settings import Settings
from gateway.store import Store
from gateway.store.outbox_repo import (
    Failure,
    OutboxRow,
    Published,
    fetch_queued,
    mark_failed,
    mark_published,
    note_transient_failure,
)
from gateway.worker import Lease, Worker

__all__ = ["LEASE_NAME", "LeaseLost", "Relay", "TransientPublishError", "producer_factory"]

log = structlog.get_logger(__name__)

LEASE_NAME = "outbox"

# Errors that belong to one record: retrying cannot help, the record is marked failed.
_PERMANENT = (
    MessageSizeTooLargeError,
    RecordListTooLargeError,
    CorruptRecordException,
    InvalidTopicError,
    UnsupportedForMessageFormatError,
)
# The broker's word that a newer producer with our transactional.id exists: the lease is gone.
_FENCED = (ProducerFenced, InvalidProducerEpoch)


# Rounds of ``relay_batch_size`` records in flight at once (handed over, not yet recorded).
_PIPELINE_DEPTH = 3


class _Recorder:
    """The second half of the pipeline: settles rounds in order and records them."""

    def __init__(self, relay: Relay) -> None:
        self.relay = relay
        self.handled = 0
        self.stop_reason = ""

    async def run(self, rounds: asyncio.Queue[_Round | None]) -> None:
        while (handed := await rounds.get()) is not None:
            outcome = await self.relay._settle(handed)
            await self.relay._record(outcome)
            self.handled += len(outcome.published) + len(outcome.failed)
            if outcome.transient:
                self.stop_reason = self.stop_reason or outcome.transient_reason


# Upper bound of the ce_* headers plus record framing, for the size check before sending.
_HEADERS_SIZE = 1024
_KEY_HASH_CACHE = 32_768


class TransientPublishError(Exception):
    """Kafka could not take (all of) a batch now; the rest stays queued and is retried."""


class LeaseLost(Exception):
    """Another relay holds the lease now: this one stops publishing and marking at once."""


@dataclass(slots=True)
class _Round:
    """What one pipeline round handed to the producer (and what it could not)."""

    sent: list[tuple[list[OutboxRow], asyncio.Future[Any]]] = field(default_factory=list)
    failed: list[Failure] = field(default_factory=list)
    unsent: list[OutboxRow] = field(default_factory=list)
    reason: str = ""


@dataclass(frozen=True, slots=True)
class _Outcome:
    published: list[Published]
    failed: list[Failure]
    transient: list[OutboxRow]
    transient_reason: str


def producer_factory(settings: Settings) -> Callable[[], AIOKafkaProducer]:
    # One transactional.id for every relay of the installation: a new lease holder's producer
    # bumps its epoch at the broker, which then refuses the older holder's writes.
    transactional_id = settings.resolved_transactional_id if settings.relay_transactions else None

    def make() -> AIOKafkaProducer:
        return AIOKafkaProducer(
            **client_options(settings),
            client_id="flexgw-relay",
            enable_idempotence=True,
            transactional_id=transactional_id,
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
        self._producer: AIOKafkaProducer | None = None
        # The lease epoch the producer was made under: a new holding needs a new producer,
        # whose start (init_transactions) fences every older one at the broker.
        self._producer_epoch: int | None = None
        self._lease = Lease(
            store,
            LEASE_NAME,
            ttl=timedelta(seconds=settings.relay_lease_seconds),
            owner=f"relay-{uuid.uuid4().hex[:12]}",
            on_change=lambda held: metrics.relay_up.set(1 if held else 0),
            clock=clock,
        )
        self._worker = Worker(
            "relay",
            self._round,
            interval=lambda: settings.relay_poll_seconds,
            # The store may be briefly unreachable; never let the relay die of it.
            failure_event="relay_loop_error",
            retry_seconds=1.0,
            lease=self._lease,
            on_stop=self._close_producer,
        )
        self.broker_ok = False
        self._last_broker_check = 0.0
        self._partitions: dict[str, list[int]] = {}
        self._key_hashes: dict[bytes, int] = {}

    # --- lifecycle -------------------------------------------------------------------------
    def start(self) -> None:
        log.info("relay_started", owner=self.owner)
        self._worker.start()

    async def stop(self, grace_seconds: float = 10.0) -> None:
        """Lets the drain in hand finish for ``grace_seconds``, closes the producer, then
        hands the lease back."""
        was_running = self._worker.running
        await self._worker.stop(grace_seconds)
        if was_running:
            log.info("relay_stopped", owner=self.owner)
        self._metrics.relay_up.set(0)

    @property
    def running(self) -> bool:
        return self._worker.running

    @property
    def owner(self) -> str:
        return self._lease.owner

    @property
    def holds_lease(self) -> bool:
        return self._lease.held()

    def wake(self) -> None:
        """Something was queued: look now instead of at the next poll."""
        self._worker.wake()

    # --- the loop --------------------------------------------------------------------------
    async def _round(self) -> None:
        """One drain of the outbox (the worker holds the lease around it)."""
        try:
            handled = await self.publish_pending()
        except LeaseLost as exc:
            log.warning("relay_fenced", owner=self.owner, reason=str(exc))
            await self._close_producer()
            return
        if handled:
            self._worker.wake()  # more may have been queued meanwhile: look again at once
        else:
            await self._check_broker_when_idle()

    async def publish_pending(self) -> int:
        """Publishes until nothing is queued; transient failures are retried (tenacity,
        exponential backoff with jitter, bounded wait). Returns how many were handled."""
        handled = 0
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
                if self._settings.relay_transactions:
                    handled += await self._pump_transactional()
                else:
                    handled += await self._pump()
        return handled

    async def _keep_lease(self) -> None:
        """Renews the lease when a third of it is used; raises LeaseLost when it is gone."""
        if not self._lease.due():
            return
        try:
            renewed = await self._lease.renew()
        except Exception as exc:
            if self._lease.held():
                return  # the store hiccuped; the lease still runs for a while
            raise LeaseLost(f"lease not renewable: {_describe(exc)}") from exc
        if not renewed:
            raise LeaseLost("another relay holds the lease")

    async def _pump_transactional(self) -> int:
        """Publishes the outbox in seq order, one Kafka transaction per drain batch: hand the
        batch over, wait for every acknowledgement, then mark it published and commit the
        Kafka transaction inside one store transaction that first confirms the lease is still
        ours at our epoch. A batch that is not complete is aborted (invisible to
        read_committed consumers) and retried from its first record."""
        handled = 0
        cursor = 0
        limit = self._settings.relay_batch_size * _PIPELINE_DEPTH
        prefetch: asyncio.Task[list[OutboxRow]] | None = None
        try:
            while not self._worker.stopping:
                await self._keep_lease()
                if prefetch is not None:
                    rows, prefetch = await prefetch, None
                else:
                    rows = await self._fetch(limit, cursor)
                if not rows:
                    break
                # The next batch is read while Kafka acknowledges this one.
                prefetch = asyncio.create_task(self._fetch(limit, rows[-1].seq))
                done, committed = await self._transaction(rows)
                handled += done
                if committed:
                    cursor = rows[-1].seq
                elif prefetch is not None:
                    prefetch.cancel()
                    prefetch = None
        finally:
            if prefetch is not None:
                prefetch.cancel()
                await asyncio.gather(prefetch, return_exceptions=True)
        return handled

    async def _fetch(self, limit: int, after_seq: int) -> list[OutboxRow]:
        async with self._store.read() as conn:
            return await fetch_queued(conn, limit, after_seq=after_seq)

    async def _transaction(self, rows: list[OutboxRow]) -> tuple[int, bool]:
        """One drain batch in one Kafka transaction; returns how many were handled and
        whether the batch was committed (else what the broker refused is recorded failed and
        the rest stays queued, to be sent again from the same position)."""
        try:
            producer = await self._ensure_producer()
            await producer.begin_transaction()
        except _FENCED as exc:
            raise LeaseLost(_describe(exc)) from exc
        except Exception as exc:  # start() fails while the broker is down
            raise TransientPublishError(_describe(exc)) from exc
        handed = await self._hand_over(rows)
        outcome = await self._settle(handed)
        rejected = len(outcome.failed) > len(handed.failed)
        if outcome.transient or rejected:
            # The broker refused part of the batch: the transaction cannot commit.
            await self._abort(producer)
            await self._record(
                _Outcome([], outcome.failed, outcome.transient, outcome.transient_reason)
            )
            if outcome.transient:
                raise TransientPublishError(outcome.transient_reason)
            return len(outcome.failed), False
        # Shielded: a cancelled round must not split Kafka's commit from the store's.
        await asyncio.shield(self._commit(producer, outcome))
        return len(outcome.published) + len(outcome.failed), True

    async def _commit(self, producer: AIOKafkaProducer, outcome: _Outcome) -> None:
        now = self._clock()
        async with self._store.write() as conn:
            if not await self._lease.confirm(conn):
                raise LeaseLost("another relay holds the lease")
            await mark_published(conn, outcome.published, at=now)
            await mark_failed(conn, outcome.failed, at=now, actor="relay")
            # Within the store transaction: if Kafka refuses the commit (fenced, timed out)
            # the marks roll back and the batch is published again by whoever holds the lease.
            try:
                await asyncio.wait_for(
                    producer.commit_transaction(), self._settings.kafka_request_timeout_ms / 1000
                )
            except _FENCED as exc:
                raise LeaseLost(_describe(exc)) from exc
            except (KafkaError, OSError, TimeoutError) as exc:
                await self._close_producer()
                raise TransientPublishError(_describe(exc)) from exc
        self._count(outcome)

    async def _abort(self, producer: AIOKafkaProducer) -> None:
        try:
            await asyncio.wait_for(
                producer.abort_transaction(), self._settings.kafka_request_timeout_ms / 1000
            )
        except _FENCED as exc:
            raise LeaseLost(_describe(exc)) from exc
        except Exception:
            # An unfinished transaction is aborted by the next producer's start anyway.
            await self._close_producer()

    async def _pump(self) -> int:
        """Reads the outbox in seq order and hands it to the producer, while a recorder task
        waits for Kafka's acknowledgements and writes them to the store: up to
        ``_PIPELINE_DEPTH`` rounds are in flight. Rounds are handed over and recorded strictly
        in seq order."""
        rounds: asyncio.Queue[_Round | None] = asyncio.Queue(maxsize=_PIPELINE_DEPTH)
        recorder = _Recorder(self)
        recording = asyncio.create_task(recorder.run(rounds), name="relay-recorder")
        cursor = 0
        try:
            while not recorder.stop_reason and not self._worker.stopping:
                async with self._store.read() as conn:
                    rows = await fetch_queued(
                        conn, self._settings.relay_batch_size, after_seq=cursor
                    )
                if not rows:
                    break
                cursor = rows[-1].seq
                handed = await self._hand_over(rows)
                await rounds.put(handed)
                if handed.unsent:
                    # Per-key order: after a round that could not be handed over completely,
                    # nothing later is sent until the retry starts again from the lowest seq.
                    recorder.stop_reason = recorder.stop_reason or handed.reason
        finally:
            await rounds.put(None)
            await recording
        if recorder.stop_reason:
            raise TransientPublishError(recorder.stop_reason)
        return recorder.handled

    async def _record(self, outcome: _Outcome) -> None:
        now = self._clock()
        async with self._store.write() as conn:
            if not await self._lease.confirm(conn):
                raise LeaseLost("another relay holds the lease")
            await mark_published(conn, outcome.published, at=now)
            await mark_failed(conn, outcome.failed, at=now, actor="relay")
            await note_transient_failure(
                conn,
                [r.seq for r in outcome.transient],
                code="kafka-unavailable",
                message=outcome.transient_reason,
            )
        self._count(outcome)

    def _count(self, outcome: _Outcome) -> None:
        if outcome.published:
            self.broker_ok = True
            for short_type, count in Counter(p.type for p in outcome.published).items():
                self._metrics.published.labels(short_type).inc(count)
        for failure in outcome.failed:
            self._metrics.failed.labels(failure.code).inc()
            log.warning("message_failed", message_id=failure.id, code=failure.code)

    async def _hand_over(self, rows: Sequence[OutboxRow]) -> _Round:
        """Gives the rows to the producer as record batches per partition, in seq order.
        Batches (``send_batch``) rather than per-record ``send`` keep the relay's cost per
        record close to the producer's own."""
        handed = _Round()
        try:
            producer = await self._ensure_producer()
        except Exception as exc:  # start() fails while the broker is down
            handed.unsent = list(rows)
            handed.reason = _describe(exc)
            return handed
        open_batches: dict[tuple[str, int], tuple[Any, list[OutboxRow]]] = {}
        done: set[int] = set()
        try:
            for row in rows:
                try:
                    key, headers, partition = await self._prepare(producer, row)
                except _PERMANENT as exc:
                    handed.failed.append(Failure(row.seq, row.id, _code(exc), _describe(exc)))
                    done.add(row.seq)
                    continue
                except (KafkaError, OSError, TimeoutError):
                    raise
                except Exception as exc:  # a broken stored record
                    handed.failed.append(Failure(row.seq, row.id, "broken-record", _describe(exc)))
                    done.add(row.seq)
                    continue
                slot = (row.topic, partition)
                batch, members = open_batches.get(slot) or (producer.create_batch(), [])
                if batch.append(key=key, value=row.value, timestamp=None, headers=headers) is None:
                    # Full: hand it over, start the next batch for this partition.
                    batch.close()
                    future = await producer.send_batch(batch, row.topic, partition=partition)
                    handed.sent.append((members, future))
                    done.update(r.seq for r in members)
                    batch, members = producer.create_batch(), []
                    batch.append(key=key, value=row.value, timestamp=None, headers=headers)
                members.append(row)
                open_batches[slot] = (batch, members)
            for (topic, partition), (batch, members) in open_batches.items():
                batch.close()
                future = await producer.send_batch(batch, topic, partition=partition)
                handed.sent.append((members, future))
                done.update(r.seq for r in members)
        except _FENCED as exc:
            raise LeaseLost(_describe(exc)) from exc
        except (KafkaError, OSError, TimeoutError) as exc:
            handed.unsent = [r for r in rows if r.seq not in done]
            handed.reason = _describe(exc)
        return handed

    async def _prepare(
        self, producer: AIOKafkaProducer, row: OutboxRow
    ) -> tuple[bytes, list[tuple[str, bytes]], int]:
        headers = kafka_headers(
            id=row.id,
            source=row.source,
            type=row.type,
            event_time=row.event_time,
            key=row.key,
            supersedes=row.supersedes,
        )
        key = row.key.encode("ascii")
        # One oversized record must fail alone, not take its whole batch down at the broker.
        size = len(row.value) + len(key) + _HEADERS_SIZE
        if size > self._settings.kafka_max_request_size:
            raise MessageSizeTooLargeError(
                f"record of about {size} bytes exceeds the maximum request size "
                f"({self._settings.kafka_max_request_size} bytes)"
            )
        partitions = self._partitions.get(row.topic)
        if partitions is None:
            found = await producer.partitions_for(row.topic)
            partitions = self._partitions[row.topic] = sorted(found)
        hashed = self._key_hashes.get(key)
        if hashed is None:
            if len(self._key_hashes) >= _KEY_HASH_CACHE:
                self._key_hashes.clear()
            # The same persons recur; murmur2 in Python is the costliest step per record.
            hashed = self._key_hashes[key] = partition_hash(key)
        return key, headers, partitions[hashed % len(partitions)]

    async def _settle(self, handed: _Round) -> _Outcome:
        """Waits for the broker's acknowledgements of one round and sorts the results."""
        await self._await_acknowledgements([future for _, future in handed.sent])
        published: list[Published] = []
        failed = list(handed.failed)
        transient: list[OutboxRow] = []
        reason = handed.reason
        for members, future in handed.sent:
            if not future.done():  # only when stopping during an outage
                transient.extend(members)
                reason = reason or "relay stopped before Kafka acknowledged"
                continue
            error = future.exception()
            if isinstance(error, _FENCED):
                raise LeaseLost(_describe(error))
            if isinstance(error, _PERMANENT):
                failed.extend(Failure(r.seq, r.id, _code(error), _describe(error)) for r in members)
            elif error is not None:
                transient.extend(members)
                reason = reason or _describe(error)
            else:
                meta = future.result()
                published.extend(
                    Published(r.seq, r.id, r.type, meta.partition, meta.offset + i)
                    for i, r in enumerate(members)
                )
        return _Outcome(published, failed, transient + handed.unsent, reason)

    async def _await_acknowledgements(self, futures: list[asyncio.Future[Any]]) -> None:
        """Waits for the broker. aiokafka's idempotent producer never expires a batch: during
        an outage it retries until the broker is back, keeping sequence numbers, so waiting
        (not re-sending) is what keeps order and avoids duplicates. Meanwhile the wait is
        visible: readiness drops and a warning repeats."""
        pending: set[asyncio.Future[Any]] = set(futures)
        patience = self._settings.kafka_request_timeout_ms / 1000
        # Renew the lease while waiting: a long outage must not let it run out unnoticed.
        step = min(patience, self._lease.renew_seconds)
        waited = 0.0
        while pending:
            _, pending = await asyncio.wait(pending, timeout=step)
            if not pending:
                return
            await self._keep_lease()
            waited += step
            if waited < patience:
                continue
            waited = 0.0
            self.broker_ok = False
            self._metrics.publish_retries.inc()
            log.warning("relay_waiting_for_kafka", unacknowledged=len(pending))
            if self._worker.stopping:
                return

    # --- helpers ---------------------------------------------------------------------------
    async def _ensure_producer(self) -> AIOKafkaProducer:
        if self._producer is not None and self._producer_epoch != self._lease.epoch:
            await self._close_producer()
        if self._producer is None:
            producer = self._make_producer()
            try:
                await producer.start()
            except BaseException:
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(producer.stop(), 5)
                raise
            self._producer = producer
            self._producer_epoch = self._lease.epoch
        return self._producer

    async def _close_producer(self) -> None:
        producer, self._producer = self._producer, None
        self._partitions.clear()  # topics may have been re-partitioned meanwhile
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
        if not await self._lease.renew():
            raise LeaseLost("another relay holds the lease")

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
