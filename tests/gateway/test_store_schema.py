"""The Alembic migrations create exactly what ``tables.py`` describes, on both stores."""

from __future__ import annotations

from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Connection

from gateway.store import Store, upgrade
from gateway.store.tables import metadata


async def test_migrations_match_table_definitions(store_url: str) -> None:
    store = Store(store_url)
    try:
        await upgrade(store)
        await upgrade(store)  # a second run is a no-op

        def diff(connection: Connection) -> Any:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            return compare_metadata(context, metadata)

        async with store.read() as conn:
            differences = await conn.run_sync(diff)
    finally:
        await store.dispose()
    assert differences == []
