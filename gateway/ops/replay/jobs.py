"""Replay jobs in the store: create (freeze the selection as items), cancel, resume, report
progress. The runner (``runner.py``) does the work."""

from __future__ import annotations

import dataclasses
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, insert, literal, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from gateway.errors import NotFound
from gateway.ops.audit import Actor, record_audit
from gateway.ops.replay.model import ReplayKind, Selection, eligible_conditions
from gateway.ops.replay.plan import id_chunks
from gateway.states import MessageState, ReplayJobState, ReplayOutcome
from gateway.store.tables import messages, replay_items, replay_jobs
from gateway.timeutil import format_time

__all__ = [
    "ACTIVE",
    "JobView",
    "cancel_job",
    "create_job",
    "follow_message",
    "get_job",
    "job_items",
    "list_jobs",
    "resume_job",
]

_JOB_NAMESPACE = uuid.UUID("0b5c7c8e-3f7d-4a55-9a0e-7f4f2b9c1d21")

#: Job states: running (putting items back) -> publishing (waiting for the relay) -> done;
#: cancel: running | publishing -> cancelling -> cancelled. A job the runner could not finish
#: stays in its state with ``error`` set and is resumed.
ACTIVE = (ReplayJobState.RUNNING, ReplayJobState.PUBLISHING, ReplayJobState.CANCELLING)
FINAL = (ReplayJobState.DONE, ReplayJobState.CANCELLED)


@dataclass(frozen=True, slots=True)
class JobView:
    id: str
    kind: str
    state: str
    reason: str
    created_by: str
    created_at: datetime
    finished_at: datetime | None
    total: int
    counts: dict[str, int]
    selection: dict[str, Any]
    error: str | None
    repeated: bool = False

    @property
    def done(self) -> int:
        """Items the job has finished with (put back and, if so, acknowledged or failed)."""
        return self.total - self.counts.get("pending", 0) - self.counts.get("in_outbox", 0)

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "kind": self.kind,
            "state": self.state,
            "reason": self.reason,
            "created_by": self.created_by,
            "created_at": format_time(self.created_at),
            "finished_at": format_time(self.finished_at) if self.finished_at else None,
            "total": self.total,
            "done": self.done,
            "counts": self.counts,
            "selection": self.selection,
            "error": self.error,
            "repeated": self.repeated,
        }


def job_id_for(actor: Actor, idempotency_key: str | None) -> str:
    if idempotency_key is None:
        return str(uuid.uuid4())
    return str(uuid.uuid5(_JOB_NAMESPACE, f"{actor.id}\x1f{idempotency_key}"))


async def create_job(
    conn: AsyncConnection,
    *,
    kind: ReplayKind,
    selection: Selection,
    reason: str,
    actor: Actor,
    at: datetime,
    idempotency_key: str | None = None,
) -> JobView:
    """Freezes the eligible messages as items (one per message) and audits the replay. The same
    ``idempotency_key`` from the same actor returns the job it created first."""
    job_id = job_id_for(actor, idempotency_key)
    existing = await get_job(conn, job_id, missing_ok=True)
    if existing is not None:
        return _repeated(existing)
    if selection.up_to_seq is None:
        top = await conn.scalar(select(func.max(messages.c.seq)))
        selection = selection.model_copy(update={"up_to_seq": int(top or 0)})
    await conn.execute(
        insert(replay_jobs).values(
            id=job_id,
            kind=kind.value,
            state=ReplayJobState.RUNNING,
            selection=selection.model_dump(mode="json", exclude_none=True),
            reason=reason,
            created_by=actor.id,
            created_at=at,
            total=0,
        )
    )
    for extra in id_chunks(selection):
        await conn.execute(
            insert(replay_items).from_select(
                ["job_id", "message_seq", "message_id", "outcome"],
                select(
                    literal(job_id),
                    messages.c.seq,
                    messages.c.id,
                    literal(ReplayOutcome.PENDING.value),
                ).where(*eligible_conditions(kind, selection), *extra),
            )
        )
    total = int(
        await conn.scalar(
            select(func.count()).select_from(replay_items).where(replay_items.c.job_id == job_id)
        )
        or 0
    )
    await conn.execute(
        update(replay_jobs)
        .where(replay_jobs.c.id == job_id)
        .values(
            total=total,
            state=ReplayJobState.RUNNING if total else ReplayJobState.DONE,
            finished_at=None if total else at,
        )
    )
    await record_audit(
        conn,
        actor=actor,
        action="replay",
        at=at,
        target=f"job:{job_id}",
        message_count=total,
        reason=reason,
        detail={
            "job_id": job_id,
            "kind": kind.value,
            "selection": selection.model_dump(mode="json", exclude_none=True),
        },
    )
    view = await get_job(conn, job_id)
    assert view is not None
    return view


def _repeated(view: JobView) -> JobView:
    return dataclasses.replace(view, repeated=True)


async def get_job(
    conn: AsyncConnection, job_id: str, *, missing_ok: bool = False
) -> JobView | None:
    row = (await conn.execute(select(replay_jobs).where(replay_jobs.c.id == job_id))).first()
    if row is None:
        if missing_ok:
            return None
        raise NotFound(f"no replay job {job_id}")
    return JobView(
        id=row.id,
        kind=row.kind,
        state=row.state,
        reason=row.reason,
        created_by=row.created_by,
        created_at=row.created_at,
        finished_at=row.finished_at,
        total=row.total,
        counts=await _counts(conn, row.id, row.kind),
        selection=row.selection,
        error=row.error,
    )


def follow_message(kind: str) -> Any:
    """How an item finds the message whose fate it waits for."""
    if kind == ReplayKind.RETRANSLATE.value:
        return messages.c.id == replay_items.c.new_message_id
    return messages.c.seq == replay_items.c.message_seq


async def _counts(conn: AsyncConnection, job_id: str, kind: str) -> dict[str, int]:
    """Items per outcome; items put back into the outbox counted by what the relay has done
    with their message so far. One statement, so the counts come from one snapshot."""
    rows = await conn.execute(
        select(replay_items.c.outcome, messages.c.state, func.count())
        .select_from(replay_items.outerjoin(messages, follow_message(kind)))
        .where(replay_items.c.job_id == job_id)
        .group_by(replay_items.c.outcome, messages.c.state)
    )
    counts: dict[str, int] = {}
    for outcome, state, n in rows:
        name = outcome
        if outcome == ReplayOutcome.QUEUED:
            name = "in_outbox" if state in (MessageState.QUEUED, MessageState.HELD) else str(state)
        counts[name] = counts.get(name, 0) + int(n)
    return dict(sorted(counts.items()))


async def list_jobs(conn: AsyncConnection, *, limit: int = 50) -> list[JobView]:
    ids = await conn.scalars(
        select(replay_jobs.c.id).order_by(replay_jobs.c.created_at.desc()).limit(limit)
    )
    views = [await get_job(conn, job_id) for job_id in list(ids)]
    return [v for v in views if v is not None]


async def job_items(
    conn: AsyncConnection,
    job_id: str,
    *,
    outcome: str | None = None,
    after: int | None = None,
    limit: int = 100,
) -> list[dict[str, Any]]:
    query = (
        select(replay_items)
        .where(replay_items.c.job_id == job_id)
        .order_by(replay_items.c.message_seq)
        .limit(limit)
    )
    if outcome:
        query = query.where(replay_items.c.outcome == outcome)
    if after is not None:
        query = query.where(replay_items.c.message_seq > after)
    rows = await conn.execute(query)
    return [
        {
            "message_seq": r.message_seq,
            "message_id": r.message_id,
            "outcome": r.outcome,
            "new_message_id": r.new_message_id,
            "detail": r.detail,
        }
        for r in rows
    ]


async def cancel_job(
    conn: AsyncConnection, job_id: str, *, actor: Actor, reason: str, at: datetime
) -> int:
    """Stops a job: items not yet put back are cancelled; those already in the outbox go on.
    Returns how many items were cancelled."""
    job = await get_job(conn, job_id)
    assert job is not None
    cancelled = 0
    if job.state in (ReplayJobState.RUNNING, ReplayJobState.PUBLISHING):
        result = await conn.execute(
            update(replay_items)
            .where(replay_items.c.job_id == job_id, replay_items.c.outcome == ReplayOutcome.PENDING)
            .values(outcome=ReplayOutcome.CANCELLED)
        )
        cancelled = int(result.rowcount or 0)
        await conn.execute(
            update(replay_jobs)
            .where(replay_jobs.c.id == job_id)
            .values(state=ReplayJobState.CANCELLING)
        )
    await record_audit(
        conn,
        actor=actor,
        action="cancel",
        at=at,
        target=f"job:{job_id}",
        message_count=cancelled,
        reason=reason,
        detail={"job_id": job_id, "state_before": job.state},
    )
    return cancelled


async def resume_job(conn: AsyncConnection, job_id: str) -> JobView:
    """Running a job again: a finished job stays as it is (nothing is published twice); an
    unfinished one is picked up where it stopped."""
    job = await get_job(conn, job_id)
    assert job is not None
    if job.state in FINAL:
        return _repeated(job)
    await conn.execute(update(replay_jobs).where(replay_jobs.c.id == job_id).values(error=None))
    return job
