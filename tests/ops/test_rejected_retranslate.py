"""A payload rejected because of a fault on our side (an agency's mapping profile) is
re-translated after the fix: it becomes accepted with the messages the intake would have made,
and a later re-send of the same bytes is a repeat, not a duplicate."""

from __future__ import annotations

import uuid

import pytest

from adapters.registry import load_adapters
from gateway.errors import InvalidMessage
from gateway.intake import Submission, content_hash
from gateway.localkafka import LocalKafka
from tests.kafka_reader import headers_of, read_topic
from tests.ops.helpers import (
    assert_histories_follow_transitions,
    eventually,
    ops_get,
    ops_post,
)
from tests.ops.profile_adapter import CSV, Profile, ProfileCsvAdapter

pytestmark = pytest.mark.kafka


async def test_rejected_payload_retranslated_after_profile_fix(
    make_gateway, kafka: LocalKafka
) -> None:
    profile = Profile(rate_column="opdracht")  # the bug: 'A-1' is no amount, all rows fail
    adapter = ProfileCsvAdapter(profile)
    topic = f"test.{uuid.uuid4().hex[:12]}"

    def submit(gw):  # the upload channel's call
        return gw.ctx.intake.submit(
            Submission(
                sender="flexwerk-uitzend",
                channel="upload",
                content_type="text/csv",
                payload=CSV,
                adapter=adapter.name,
            ),
            translate=lambda payload: adapter.translate(payload, sender="flexwerk-uitzend"),
        )

    async with make_gateway(
        kafka=kafka,
        adapters={**load_adapters(), adapter.name: adapter},
        default_topic=topic,
        dlq_topic=f"{topic}.dlq",
    ) as gw:
        with pytest.raises(InvalidMessage):
            await submit(gw)
        [rejected] = (await ops_get(gw, "/inbound", state="rejected"))["items"]
        inbound_id = rejected["id"]
        still_broken = (
            await ops_post(
                gw,
                f"/inbound/{inbound_id}/retranslate/plan",
                {},
                as_client="ops-viewer",
                expect=200,
            )
        ).json()
        refused = await ops_post(gw, f"/inbound/{inbound_id}/retranslate", {"reason": "try"})

        profile.rate_column = "tarief"  # the fix
        plan = (
            await ops_post(
                gw,
                f"/inbound/{inbound_id}/retranslate/plan",
                {},
                as_client="ops-viewer",
                expect=200,
            )
        ).json()
        viewer = await ops_post(
            gw,
            f"/inbound/{inbound_id}/retranslate",
            {"reason": "profile fixed"},
            as_client="ops-viewer",
        )
        accepted = (
            await ops_post(
                gw,
                f"/inbound/{inbound_id}/retranslate",
                {"reason": "profile: rate is column 'tarief'"},
                expect=200,
            )
        ).json()
        again = await ops_post(gw, f"/inbound/{inbound_id}/retranslate", {"reason": "twice"})
        resent = await submit(gw)  # the agency sends the same file again
        await eventually(lambda: _published(gw, 2))
        detail = await ops_get(gw, f"/inbound/{inbound_id}")
        audit = (await ops_get(gw, "/audit", action="retranslate"))["items"]
        await assert_histories_follow_transitions(gw.ctx.store)
        records = await read_topic(kafka.bootstrap, topic)

    expected_ids = [
        gw.ctx.events.message_id("flexwerk-uitzend", content_hash(CSV), i) for i in range(2)
    ]
    assert still_broken["translates"] is False and "row 2" in still_broken["error"]
    assert refused.status_code == 422 and refused.json()["code"] == "invalid-message"
    assert plan["translates"] is True
    assert [m["id"] for m in plan["messages"]] == expected_ids
    assert '"hourly_rate": "14.40"' in plan["messages"][0]["canonical"]
    assert "111222333" not in str(plan)
    assert viewer.status_code == 403
    assert accepted["message_ids"] == expected_ids
    assert again.status_code == 409 and again.json()["code"] == "already-accepted"
    assert resent.repeated is True and resent.message_ids == expected_ids
    assert detail["inbound"]["state"] == "accepted"
    assert [h["state"] for h in detail["history"]] == ["received", "rejected", "accepted"]
    assert [m["state"] for m in detail["messages"]] == ["published", "published"]
    assert [(e["target"], e["message_count"]) for e in audit] == [(f"inbound:{inbound_id}", 2)]
    assert sorted(headers_of(r)["ce_id"] for r in records) == sorted(expected_ids)


async def _published(gw, n: int) -> bool:
    return await gw.count("published") == n
