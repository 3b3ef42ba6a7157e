"""Group commit: accepted submissions that arrive together share one transaction.

Synchronous channels (a StUF kennisgeving per SOAP call) send one small payload per request;
a transaction each would spend more on BEGIN/COMMIT and the store's single writer than on
the data. Requests hand their rows to this writer and wait; it takes whatever is waiting
(bounded), writes it in one transaction and wakes each request only after the commit. Under
no load a submission is written alone, at once. If the shared transaction fails on a
constraint (a duplicate racing in), each submission is retried alone so only the offender
fails.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Sequence
from dataclasses import dataclass

import structlog
from sqlalchemy.exc import IntegrityError

from gateway.events import OutboxRecord
from gateway.store import Store
from gateway.store.intake_repo import InboundRow, insert_inbound_many, insert_messages_many

__all__ = ["GroupCommitter"]

log = structlog.get_logger(__name__)


@dataclass(slots=True)
class _Pending:
    row: InboundRow
    records: Sequence[OutboxRecord]
    done: asyncio.Future[None]


class GroupCommitter:
    def __init__(self, store: Store, *, max_items: int = 256, max_messages: int = 20_000) -> None:
        self._store = store
        self._max_items = max_items
        self._max_messages = max_messages
        self._queue: asyncio.Queue[_Pending] | None = None
        self._worker: asyncio.Task[None] | None = None

    async def write(self, row: InboundRow, records: Sequence[OutboxRecord]) -> None:
        """Returns once ``row`` and ``records`` are committed; raises what their write raised."""
        if self._worker is None or self._worker.done():
            self._queue = asyncio.Queue()
            self._worker = asyncio.create_task(self._run(self._queue), name="group-commit")
        assert self._queue is not None
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._queue.put_nowait(_Pending(row, records, done))
        # Shielded: a caller that goes away (client disconnect) does not undo a write that
        # is already in the queue; a re-send then gets the stored answer.
        await asyncio.shield(done)

    async def close(self) -> None:
        worker, self._worker = self._worker, None
        if worker is not None:
            worker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await worker

    async def _run(self, queue: asyncio.Queue[_Pending]) -> None:
        while True:
            group = [await queue.get()]
            messages = len(group[0].records)
            while len(group) < self._max_items and messages < self._max_messages:
                try:
                    item = queue.get_nowait()
                except asyncio.QueueEmpty:
                    break
                group.append(item)
                messages += len(item.records)
            try:
                await self._commit(group)
            except asyncio.CancelledError:
                for item in group:
                    if not item.done.done():
                        item.done.set_exception(RuntimeError("the gateway is shutting down"))
                raise

    async def _commit(self, group: list[_Pending]) -> None:
        try:
            await self._write(group)
        except IntegrityError:
            if len(group) == 1:
                _fail(group[0], _integrity_error())
                return
            # Someone in the group collides with a stored row: find out who, one by one.
            for item in group:
                try:
                    await self._write([item])
                except Exception as exc:
                    _fail(item, exc)
                else:
                    _succeed(item)
            return
        except Exception as exc:
            log.error("group_commit_failed", submissions=len(group), error=type(exc).__name__)
            for item in group:
                _fail(item, exc)
            return
        for item in group:
            _succeed(item)

    async def _write(self, group: Sequence[_Pending]) -> None:
        async with self._store.write() as conn:
            await insert_inbound_many(conn, [item.row for item in group])
            await insert_messages_many(
                conn,
                [
                    (item.row.id, item.row.sender, item.row.received_at, item.records)
                    for item in group
                ],
            )


def _succeed(item: _Pending) -> None:
    if not item.done.done():
        item.done.set_result(None)


def _fail(item: _Pending, error: BaseException) -> None:
    if not item.done.done():
        item.done.set_exception(error)


def _integrity_error() -> IntegrityError:
    return IntegrityError("duplicate submission", params=None, orig=Exception("unique"))
