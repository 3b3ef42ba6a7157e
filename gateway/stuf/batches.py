"""Batch files of kennisgevingen: received (upload or inbox), kept on disk, processed one
message at a time through the same pipeline as the SOAP service, reported per message.

* Receiving streams the file to ``<data_dir>/stuf-batches/`` while hashing it; the batch row is
  committed only after the file is synced, and only then does the sender hear "accepted". The
  same file again (same sender, same SHA-256) is the same batch.
* Processing reads the file with ``iterparse`` (constant memory). Every kennisgeving becomes
  its own inbound row through the intake, with its referentienummer as idempotency key: a batch
  cut off by a stop is processed again from the start on the next run, and what was accepted
  before comes back as ``repeated`` - nothing is lost, nothing is published twice.
* Up to ``stuf_batch_concurrency`` messages are stored at once; a message waits for the earlier
  ones about the same person, so one person's messages keep their order.
* The report (JSON) lists every message: index, line, referentienummer, result, fault.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import uuid
from collections.abc import AsyncIterator, Iterable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

import orjson
import structlog
from sqlalchemy.exc import IntegrityError

from adapters.stuf.batch import BatchItem, read_batch
from gateway.auth import Client
from gateway.context import GatewayContext
from gateway.errors import PayloadTooLarge
from gateway.states import BatchState
from gateway.store.stuf_repo import (
    BatchRow,
    find_batch_by_hash,
    insert_batch,
    pending_batches,
    update_batch,
)
from gateway.stuf.faults import fault_for
from gateway.stuf.metrics import StufMetrics
from gateway.stuf.pipeline import Outcome, Prepared, StufPipeline
from gateway.worker import Worker

__all__ = ["BatchService"]

log = structlog.get_logger(__name__)

CHANNEL = "stuf-batch"
_CHUNK = 1024 * 1024


class BatchService:
    def __init__(self, ctx: GatewayContext, pipeline: StufPipeline, metrics: StufMetrics) -> None:
        self._ctx = ctx
        self._pipeline = pipeline
        self._metrics = metrics
        self.directory = ctx.settings.data_dir / "stuf-batches"
        self._worker = Worker(
            "stuf-batches",
            self._round,
            interval=30.0,
            failure_event="stuf_batch_worker_failed",
            retry_seconds=5.0,
        )

    # --- receiving ---------------------------------------------------------------------------
    async def receive(
        self,
        client: Client,
        chunks: AsyncIterator[bytes],
        *,
        file_name: str,
        source: str,
        correlation_id: str | None = None,
    ) -> tuple[BatchRow, bool]:
        """Spools the file and registers the batch; ``True`` when this file came before."""
        self.directory.mkdir(parents=True, exist_ok=True)
        limit = self._ctx.settings.stuf_batch_max_bytes
        part = self.directory / f".receiving-{uuid.uuid4().hex}.part"
        digest = hashlib.sha256()
        size = 0
        try:
            with part.open("wb") as out:
                async for chunk in chunks:
                    size += len(chunk)
                    if size > limit:
                        raise PayloadTooLarge(
                            f"a batch file may be at most {limit} bytes", limit=limit
                        )
                    digest.update(chunk)
                    out.write(chunk)
                out.flush()
                os.fsync(out.fileno())
            content_hash = digest.hexdigest()
            async with self._ctx.store.read() as conn:
                earlier = await find_batch_by_hash(conn, client.id, content_hash)
            if earlier is not None:
                return earlier, True
            batch_id = str(uuid.uuid4())
            final = self.directory / f"{batch_id}.xml"
            os.replace(part, final)
            _sync_directory(self.directory)
            row = BatchRow(
                id=batch_id,
                sender=client.id,
                source=source,
                file_name=file_name[:255],
                payload_path=str(final),
                content_hash=content_hash,
                size=size,
                state=BatchState.RECEIVED,
                received_at=datetime.now(UTC),
                started_at=None,
                finished_at=None,
                total=0,
                accepted=0,
                repeated=0,
                ignored=0,
                rejected=0,
                report_path=None,
                error=None,
                correlation_id=correlation_id,
            )
            try:
                async with self._ctx.store.write() as conn:
                    await insert_batch(conn, row)
            except IntegrityError:
                final.unlink(missing_ok=True)
                async with self._ctx.store.read() as conn:
                    raced = await find_batch_by_hash(conn, client.id, content_hash)
                if raced is None:
                    raise
                return raced, True
        finally:
            part.unlink(missing_ok=True)
        log.info(
            "stuf_batch_received", batch_id=batch_id, sender=client.id, source=source, size=size
        )
        self._worker.wake()
        return row, False

    # --- the worker --------------------------------------------------------------------------
    def start(self) -> None:
        self._worker.start()

    async def stop(self) -> None:
        await self._worker.stop()

    def wake(self) -> None:
        self._worker.wake()

    async def _round(self) -> None:
        async with self._ctx.store.read() as conn:
            pending = await pending_batches(conn)
        for batch in pending:
            await self.process(batch)

    async def process(self, batch: BatchRow) -> None:
        client = self._ctx.clients.get(batch.sender)
        started = datetime.now(UTC)
        report_path = self.directory / f"{batch.id}.report.json"
        async with self._ctx.store.write() as conn:
            await update_batch(
                conn, batch.id, state=BatchState.PROCESSING, started_at=started, error=None
            )
        if client is None or not os.path.isfile(batch.payload_path):  # noqa: ASYNC240
            problem = (
                "the sending client no longer exists"
                if client is None
                else "the batch file is no longer on disk"
            )
            await self._finish(batch, BatchState.FAILED, {}, report_path=None, error=problem)
            return
        log.info("stuf_batch_processing", batch_id=batch.id, sender=batch.sender)
        run = _Run(self._pipeline, client, self._ctx.settings.stuf_batch_concurrency, self._metrics)
        part = report_path.with_suffix(".part")
        with part.open("wb") as report, open(batch.payload_path, "rb") as source:  # noqa: ASYNC230
            report.write(
                b'{"batch_id": '
                + orjson.dumps(batch.id)
                + b', "file_name": '
                + orjson.dumps(batch.file_name)
                + b', "sender": '
                + orjson.dumps(batch.sender)
                + b', "messages": [\n'
            )
            fatal = await run.all(self._items(source), report)
            state = BatchState.FAILED if fatal else BatchState.DONE
            summary = {**run.counts, "state": state, "error": fatal}
            report.write(b'\n], "summary": ' + orjson.dumps(summary) + b"}\n")
            report.flush()
            os.fsync(report.fileno())
        os.replace(part, report_path)
        await self._finish(batch, state, run.counts, report_path=str(report_path), error=fatal)

    def _items(self, source: IO[bytes]) -> Any:
        return read_batch(source, self._pipeline.adapter.limits)

    async def _finish(
        self,
        batch: BatchRow,
        state: BatchState,
        counts: dict[str, int],
        *,
        report_path: str | None,
        error: str | None,
    ) -> None:
        async with self._ctx.store.write() as conn:
            await update_batch(
                conn,
                batch.id,
                state=state,
                finished_at=datetime.now(UTC),
                report_path=report_path,
                error=error,
                **{
                    k: counts.get(k, 0)
                    for k in ("total", "accepted", "repeated", "ignored", "rejected")
                },
            )
        self._metrics.batches.labels(state).inc()
        log.info("stuf_batch_finished", batch_id=batch.id, state=state, **counts)


class _Run:
    """One pass over one batch file: bounded concurrency, per-person order, ordered report."""

    def __init__(
        self, pipeline: StufPipeline, client: Client, window: int, metrics: StufMetrics
    ) -> None:
        self._pipeline = pipeline
        self._client = client
        self._window = asyncio.Semaphore(window)
        self._metrics = metrics
        self._last_of_person: dict[str, asyncio.Task[None]] = {}
        self._done: dict[int, bytes] = {}
        self._next = 1
        self._first = True
        self.counts = {"total": 0, "accepted": 0, "repeated": 0, "ignored": 0, "rejected": 0}

    async def all(self, items: Iterable[BatchItem], report: IO[bytes]) -> str | None:
        tasks: set[asyncio.Task[None]] = set()
        fatal: str | None = None
        # Reading the file and preparing each message (parse, XSD, mapping) is CPU work: it
        # runs in one thread of its own, off the event loop, while earlier messages are
        # stored. One thread, because lxml's iterparse must stay in the thread it started in.
        reader = ThreadPoolExecutor(max_workers=1, thread_name_prefix="stuf-batch-reader")
        loop = asyncio.get_running_loop()
        source = iter(items)

        def next_one() -> tuple[BatchItem, Prepared | None] | None:
            item = next(source, None)
            if item is None:
                return None
            return item, (self._prepare(item) if item.fatal is None else None)

        try:
            while (read := await loop.run_in_executor(reader, next_one)) is not None:
                item, prepared = read
                if prepared is None:  # the file breaks off here
                    issues = item.fatal.issues if item.fatal else ()
                    fatal = "; ".join(f"{i.where}: {i.message}" for i in issues)
                    break
                waits = [
                    self._last_of_person[p] for p in prepared.persons if p in self._last_of_person
                ]
                await self._window.acquire()
                task = asyncio.create_task(
                    self._one(item.index, item.line, prepared, waits, report)
                )
                tasks.add(task)
                task.add_done_callback(tasks.discard)
                for person in prepared.persons:
                    self._last_of_person[person] = task
                task.add_done_callback(self._forget)
            if tasks:
                await asyncio.gather(*tasks)
        finally:
            for task in list(tasks):
                task.cancel()
            reader.shutdown(wait=False, cancel_futures=True)
        return fatal

    def _prepare(self, item: BatchItem) -> Prepared:
        assert item.element is not None
        return self._pipeline.prepare(self._client, item.element, channel=CHANNEL)

    def _forget(self, task: asyncio.Task[None]) -> None:
        for person in [p for p, t in self._last_of_person.items() if t is task]:
            del self._last_of_person[person]

    async def _one(
        self,
        index: int,
        line: int,
        prepared: Prepared,
        waits: list[asyncio.Task[None]],
        report: IO[bytes],
    ) -> None:
        try:
            if waits:
                await asyncio.gather(*waits, return_exceptions=True)
            outcome = await self._pipeline.commit(prepared)
        finally:
            self._window.release()
        self._record(index, line, outcome, report)

    def _record(self, index: int, line: int, outcome: Outcome, report: IO[bytes]) -> None:
        self.counts["total"] += 1
        self.counts[outcome.result] += 1
        self._metrics.batch_messages.labels(outcome.result).inc()
        prepared = outcome.prepared
        entry: dict[str, Any] = {
            "index": index,
            "line": line,
            "referentienummer": prepared.referentienummer,
            "bericht": prepared.kind.name if prepared.kind else None,
            "result": outcome.result,
        }
        if outcome.receipt is not None:
            entry["inbound_id"] = outcome.receipt.inbound_id
        if outcome.error is not None:
            reply = fault_for(outcome.error)
            entry["fault"] = {
                "code": reply.fault.code,
                "plek": reply.fault.plek,
                "omschrijving": reply.omschrijving,
                "details": reply.details,
            }
        self._done[index] = orjson.dumps(entry)
        while self._next in self._done:
            line_bytes = self._done.pop(self._next)
            report.write(line_bytes if self._first else b",\n" + line_bytes)
            self._first = False
            self._next += 1


def _sync_directory(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
