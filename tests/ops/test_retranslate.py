"""Issue 5 acceptance 3: re-translate after a profile fix produces a new message with a
``supersedes`` link, and the plan shows the diff between old and new canonical output."""

from __future__ import annotations

import json
import uuid

import pytest

from adapters.registry import load_adapters
from gateway.intake import Submission
from gateway.localkafka import LocalKafka
from tests.kafka_reader import headers_of, read_topic
from tests.ops.helpers import assert_histories_follow_transitions, ops_get, ops_post, wait_job
from tests.ops.profile_adapter import CSV, Profile, ProfileCsvAdapter

pytestmark = pytest.mark.kafka


async def test_retranslate_after_profile_fix_supersedes_with_diff_in_plan(
    make_gateway, kafka: LocalKafka
) -> None:
    profile = Profile(rate_column="uren")  # the bug: hours mapped as the rate
    adapter = ProfileCsvAdapter(profile)
    adapters = {**load_adapters(), adapter.name: adapter}
    topic = f"test.{uuid.uuid4().hex[:12]}"
    async with make_gateway(
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
        transitions = await assert_histories_follow_transitions(gw.ctx.store)

    assert plan["total"] == 2
    assert [d["message_id"] for d in plan["diffs"]] == old_ids
    assert all(d["changed"] and d["error"] is None for d in plan["diffs"])
    first_diff = plan["diffs"][0]["diff"]
    assert '-  "hourly_rate": "24",' in first_diff
    assert '+  "hourly_rate": "14.40",' in first_diff
    assert "111222333" not in plan_response.text  # the plan shows BSNs masked

    assert job["state"] == "done"
    assert job["counts"] == {"published": 2}
    assert [i["message_id"] for i in items] == old_ids
    assert new_id not in old_ids
    assert new["message"]["supersedes"] == old_ids[0]
    assert new["message"]["state"] == "published"
    assert json.loads(new["canonical"])["hourly_rate"] == "14.40"
    assert old["message"]["state"] == "replayed"
    assert old["superseded_by"] == [new_id]

    by_id = {headers_of(r)["ce_id"]: r for r in records}
    assert set(by_id) == {*old_ids, *(i["new_message_id"] for i in items)}
    superseding = headers_of(by_id[new_id])
    assert superseding["ce_supersedes"] == old_ids[0]
    assert by_id[new_id].key == by_id[old_ids[0]].key  # same person, same partition
    assert json.loads(by_id[new_id].value)["hourly_rate"] == "14.40"
    assert transitions > 0
