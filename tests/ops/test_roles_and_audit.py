"""Issue 5 acceptance 4: a viewer cannot replay (403) nor hold, release, reveal or purge; every
replay, hold, release, reveal and purge is in the append-only audit log."""

from __future__ import annotations

import pytest
from sqlalchemy import text, update

from gateway.store.tables import messages
from tests.ops.helpers import auth, ops_get, ops_post
from tests.samples import candidate_enrolled


async def test_viewer_is_refused_every_change_and_admin_actions_are_audited(make_gateway) -> None:
    async with make_gateway(relay=False, retention_purge_interval_seconds=0) as gw:
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
        with pytest.raises(Exception, match="append-only"):
            async with gw.ctx.store.write() as conn:
                await conn.execute(text("UPDATE audit_log SET reason = 'nothing happened'"))
        with pytest.raises(Exception, match="append-only"):
            async with gw.ctx.store.write() as conn:
                await conn.execute(text("DELETE FROM audit_log"))

    assert {action: r.status_code for action, r in refused.items()} == dict.fromkeys(refused, 403)
    assert all(r.json()["code"] == "forbidden" for r in refused.values())
    assert sender_reads.status_code == 403
    assert anonymous.status_code == 401
    assert [m["id"] for m in viewer_reads["items"]] == [failed_id]
    assert viewer_plans.status_code == 200
    assert nothing_yet["items"] == []  # refusals change nothing, so audit nothing

    by_action = {e["action"]: e for e in audit}
    assert [e["action"] for e in reversed(audit)] == [
        "replay",
        "hold",
        "release",
        "reveal",
        "purge",
    ]
    assert all(e["actor"] == "ops-admin" and e["role"] == "ops-admin" for e in audit)
    assert by_action["replay"]["reason"] == "fixed"
    assert by_action["replay"]["target"] == f"job:{job['id']}"
    assert by_action["replay"]["message_count"] == 1
    assert by_action["hold"]["target"] == other_id
    assert by_action["hold"]["reason"] == "person moved"
    assert by_action["release"]["reason"] == "address confirmed"
    assert by_action["reveal"]["target"] == failed_id
    assert by_action["reveal"]["reason"] == "municipality asks (call 12)"
    assert by_action["purge"]["reason"] == "retention check"
    assert [e["seq"] for e in reveals] == [by_action["reveal"]["seq"]]
    # Masked everywhere but in the reveal.
    assert "111222333" not in str(masked)
    assert '"bsn": "******333"' in masked["canonical"]
    assert '"bsn": "111222333"' in revealed["canonical"]
