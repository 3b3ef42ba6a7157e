"""Issue 5 acceptance 1: a message that failed in the relay and one the back office reported on
the dead-letter topic both show as failed with their reasons; after the cause is fixed one
replay publishes each exactly once, in order per person key."""

from __future__ import annotations

import uuid
from collections import Counter
from dataclasses import dataclass
from typing import Any

import pytest

from gateway.localkafka import LocalKafka
from tests.conftest import GatewayFactory
from tests.kafka_reader import TopicRead, read_topic
from tests.ops.helpers import (
    check_histories,
    message_histories,
    ops_get,
    ops_post,
    report_on_dlq,
    wait_job,
)
from tests.samples import hours_reported, placement_started
from tests.waiting import eventually

pytestmark = pytest.mark.kafka


@dataclass(frozen=True)
class FailuresAndReplay:
    first: str
    big1: str
    big2: str
    other: str
    failed: dict[str, dict[str, Any]]
    relay_detail: dict[str, Any]
    dlq_detail: dict[str, Any]
    before: TopicRead
    plan_total: int
    job: dict[str, Any]
    remaining: dict[str, Any]
    histories: list[tuple[str, str]]
    after: TopicRead


@pytest.fixture(scope="module")
async def replayed(module_gateway: GatewayFactory, kafka: LocalKafka) -> FailuresAndReplay:
    topic = f"test.{uuid.uuid4().hex[:12]}"
    dlq = f"{topic}.dlq"
    common = {"default_topic": topic, "dlq_topic": dlq, "dlq_poll_seconds": 0.2}
    # 1. The relay cannot publish two large messages of one person (the broker limit is set
    #    too low: the "cause"); the back office rejects a message of another person.
    async with module_gateway(kafka=kafka, kafka_max_request_size=4096, **common) as gw:
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

        async def three_failed() -> list[dict[str, Any]] | None:
            page = await ops_get(gw, "/messages", state="failed")
            return page["items"] if len(page["items"]) == 3 else None

        failed = {m["id"]: m for m in await eventually(three_failed)}
        relay_detail = await ops_get(gw, f"/messages/{big1}")
        dlq_detail = await ops_get(gw, f"/messages/{other}")
    before = await read_topic(kafka.bootstrap, topic)

    # 2. The cause is fixed (broker limit raised); one replay of the three.
    async with module_gateway(kafka=kafka, **common) as gw:
        plan = await ops_post(
            gw, "/replays/plan", {"kind": "republish", "filter": {"state": "failed"}}, expect=200
        )
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
        histories = await message_histories(gw.ctx.store)
    after = await read_topic(kafka.bootstrap, topic)
    return FailuresAndReplay(
        first=first,
        big1=big1,
        big2=big2,
        other=other,
        failed=failed,
        relay_detail=relay_detail,
        dlq_detail=dlq_detail,
        before=before,
        plan_total=plan.json()["total"],
        job=job,
        remaining=remaining,
        histories=histories,
        after=after,
    )


def test_relay_and_back_office_failures_are_listed_as_failed(replayed: FailuresAndReplay) -> None:
    assert set(replayed.failed) == {replayed.big1, replayed.big2, replayed.other}


def test_a_relay_failure_shows_its_reason(replayed: FailuresAndReplay) -> None:
    assert (
        replayed.failed[replayed.big1]["error_code"]
        == replayed.failed[replayed.big2]["error_code"]
        == "record-too-large"
    )
    assert "MessageSizeTooLarge" in replayed.failed[replayed.big1]["error_message"]
    assert replayed.relay_detail["message"]["error"]["where"] == "relay"


def test_a_back_office_failure_shows_its_reason_with_the_bsn_masked(
    replayed: FailuresAndReplay,
) -> None:
    assert replayed.failed[replayed.other]["error_code"] == "back-office:UnknownAssignment"
    assert (
        replayed.failed[replayed.other]["error_message"]
        == "assignment B-1 is not known for ******782"
    )
    assert replayed.dlq_detail["message"]["error"]["where"].startswith("back-office")


def test_a_back_office_failure_follows_its_publication_in_the_history(
    replayed: FailuresAndReplay,
) -> None:
    assert [h["state"] for h in replayed.dlq_detail["history"]] == [
        "received",
        "accepted",
        "queued",
        "published",
        "failed",
    ]


def test_only_the_publishable_messages_were_on_kafka_before_the_fix(
    replayed: FailuresAndReplay,
) -> None:
    assert sorted(replayed.before.ce_ids()) == sorted([replayed.first, replayed.other])


def test_one_replay_publishes_every_failed_message(replayed: FailuresAndReplay) -> None:
    assert replayed.plan_total == 3
    assert replayed.job["total"] == 3
    assert replayed.job["counts"] == {"published": 3}
    assert replayed.remaining == {"total": 0}


def test_each_replayed_message_is_published_exactly_once_with_its_id(
    replayed: FailuresAndReplay,
) -> None:
    once_more = Counter(replayed.after.ce_ids()) - Counter(replayed.before.ce_ids())
    assert once_more == Counter([replayed.big1, replayed.big2, replayed.other])


def test_replayed_messages_keep_their_order_per_person(replayed: FailuresAndReplay) -> None:
    by_key: dict[bytes, list[str]] = {}
    for record in sorted(replayed.after.records, key=lambda x: (x.partition, x.offset)):
        by_key.setdefault(record.key, []).append(TopicRead.ce_id(record))
    assert [replayed.first, replayed.big1, replayed.big2] in by_key.values()
    assert [replayed.other, replayed.other] in by_key.values()


def test_histories_follow_the_transition_table(replayed: FailuresAndReplay) -> None:
    assert check_histories(replayed.histories) > 0
