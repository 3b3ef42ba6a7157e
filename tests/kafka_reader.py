"""An independent reader of a topic: everything on it, up to the end offsets right now.

A read proves that it read: a topic that does not exist is an error (never an empty list),
and the result carries the end offsets it read up to, so "nothing was published" can be
checked as "the end offsets did not move" instead of "the reader found nothing".

Records are read as consumers read them, ``read_committed``: the relay publishes in Kafka
transactions, and the records of an aborted (fenced) transaction are not delivered."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError, for_code

__all__ = [
    "TopicMissingError",
    "TopicRead",
    "create_topic",
    "end_offsets",
    "headers_of",
    "read_topic",
]


class TopicMissingError(LookupError):
    """The topic a test reads does not exist: nothing can be concluded from reading it."""


@dataclass(frozen=True)
class TopicRead:
    """The records of a topic from the beginning up to ``end_offsets`` (per partition)."""

    topic: str
    records: list[Any]
    end_offsets: dict[int, int]
    #: Data records up to ``end_offsets``, committed or not (transaction markers take
    #: offsets too, so the end offsets alone no longer count records).
    written: int = 0

    @property
    def end_total(self) -> int:
        """Records ever written to the topic, aborted ones included, markers not."""
        return self.written

    def ce_ids(self) -> list[str]:
        return [self.ce_id(record) for record in self.records]

    @staticmethod
    def ce_id(record: Any) -> str:
        return headers_of(record)["ce_id"]


async def _partitions(
    consumer: AIOKafkaConsumer, topic: str, timeout: float
) -> list[TopicPartition]:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        await consumer._client.force_metadata_update()
        partitions = consumer.partitions_for_topic(topic)
        if partitions:
            return [TopicPartition(topic, p) for p in sorted(partitions)]
        if loop.time() > deadline:
            raise TopicMissingError(
                f"topic {topic!r} does not exist (waited {timeout}s): nothing was ever "
                "published to it, or the test reads the wrong topic; create it first "
                "(tests.kafka_reader.create_topic) when it may legitimately be empty"
            )
        await asyncio.sleep(0.2)


def _consumer(bootstrap: str, isolation_level: str = "read_committed") -> AIOKafkaConsumer:
    return AIOKafkaConsumer(
        bootstrap_servers=bootstrap,
        group_id=None,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        isolation_level=isolation_level,
    )


async def read_topic(bootstrap: str, topic: str, timeout: float = 30.0) -> TopicRead:
    """Every committed record of ``topic`` up to its end offsets now; raises
    ``TopicMissingError`` when the topic does not appear within ``timeout``."""
    await _transactions_settled(bootstrap, topic, timeout)
    everything = await _read(bootstrap, topic, timeout, "read_uncommitted")
    committed = await _read(bootstrap, topic, timeout, "read_committed")
    end = everything.end_offsets
    return TopicRead(
        topic=topic,
        records=[r for r in committed.records if r.offset < end[r.partition]],
        end_offsets=end,
        written=len(everything.records),
    )


#: How long a read waits for transactions that are being completed. The relay marks a record
#: published once its transaction is committed, but the broker writes the commit markers to
#: the partitions after it answered the commit: for a moment a read_committed reader still
#: stops before the records the store already calls published. A transaction that stays open
#: (a paused, fenced relay) is not waited for beyond this: its records are not committed.
_SETTLE_SECONDS = 10.0


async def _transactions_settled(bootstrap: str, topic: str, timeout: float) -> None:
    """Until the last stable offset of every partition reached its end offset (no
    transaction still being completed), or ``_SETTLE_SECONDS``; raises ``TopicMissingError``
    when the topic does not appear within ``timeout``."""
    loop = asyncio.get_running_loop()
    committed = _consumer(bootstrap, "read_committed")
    everything = _consumer(bootstrap, "read_uncommitted")
    await committed.start()
    await everything.start()
    try:
        tps = await _partitions(committed, topic, timeout)
        deadline = loop.time() + min(timeout, _SETTLE_SECONDS)
        while loop.time() < deadline:
            stable = await committed.end_offsets(tps)
            end = await everything.end_offsets(tps)
            if all(stable[tp] >= end[tp] for tp in tps):
                return
            await asyncio.sleep(0.05)
    finally:
        await committed.stop()
        await everything.stop()


async def _read(bootstrap: str, topic: str, timeout: float, isolation_level: str) -> TopicRead:
    consumer = _consumer(bootstrap, isolation_level)
    await consumer.start()
    try:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        tps = await _partitions(consumer, topic, timeout)
        consumer.assign(tps)
        await consumer.seek_to_beginning(*tps)
        end = await consumer.end_offsets(tps)
        records: list[Any] = []
        while True:
            positions = [await consumer.position(tp) for tp in tps]
            if all(pos >= end[tp] for pos, tp in zip(positions, tps, strict=True)):
                break
            if loop.time() > deadline:
                raise TimeoutError(f"could not read {topic} to its end in {timeout}s")
            batch = await consumer.getmany(timeout_ms=500)
            for messages in batch.values():
                records.extend(messages)
        # getmany may return records beyond the end offsets taken above; keep the snapshot.
        records = [r for r in records if r.offset < end[TopicPartition(topic, r.partition)]]
        return TopicRead(
            topic=topic,
            records=records,
            end_offsets={tp.partition: int(end[tp]) for tp in tps},
        )
    finally:
        await consumer.stop()


async def end_offsets(bootstrap: str, topic: str, timeout: float = 30.0) -> dict[int, int]:
    """The end offset of every partition of ``topic``; raises ``TopicMissingError``."""
    consumer = _consumer(bootstrap, "read_uncommitted")
    await consumer.start()
    try:
        tps = await _partitions(consumer, topic, timeout)
        end = await consumer.end_offsets(tps)
        return {tp.partition: int(end[tp]) for tp in tps}
    finally:
        await consumer.stop()


async def create_topic(bootstrap: str, topic: str, partitions: int) -> None:
    """Creates ``topic`` (a test that expects nothing on it makes it exist first, so that
    reading it proves something); an existing topic is left as it is."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        response = await admin.create_topics(
            [NewTopic(name=topic, num_partitions=partitions, replication_factor=1)]
        )
        for _name, code, *_rest in response.topic_errors:
            if code not in (0, TopicAlreadyExistsError.errno):
                raise for_code(code)(f"could not create topic {topic!r}")
    finally:
        await admin.close()
    await end_offsets(bootstrap, topic)


def headers_of(record: Any) -> dict[str, str]:
    return {name: value.decode("utf-8") for name, value in record.headers}
