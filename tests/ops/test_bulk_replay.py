"""Issue 5 acceptance 2: a filtered bulk replay of 10,000 failed messages shows a correct plan,
requires a reason, reports progress and publishes exactly 10,000 records; running it again
publishes nothing."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from sqlalchemy import select, update

from gateway.localkafka import LocalKafka
from gateway.store.tables import messages
from tests.kafka_reader import headers_of, read_topic
from tests.ops.helpers import ops_get, ops_post
from tests.samples import bsn_list, placement_started

pytestmark = pytest.mark.kafka

SELECTED = 10_000
OTHERS = 300


async def _seed_failures(gw) -> tuple[list[str], list[str]]:
    """10,000 messages of one agency that Kafka rejected, 300 failed for another reason."""
    bsns = bsn_list(500)
    batch = [placement_started(bsn=bsns[i % 500], assignment=f"A-{i}") for i in range(SELECTED)]
    response = await gw.post(batch, as_client="flexwerk-uitzend")
    assert response.status_code == 202, response.text
    selected = response.json()["message_ids"]
    response = await gw.post(
        [placement_started(bsn=b, kvk="87654321", assignment="X") for b in bsns[:OTHERS]],
        as_client="andere-uitzend",
    )
    assert response.status_code == 202, response.text
    others = response.json()["message_ids"]
    async with gw.ctx.store.write() as conn:
        await conn.execute(
            update(messages)
            .where(messages.c.sender == "flexwerk-uitzend")
            .values(state="failed", error_code="kafka-rejected", error_message="rejected")
        )
        await conn.execute(
            update(messages)
            .where(messages.c.sender == "andere-uitzend")
            .values(state="failed", error_code="record-too-large", error_message="too large")
        )
    return selected, others


async def test_bulk_replay_of_10000_plan_reason_progress_exactly_once(
    make_gateway, kafka: LocalKafka
) -> None:
    topic = f"test.{uuid.uuid4().hex[:12]}"
    async with make_gateway(relay=False, default_topic=topic) as gw:
        selected, others = await _seed_failures(gw)

    selection = {"filter": {"state": "failed", "error_code": "kafka-rejected"}}
    async with make_gateway(
        kafka=kafka,
        default_topic=topic,
        relay_batch_size=500,
        replay_chunk_size=1000,
        dlq_topic=f"{topic}.dlq",
    ) as gw:
        plan = (
            await ops_post(gw, "/replays/plan", {"kind": "republish", **selection}, expect=200)
        ).json()
        # A viewer may look at the plan too, but a replay needs a reason.
        planned = {"up_to_seq": plan["max_seq"], **selection}
        no_reason = await ops_post(gw, "/replays", {"kind": "republish", **planned})
        blank = await ops_post(gw, "/replays", {"kind": "republish", "reason": "", **planned})
        no_plan = await ops_post(gw, "/replays", {"kind": "republish", "reason": "go", **selection})
        started = await ops_post(
            gw,
            "/replays",
            {
                "kind": "republish",
                "reason": "Kafka ACL fixed (INC-4711)",
                "up_to_seq": plan["max_seq"],
                "idempotency_key": "inc-4711",
                **selection,
            },
            expect=202,
        )
        job_id = started.json()["id"]
        progress: list[int] = []
        while True:
            job = await ops_get(gw, f"/replays/{job_id}")
            progress.append(job["done"])
            if job["state"] == "done":
                break
            await asyncio.sleep(0.05)
        items = await ops_get(gw, f"/replays/{job_id}/items", limit=5)
        await gw.wait_drained()
        first_run = await read_topic(kafka.bootstrap, topic)

        # Running it again: the same job, the same request, a new job on the same filter.
        again = await ops_post(gw, f"/replays/{job_id}/run", {}, expect=200)
        same_request = await ops_post(
            gw,
            "/replays",
            {
                "kind": "republish",
                "reason": "double click",
                "idempotency_key": "inc-4711",
                **planned,
            },
            expect=200,
        )
        replan = (
            await ops_post(gw, "/replays/plan", {"kind": "republish", **selection}, expect=200)
        ).json()
        new_job = await ops_post(
            gw,
            "/replays",
            {"kind": "republish", "reason": "once more", "up_to_seq": plan["max_seq"], **selection},
            expect=202,
        )
        await asyncio.sleep(1.5)
        await gw.wait_drained()
        second_run = await read_topic(kafka.bootstrap, topic)
        async with gw.ctx.store.read() as conn:
            still_failed = set(
                await conn.scalars(select(messages.c.id).where(messages.c.state == "failed"))
            )

    assert plan["total"] == SELECTED
    assert plan["not_eligible"] == 0
    assert plan["by_state"] == {"failed": SELECTED}
    assert plan["by_error_code"] == {"kafka-rejected": SELECTED}
    assert plan["by_type"] == {"placement.started": SELECTED}
    assert [m["id"] for m in plan["sample"]] == selected[:10]  # oldest first: replay order
    assert no_reason.status_code == 422
    assert blank.status_code == 422
    assert no_reason.json()["code"] == "invalid-request"
    assert no_plan.status_code == 422  # executing needs the plan's max_seq
    assert "up_to_seq" in no_plan.text

    assert job["total"] == SELECTED
    assert job["counts"] == {"published": SELECTED}
    assert progress[-1] == SELECTED
    assert progress == sorted(progress)  # progress only moves forward
    assert any(0 < p < SELECTED for p in progress), progress  # and it was reported underway
    assert [i["outcome"] for i in items["items"]] == ["published"] * 5

    ids = [headers_of(r)["ce_id"] for r in first_run]
    assert len(ids) == SELECTED
    assert set(ids) == set(selected)

    assert again.json()["state"] == "done"
    assert again.json()["repeated"] is True
    assert same_request.json()["id"] == job_id
    assert replan["total"] == 0 and replan["max_seq"] is None
    assert new_job.json()["total"] == 0
    assert len(second_run) == SELECTED
    assert still_failed == set(others)
