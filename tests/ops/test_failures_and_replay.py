"""Issue 5 acceptance 1: a message that failed in the relay and one the back office reported on
the dead-letter topic both show as failed with their reasons; after the cause is fixed one
replay publishes each exactly once, in order per person key."""

from __future__ import annotations

import uuid
from collections import Counter

import pytest

from gateway.localkafka import LocalKafka
from tests.kafka_reader import headers_of, read_topic
from tests.ops.helpers import (
    assert_histories_follow_transitions,
    eventually,
    ops_get,
    ops_post,
    report_on_dlq,
    wait_job,
)
from tests.samples import hours_reported, placement_started

pytestmark = pytest.mark.kafka


async def test_relay_and_dlq_failures_then_one_replay_publishes_each_once_in_order(
    make_gateway, kafka: LocalKafka
) -> None:
    topic = f"test.{uuid.uuid4().hex[:12]}"
    dlq = f"{topic}.dlq"
    common = {"default_topic": topic, "dlq_topic": dlq, "dlq_poll_seconds": 0.2}
    # 1. The relay cannot publish two large messages of one person (the broker limit is set
    #    too low: the "cause"); the back office rejects a message of another person.
    async with make_gateway(kafka=kafka, kafka_max_request_size=4096, **common) as gw:
        sent = await gw.post(
            [
                placement_started(bsn="111222333", assignment="A-1"),
                hours_reported(bsn="111222333", lines=150, assignment="A-1"),
                hours_reported(bsn="111222333", lines=151, assignment="A-1"),
                placement_started(bsn="123456782", assignment="B-1"),
            ],
            as_client="flexwerk-uitzend",
        )
        assert sent.status_code == 202, sent.text
        first, big1, big2, other = sent.json()["message_ids"]
        await gw.wait_drained()
        await report_on_dlq(
            kafka.bootstrap,
            dlq,
            {
                "ce_id": other,
                "__connect.errors.exception.class.name": "nl.backoffice.UnknownAssignment",
                "__connect.errors.exception.message": "assignment B-1 is not known for 123456782",
                "__connect.errors.connector.name": "backoffice-sink",
                "__connect.errors.stage": "TASK_PUT",
            },
        )

        async def three_failed() -> list[dict] | None:
            page = await ops_get(gw, "/messages", state="failed")
            return page["items"] if len(page["items"]) == 3 else None

        failed = {m["id"]: m for m in await eventually(three_failed)}
        relay_detail = await ops_get(gw, f"/messages/{big1}")
        dlq_detail = await ops_get(gw, f"/messages/{other}")

    assert set(failed) == {big1, big2, other}
    assert failed[big1]["error_code"] == failed[big2]["error_code"] == "record-too-large"
    assert "MessageSizeTooLarge" in failed[big1]["error_message"]
    assert failed[other]["error_code"] == "back-office:UnknownAssignment"
    # The back office's reason is shown, its BSN masked.
    assert failed[other]["error_message"] == "assignment B-1 is not known for ******782"
    assert relay_detail["message"]["error"]["where"] == "relay"
    assert dlq_detail["message"]["error"]["where"].startswith("back-office")
    assert [h["state"] for h in dlq_detail["history"]] == [
        "received",
        "accepted",
        "queued",
        "published",
        "failed",
    ]
    before = await read_topic(kafka.bootstrap, topic)
    assert sorted(headers_of(r)["ce_id"] for r in before) == sorted([first, other])

    # 2. The cause is fixed (broker limit raised); one replay of the three.
    async with make_gateway(kafka=kafka, **common) as gw:
        plan = await ops_post(
            gw, "/replays/plan", {"kind": "republish", "filter": {"state": "failed"}}, expect=200
        )
        assert plan.json()["total"] == 3
        started = await ops_post(
            gw,
            "/replays",
            {
                "kind": "republish",
                "filter": {"state": "failed"},
                "reason": "broker limit raised",
                "up_to_seq": plan.json()["max_seq"],
            },
            expect=202,
        )
        job = await wait_job(gw, started.json()["id"])
        remaining = await ops_get(gw, "/messages/counts", state="failed")
        transitions = await assert_histories_follow_transitions(gw.ctx.store)

    assert job["total"] == 3
    assert job["counts"] == {"published": 3}
    assert remaining == {"total": 0}
    after = await read_topic(kafka.bootstrap, topic)
    replayed = Counter(headers_of(r)["ce_id"] for r in after) - Counter(
        headers_of(r)["ce_id"] for r in before
    )
    # Each exactly once, with the CloudEvent ids as stored.
    assert replayed == Counter([big1, big2, other])
    by_key: dict[bytes, list[str]] = {}
    for record in sorted(after, key=lambda r: (r.partition, r.offset)):
        by_key.setdefault(record.key, []).append(headers_of(record)["ce_id"])
    # Order per person: 111222333's messages in their original order after the replay.
    assert [first, big1, big2] in by_key.values()
    assert [other, other] in by_key.values()
    assert transitions > 0
