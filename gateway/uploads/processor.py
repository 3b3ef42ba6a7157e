"""Processes stored uploads in the background, one at a time, and survives restarts.

The store is the queue: the oldest upload in state ``received`` is next. One process at a time
processes (several gateway processes may share a PostgreSQL store): it holds the ``uploads``
lease in ``relay_lease`` and renews it while it works; losing it stops the work in hand.

On taking the lease it finishes what a stop interrupted: an accepted upload whose messages
were not all released is released; an upload that was being checked is reset (its staged work
thrown away) and processed again from its stored file. Message ids are deterministic per file
and row, so a second run produces the same messages.
"""

from __future__ import annotations

import asyncio
import functools
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path

import structlog

from adapters.base import Issue
from adapters.payroll_csv import AgencyProfile
from adapters.setu import OfficialSchemas
from gateway.auth import ClientLookup
from gateway.events import EventFactory
from gateway.states import InboundState
from gateway.store import Store
from gateway.tenancy import unlinked_municipality
from gateway.uploads import repo
from gateway.uploads.jobs import run_csv, run_setu
from gateway.uploads.metrics import UploadMetrics
from gateway.uploads.model import Upload
from gateway.uploads.prepare import Preparer, UploadRef
from gateway.uploads.report import write_inbox_report
from gateway.uploads.staging import Settlement, Stager
from gateway.worker import Lease, Worker

__all__ = ["LEASE_NAME", "UploadProcessor"]

log = structlog.get_logger(__name__)

_BATCH = 50_000
LEASE_NAME = "uploads"
LEASE_TTL = timedelta(seconds=30)


class UploadProcessor:
    def __init__(
        self,
        *,
        store: Store,
        events: EventFactory,
        data_dir: Path,
        profiles: Mapping[str, AgencyProfile],
        setu_schemas: OfficialSchemas | None,
        metrics: UploadMetrics,
        chunk_rows: int,
        max_errors: int,
        on_queued: Callable[[], None] = lambda: None,
        poll_seconds: float = 2.0,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        clients: ClientLookup | None = None,
    ) -> None:
        #: For the tenancy rule of placement rows (gateway.tenancy.unlinked_municipality).
        self._clients = clients
        self._store = store
        self._events = events
        self._data_dir = data_dir
        self._profiles = profiles
        self._setu_schemas = setu_schemas
        self._metrics = metrics
        self._chunk_rows = chunk_rows
        self._max_errors = max_errors
        self._on_queued = on_queued
        self._clock = clock
        # Whoever takes the lease first finishes what a stop interrupted.
        self._recover = True
        self._lease = Lease(
            store, LEASE_NAME, ttl=LEASE_TTL, on_change=self._lease_changed, clock=clock
        )
        self._worker = Worker(
            "uploads",
            self._round,
            interval=poll_seconds,
            failure_event="upload_processing_failed",
            retry_seconds=1.0,
            lease=self._lease,
        )

    # --- lifecycle -------------------------------------------------------------------------
    def start(self) -> None:
        self._worker.start()

    async def stop(self) -> None:
        """Stops at once; an upload in progress is processed again at the next start (by
        this or another process: the lease is released)."""
        await self._worker.stop()

    @property
    def holds_lease(self) -> bool:
        """One process at a time processes uploads (as one relay publishes): it holds a
        lease in the store, renewed while it works; losing it stops the upload in hand."""
        return self._lease.held()

    def enqueue(self, upload_id: str) -> None:
        """A new upload is stored: look now. (The store is the queue; ``upload_id`` is for
        the log.)"""
        log.debug("upload_enqueued", upload_id=upload_id)
        self._worker.wake()

    def _lease_changed(self, held: bool) -> None:
        if held:
            self._recover = True

    async def _round(self) -> None:
        """Recovery when due, then the oldest received upload (the worker holds the lease)."""
        try:
            if self._recover:
                await self.recover()
                self._recover = False
            upload_id = await self._next()
            if upload_id is None:
                return
            await self.process(upload_id)
        except Exception:
            # The store may be briefly away: the upload in hand is reset and processed
            # again once it is back (the check itself turns its own failures into a
            # rejection, so this is not a loop over a broken file).
            self._recover = True
            raise
        self._worker.wake()  # the next one, if any, at once

    async def _next(self) -> str | None:
        async with self._store.read() as conn:
            return await repo.next_received(conn)

    async def recover(self) -> None:
        async with self._store.read() as conn:
            unreleased = await repo.uploads_with_staged(conn)
            unfinished = await repo.unfinished_uploads(conn)
        for upload_id in unreleased:
            log.info("upload_release_resumed", upload_id=upload_id)
            await self._release(upload_id)
        for upload_id in unfinished:
            await self._reset(upload_id)
            log.info("upload_resumed", upload_id=upload_id)

    async def _reset(self, upload_id: str) -> None:
        while True:
            async with self._store.write() as conn:
                if not await repo.discard_work(conn, upload_id, keep_errors=False):
                    break
        async with self._store.write() as conn:
            upload = await repo.get_upload(conn, upload_id)
            if upload is not None and upload.state == InboundState.VALIDATING:
                await repo.set_state(
                    conn, upload_id, InboundState.RECEIVED, at=self._clock(), actor="gateway"
                )

    # --- one upload ------------------------------------------------------------------------
    async def process(self, upload_id: str) -> None:
        async with self._store.read() as conn:
            upload = await repo.get_upload(conn, upload_id)
        if upload is None or upload.state != InboundState.RECEIVED:
            return
        started = time.perf_counter()
        self._metrics.processing.inc()
        try:
            async with self._store.write() as conn:
                await repo.set_state(
                    conn,
                    upload_id,
                    InboundState.VALIDATING,
                    at=self._clock(),
                    actor="gateway",
                    started=True,
                )
            upload.state = InboundState.VALIDATING
            log.info("upload_processing", upload_id=upload_id, format=upload.format)
            settlement = await self._check(upload)
            await self._settle(upload, settlement)
        finally:
            self._metrics.processing.dec()
        self._metrics.seconds.observe(time.perf_counter() - started)
        self._metrics.finished.labels(settlement.state).inc()
        log.info(
            "upload_settled",
            upload_id=upload_id,
            state=settlement.state,
            code=settlement.error_code,
            seconds=round(time.perf_counter() - started, 3),
        )
        await self._report(upload_id)

    async def _check(self, upload: Upload) -> Settlement:
        profile = self._profiles.get(upload.agency_kvk)
        clients = self._clients
        preparer = Preparer(
            self._events,
            UploadRef(upload.sender, upload.agency_kvk, upload.content_hash, upload.received_at),
            parties=(
                None
                if clients is None
                else functools.partial(unlinked_municipality, clients, upload.agency_kvk)
            ),
        )
        stager = Stager(
            store=self._store,
            preparer=preparer,
            upload=upload,
            require_placement=profile.require_placement if profile is not None else False,
            max_errors=self._max_errors,
            clock=self._clock,
        )
        path = self._data_dir / upload.payload_path
        try:
            if upload.format == "csv":
                if profile is None:
                    await stager.file_error(
                        [Issue("file", "no_profile", "no CSV profile is configured for agency")]
                    )
                else:
                    await run_csv(stager, path, profile, self._chunk_rows)
            else:
                await run_setu(stager, self._store, path, self._setu_schemas)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("upload_check_crashed", upload_id=upload.id)
            await stager.file_error(
                [Issue("file", "crashed", "the gateway failed while checking this file")]
            )
        c = stager.counts
        for outcome, count in (
            ("accepted", c.rows_accepted),
            ("rejected", c.rows_rejected),
            ("duplicate", c.rows_duplicate),
            ("quarantined", c.rows_quarantined),
        ):
            self._metrics.rows.labels(outcome).inc(count)
        return stager.settlement()

    async def _settle(self, upload: Upload, settlement: Settlement) -> None:
        now = self._clock()
        async with self._store.write() as conn:
            await repo.set_state(
                conn,
                upload.id,
                settlement.state,
                at=now,
                actor="gateway",
                error_code=settlement.error_code,
                detail=settlement.detail,
            )
        if settlement.state == InboundState.REJECTED:
            while True:
                async with self._store.write() as conn:
                    if not await repo.discard_work(conn, upload.id, keep_errors=True):
                        break
            return
        await self._release(upload.id)

    async def _release(self, upload_id: str) -> None:
        """Staged -> queued, in batches by seq (each its own short transaction)."""
        async with self._store.read() as conn:
            span = await repo.staged_seq_range(conn, upload_id)
        if span is None:
            return
        low, high = span
        while low <= high:
            async with self._store.write() as conn:
                await repo.flip_staged(conn, upload_id, low, low + _BATCH - 1)
            low += _BATCH
            self._on_queued()

    async def _report(self, upload_id: str) -> None:
        async with self._store.read() as conn:
            upload = await repo.get_upload(conn, upload_id)
            published = await repo.count_published(conn, upload_id) if upload else 0
        if upload is None or not upload.report_dir:
            return
        try:
            await write_inbox_report(self._store, upload, upload.status(published=published))
        except OSError:
            log.exception("inbox_report_failed", upload_id=upload_id)
