"""Named leases in the store: at most one owner per name (``outbox`` for the relay,
``uploads`` for the upload processor, ...), each until its expiry unless renewed. The table
is called ``relay_lease`` for history; every lease of every worker lives in it."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from gateway.store.tables import relay_lease

__all__ = ["acquire_lease", "lease_holder", "release_lease"]


async def acquire_lease(
    conn: AsyncConnection, *, name: str, owner: str, now: datetime, ttl: timedelta
) -> bool:
    """Takes or renews the lease; False while another owner holds an unexpired one."""
    result = await conn.execute(
        update(relay_lease)
        .where(
            relay_lease.c.name == name,
            (relay_lease.c.owner == owner) | (relay_lease.c.expires_at < now),
        )
        .values(owner=owner, expires_at=now + ttl)
    )
    if result.rowcount == 1:
        return True
    exists = await conn.scalar(select(func.count()).where(relay_lease.c.name == name))
    if exists:
        return False
    # Two first-comers may race for the missing row (PostgreSQL): the loser gets no row
    # instead of a failed transaction.
    insert = postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert
    created = await conn.execute(
        insert(relay_lease)
        .values(name=name, owner=owner, expires_at=now + ttl)
        .on_conflict_do_nothing(index_elements=[relay_lease.c.name])
    )
    return created.rowcount == 1


async def release_lease(conn: AsyncConnection, *, name: str, owner: str) -> None:
    await conn.execute(
        relay_lease.delete().where(relay_lease.c.name == name, relay_lease.c.owner == owner)
    )


async def lease_holder(conn: AsyncConnection, *, name: str, now: datetime) -> str | None:
    row = (
        await conn.execute(
            select(relay_lease.c.owner).where(
                relay_lease.c.name == name, relay_lease.c.expires_at >= now
            )
        )
    ).first()
    return None if row is None else str(row[0])
