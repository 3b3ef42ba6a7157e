"""Named leases in the store: at most one owner per name (``outbox`` for the relay,
``uploads`` for the upload processor, ...), each until its expiry unless renewed. The table
is called ``relay_lease`` for history; every lease of every worker lives in it."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import case, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from gateway.store.tables import relay_lease

__all__ = ["acquire_lease", "confirm_lease", "lease_holder", "release_lease"]


async def acquire_lease(
    conn: AsyncConnection, *, name: str, owner: str, now: datetime, ttl: timedelta
) -> int | None:
    """Takes or renews the lease and returns its epoch; None while another owner
    holds an unexpired one. The epoch goes up by one whenever the owner changes."""
    result = await conn.execute(
        update(relay_lease)
        .where(
            relay_lease.c.name == name,
            (relay_lease.c.owner == owner) | (relay_lease.c.expires_at < now),
        )
        .values(
            owner=owner,
            expires_at=now + ttl,
            epoch=case(
                (relay_lease.c.owner == owner, relay_lease.c.epoch),
                else_=relay_lease.c.epoch + 1,
            ),
        )
        .returning(relay_lease.c.epoch)
    )
    row = result.first()
    if row is not None:
        return int(row[0])
    exists = await conn.scalar(select(func.count()).where(relay_lease.c.name == name))
    if exists:
        return None
    # Two first-comers may race for the missing row (PostgreSQL): the loser gets no row
    # instead of a failed transaction.
    insert = postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert
    created = await conn.execute(
        insert(relay_lease)
        .values(name=name, owner=owner, expires_at=now + ttl, epoch=1)
        .on_conflict_do_nothing(index_elements=[relay_lease.c.name])
    )
    return 1 if created.rowcount == 1 else None


async def confirm_lease(
    conn: AsyncConnection, *, name: str, owner: str, epoch: int, now: datetime, ttl: timedelta
) -> bool:
    """The fence: inside the caller's write transaction, renews the lease only if ``owner``
    still holds it at ``epoch``. The row stays locked (PostgreSQL) or the database stays
    write-locked (SQLite) until that transaction ends, so no other owner can take the lease
    over between this check and the caller's commit."""
    result = await conn.execute(
        update(relay_lease)
        .where(
            relay_lease.c.name == name,
            relay_lease.c.owner == owner,
            relay_lease.c.epoch == epoch,
        )
        .values(expires_at=now + ttl)
    )
    return result.rowcount == 1


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
