"""The tests' Kafka reader can fail: a topic that does not exist is an error, and a read says
which end offsets it read up to."""

from __future__ import annotations

import uuid

import pytest
from aiokafka import AIOKafkaProducer

from gateway.localkafka import LocalKafka
from tests.kafka_reader import TopicMissingError, create_topic, end_offsets, read_topic

pytestmark = pytest.mark.kafka


async def test_reading_a_topic_that_does_not_exist_fails(kafka: LocalKafka) -> None:
    topic = f"test.missing.{uuid.uuid4().hex[:12]}"
    with pytest.raises(TopicMissingError, match=topic):
        await read_topic(kafka.bootstrap, topic, timeout=1)
    with pytest.raises(TopicMissingError):
        await end_offsets(kafka.bootstrap, topic, timeout=1)


async def test_an_empty_topic_reads_as_no_records_with_its_end_offsets(
    kafka: LocalKafka,
) -> None:
    topic = f"test.empty.{uuid.uuid4().hex[:12]}"
    await create_topic(kafka.bootstrap, topic, partitions=kafka.partitions)
    read = await read_topic(kafka.bootstrap, topic)
    assert read.records == []
    assert read.end_offsets == dict.fromkeys(range(kafka.partitions), 0)
    assert read.end_total == 0


async def test_a_read_returns_the_records_up_to_the_end_offsets(kafka: LocalKafka) -> None:
    topic = f"test.some.{uuid.uuid4().hex[:12]}"
    await create_topic(kafka.bootstrap, topic, partitions=kafka.partitions)
    producer = AIOKafkaProducer(bootstrap_servers=kafka.bootstrap)
    await producer.start()
    try:
        for n in range(5):
            await producer.send_and_wait(
                topic, value=b"{}", key=b"k", headers=[("ce_id", f"id-{n}".encode())]
            )
    finally:
        await producer.stop()
    read = await read_topic(kafka.bootstrap, topic)
    assert read.ce_ids() == [f"id-{n}" for n in range(5)]
    assert read.end_total == 5
    assert await end_offsets(kafka.bootstrap, topic) == read.end_offsets
