"""Runs replay jobs in the background of ``serve``: items in their original seq order, one
chunk per transaction together with the items' outcomes (so an interrupted job resumes
without touching a message twice), then waits until the relay has published them."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

import structlog
from sqlalchemy import and_, bindparam, func, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from gateway.events import OutboxRecord
from gateway.ops.outbox import insert_queued
from gateway.ops.publication import keep_publication
from gateway.ops.replay.jobs import follow_message
from gateway.ops.replay.model import ELIGIBLE, ReplayKind
from gateway.ops.replay.retranslate import RetranslateError, Retranslator, SourcePayload
from gateway.states import MessageState, ReplayJobState, ReplayOutcome
from gateway.store import Store
from gateway.store.history import Event, record_event, record_events
from gateway.store.tables import messages, replay_items, replay_jobs
from gateway.worker import Worker

__all__ = ["ReplayRunner"]

log = structlog.get_logger(__name__)

#: Re-translation runs adapters inside the transaction: smaller chunks keep it short.
_RETRANSLATE_CHUNK = 200


class ReplayRunner:
    def __init__(
        self,
        *,
        store: Store,
        retranslator: Retranslator,
        chunk_size: int,
        wake_relay: Callable[[], None] = lambda: None,
        poll_seconds: float = 0.5,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._store = store
        self._retranslator = retranslator
        self._chunk_size = chunk_size
        self._wake_relay = wake_relay
        self._clock = clock
        self._worker = Worker(
            "replay-runner",
            self._round,
            interval=poll_seconds,
            failure_event="replay_runner_error",
            retry_seconds=1.0,
        )

    def start(self) -> None:
        self._worker.start()

    async def stop(self) -> None:
        await self._worker.stop()

    def wake(self) -> None:
        self._worker.wake()

    async def _round(self) -> None:
        if await self.step():
            self._worker.wake()

    async def step(self) -> bool:
        """One chunk of the oldest running job, else a check of jobs waiting for the relay.
        True when it did work (call again at once)."""
        async with self._store.read() as conn:
            jobs = (
                await conn.execute(
                    select(
                        replay_jobs.c.id,
                        replay_jobs.c.kind,
                        replay_jobs.c.state,
                        replay_jobs.c.created_by,
                    )
                    .where(
                        replay_jobs.c.state.in_(
                            (
                                ReplayJobState.RUNNING,
                                ReplayJobState.PUBLISHING,
                                ReplayJobState.CANCELLING,
                            )
                        )
                    )
                    .order_by(replay_jobs.c.created_at)
                )
            ).all()
        for job in jobs:
            if job.state == ReplayJobState.RUNNING:
                try:
                    await self._chunk(job.id, ReplayKind(job.kind), job.created_by)
                except Exception as exc:
                    await self._note_error(job.id, exc)
                    raise
                return True
        for job in jobs:
            await self._settle(job.id, job.kind, cancelled=job.state == ReplayJobState.CANCELLING)
        return False

    # --- putting items back --------------------------------------------------------------
    async def _chunk(self, job_id: str, kind: ReplayKind, actor: str) -> None:
        size = (
            self._chunk_size
            if kind is ReplayKind.REPUBLISH
            else min(self._chunk_size, _RETRANSLATE_CHUNK)
        )
        now = self._clock()
        async with self._store.write() as conn:
            state = await conn.scalar(select(replay_jobs.c.state).where(replay_jobs.c.id == job_id))
            if state != ReplayJobState.RUNNING:
                return
            pending = (
                (
                    await conn.execute(
                        select(replay_items.c.message_seq)
                        .where(
                            replay_items.c.job_id == job_id,
                            replay_items.c.outcome == ReplayOutcome.PENDING,
                        )
                        .order_by(replay_items.c.message_seq)
                        .limit(size)
                    )
                )
                .scalars()
                .all()
            )
            if not pending:
                await conn.execute(
                    update(replay_jobs)
                    .where(replay_jobs.c.id == job_id)
                    .values(state=ReplayJobState.PUBLISHING)
                )
                log.info("replay_job_queued", job_id=job_id)
                return
            # Claim: a concurrent runner (another process) that read the same items gets none.
            claimed = (
                (
                    await conn.execute(
                        update(replay_items)
                        .where(
                            replay_items.c.job_id == job_id,
                            replay_items.c.message_seq.in_(pending),
                            replay_items.c.outcome == ReplayOutcome.PENDING,
                        )
                        .values(outcome=ReplayOutcome.QUEUED)
                        .returning(replay_items.c.message_seq)
                    )
                )
                .scalars()
                .all()
            )
            if kind is ReplayKind.REPUBLISH:
                await self._republish(conn, job_id, sorted(claimed), actor, now)
            else:
                await self._retranslate(conn, job_id, sorted(claimed), actor, now)
            await conn.execute(  # a chunk went through: an earlier error is history
                update(replay_jobs)
                .where(replay_jobs.c.id == job_id, replay_jobs.c.error.is_not(None))
                .values(error=None)
            )
        self._wake_relay()

    async def _republish(
        self, conn: AsyncConnection, job_id: str, seqs: Sequence[int], actor: str, at: datetime
    ) -> None:
        if not seqs:
            return
        eligible = sorted(s.value for s in ELIGIBLE[ReplayKind.REPUBLISH])
        await keep_publication(conn, seqs)
        requeued = (
            await conn.execute(
                update(messages)
                .where(messages.c.seq.in_(seqs), messages.c.state.in_(eligible))
                .values(state=MessageState.QUEUED)
                .returning(messages.c.seq, messages.c.id)
            )
        ).all()
        await record_events(
            conn,
            [
                Event(
                    MessageState.QUEUED,
                    at,
                    actor,
                    message_id=r.id,
                    code="republish",
                    detail=f"replay job {job_id}",
                )
                for r in requeued
            ],
        )
        await self._skip_changed(conn, job_id, set(seqs) - {r.seq for r in requeued})

    async def _skip_changed(self, conn: AsyncConnection, job_id: str, seqs: set[int]) -> None:
        """Items whose message left the eligible states since the job was created."""
        if not seqs:
            return
        states = dict(
            (
                await conn.execute(
                    select(messages.c.seq, messages.c.state).where(messages.c.seq.in_(seqs))
                )
            ).all()
        )
        await conn.execute(
            update(replay_items)
            .where(
                replay_items.c.job_id == job_id, replay_items.c.message_seq == bindparam("b_seq")
            )
            .values(outcome=ReplayOutcome.SKIPPED, detail=bindparam("b_detail")),
            [
                {"b_seq": seq, "b_detail": f"message was {states.get(seq, 'gone')}"}
                for seq in sorted(seqs)
            ],
        )

    async def _retranslate(
        self, conn: AsyncConnection, job_id: str, seqs: Sequence[int], actor: str, at: datetime
    ) -> None:
        if not seqs:
            return
        eligible = {s.value for s in ELIGIBLE[ReplayKind.RETRANSLATE]}
        rows = (
            await conn.execute(
                select(messages).where(messages.c.seq.in_(seqs)).order_by(messages.c.seq)
            )
        ).all()
        sources: dict[str, SourcePayload | RetranslateError] = {}
        translated: dict[str, Any] = {}
        outcomes: list[dict[str, Any]] = []
        skipped: set[int] = set(seqs) - {r.seq for r in rows}
        for message in rows:
            if message.state not in eligible:
                skipped.add(message.seq)
                continue
            try:
                if message.inbound_id not in sources:
                    try:
                        source = await self._retranslator.load_source(conn, message.inbound_id)
                        sources[message.inbound_id] = source
                        translated[message.inbound_id] = self._retranslator.translate(source)
                    except RetranslateError as exc:
                        sources[message.inbound_id] = exc
                loaded = sources[message.inbound_id]
                if isinstance(loaded, RetranslateError):
                    raise loaded
                index = await self._retranslator.index_of(conn, message, loaded)
                record = self._retranslator.record(
                    loaded,
                    translated[message.inbound_id],
                    index,
                    replaces=message.id,
                    generation=job_id,
                )
            except RetranslateError as exc:
                outcomes.append(
                    {
                        "b_seq": message.seq,
                        "b_outcome": ReplayOutcome.ERROR,
                        "b_new": None,
                        "b_detail": str(exc)[:2000],
                    }
                )
                continue
            if record.value == message.value and record.type == message.type:
                outcomes.append(
                    {
                        "b_seq": message.seq,
                        "b_outcome": ReplayOutcome.SKIPPED,
                        "b_new": None,
                        "b_detail": "re-translation gives the same message",
                    }
                )
                continue
            await _insert_superseding(conn, record, message, actor=actor, at=at, job_id=job_id)
            outcomes.append(
                {
                    "b_seq": message.seq,
                    "b_outcome": ReplayOutcome.QUEUED,
                    "b_new": record.id,
                    "b_detail": None,
                }
            )
        if outcomes:
            await conn.execute(
                update(replay_items)
                .where(
                    replay_items.c.job_id == job_id,
                    replay_items.c.message_seq == bindparam("b_seq"),
                )
                .values(
                    outcome=bindparam("b_outcome"),
                    new_message_id=bindparam("b_new"),
                    detail=bindparam("b_detail"),
                ),
                outcomes,
            )
        await self._skip_changed(conn, job_id, skipped)

    # --- waiting for the relay ---------------------------------------------------------------
    async def _settle(self, job_id: str, kind: str, *, cancelled: bool) -> None:
        async with self._store.read() as conn:
            waiting = await conn.scalar(
                select(func.count())
                .select_from(replay_items.join(messages, follow_message(kind)))
                .where(
                    and_(
                        replay_items.c.job_id == job_id,
                        replay_items.c.outcome == ReplayOutcome.QUEUED,
                        messages.c.state.in_((MessageState.QUEUED, MessageState.HELD)),
                    )
                )
            )
        if waiting:
            return
        follow_state = select(messages.c.state).where(follow_message(kind)).scalar_subquery()
        async with self._store.write() as conn:
            await conn.execute(
                update(replay_items)
                .where(
                    replay_items.c.job_id == job_id, replay_items.c.outcome == ReplayOutcome.QUEUED
                )
                .values(outcome=follow_state)
            )
            await conn.execute(
                update(replay_jobs)
                .where(
                    replay_jobs.c.id == job_id,
                    replay_jobs.c.state.in_((ReplayJobState.PUBLISHING, ReplayJobState.CANCELLING)),
                )
                .values(
                    state=ReplayJobState.CANCELLED if cancelled else ReplayJobState.DONE,
                    finished_at=self._clock(),
                )
            )
        log.info("replay_job_finished", job_id=job_id, cancelled=cancelled)

    async def _note_error(self, job_id: str, exc: Exception) -> None:
        """Visible on the job (it is retried; the chunk's transaction was rolled back)."""
        with contextlib.suppress(Exception):
            async with self._store.write() as conn:
                await conn.execute(
                    update(replay_jobs)
                    .where(replay_jobs.c.id == job_id)
                    .values(error=f"{type(exc).__name__}: {exc}"[:1000])
                )


async def _insert_superseding(
    conn: AsyncConnection,
    record: OutboxRecord,
    old: Any,
    *,
    actor: str,
    at: datetime,
    job_id: str,
) -> None:
    await insert_queued(
        conn,
        [record],
        inbound_id=old.inbound_id,
        sender=old.sender,
        actor=actor,
        at=at,
        code="retranslate",
        details=[f"replay job {job_id}; supersedes {old.id}"],
    )
    await keep_publication(conn, [old.seq])
    await conn.execute(
        update(messages).where(messages.c.seq == old.seq).values(state=MessageState.REPLAYED)
    )
    await record_event(
        conn,
        Event(
            MessageState.REPLAYED,
            at,
            actor,
            message_id=old.id,
            inbound_id=old.inbound_id,
            code="retranslate",
            detail=f"replay job {job_id}; superseded by {record.id}",
            moved_from=old.state,
        ),
    )
