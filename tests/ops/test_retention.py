"""Retention: the schedule inside the app purges raw payloads older than the retention period,
keeps newer ones and the canonical messages, logs and audits the purge."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select, update

from gateway.store.tables import inbound
from tests.conftest import GatewayFactory
from tests.ops.helpers import ops_get
from tests.samples import candidate_enrolled
from tests.waiting import eventually


@dataclass(frozen=True)
class Purged:
    old: dict[str, Any]
    new: dict[str, Any]
    entry: dict[str, Any]
    rows: dict[str, Any]
    old_message: dict[str, Any]
    new_message: dict[str, Any]


@pytest.fixture(scope="module")
async def purged(module_gateway: GatewayFactory) -> Purged:
    async with module_gateway(relay=False, retention_purge_interval_seconds=0) as gw:
        old = (await gw.post(candidate_enrolled("111222333"))).json()
        new = (await gw.post(candidate_enrolled("123456782"))).json()
        async with gw.ctx.store.write() as conn:
            await conn.execute(
                update(inbound)
                .where(inbound.c.id == old["inbound_id"])
                .values(received_at=datetime.now(UTC) - timedelta(days=91))
            )

    async with module_gateway(
        relay=False, retention_days=90, retention_purge_interval_seconds=0.2
    ) as gw:

        async def audited() -> list[dict[str, Any]] | None:
            entries = (await ops_get(gw, "/audit", action="purge"))["items"]
            return [e for e in entries if e["message_count"]] or None

        [entry] = await eventually(audited)
        async with gw.ctx.store.read() as conn:
            rows = {
                r.id: r
                for r in await conn.execute(
                    select(inbound.c.id, inbound.c.payload, inbound.c.purged_at)
                )
            }
        old_message = await ops_get(gw, f"/messages/{old['message_ids'][0]}")
        new_message = await ops_get(gw, f"/messages/{new['message_ids'][0]}")
    return Purged(old, new, entry, rows, old_message, new_message)


def test_the_scheduled_purge_is_audited(purged: Purged) -> None:
    assert purged.entry["actor"] == "scheduler"
    assert purged.entry["message_count"] == 1
    assert purged.entry["reason"] == "retention: raw payloads are kept 90 days"


def test_a_payload_older_than_the_retention_is_purged(purged: Purged) -> None:
    row = purged.rows[purged.old["inbound_id"]]
    assert row.payload is None
    assert row.purged_at is not None


def test_a_newer_payload_is_kept(purged: Purged) -> None:
    row = purged.rows[purged.new["inbound_id"]]
    assert row.payload is not None
    assert row.purged_at is None


def test_a_purged_messages_page_says_so_and_keeps_the_canonical_message(
    purged: Purged,
) -> None:
    old_message = purged.old_message
    assert old_message["raw_payload"] is None
    assert old_message["inbound"]["purged_at"] is not None
    assert "purged" in [h["state"] for h in old_message["history"]]
    assert old_message["canonical"]


def test_a_kept_payload_is_shown_masked(purged: Purged) -> None:
    assert "******782" in purged.new_message["raw_payload"]
    assert "123456782" not in purged.new_message["raw_payload"]
