"""The relay partitions exactly like Kafka's Java DefaultPartitioner (murmur2), so consumers
that co-partition by key (Kafka Streams joins) agree with the gateway."""

from __future__ import annotations

from aiokafka.partitioner import DefaultPartitioner
from aiokafka.partitioner import murmur2 as reference
from hypothesis import given
from hypothesis import strategies as st

from gateway.partitioning import murmur2, partition_for


@given(st.binary(min_size=0, max_size=80))
def test_murmur2_matches_the_java_port_in_aiokafka(data: bytes) -> None:
    assert murmur2(data) == reference(data) & 0xFFFFFFFF


@given(st.binary(min_size=1, max_size=64), st.integers(min_value=1, max_value=64))
def test_partition_matches_default_partitioner(key: bytes, count: int) -> None:
    partitions = list(range(count))
    assert partition_for(key, count) == DefaultPartitioner()(key, partitions, partitions)
