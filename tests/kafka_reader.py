"""An independent reader of a topic: everything on it, up to the end offsets right now."""

from __future__ import annotations

import asyncio
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition


async def read_topic(bootstrap: str, topic: str, timeout: float = 30.0) -> list[Any]:
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap,
        group_id=None,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
    )
    await consumer.start()
    try:
        partitions = None
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while not partitions:
            await consumer._client.force_metadata_update()
            partitions = consumer.partitions_for_topic(topic)
            if loop.time() > deadline:
                return []
            if not partitions:
                await asyncio.sleep(0.2)
        tps = [TopicPartition(topic, p) for p in sorted(partitions)]
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
        return records
    finally:
        await consumer.stop()


def headers_of(record: Any) -> dict[str, str]:
    return {name: value.decode("utf-8") for name, value in record.headers}
