"""A background loop: run some work, wait, again, until stopped. A failed round is logged and
the next one comes anyway; a service does not die of one bad scan or poll."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable

import structlog

__all__ = ["Periodic"]

log = structlog.get_logger(__name__)


class Periodic:
    def __init__(
        self,
        name: str,
        work: Callable[[], Awaitable[object]],
        interval: Callable[[], float],
        *,
        failure_event: str,
        **log_context: object,
    ) -> None:
        self._name = name
        self._work = work
        self._interval = interval
        self._failure_event = failure_event
        self._log_context = log_context
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name=self._name)

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _run(self) -> None:
        while True:
            try:
                await self._work()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception(self._failure_event, **self._log_context)
            await asyncio.sleep(self._interval())
