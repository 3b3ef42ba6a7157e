"""Acceptance 6 of issue 10: ``flexgw kafka topics ensure`` creates the topics as configured
(checked by describing them with an independent admin client), and a topic that exists with
too few partitions or a replication factor below the minimum keeps the relay stopped and
readiness false, with the reason."""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import orjson
import pytest
import structlog
from aiokafka.admin import AIOKafkaAdminClient, NewPartitions, NewTopic
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType
from typer.testing import CliRunner

from gateway.cli import app
from gateway.localkafka import LocalKafka
from tests.conftest import GatewayFactory
from tests.samples import placement_started

pytestmark = pytest.mark.kafka


@asynccontextmanager
async def admin_client(kafka: LocalKafka) -> AsyncIterator[AIOKafkaAdminClient]:
    admin = AIOKafkaAdminClient(bootstrap_servers=kafka.bootstrap)
    await admin.start()
    try:
        yield admin
    finally:
        await admin.close()


async def describe(kafka: LocalKafka, topic: str) -> dict[str, Any]:
    async with admin_client(kafka) as admin:
        [found] = await admin.describe_topics([topic])
        [response] = await admin.describe_configs([ConfigResource(ConfigResourceType.TOPIC, topic)])
    configs = {entry[0]: entry[1] for entry in response.resources[0][4]}
    return {
        "partitions": len(found["partitions"]),
        "replication_factor": {len(p["replicas"]) for p in found["partitions"]},
        "min.insync.replicas": configs["min.insync.replicas"],
        "retention.ms": configs["retention.ms"],
        "compression.type": configs["compression.type"],
    }


def topic_env(kafka: LocalKafka, topic: str, dlq: str, **extra: str) -> dict[str, str]:
    return {
        "FLEXGW_KAFKA_BOOTSTRAP_SERVERS": kafka.bootstrap,
        "FLEXGW_DEFAULT_TOPIC": topic,
        "FLEXGW_DLQ_TOPIC": dlq,
        "FLEXGW_KAFKA_TOPIC_PARTITIONS": "4",
        "FLEXGW_KAFKA_TOPIC_REPLICATION_FACTOR": "1",
        "FLEXGW_KAFKA_TOPIC_MIN_INSYNC_REPLICAS": "1",
        "FLEXGW_KAFKA_TOPIC_RETENTION_MS": str(3 * 24 * 3600 * 1000),
        "FLEXGW_KAFKA_TOPIC_COMPRESSION": "zstd",
        **extra,
    }


@pytest.fixture
def _logging_restored() -> Iterator[None]:
    """The CLI points logging at the runner's stderr, which is closed after the run."""
    yield
    structlog.reset_defaults()
    logging.getLogger().handlers.clear()


@pytest.mark.usefixtures("_logging_restored")
async def test_topics_ensure_creates_as_configured(kafka: LocalKafka, tmp_path: Path) -> None:
    topic, dlq = f"test.{uuid.uuid4().hex[:12]}", f"test.{uuid.uuid4().hex[:12]}.dlq"
    env = topic_env(kafka, topic, dlq, FLEXGW_DATA_DIR=str(tmp_path))
    runner = CliRunner()

    first = await asyncio.to_thread(runner.invoke, app, ["kafka", "topics", "ensure"], env=env)
    assert first.exit_code == 0, first.output
    reports = [orjson.loads(line) for line in first.stdout.splitlines()]
    assert [(r["topic"], r["created"], r["violations"]) for r in reports] == [
        (topic, True, []),
        (dlq, True, []),
    ]
    for name in (topic, dlq):
        assert await describe(kafka, name) == {
            "partitions": 4,
            "replication_factor": {1},
            "min.insync.replicas": "1",
            "retention.ms": str(3 * 24 * 3600 * 1000),
            "compression.type": "zstd",
        }

    # A second run creates nothing and finds both fit.
    again = await asyncio.to_thread(runner.invoke, app, ["kafka", "topics", "ensure"], env=env)
    assert again.exit_code == 0, again.output
    assert [orjson.loads(line)["created"] for line in again.stdout.splitlines()] == [False, False]

    # Stricter minimums than the topics have: the check fails, naming the topic and the rule.
    strict = {**env, "FLEXGW_KAFKA_TOPIC_PARTITIONS": "6"}
    check = await asyncio.to_thread(
        runner.invoke, app, ["kafka", "topics", "ensure", "--check"], env=strict
    )
    assert check.exit_code == 1
    violations = {
        orjson.loads(line)["topic"]: orjson.loads(line)["violations"]
        for line in check.stdout.splitlines()
    }
    assert violations == {
        topic: ["4 partitions, fewer than the minimum 6"],
        dlq: ["4 partitions, fewer than the minimum 6"],
    }
    assert (await describe(kafka, topic))["partitions"] == 4  # never altered


@pytest.mark.parametrize(
    ("existing", "minimums", "reason"),
    [
        (
            {"num_partitions": 2, "replication_factor": 1},
            {"kafka_topic_partitions": 4, "kafka_topic_replication_factor": 1},
            "2 partitions, fewer than the minimum 4",
        ),
        (
            {"num_partitions": 4, "replication_factor": 1},
            {"kafka_topic_partitions": 4, "kafka_topic_replication_factor": 2},
            "replication factor 1, below the minimum 2",
        ),
        (
            {
                "num_partitions": 4,
                "replication_factor": 1,
                "topic_configs": {"retention.ms": "3600000"},
            },
            {"kafka_topic_partitions": 4, "kafka_topic_replication_factor": 1},
            "retention.ms 3600000, shorter than the minimum 86400000",
        ),
    ],
)
async def test_topic_below_minimums_fails_readiness(
    make_gateway: GatewayFactory,
    kafka: LocalKafka,
    existing: dict[str, Any],
    minimums: dict[str, int],
    reason: str,
) -> None:
    topic, dlq = f"test.{uuid.uuid4().hex[:12]}", f"test.{uuid.uuid4().hex[:12]}.dlq"
    async with admin_client(kafka) as admin:
        await admin.create_topics([NewTopic(name, **existing) for name in (topic, dlq)])
    settings = {
        "default_topic": topic,
        "dlq_topic": dlq,
        "kafka_topics_ensure": True,
        "kafka_topic_min_insync_replicas": 1,
        "kafka_topic_retention_ms": 24 * 3600 * 1000,  # what the local broker gives a topic
        **minimums,
    }
    async with make_gateway(kafka=kafka, **settings) as gw:
        response = await gw.post(placement_started(), as_client="flexwerk-uitzend")
        assert response.status_code == 202
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 30
        while True:
            ready = await gw.client.get("/readyz")
            check = ready.json()["checks"]["kafka_topics"]
            if "reason" in check and "not checked" not in check["reason"]:
                break
            assert loop.time() < deadline, check
            await asyncio.sleep(0.2)
        assert ready.status_code == 503
        assert check == {"ok": False, "reason": f"{topic}: {reason}; {dlq}: {reason}"}
        assert gw.ctx.relay is not None and not gw.ctx.relay.running
        assert await gw.count("queued") == 1

        if existing["num_partitions"] < minimums["kafka_topic_partitions"]:
            # The operator fixes the topic (on a topic still empty: partitions move keys):
            # the guard's next check starts the relay, and the queued message goes out.
            async with admin_client(kafka) as admin:
                await admin.create_partitions(
                    {name: NewPartitions(total_count=4) for name in (topic, dlq)}
                )
            await gw.wait_drained(timeout=60)
            assert gw.ctx.relay.running
            assert await gw.count("published") == 1
            ready = await gw.client.get("/readyz")
            assert ready.json()["checks"]["kafka_topics"]["ok"] is True
