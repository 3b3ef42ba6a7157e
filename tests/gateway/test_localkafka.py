"""The project's own local broker: reuses its jar cache, stops cleanly, reports failures."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from gateway.localkafka import KafkaError, LocalKafka

pytestmark = pytest.mark.kafka


def test_running_broker_is_reused_and_cache_kept(kafka: LocalKafka) -> None:
    assert kafka.is_running()
    assert (kafka.libs / ".complete").exists()
    assert any(p.name.startswith("kafka_2.13-") for p in kafka.libs.iterdir())
    kafka.up()  # a second start while running is a no-op
    assert kafka.is_running()


def test_taken_port_is_a_clear_error(tmp_path: Path, kafka: LocalKafka) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        port = sock.getsockname()[1]
        other = LocalKafka(home=tmp_path, cache=kafka.cache, port=port, controller_port=port + 1)
        with pytest.raises(KafkaError, match="taken"):
            other.up()
    assert other.down() is False
