"""Issue 5 acceptance 4: a viewer cannot replay (403) nor hold, release, reveal or purge; every
replay, hold, release, reveal and purge is in the append-only audit log."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from sqlalchemy import text, update

from gateway.store.tables import messages
from tests.conftest import GatewayFactory
from tests.ops.helpers import auth, ops_get, ops_post
from tests.samples import candidate_enrolled


@dataclass(frozen=True)
class Audited:
    failed_id: str
    other_id: str
    refused: dict[str, httpx.Response]
    sender_reads: httpx.Response
    anonymous: httpx.Response
    viewer_reads: dict[str, Any]
    viewer_plans: httpx.Response
    nothing_yet: dict[str, Any]
    job: dict[str, Any]
    masked: dict[str, Any]
    revealed: dict[str, Any]
    audit: list[dict[str, Any]]
    reveals: list[dict[str, Any]]
    update_refused: str
    delete_refused: str


async def _refusal(gw: Any, statement: str) -> str:
    try:
        async with gw.ctx.store.write() as conn:
            await conn.execute(text(statement))
    except Exception as exc:
        return str(exc)
    return ""


@pytest.fixture(scope="module")
async def audited(module_gateway: GatewayFactory) -> Audited:
    async with module_gateway(relay=False, retention_purge_interval_seconds=0) as gw:
        sent = await gw.post([candidate_enrolled("111222333"), candidate_enrolled("123456782")])
        failed_id, other_id = sent.json()["message_ids"]
        async with gw.ctx.store.write() as conn:
            await conn.execute(
                update(messages)
                .where(messages.c.id == failed_id)
                .values(state="failed", error_code="kafka-rejected", error_message="x")
            )
        replay = {
            "kind": "republish",
            "message_ids": [failed_id],
            "reason": "fixed",
            "up_to_seq": 10**9,
        }
        refused = {
            "replay": await ops_post(gw, "/replays", replay, as_client="ops-viewer"),
            "hold": await ops_post(
                gw, "/holds", {"message_id": other_id, "reason": "check"}, as_client="ops-viewer"
            ),
            "release": await ops_post(
                gw, f"/messages/{other_id}/release", {"reason": "ok"}, as_client="ops-viewer"
            ),
            "reveal": await ops_post(
                gw, f"/messages/{failed_id}/reveal", {"reason": "call"}, as_client="ops-viewer"
            ),
            "purge": await ops_post(gw, "/purge", {"reason": "now"}, as_client="ops-viewer"),
        }
        sender_reads = await gw.client.get("/v1/ops/messages", headers=auth("gemeente-amsterdam"))
        anonymous = await gw.client.get("/v1/ops/messages")
        viewer_reads = await ops_get(gw, "/messages", as_client="ops-viewer", state="failed")
        viewer_plans = await ops_post(
            gw,
            "/replays/plan",
            {"kind": "republish", "message_ids": [failed_id]},
            as_client="ops-viewer",
        )
        nothing_yet = await ops_get(gw, "/audit")

        job = (await ops_post(gw, "/replays", replay, expect=202)).json()
        hold = (
            await ops_post(
                gw, "/holds", {"message_id": other_id, "reason": "person moved"}, expect=201
            )
        ).json()
        await ops_post(
            gw, f"/holds/{hold['hold_id']}/release", {"reason": "address confirmed"}, expect=200
        )
        masked = await ops_get(gw, f"/messages/{failed_id}")
        revealed = (
            await ops_post(
                gw,
                f"/messages/{failed_id}/reveal",
                {"reason": "municipality asks (call 12)"},
                expect=200,
            )
        ).json()
        await ops_post(gw, "/purge", {"reason": "retention check"}, expect=200)
        audit = (await ops_get(gw, "/audit"))["items"]
        reveals = (await ops_get(gw, "/audit", action="reveal"))["items"]
        update_refused = await _refusal(gw, "UPDATE audit_log SET reason = 'nothing happened'")
        delete_refused = await _refusal(gw, "DELETE FROM audit_log")
    return Audited(
        failed_id=failed_id,
        other_id=other_id,
        refused=refused,
        sender_reads=sender_reads,
        anonymous=anonymous,
        viewer_reads=viewer_reads,
        viewer_plans=viewer_plans,
        nothing_yet=nothing_yet,
        job=job,
        masked=masked,
        revealed=revealed,
        audit=audit,
        reveals=reveals,
        update_refused=update_refused,
        delete_refused=delete_refused,
    )


def test_a_viewer_is_refused_every_change(audited: Audited) -> None:
    refused = audited.refused
    assert {action: r.status_code for action, r in refused.items()} == dict.fromkeys(refused, 403)
    assert all(r.json()["code"] == "forbidden" for r in refused.values())


def test_a_sender_cannot_read_ops_and_an_anonymous_caller_must_log_in(
    audited: Audited,
) -> None:
    assert audited.sender_reads.status_code == 403
    assert audited.anonymous.status_code == 401


def test_a_viewer_may_read_and_plan(audited: Audited) -> None:
    assert [m["id"] for m in audited.viewer_reads["items"]] == [audited.failed_id]
    assert audited.viewer_plans.status_code == 200


def test_refusals_are_not_audited(audited: Audited) -> None:
    assert audited.nothing_yet["items"] == []


def test_every_admin_action_is_audited_in_order_with_its_actor(audited: Audited) -> None:
    assert [e["action"] for e in reversed(audited.audit)] == [
        "replay",
        "hold",
        "release",
        "reveal",
        "purge",
    ]
    assert all(e["actor"] == "ops-admin" and e["role"] == "ops-admin" for e in audited.audit)


def test_audit_entries_carry_reason_and_target(audited: Audited) -> None:
    by_action = {e["action"]: e for e in audited.audit}
    assert by_action["replay"]["reason"] == "fixed"
    assert by_action["replay"]["target"] == f"job:{audited.job['id']}"
    assert by_action["replay"]["message_count"] == 1
    assert by_action["hold"]["target"] == audited.other_id
    assert by_action["hold"]["reason"] == "person moved"
    assert by_action["release"]["reason"] == "address confirmed"
    assert by_action["reveal"]["target"] == audited.failed_id
    assert by_action["reveal"]["reason"] == "municipality asks (call 12)"
    assert by_action["purge"]["reason"] == "retention check"


def test_the_audit_can_be_filtered_by_action(audited: Audited) -> None:
    by_action = {e["action"]: e for e in audited.audit}
    assert [e["seq"] for e in audited.reveals] == [by_action["reveal"]["seq"]]


def test_the_audit_log_is_append_only(audited: Audited) -> None:
    assert "append-only" in audited.update_refused
    assert "append-only" in audited.delete_refused


def test_bsns_are_masked_everywhere_but_in_the_reveal(audited: Audited) -> None:
    assert "111222333" not in str(audited.masked)
    assert '"bsn": "******333"' in audited.masked["canonical"]
    assert '"bsn": "111222333"' in audited.revealed["canonical"]
