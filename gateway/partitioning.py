"""Kafka's default partitioner, as the Java client computes it (murmur2 of the key), so that
any Java or Kafka Streams consumer co-partitions with the gateway's topics.

aiokafka ships a byte-at-a-time pure-Python murmur2; this one reads the key as 32-bit words
with ``struct`` and is about three times faster on the gateway's 64-byte keys. A test checks
it against aiokafka's on random keys.
"""

from __future__ import annotations

import struct

__all__ = ["murmur2", "partition_for", "partition_hash"]

_M = 0x5BD1E995
_SEED = 0x9747B28C
_MASK = 0xFFFFFFFF


def murmur2(data: bytes) -> int:
    length = len(data)
    h = (_SEED ^ length) & _MASK
    words = length // 4
    for k in struct.unpack_from(f"<{words}I", data):
        k = (k * _M) & _MASK
        k ^= k >> 24
        k = (k * _M) & _MASK
        h = ((h * _M) & _MASK) ^ k
    tail = length & 3
    base = words * 4
    if tail == 3:
        h ^= data[base + 2] << 16
    if tail >= 2:
        h ^= data[base + 1] << 8
    if tail >= 1:
        h ^= data[base]
        h = (h * _M) & _MASK
    h ^= h >> 13
    h = (h * _M) & _MASK
    h ^= h >> 15
    return h


def partition_hash(key: bytes) -> int:
    """The non-negative hash Kafka's DefaultPartitioner takes modulo the partition count."""
    return murmur2(key) & 0x7FFFFFFF


def partition_for(key: bytes, partitions: int) -> int:
    """Index into the sorted partition list, exactly as Kafka's DefaultPartitioner."""
    return partition_hash(key) % partitions
