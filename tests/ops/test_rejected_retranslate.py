"""A payload rejected because of a fault on our side (an agency's mapping profile) is
re-translated after the fix: it becomes accepted with the messages the intake would have made,
and a later re-send of the same bytes is a repeat, not a duplicate."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from adapters.registry import load_adapters
from gateway.errors import InvalidMessage
from gateway.intake import Receipt, Submission, content_hash
from gateway.localkafka import LocalKafka
from tests.conftest import GatewayFactory, Harness
from tests.kafka_reader import TopicRead, read_topic
from tests.ops.helpers import check_histories, message_histories, ops_get, ops_post
from tests.ops.profile_adapter import CSV, Profile, ProfileCsvAdapter
from tests.waiting import eventually

pytestmark = pytest.mark.kafka


@dataclass(frozen=True)
class Retranslated:
    inbound_id: str
    expected_ids: list[str]
    still_broken: dict[str, Any]
    refused: httpx.Response
    plan: dict[str, Any]
    viewer: httpx.Response
    accepted: dict[str, Any]
    again: httpx.Response
    resent: Receipt
    detail: dict[str, Any]
    audit: list[dict[str, Any]]
    histories: list[tuple[str, str]]
    records: TopicRead


@pytest.fixture(scope="module")
async def retranslated(module_gateway: GatewayFactory, kafka: LocalKafka) -> Retranslated:
    profile = Profile(rate_column="opdracht")  # the bug: 'A-1' is no amount, all rows fail
    adapter = ProfileCsvAdapter(profile)
    topic = f"test.{uuid.uuid4().hex[:12]}"

    def submit(gw: Harness) -> Awaitable[Receipt]:  # the upload channel's call
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

    async with module_gateway(
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

        async def two_published() -> bool:
            return await gw.count("published") == 2

        await eventually(two_published)
        detail = await ops_get(gw, f"/inbound/{inbound_id}")
        audit = (await ops_get(gw, "/audit", action="retranslate"))["items"]
        histories = await message_histories(gw.ctx.store)
        records = await read_topic(kafka.bootstrap, topic)
        expected_ids = [
            gw.ctx.events.message_id("flexwerk-uitzend", content_hash(CSV), i) for i in range(2)
        ]
    return Retranslated(
        inbound_id=inbound_id,
        expected_ids=expected_ids,
        still_broken=still_broken,
        refused=refused,
        plan=plan,
        viewer=viewer,
        accepted=accepted,
        again=again,
        resent=resent,
        detail=detail,
        audit=audit,
        histories=histories,
        records=records,
    )


def test_plan_before_the_fix_says_it_still_does_not_translate(
    retranslated: Retranslated,
) -> None:
    assert retranslated.still_broken["translates"] is False
    assert "row 2" in retranslated.still_broken["error"]


def test_retranslate_before_the_fix_is_refused(retranslated: Retranslated) -> None:
    assert retranslated.refused.status_code == 422
    assert retranslated.refused.json()["code"] == "invalid-message"


def test_plan_after_the_fix_shows_the_messages_the_intake_would_make(
    retranslated: Retranslated,
) -> None:
    plan = retranslated.plan
    assert plan["translates"] is True
    assert [m["id"] for m in plan["messages"]] == retranslated.expected_ids
    assert '"hourly_rate": "14.40"' in plan["messages"][0]["canonical"]
    assert "111222333" not in str(plan)


def test_a_viewer_cannot_retranslate(retranslated: Retranslated) -> None:
    assert retranslated.viewer.status_code == 403


def test_retranslate_accepts_the_payload_with_the_intakes_ids(
    retranslated: Retranslated,
) -> None:
    assert retranslated.accepted["message_ids"] == retranslated.expected_ids


def test_retranslating_an_accepted_payload_is_a_conflict(retranslated: Retranslated) -> None:
    assert retranslated.again.status_code == 409
    assert retranslated.again.json()["code"] == "already-accepted"


def test_a_resend_of_the_same_bytes_is_a_repeat(retranslated: Retranslated) -> None:
    assert retranslated.resent.repeated is True
    assert retranslated.resent.message_ids == retranslated.expected_ids


def test_the_payload_history_shows_rejected_then_accepted(retranslated: Retranslated) -> None:
    detail = retranslated.detail
    assert detail["inbound"]["state"] == "accepted"
    assert [h["state"] for h in detail["history"]] == ["received", "rejected", "accepted"]
    assert [m["state"] for m in detail["messages"]] == ["published", "published"]


def test_retranslation_is_audited(retranslated: Retranslated) -> None:
    assert [(e["target"], e["message_count"]) for e in retranslated.audit] == [
        (f"inbound:{retranslated.inbound_id}", 2)
    ]


def test_each_message_is_on_kafka_once(retranslated: Retranslated) -> None:
    assert sorted(retranslated.records.ce_ids()) == sorted(retranslated.expected_ids)
    assert retranslated.records.end_total == 2


def test_histories_follow_the_transition_table(retranslated: Retranslated) -> None:
    check_histories(retranslated.histories)
