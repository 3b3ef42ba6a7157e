"""Retention: the schedule inside the app purges raw payloads older than the retention period,
keeps newer ones and the canonical messages, logs and audits the purge."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select, update

from gateway.store.tables import inbound
from tests.ops.helpers import eventually, ops_get
from tests.samples import candidate_enrolled


async def test_scheduled_purge_removes_old_raw_payloads_and_is_audited(make_gateway) -> None:
    async with make_gateway(relay=False, retention_purge_interval_seconds=0) as gw:
        old = (await gw.post(candidate_enrolled("111222333"))).json()
        new = (await gw.post(candidate_enrolled("123456782"))).json()
        async with gw.ctx.store.write() as conn:
            await conn.execute(
                update(inbound)
                .where(inbound.c.id == old["inbound_id"])
                .values(received_at=datetime.now(UTC) - timedelta(days=91))
            )

    async with make_gateway(
        relay=False, retention_days=90, retention_purge_interval_seconds=0.2
    ) as gw:

        async def purged() -> list[dict] | None:
            entries = (await ops_get(gw, "/audit", action="purge"))["items"]
            return [e for e in entries if e["message_count"]] or None

        [entry] = await eventually(purged)
        async with gw.ctx.store.read() as conn:
            rows = {
                r.id: r
                for r in await conn.execute(
                    select(inbound.c.id, inbound.c.payload, inbound.c.purged_at)
                )
            }
        old_message = await ops_get(gw, f"/messages/{old['message_ids'][0]}")
        new_message = await ops_get(gw, f"/messages/{new['message_ids'][0]}")

    assert entry["actor"] == "scheduler"
    assert entry["message_count"] == 1
    assert entry["reason"] == "retention: raw payloads are kept 90 days"
    assert rows[old["inbound_id"]].payload is None
    assert rows[old["inbound_id"]].purged_at is not None
    assert rows[new["inbound_id"]].payload is not None
    assert rows[new["inbound_id"]].purged_at is None
    assert old_message["raw_payload"] is None
    assert old_message["inbound"]["purged_at"] is not None
    assert "purged" in [h["state"] for h in old_message["history"]]
    assert old_message["canonical"]  # the canonical message stays
    assert "******782" in new_message["raw_payload"]
    assert "123456782" not in new_message["raw_payload"]
