"""Issue 5 acceptance 3: re-translate after a profile fix produces a new message with a
``supersedes`` link, and the plan shows the diff between old and new canonical output."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from typing import Any

import pytest

from adapters.registry import load_adapters
from gateway.intake import Submission
from gateway.localkafka import LocalKafka
from tests.conftest import GatewayFactory
from tests.kafka_reader import headers_of, read_topic
from tests.ops.helpers import check_histories, message_histories, ops_get, ops_post, wait_job
from tests.ops.profile_adapter import CSV, Profile, ProfileCsvAdapter

pytestmark = pytest.mark.kafka


@dataclass(frozen=True)
class Retranslated:
    old_ids: list[str]
    plan: dict[str, Any]
    plan_text: str
    job: dict[str, Any]
    items: list[dict[str, Any]]
    old: dict[str, Any]
    new_id: str
    new: dict[str, Any]
    records: dict[str, Any]  # by CloudEvent id
    histories: list[tuple[str, str]]


@pytest.fixture(scope="module")
async def retranslated(module_gateway: GatewayFactory, kafka: LocalKafka) -> Retranslated:
    profile = Profile(rate_column="uren")  # the bug: hours mapped as the rate
    adapter = ProfileCsvAdapter(profile)
    adapters = {**load_adapters(), adapter.name: adapter}
    topic = f"test.{uuid.uuid4().hex[:12]}"
    async with module_gateway(
        kafka=kafka, adapters=adapters, default_topic=topic, dlq_topic=f"{topic}.dlq"
    ) as gw:
        receipt = await gw.ctx.intake.submit(
            Submission(
                sender="flexwerk-uitzend",
                channel="upload",
                content_type="text/csv",
                payload=CSV,
                adapter=adapter.name,
            ),
            translate=lambda payload: adapter.translate(payload, sender="flexwerk-uitzend"),
        )
        old_ids = receipt.message_ids
        await gw.wait_drained()

        profile.rate_column = "tarief"  # the fix
        selection = {"filter": {"sender": "flexwerk-uitzend", "type": "placement.started"}}
        plan_response = await ops_post(
            gw,
            "/replays/plan",
            {"kind": "retranslate", **selection},
            as_client="ops-viewer",
            expect=200,
        )
        plan = plan_response.json()
        started = await ops_post(
            gw,
            "/replays",
            {
                "kind": "retranslate",
                "reason": "profile: rate is column 'tarief'",
                "up_to_seq": plan["max_seq"],
                **selection,
            },
            expect=202,
        )
        job = await wait_job(gw, started.json()["id"])
        items = (await ops_get(gw, f"/replays/{job['id']}/items"))["items"]
        old = await ops_get(gw, f"/messages/{old_ids[0]}")
        new_id = items[0]["new_message_id"]
        new = await ops_get(gw, f"/messages/{new_id}")
        await gw.wait_drained()
        records = await read_topic(kafka.bootstrap, topic)
        histories = await message_histories(gw.ctx.store)
    return Retranslated(
        old_ids=old_ids,
        plan=plan,
        plan_text=plan_response.text,
        job=job,
        items=items,
        old=old,
        new_id=new_id,
        new=new,
        records={headers_of(r)["ce_id"]: r for r in records.records},
        histories=histories,
    )


def test_plan_shows_the_diff_of_old_and_new_output(retranslated: Retranslated) -> None:
    plan = retranslated.plan
    assert plan["total"] == 2
    assert [d["message_id"] for d in plan["diffs"]] == retranslated.old_ids
    assert all(d["changed"] and d["error"] is None for d in plan["diffs"])
    first_diff = plan["diffs"][0]["diff"]
    assert '-  "hourly_rate": "24",' in first_diff
    assert '+  "hourly_rate": "14.40",' in first_diff


def test_plan_shows_bsns_masked(retranslated: Retranslated) -> None:
    assert "111222333" not in retranslated.plan_text


def test_job_publishes_a_new_message_per_old_one(retranslated: Retranslated) -> None:
    assert retranslated.job["state"] == "done"
    assert retranslated.job["counts"] == {"published": 2}
    assert [i["message_id"] for i in retranslated.items] == retranslated.old_ids
    assert retranslated.new_id not in retranslated.old_ids


def test_new_message_supersedes_the_old_one(retranslated: Retranslated) -> None:
    new, old = retranslated.new, retranslated.old
    assert new["message"]["supersedes"] == retranslated.old_ids[0]
    assert new["message"]["state"] == "published"
    assert json.loads(new["canonical"])["hourly_rate"] == "14.40"
    assert old["message"]["state"] == "replayed"
    assert old["superseded_by"] == [retranslated.new_id]


def test_kafka_gets_old_and_new_messages(retranslated: Retranslated) -> None:
    news = {i["new_message_id"] for i in retranslated.items}
    assert set(retranslated.records) == {*retranslated.old_ids, *news}


def test_new_record_carries_supersedes_on_the_same_key(retranslated: Retranslated) -> None:
    by_id, new_id, old_id = retranslated.records, retranslated.new_id, retranslated.old_ids[0]
    assert headers_of(by_id[new_id])["ce_supersedes"] == old_id
    assert by_id[new_id].key == by_id[old_id].key  # same person, same partition
    assert json.loads(by_id[new_id].value)["hourly_rate"] == "14.40"


def test_histories_follow_the_transition_table(retranslated: Retranslated) -> None:
    assert check_histories(retranslated.histories) > 0
