"""docs/delivery.md: "SQLite runs with synchronous=FULL in WAL mode, so a committed submission
survives a power cut". Read back from real connections of the running app's store, for both
the writing and the reading engine."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from tests.conftest import GatewayFactory

FULL = 2  # PRAGMA synchronous: 0 OFF, 1 NORMAL, 2 FULL, 3 EXTRA


@pytest.mark.parametrize("store_url", ["sqlite"], indirect=True)
async def test_sqlite_store_writes_with_synchronous_full_in_wal_mode(
    make_gateway: GatewayFactory,
) -> None:
    async with make_gateway(relay=False) as gw:
        # a submission first: the pragmas must hold on the connection that committed it
        response = await gw.post({"type": "nl.flextensie.nonsense.v1", "data": {}})
        assert response.status_code == 422  # kept as rejected: a write went through the store
        async with gw.ctx.store.write() as conn:
            write_sync = await conn.scalar(text("PRAGMA synchronous"))
            write_journal = await conn.scalar(text("PRAGMA journal_mode"))
        async with gw.ctx.store.read() as conn:
            read_sync = await conn.scalar(text("PRAGMA synchronous"))
            read_journal = await conn.scalar(text("PRAGMA journal_mode"))
        dialect = gw.ctx.store.dialect

    assert dialect == "sqlite"
    assert write_sync == FULL
    assert str(write_journal).lower() == "wal"
    assert read_sync == FULL
    assert str(read_journal).lower() == "wal"
