"""The audit log: who did what, when, to which messages and why. Append-only (the store's
triggers refuse UPDATE and DELETE); written in the same transaction as the action itself."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncConnection

from gateway.auth import Client
from gateway.store.tables import audit_log
from gateway.timeutil import as_utc, format_time

__all__ = ["SCHEDULER", "Actor", "AuditEntry", "query_audit", "record_audit"]


@dataclass(frozen=True, slots=True)
class Actor:
    """Who acts: an ops client, or the gateway itself (the retention schedule)."""

    id: str
    role: str

    @classmethod
    def of(cls, client: Client) -> Actor:
        return cls(client.id, client.role)


SCHEDULER = Actor("scheduler", "system")


@dataclass(frozen=True, slots=True)
class AuditEntry:
    seq: int
    at: datetime
    actor: str
    role: str
    action: str
    target: str | None
    message_count: int
    reason: str | None
    detail: dict[str, Any] | None

    def as_json(self) -> dict[str, Any]:
        return {
            "seq": self.seq,
            "at": format_time(self.at),
            "actor": self.actor,
            "role": self.role,
            "action": self.action,
            "target": self.target,
            "message_count": self.message_count,
            "reason": self.reason,
            "detail": self.detail,
        }


async def record_audit(
    conn: AsyncConnection,
    *,
    actor: Actor,
    action: str,
    at: datetime,
    target: str | None = None,
    message_count: int = 0,
    reason: str | None = None,
    detail: dict[str, Any] | None = None,
) -> None:
    await conn.execute(
        insert(audit_log).values(
            at=at,
            actor=actor.id,
            role=actor.role,
            action=action,
            target=target,
            message_count=message_count,
            reason=reason,
            detail=detail,
        )
    )


async def query_audit(
    conn: AsyncConnection,
    *,
    action: str | None = None,
    actor: str | None = None,
    target: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    before: int | None = None,
    limit: int = 100,
) -> list[AuditEntry]:
    """Newest first; ``before`` is the ``seq`` to continue below (keyset paging)."""
    query = select(audit_log).order_by(audit_log.c.seq.desc()).limit(limit)
    if action:
        query = query.where(audit_log.c.action == action)
    if actor:
        query = query.where(audit_log.c.actor == actor)
    if target:
        query = query.where(audit_log.c.target == target)
    if since:
        query = query.where(audit_log.c.at >= as_utc(since))
    if until:
        query = query.where(audit_log.c.at < as_utc(until))
    if before is not None:
        query = query.where(audit_log.c.seq < before)
    rows = await conn.execute(query)
    return [
        AuditEntry(
            seq=r.seq,
            at=r.at,
            actor=r.actor,
            role=r.role,
            action=r.action,
            target=r.target,
            message_count=r.message_count,
            reason=r.reason,
            detail=r.detail,
        )
        for r in rows
    ]
