"""Retention: raw payloads older than ``retention_days`` are purged (bytes in the store and
files under the data directory). Canonical messages, history and audit stay. Every run is
logged and audited, and each purged payload gets a ``purged`` history event."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import structlog
from sqlalchemy import bindparam, select, update

from gateway.ops.audit import SCHEDULER, Actor, record_audit
from gateway.states import EventState
from gateway.store import Store
from gateway.store.history import Event, record_events
from gateway.store.tables import inbound
from gateway.timeutil import format_time
from gateway.worker import Worker

__all__ = ["PurgeResult", "RetentionSchedule", "purge_payloads"]

log = structlog.get_logger(__name__)
_BATCH = 1000


@dataclass(frozen=True, slots=True)
class PurgeResult:
    payloads: int
    bytes: int
    cutoff: datetime


async def purge_payloads(
    store: Store,
    *,
    data_dir: Path,
    older_than: timedelta,
    actor: Actor,
    reason: str,
    now: datetime,
) -> PurgeResult:
    """Purges in batches (each its own transaction, so a big first run does not hold the
    store); the audit entry sums them up."""
    cutoff = now - older_than
    count = 0
    size = 0
    while True:
        async with store.write() as conn:
            rows = (
                await conn.execute(
                    select(inbound.c.id, inbound.c.payload_size, inbound.c.payload_path)
                    .where(inbound.c.received_at < cutoff, inbound.c.purged_at.is_(None))
                    .limit(_BATCH)
                )
            ).all()
            if not rows:
                break
            await conn.execute(
                update(inbound)
                .where(inbound.c.id == bindparam("b_id"))
                .values(payload=None, payload_path=None, purged_at=now),
                [{"b_id": r.id} for r in rows],
            )
            await record_events(
                conn,
                [
                    Event(
                        EventState.PURGED,
                        now,
                        actor.id,
                        inbound_id=r.id,
                        code="retention",
                        detail=reason,
                    )
                    for r in rows
                ],
            )
        for r in rows:
            if r.payload_path:
                _remove(data_dir, r.payload_path)
        count += len(rows)
        size += sum(int(r.payload_size or 0) for r in rows)
        if len(rows) < _BATCH:
            break
    # A person's purge is always audited; the schedule's only when it removed something (its
    # empty runs are in the log).
    if count or actor is not SCHEDULER:
        async with store.write() as conn:
            await record_audit(
                conn,
                actor=actor,
                action="purge",
                at=now,
                target="inbound",
                message_count=count,
                reason=reason,
                detail={"cutoff": format_time(cutoff), "payloads": count, "bytes": size},
            )
    log.info(
        "payloads_purged", payloads=count, bytes=size, cutoff=cutoff.isoformat(), actor=actor.id
    )
    return PurgeResult(count, size, cutoff)


def _remove(data_dir: Path, stored: str) -> None:
    path = Path(stored)
    path = path if path.is_absolute() else data_dir / path
    try:
        # Only files under the data directory are ours to delete.
        path.resolve().relative_to(data_dir.resolve())
    except ValueError:
        log.warning("purge_skipped_foreign_path")
        return
    with contextlib.suppress(FileNotFoundError):
        path.unlink()


class RetentionSchedule:
    """Runs the purge every ``interval_seconds`` inside ``serve`` (first run right away)."""

    def __init__(
        self,
        *,
        store: Store,
        data_dir: Path,
        retention_days: int,
        interval_seconds: float,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._store = store
        self._data_dir = data_dir
        self._days = retention_days
        self._interval = interval_seconds
        self._clock = clock
        self._worker = Worker(
            "retention",
            self._round,
            interval=interval_seconds,
            failure_event="retention_purge_failed",
        )
        self.runs = 0

    def start(self) -> None:
        if self._interval > 0:
            self._worker.start()

    async def stop(self) -> None:
        await self._worker.stop()

    async def _round(self) -> None:
        await purge_payloads(
            self._store,
            data_dir=self._data_dir,
            older_than=timedelta(days=self._days),
            actor=SCHEDULER,
            reason=f"retention: raw payloads are kept {self._days} days",
            now=self._clock(),
        )
        self.runs += 1
