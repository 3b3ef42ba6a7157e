"""The ops service: the one place the REST API and the web console go through, so both check
the same transitions and write the same audit entries; plus the background work of ``serve``
(replay runner, dead-letter consumer, retention schedule)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import structlog
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from gateway.context import GatewayContext
from gateway.errors import Forbidden, InvalidMessage, NotFound
from gateway.kafka_client import client_options
from gateway.ops.audit import Actor, AuditEntry, query_audit, record_audit
from gateway.ops.dlq import DlqConsumer
from gateway.ops.errors import AlreadyAccepted, InvalidSelection
from gateway.ops.filters import MessageFilter
from gateway.ops.holds import (
    HoldResult,
    find_hold_for_message,
    list_holds,
    place_hold,
    release_hold,
)
from gateway.ops.quarantine import QuarantinedRow, decide, get_quarantined, list_quarantine
from gateway.ops.queries import (
    InboundSummary,
    MessageDetail,
    MessageSummary,
    count_messages,
    inbound_detail,
    list_inbound,
    list_messages,
    message_detail,
)
from gateway.ops.rejected import RejectedPlan, accept_rejected, plan_rejected
from gateway.ops.replay.jobs import (
    JobView,
    cancel_job,
    create_job,
    get_job,
    job_items,
    list_jobs,
    resume_job,
)
from gateway.ops.replay.model import ReplayKind, Selection
from gateway.ops.replay.plan import Plan, make_plan
from gateway.ops.replay.retranslate import RetranslateError, Retranslator
from gateway.ops.replay.runner import ReplayRunner
from gateway.ops.retention import PurgeResult, RetentionSchedule, purge_payloads
from gateway.store.tables import messages

__all__ = ["OpsService"]

log = structlog.get_logger(__name__)


@dataclass
class OpsService:
    ctx: GatewayContext
    runner: ReplayRunner
    retranslator: Retranslator
    dlq: DlqConsumer | None
    retention: RetentionSchedule
    clock: Callable[[], datetime]

    @classmethod
    def for_context(
        cls, ctx: GatewayContext, *, clock: Callable[[], datetime] = lambda: datetime.now(UTC)
    ) -> OpsService:
        settings = ctx.settings
        retranslator = Retranslator(
            adapters=ctx.adapters,
            clients=ctx.clients,
            events=ctx.events,
            channels=ctx.retranslators,
        )
        wake = ctx.relay.wake if ctx.relay is not None else (lambda: None)
        runner = ReplayRunner(
            store=ctx.store,
            retranslator=retranslator,
            chunk_size=settings.replay_chunk_size,
            wake_relay=wake,
            clock=clock,
        )
        dlq = (
            DlqConsumer(
                store=ctx.store,
                kafka_options=client_options(settings),
                topic=settings.dlq_topic,
                poll_seconds=settings.dlq_poll_seconds,
                on_failed=lambda n: ctx.metrics.failed.labels("back-office").inc(n),
                clock=clock,
            )
            if settings.dlq_enabled
            else None
        )
        retention = RetentionSchedule(
            store=ctx.store,
            data_dir=settings.data_dir,
            retention_days=settings.retention_days,
            interval_seconds=settings.retention_purge_interval_seconds,
            clock=clock,
        )
        return cls(ctx, runner, retranslator, dlq, retention, clock)

    # --- lifecycle (inside serve) ------------------------------------------------------------
    def start(self) -> None:
        self.runner.start()
        if self.dlq is not None:
            self.dlq.start()
        self.retention.start()

    async def stop(self) -> None:
        await self.retention.stop()
        if self.dlq is not None:
            await self.dlq.stop()
        await self.runner.stop()

    # --- reading -----------------------------------------------------------------------------
    async def list_messages(
        self, f: MessageFilter, *, limit: int, before: int | None
    ) -> list[MessageSummary]:
        async with self.ctx.store.read() as conn:
            return await list_messages(conn, f, limit=limit, before=before)

    async def count_messages(self, f: MessageFilter, *, by: str | None) -> dict[str, int]:
        async with self.ctx.store.read() as conn:
            return await count_messages(conn, f, by=by)

    async def message(self, message_id: str) -> MessageDetail:
        async with self.ctx.store.read() as conn:
            found = await message_detail(conn, message_id)
        if found is None:
            raise NotFound(f"no message {message_id}")
        return found

    async def reveal(self, message_id: str, *, actor: Actor, reason: str) -> MessageDetail:
        """The unmasked message; the reveal itself is audited before anything is shown."""
        _admin(actor)
        async with self.ctx.store.write() as conn:
            found = await message_detail(conn, message_id, reveal=True)
            if found is None:
                raise NotFound(f"no message {message_id}")
            await record_audit(
                conn,
                actor=actor,
                action="reveal",
                at=self.clock(),
                target=message_id,
                message_count=1,
                reason=reason,
            )
        log.info("message_revealed", message_id=message_id, actor=actor.id)
        return found

    async def inbound(
        self, *, state: str | None, sender: str | None, channel: str | None, limit: int
    ) -> list[InboundSummary]:
        async with self.ctx.store.read() as conn:
            return await list_inbound(
                conn, state=state, sender=sender, channel=channel, limit=limit
            )

    async def inbound_payload(self, inbound_id: str) -> dict[str, Any]:
        async with self.ctx.store.read() as conn:
            found = await inbound_detail(conn, inbound_id)
        if found is None:
            raise NotFound(f"no inbound payload {inbound_id}")
        return found

    async def plan_rejected(self, inbound_id: str) -> RejectedPlan:
        async with self.ctx.store.read() as conn:
            return await plan_rejected(conn, self.retranslator, self.ctx.events, inbound_id)

    async def accept_rejected(self, inbound_id: str, *, actor: Actor, reason: str) -> list[str]:
        """Re-translates a rejected payload; raises ``InvalidMessage`` when it still fails."""
        _admin(actor)
        try:
            async with self.ctx.store.write() as conn:
                ids = await accept_rejected(
                    conn,
                    self.retranslator,
                    self.ctx.events,
                    inbound_id,
                    actor=actor,
                    reason=reason,
                    at=self.clock(),
                )
        except RetranslateError as exc:
            raise InvalidMessage(f"the payload still does not translate: {exc}") from None
        except IntegrityError:
            raise AlreadyAccepted(
                "the sender's same bytes were accepted since (or its messages exist already)"
            ) from None
        if self.ctx.relay is not None:
            self.ctx.relay.wake()
        log.info(
            "rejected_payload_accepted", inbound_id=inbound_id, messages=len(ids), actor=actor.id
        )
        return ids

    async def audit(self, **filters: Any) -> list[AuditEntry]:
        async with self.ctx.store.read() as conn:
            return await query_audit(conn, **filters)

    # --- replay ------------------------------------------------------------------------------
    async def plan(self, kind: ReplayKind, selection: Selection) -> Plan:
        async with self.ctx.store.read() as conn:
            return await make_plan(
                conn,
                kind,
                selection,
                sample_size=self.ctx.settings.replay_plan_sample,
                retranslator=self.retranslator,
            )

    async def replay(
        self,
        kind: ReplayKind,
        selection: Selection,
        *,
        actor: Actor,
        reason: str,
        idempotency_key: str | None = None,
    ) -> JobView:
        _admin(actor)
        async with self.ctx.store.write() as conn:
            job = await create_job(
                conn,
                kind=kind,
                selection=selection,
                reason=reason,
                actor=actor,
                at=self.clock(),
                idempotency_key=idempotency_key,
            )
        log.info(
            "replay_job_created",
            job_id=job.id,
            kind=kind.value,
            total=job.total,
            actor=actor.id,
            repeated=job.repeated,
        )
        self.runner.wake()
        return job

    async def job(self, job_id: str) -> JobView:
        async with self.ctx.store.read() as conn:
            found = await get_job(conn, job_id)
        assert found is not None
        return found

    async def jobs(self, *, limit: int = 50) -> list[JobView]:
        async with self.ctx.store.read() as conn:
            return await list_jobs(conn, limit=limit)

    async def job_items(
        self, job_id: str, *, outcome: str | None, after: int | None, limit: int
    ) -> list[dict[str, Any]]:
        async with self.ctx.store.read() as conn:
            await get_job(conn, job_id)
            return await job_items(conn, job_id, outcome=outcome, after=after, limit=limit)

    async def cancel(self, job_id: str, *, actor: Actor, reason: str) -> JobView:
        _admin(actor)
        async with self.ctx.store.write() as conn:
            await cancel_job(conn, job_id, actor=actor, reason=reason, at=self.clock())
        self.runner.wake()
        return await self.job(job_id)

    async def resume(self, job_id: str, *, actor: Actor) -> JobView:
        _admin(actor)
        async with self.ctx.store.write() as conn:
            job = await resume_job(conn, job_id)
        self.runner.wake()
        return job

    # --- holds -------------------------------------------------------------------------------
    async def hold(
        self, *, actor: Actor, reason: str, message_id: str | None = None, bsn: str | None = None
    ) -> HoldResult:
        _admin(actor)
        async with self.ctx.store.write() as conn:
            if message_id is not None:
                key = await conn.scalar(select(messages.c.key).where(messages.c.id == message_id))
                if key is None:
                    raise NotFound(f"no message {message_id}")
            elif bsn is not None:
                key = self.ctx.events.person_key(bsn)
            else:
                raise InvalidSelection("name a message_id or a bsn to hold")
            result = await place_hold(
                conn, key=key, message_id=message_id, actor=actor, reason=reason, at=self.clock()
            )
        log.info("hold_placed", hold_id=result.hold_id, actor=actor.id)
        return result

    async def release(
        self,
        *,
        actor: Actor,
        reason: str,
        hold_id: str | None = None,
        message_id: str | None = None,
    ) -> HoldResult:
        _admin(actor)
        async with self.ctx.store.write() as conn:
            if hold_id is None and message_id is not None:
                hold_id = await find_hold_for_message(conn, message_id)
            if hold_id is None:
                raise NotFound("no hold on this message's person key")
            result = await release_hold(
                conn, hold_id=hold_id, actor=actor, reason=reason, at=self.clock()
            )
        if self.ctx.relay is not None:
            self.ctx.relay.wake()
        log.info("hold_released", hold_id=hold_id, actor=actor.id, messages=len(result.changed))
        return result

    async def holds(self) -> list[dict[str, Any]]:
        async with self.ctx.store.read() as conn:
            return await list_holds(conn)

    # --- quarantined upload rows ------------------------------------------------------------
    async def quarantine(
        self, *, state: str | None, upload_id: str | None, limit: int = 100
    ) -> list[QuarantinedRow]:
        async with self.ctx.store.read() as conn:
            return await list_quarantine(conn, state=state, upload_id=upload_id, limit=limit)

    async def quarantined(self, seq: int) -> QuarantinedRow:
        async with self.ctx.store.read() as conn:
            return await get_quarantined(conn, seq)

    async def decide_quarantined(
        self, seq: int, *, release: bool, actor: Actor, reason: str
    ) -> dict[str, Any]:
        """Releases (publishes, superseding the earlier row) or discards a held row."""
        _admin(actor)
        async with self.ctx.store.write() as conn:
            result = await decide(
                conn,
                self.ctx.events,
                seq,
                release=release,
                actor=actor,
                reason=reason,
                at=self.clock(),
            )
        if release and self.ctx.relay is not None:
            self.ctx.relay.wake()
        log.info("quarantine_decided", seq=seq, state=result["state"], actor=actor.id)
        return result

    # --- retention ---------------------------------------------------------------------------
    async def purge(
        self, *, actor: Actor, reason: str, older_than_days: int | None = None
    ) -> PurgeResult:
        _admin(actor)
        days = older_than_days or self.ctx.settings.retention_days
        return await purge_payloads(
            self.ctx.store,
            data_dir=self.ctx.settings.data_dir,
            older_than=timedelta(days=days),
            actor=actor,
            reason=reason,
            now=self.clock(),
        )


def _admin(actor: Actor) -> None:
    """Second line of defence behind the routes' role checks."""
    if actor.role != "ops-admin":
        raise Forbidden("this needs the ops-admin role")
