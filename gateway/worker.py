"""The one background-worker base: a loop that runs a round of work, waits, and runs again
until stopped, optionally only while it holds a named lease in the store.

Every background job of the gateway (relay, upload processor, StUF batches, inbox watchers,
pull clients, replay runner, dead-letter consumer, retention) is a :class:`Worker` around its
own round function; the ones that must run in one process at a time also pass a
:class:`Lease`.

- ``start()`` / ``stop()``: stop is idempotent; it lets a round finish for ``grace_seconds``
  (a round can look at ``stopping``), then cancels it.
- ``wake()``: run the next round now instead of after the interval. A wake during a round
  always gets one more round; a round that knows more work waits calls ``wake()`` itself.
- A failed round is logged and the next one comes anyway (after ``retry_seconds``, doubling
  up to ``max_retry_seconds`` while rounds keep failing): a service never dies of one bad scan.
- With a lease: the lease is taken (or renewed) before every round and renewed every
  ``ttl / 3`` while a round runs; a round whose lease is lost is cancelled (another process
  takes over the work); the lease is released on stop.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

import structlog
from sqlalchemy.ext.asyncio import AsyncConnection

from gateway.store import Store
from gateway.store.lease_repo import acquire_lease, confirm_lease, lease_holder, release_lease

__all__ = ["Lease", "Worker"]

log = structlog.get_logger(__name__)


class Lease:
    """A named lease in the store, held by one owner at a time until it expires.

    ``held()`` is this process's own view: the last take or renewal succeeded and its expiry
    (counted from before the store was asked) has not passed on the local monotonic clock, so
    a process that stalled longer than the lease does not think it still holds it.
    """

    def __init__(
        self,
        store: Store,
        name: str,
        *,
        ttl: timedelta,
        owner: str | None = None,
        on_change: Callable[[bool], None] = lambda _held: None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._store = store
        self.name = name
        self.ttl = ttl
        self.owner = owner or f"{name}-{uuid.uuid4().hex[:12]}"
        self._on_change = on_change
        self._clock = clock
        self._valid_until: float | None = None
        #: The other owner this process waits for (said once per holder).
        self._waiting_for: str | None = None
        #: The fencing token of the current holding (docs/delivery.md); None when not held.
        self.epoch: int | None = None

    @property
    def renew_seconds(self) -> float:
        """How often a holder renews: three chances before the lease runs out."""
        return self.ttl.total_seconds() / 3

    def held(self) -> bool:
        return self._valid_until is not None and time.monotonic() < self._valid_until

    def due(self) -> bool:
        """Time to renew: not held, or a third of the lease already used since the last
        renewal (a long round renews at each step instead of only between rounds)."""
        return self._valid_until is None or (
            self._valid_until - time.monotonic() < 2 * self.renew_seconds
        )

    async def acquire(self) -> bool:
        """Takes the lease, or renews it when already ours; False while another holds it."""
        asked_at = time.monotonic()
        async with self._store.write() as conn:
            epoch = await acquire_lease(
                conn, name=self.name, owner=self.owner, now=self._clock(), ttl=self.ttl
            )
            taken = epoch is not None
            holder = None if taken else await lease_holder(conn, name=self.name, now=self._clock())
        if holder is not None and holder != self._waiting_for:
            # An operator who starts a second process must see why it does nothing.
            log.warning(
                "lease_waiting",
                lease=self.name,
                holder=holder,
                owner=self.owner,
                detail=f"{holder} holds the {self.name} lease; this process takes over when "
                "it expires",
            )
        self._waiting_for = holder
        self.epoch = epoch
        self._set(asked_at + self.ttl.total_seconds() if taken else None)
        return taken

    renew = acquire

    async def confirm(self, conn: AsyncConnection) -> bool:
        """The fence for work done under this lease: inside the caller's write transaction,
        True only if the lease is still ours at the epoch we took it with (and renewed); the
        lease cannot change hands until that transaction ends."""
        if self.epoch is None:
            return False
        return await confirm_lease(
            conn,
            name=self.name,
            owner=self.owner,
            epoch=self.epoch,
            now=self._clock(),
            ttl=self.ttl,
        )

    async def release(self) -> None:
        """Gives the lease back (another process may take it at once). Never raises: an
        unreachable store only means the lease runs out by itself."""
        try:
            async with self._store.write() as conn:
                await release_lease(conn, name=self.name, owner=self.owner)
        except Exception:
            log.warning("lease_release_failed", lease=self.name, owner=self.owner)
        self.epoch = None
        self._set(None)

    def _set(self, valid_until: float | None) -> None:
        was = self._valid_until is not None
        self._valid_until = valid_until
        if was != (valid_until is not None):
            log.info("lease_changed", lease=self.name, held=not was, owner=self.owner)
            self._on_change(not was)


class Worker:
    """Runs ``work`` (one round) in a background task: again after ``interval`` seconds (a
    number, or a function asked each time), at once after ``wake()``."""

    def __init__(
        self,
        name: str,
        work: Callable[[], Awaitable[object]],
        *,
        interval: float | Callable[[], float],
        failure_event: str,
        retry_seconds: float | None = None,
        max_retry_seconds: float | None = None,
        lease: Lease | None = None,
        on_stop: Callable[[], Awaitable[None]] | None = None,
        log_traceback: bool = True,
        **log_context: object,
    ) -> None:
        self.name = name
        self._work = work
        self._interval = interval if callable(interval) else (lambda: interval)
        self._failure_event = failure_event
        self._retry_seconds = retry_seconds
        self._max_retry_seconds = max_retry_seconds
        self.lease = lease
        self._on_stop = on_stop
        self._log_traceback = log_traceback
        self._log_context = log_context
        self._wake = asyncio.Event()
        self._stopping = False
        self._task: asyncio.Task[None] | None = None

    # --- lifecycle -------------------------------------------------------------------------
    def start(self) -> None:
        if self._task is None:
            self._stopping = False
            self._task = asyncio.create_task(self._run(), name=self.name)

    async def stop(self, grace_seconds: float = 0.0) -> None:
        """Stops the loop (idempotent): a round in progress gets ``grace_seconds`` to finish,
        then it is cancelled; then ``on_stop`` runs and the lease is released."""
        task, self._task = self._task, None
        if task is None:
            return
        self._stopping = True
        self._wake.set()
        if grace_seconds > 0:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(asyncio.shield(task), grace_seconds)
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        try:
            if self._on_stop is not None:
                await self._on_stop()
        finally:
            if self.lease is not None:
                await self.lease.release()

    def wake(self) -> None:
        """Something arrived: run a round now instead of at the end of the wait."""
        self._wake.set()

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    @property
    def stopping(self) -> bool:
        """True once ``stop()`` was called: a long round winds down at its next step."""
        return self._stopping

    # --- the loop --------------------------------------------------------------------------
    async def _run(self) -> None:
        failures = 0
        while not self._stopping:
            # Wakes from now on ask for another round after this one.
            self._wake.clear()
            try:
                if self.lease is not None and not await self.lease.acquire():
                    await self._idle(self.lease.renew_seconds)
                    continue
                await self._one_round()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                failures += 1
                self._log_failure(exc)
                await self._idle(self._retry_after(failures))
                continue
            failures = 0
            await self._idle(self._wait_seconds())

    async def _one_round(self) -> None:
        if self.lease is None:
            await self._work()
            return
        work = asyncio.create_task(self._call_work(), name=f"{self.name}-round")
        keepalive = asyncio.create_task(self._keep(self.lease), name=f"{self.name}-lease")
        try:
            await asyncio.wait({work, keepalive}, return_when=asyncio.FIRST_COMPLETED)
            if not work.done():  # the lease is gone: another process takes over
                log.warning("lease_lost", lease=self.lease.name, worker=self.name)
                work.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await work
                return
            work.result()
        finally:
            for task in (work, keepalive):
                task.cancel()
            await asyncio.gather(work, keepalive, return_exceptions=True)

    async def _call_work(self) -> None:
        await self._work()

    async def _keep(self, lease: Lease) -> None:
        """Renews the lease while a round runs; returns once it is lost."""
        while True:
            await asyncio.sleep(lease.renew_seconds)
            try:
                if not await lease.renew():
                    return
            except Exception:
                log.exception("lease_renewal_failed", lease=lease.name, worker=self.name)
                if not lease.held():
                    return

    def _wait_seconds(self) -> float:
        seconds = self._interval()
        if self.lease is not None:
            # Renew while idle too, so that a holder never lets its lease run out.
            seconds = min(seconds, self.lease.renew_seconds)
        return seconds

    def _retry_after(self, failures: int) -> float:
        first = self._interval() if self._retry_seconds is None else self._retry_seconds
        ceiling = first if self._max_retry_seconds is None else self._max_retry_seconds
        return float(min(first * 2 ** min(failures - 1, 32), ceiling))

    def _log_failure(self, exc: Exception) -> None:
        if self._log_traceback:
            log.exception(self._failure_event, **self._log_context)
        else:  # an expected outage (a broker away): one line, no traceback
            reason = f"{type(exc).__name__}: {exc}"[:300]
            log.warning(self._failure_event, reason=reason, **self._log_context)

    async def _idle(self, seconds: float) -> None:
        if self._stopping:
            return
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wake.wait(), seconds)
