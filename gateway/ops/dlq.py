"""The dead-letter consumer: the back office reports messages it could not process on a DLQ
topic; the gateway marks them failed with the back office's reason, next to the relay's own
failures. Contract (docs/operations.md, "Failures from downstream"):

- record headers carry the CloudEvent ``ce_id`` of the message (Kafka Connect copies the
  original record's headers to its DLQ, so ``ce_id`` arrives as published);
- the reason travels in Kafka Connect's DLQ headers: ``__connect.errors.exception.message``
  (text), ``__connect.errors.exception.class.name`` (becomes the error code) and
  ``__connect.errors.stage``/``__connect.errors.connector.name`` (where);
- without ``ce_id``, ``__connect.errors.topic``/``partition``/``offset`` identify the record
  the gateway published (Kafka Connect's own DLQ sets these);
- a report about an offset older than the message's latest publication is stale (the message
  was re-published since) and ignored.

The read position is kept in the store (``dlq_offsets``) in the same transaction as the marks,
so each DLQ record is applied exactly once, and no consumer group is needed.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import structlog
from aiokafka import AIOKafkaConsumer, TopicPartition
from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from gateway.ops.masking import mask_text
from gateway.ops.publication import keep_publication
from gateway.states import MessageState, can_move
from gateway.store import Store
from gateway.store.history import Event, record_event
from gateway.store.tables import dlq_offsets, messages
from gateway.worker import Worker

__all__ = ["DeadLetter", "DlqConsumer", "apply_dead_letters", "parse_dead_letter"]

log = structlog.get_logger(__name__)

HEADER_ID = "ce_id"
H_MESSAGE = "__connect.errors.exception.message"
H_CLASS = "__connect.errors.exception.class.name"
H_STAGE = "__connect.errors.stage"
H_CONNECTOR = "__connect.errors.connector.name"
H_TOPIC = "__connect.errors.topic"
H_PARTITION = "__connect.errors.partition"
H_OFFSET = "__connect.errors.offset"
ACTOR = "back-office"


@dataclass(frozen=True, slots=True)
class DeadLetter:
    message_id: str | None
    topic: str | None
    partition: int | None
    offset: int | None
    code: str
    reason: str
    where: str


def _int(value: str | None) -> int | None:
    try:
        return None if value is None else int(value)
    except ValueError:
        return None


def parse_dead_letter(headers: Sequence[tuple[str, bytes]]) -> DeadLetter:
    found = {name: value.decode("utf-8", errors="replace") for name, value in headers}
    class_name = found.get(H_CLASS, "").strip()
    code = "back-office:" + (class_name.rsplit(".", 1)[-1] or "rejected")
    where = " / ".join(v for v in (found.get(H_CONNECTOR), found.get(H_STAGE)) if v)
    return DeadLetter(
        message_id=found.get(HEADER_ID) or None,
        topic=found.get(H_TOPIC),
        partition=_int(found.get(H_PARTITION)),
        offset=_int(found.get(H_OFFSET)),
        code=code[:64],
        reason=mask_text(found.get(H_MESSAGE) or "reported on the dead-letter topic")[:2000],
        where=f"{ACTOR} ({where})" if where else ACTOR,
    )


async def apply_dead_letters(
    conn: AsyncConnection, letters: Sequence[DeadLetter], *, at: datetime
) -> int:
    """Marks the reported messages failed; returns how many changed."""
    changed = 0
    for letter in letters:
        query = select(
            messages.c.seq,
            messages.c.id,
            messages.c.state,
            messages.c.topic,
            messages.c.kafka_partition,
            messages.c.kafka_offset,
            messages.c.published_at,
        )
        if letter.message_id:
            query = query.where(messages.c.id == letter.message_id)
        elif letter.topic and letter.partition is not None and letter.offset is not None:
            query = query.where(
                messages.c.topic == letter.topic,
                messages.c.kafka_partition == letter.partition,
                messages.c.kafka_offset == letter.offset,
            )
        else:
            log.warning("dlq_record_without_id")
            continue
        row = (await conn.execute(query)).first()
        if row is None:
            log.warning("dlq_unknown_message", message_id=letter.message_id)
            continue
        stale = (
            letter.offset is not None
            and row.kafka_offset is not None
            and letter.partition == row.kafka_partition
            and letter.offset < row.kafka_offset
        )
        # Only a published message can have failed downstream; a queued one (being replayed)
        # or a failed one already carries a newer story.
        if (
            stale
            or row.state != MessageState.PUBLISHED
            or not can_move(row.state, MessageState.FAILED)
        ):
            log.info("dlq_report_ignored", message_id=row.id, state=row.state, stale=stale)
            continue
        await keep_publication(conn, [row.seq])
        await conn.execute(
            update(messages)
            .where(messages.c.seq == row.seq)
            .values(state=MessageState.FAILED, error_code=letter.code, error_message=letter.reason)
        )
        await record_event(
            conn,
            Event(
                MessageState.FAILED,
                at,
                letter.where[:64],
                message_id=row.id,
                code=letter.code,
                detail=letter.reason,
                moved_from=row.state,
            ),
        )
        changed += 1
    return changed


class DlqConsumer:
    """Reads the DLQ topic from the position kept in the store; survives Kafka outages."""

    def __init__(
        self,
        *,
        store: Store,
        kafka_options: Mapping[str, Any],
        topic: str,
        poll_seconds: float = 1.0,
        on_failed: Callable[[int], None] = lambda _n: None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._store = store
        # gateway.kafka_client.client_options: bootstrap servers, TLS and SASL.
        self._kafka_options = dict(kafka_options)
        self._topic = topic
        self._poll = poll_seconds
        self._on_failed = on_failed
        self._clock = clock
        self._consumer: AIOKafkaConsumer | None = None
        self._assigned: set[int] = set()
        self._last_check = 0.0
        # A broker away is expected: one line per try, waiting longer each time (up to 30 s).
        self._worker = Worker(
            "dlq-consumer",
            self._round,
            interval=poll_seconds,
            failure_event="dlq_consumer_retrying",
            retry_seconds=poll_seconds,
            max_retry_seconds=30.0,
            on_stop=self._disconnect,
            log_traceback=False,
        )
        self.applied = 0

    def start(self) -> None:
        self._worker.start()

    async def stop(self) -> None:
        await self._worker.stop()

    async def _round(self) -> None:
        """One read of the topic (``getmany`` itself waits up to the poll interval); a failure
        drops the connection and the next round connects again."""
        try:
            consumer = await self._connect()
            loop = asyncio.get_running_loop()
            if loop.time() - self._last_check > 10 or not self._assigned:
                self._last_check = loop.time()
                # No subscription (positions are ours), so ask for metadata explicitly.
                await consumer._client.force_metadata_update()
                partitions = consumer.partitions_for_topic(self._topic) or set()
                if partitions - self._assigned:
                    self._assigned = set(partitions)
                    await self._assign(consumer, self._assigned)
                if not self._assigned:
                    return  # no such topic yet: look again after the poll interval
            batches = await consumer.getmany(timeout_ms=int(self._poll * 1000), max_records=500)
            for tp, records in batches.items():
                if records:
                    await self._apply(tp, records)
        except Exception:
            await self._disconnect()
            raise
        self._worker.wake()

    async def _connect(self) -> AIOKafkaConsumer:
        if self._consumer is None:
            consumer = AIOKafkaConsumer(
                **self._kafka_options,
                group_id=None,
                enable_auto_commit=False,
                # Partitions without a stored position start at their beginning.
                auto_offset_reset="earliest",
                client_id="flexgw-dlq",
                request_timeout_ms=10_000,
                isolation_level="read_committed",
            )
            self._consumer = consumer
            await consumer.start()
        return self._consumer

    async def _disconnect(self) -> None:
        consumer, self._consumer = self._consumer, None
        self._assigned = set()
        if consumer is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(consumer.stop(), 5)

    async def _assign(self, consumer: AIOKafkaConsumer, partitions: set[int]) -> None:
        tps = [TopicPartition(self._topic, p) for p in sorted(partitions)]
        consumer.assign(tps)
        async with self._store.read() as conn:
            stored = dict(
                (
                    await conn.execute(
                        select(dlq_offsets.c.partition, dlq_offsets.c.next_offset).where(
                            dlq_offsets.c.topic == self._topic
                        )
                    )
                ).all()
            )
        for tp in tps:
            if tp.partition in stored:
                consumer.seek(tp, int(stored[tp.partition]))
        log.info("dlq_consumer_assigned", topic=self._topic, partitions=sorted(partitions))

    async def _apply(self, tp: TopicPartition, records: Sequence[Any]) -> None:
        letters = [parse_dead_letter(list(r.headers or ())) for r in records]
        next_offset = records[-1].offset + 1
        async with self._store.write() as conn:
            changed = await apply_dead_letters(conn, letters, at=self._clock())
            moved = await conn.execute(
                update(dlq_offsets)
                .where(dlq_offsets.c.topic == tp.topic, dlq_offsets.c.partition == tp.partition)
                .values(next_offset=next_offset)
            )
            if not moved.rowcount:
                await conn.execute(
                    insert(dlq_offsets).values(
                        topic=tp.topic, partition=tp.partition, next_offset=next_offset
                    )
                )
        self.applied += len(records)
        if changed:
            self._on_failed(changed)
            log.info("dlq_messages_failed", count=changed, partition=tp.partition)
