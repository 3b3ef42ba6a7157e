"""Issue 5 acceptance 2: a filtered bulk replay of 10,000 failed messages shows a correct plan,
requires a reason, reports progress and publishes exactly 10,000 records; running it again
publishes nothing."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from sqlalchemy import select, update

from gateway.localkafka import LocalKafka
from gateway.store.tables import messages
from tests.conftest import GatewayFactory, Harness
from tests.kafka_reader import TopicRead, read_topic
from tests.ops.helpers import ops_get, ops_post, wait_job
from tests.samples import bsn_list, placement_started
from tests.waiting import eventually

pytestmark = pytest.mark.kafka

SELECTED = 10_000
OTHERS = 300


async def _seed_failures(gw: Harness) -> tuple[list[str], list[str]]:
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


@dataclass(frozen=True)
class BulkReplay:
    selected: list[str]
    others: list[str]
    plan: dict[str, Any]
    no_reason: httpx.Response
    blank: httpx.Response
    no_plan: httpx.Response
    job_id: str
    job: dict[str, Any]
    progress: list[int]
    items: dict[str, Any]
    first_run: TopicRead
    again: httpx.Response
    same_request: httpx.Response
    replan: dict[str, Any]
    new_job: httpx.Response
    new_job_final: dict[str, Any]
    marker: str
    second_run: TopicRead
    still_failed: set[str]


@pytest.fixture(scope="module")
async def bulk(module_gateway: GatewayFactory, kafka: LocalKafka) -> BulkReplay:
    topic = f"test.{uuid.uuid4().hex[:12]}"
    async with module_gateway(relay=False, default_topic=topic) as gw:
        selected, others = await _seed_failures(gw)

    selection = {"filter": {"state": "failed", "error_code": "kafka-rejected"}}
    async with module_gateway(
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

        async def done() -> dict[str, Any] | None:
            job: dict[str, Any] = await ops_get(gw, f"/replays/{job_id}")
            progress.append(job["done"])
            return job if job["state"] == "done" else None

        job = await eventually(done, timeout=300, interval=0.05, what="the replay job is done")
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
        # The new job ran to its end; then a marker goes through the outbox after anything
        # it could have queued, so the read below has looked past all of it.
        new_job_final = await wait_job(gw, new_job.json()["id"])
        marker = await gw.publish_marker()
        second_run = await read_topic(kafka.bootstrap, topic)
        async with gw.ctx.store.read() as conn:
            still_failed = set(
                await conn.scalars(select(messages.c.id).where(messages.c.state == "failed"))
            )
    return BulkReplay(
        selected=selected,
        others=others,
        plan=plan,
        no_reason=no_reason,
        blank=blank,
        no_plan=no_plan,
        job_id=job_id,
        job=job,
        progress=progress,
        items=items,
        first_run=first_run,
        again=again,
        same_request=same_request,
        replan=replan,
        new_job=new_job,
        new_job_final=new_job_final,
        marker=marker,
        second_run=second_run,
        still_failed=still_failed,
    )


def test_plan_counts_the_selection_by_state_error_and_type(bulk: BulkReplay) -> None:
    assert bulk.plan["total"] == SELECTED
    assert bulk.plan["not_eligible"] == 0
    assert bulk.plan["by_state"] == {"failed": SELECTED}
    assert bulk.plan["by_error_code"] == {"kafka-rejected": SELECTED}
    assert bulk.plan["by_type"] == {"placement.started": SELECTED}


def test_plan_sample_is_oldest_first_in_replay_order(bulk: BulkReplay) -> None:
    assert [m["id"] for m in bulk.plan["sample"]] == bulk.selected[:10]


def test_replay_without_a_reason_is_refused(bulk: BulkReplay) -> None:
    assert bulk.no_reason.status_code == 422
    assert bulk.blank.status_code == 422
    assert bulk.no_reason.json()["code"] == "invalid-request"


def test_replay_without_the_plans_max_seq_is_refused(bulk: BulkReplay) -> None:
    assert bulk.no_plan.status_code == 422
    assert "up_to_seq" in bulk.no_plan.text


def test_job_publishes_every_selected_message(bulk: BulkReplay) -> None:
    assert bulk.job["total"] == SELECTED
    assert bulk.job["counts"] == {"published": SELECTED}
    assert [i["outcome"] for i in bulk.items["items"]] == ["published"] * 5


def test_job_progress_moves_forward_and_is_reported_underway(bulk: BulkReplay) -> None:
    assert bulk.progress[-1] == SELECTED
    assert bulk.progress == sorted(bulk.progress)
    assert any(0 < p < SELECTED for p in bulk.progress), bulk.progress


def test_each_selected_message_is_on_kafka_exactly_once(bulk: BulkReplay) -> None:
    ids = bulk.first_run.ce_ids()
    assert len(ids) == SELECTED == bulk.first_run.end_total
    assert set(ids) == set(bulk.selected)


def test_running_the_job_again_is_a_repeat(bulk: BulkReplay) -> None:
    assert bulk.again.json()["state"] == "done"
    assert bulk.again.json()["repeated"] is True


def test_the_same_request_again_is_the_same_job(bulk: BulkReplay) -> None:
    assert bulk.same_request.json()["id"] == bulk.job_id


def test_a_new_job_on_the_same_filter_finds_nothing(bulk: BulkReplay) -> None:
    assert bulk.replan["total"] == 0 and bulk.replan["max_seq"] is None
    assert bulk.new_job.json()["total"] == 0
    assert bulk.new_job_final["state"] == "done"


def test_replaying_again_publishes_nothing(bulk: BulkReplay) -> None:
    # the end offsets moved by the marker alone, and the reader found it
    assert bulk.second_run.end_total == bulk.first_run.end_total + 1
    assert bulk.marker in set(bulk.second_run.ce_ids())
    assert len(bulk.second_run.records) == SELECTED + 1


def test_messages_outside_the_filter_stay_failed(bulk: BulkReplay) -> None:
    assert bulk.still_failed == set(bulk.others)
