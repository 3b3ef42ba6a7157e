"""The background-worker base: wake, failures, stop, and the lease in the store (on SQLite and
PostgreSQL)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta

import pytest
import structlog
from structlog.testing import LogCapture

import gateway.worker
from gateway.store import Store, upgrade
from gateway.store.lease_repo import lease_holder
from gateway.store.tables import relay_lease
from gateway.worker import Lease, Worker
from tests.waiting import eventually

# Long enough that a round before it can only come from wake() (or a retry), never the wait.
NEVER = 3600.0


@pytest.fixture
def logs(monkeypatch: pytest.MonkeyPatch) -> LogCapture:
    capture = LogCapture()
    monkeypatch.setattr(gateway.worker, "log", structlog.wrap_logger(None, processors=[capture]))
    return capture


@pytest.fixture
async def store(store_url: str) -> AsyncIterator[Store]:
    opened = Store(store_url)
    await upgrade(opened)
    try:
        yield opened
    finally:
        await opened.dispose()


class Counting:
    """A round that counts its calls and can be told to fail or to block."""

    def __init__(self) -> None:
        self.calls = 0
        self.fail_next = 0
        self.block = asyncio.Event()
        self.block.set()
        self.cancelled = False

    async def __call__(self) -> None:
        self.calls += 1
        if self.fail_next:
            self.fail_next -= 1
            raise RuntimeError("round broke")
        try:
            await self.block.wait()
        except asyncio.CancelledError:
            self.cancelled = True
            raise


async def calls_reach(work: Counting, n: int) -> None:
    async def reached() -> bool:
        return work.calls >= n

    await eventually(reached, timeout=10, interval=0.01)


@asynccontextmanager
async def inside_a_long_round(
    lease: Lease | None = None, on_stop: Callable[[], Awaitable[None]] | None = None
) -> AsyncIterator[tuple[Worker, Counting]]:
    """A started worker whose first round is running and waits for ``work.block``."""
    work = Counting()
    work.block.clear()
    worker = Worker(
        "t", work, interval=NEVER, failure_event="t_failed", lease=lease, on_stop=on_stop
    )
    worker.start()
    try:
        await calls_reach(work, 1)
        yield worker, work
    finally:
        await worker.stop()


async def test_the_first_round_runs_at_start() -> None:
    work = Counting()
    worker = Worker("t", work, interval=NEVER, failure_event="t_failed")
    worker.start()
    try:
        await calls_reach(work, 1)
    finally:
        await worker.stop()


async def test_wake_runs_a_round_before_the_interval() -> None:
    work = Counting()
    worker = Worker("t", work, interval=NEVER, failure_event="t_failed")
    worker.start()
    try:
        await calls_reach(work, 1)
        worker.wake()
        await calls_reach(work, 2)
        worker.wake()
        await calls_reach(work, 3)
    finally:
        await worker.stop()


async def test_a_wake_during_a_round_gets_one_more_round() -> None:
    async with inside_a_long_round() as (worker, work):
        worker.wake()
        work.block.set()
        await calls_reach(work, 2)


async def test_a_failing_round_is_logged_and_the_next_one_comes(logs: LogCapture) -> None:
    work = Counting()
    work.fail_next = 2
    worker = Worker(
        "t", work, interval=NEVER, retry_seconds=0.01, failure_event="t_failed", part="x"
    )
    worker.start()
    try:
        await calls_reach(work, 3)
        assert worker.running
    finally:
        await worker.stop()
    failures = [e for e in logs.entries if e["event"] == "t_failed"]
    assert len(failures) == 2
    assert failures[0]["part"] == "x" and failures[0]["log_level"] == "error"
    assert failures[0]["exc_info"] is True  # with its traceback


async def test_stop_cancels_a_round_in_progress_and_is_idempotent() -> None:
    stopped: list[bool] = []

    async def on_stop() -> None:
        stopped.append(True)

    async with inside_a_long_round(on_stop=on_stop) as (worker, work):
        await worker.stop()
        assert work.cancelled
        assert not worker.running
        await worker.stop()
    assert stopped == [True]
    assert work.calls == 1


async def test_stop_gives_a_round_its_grace_and_the_round_sees_stopping() -> None:
    seen: list[bool] = []
    entered = asyncio.Event()

    async def winding_down() -> None:
        entered.set()
        while not worker.stopping:
            await asyncio.sleep(0.01)
        seen.append(worker.stopping)

    worker = Worker("t", winding_down, interval=NEVER, failure_event="t_failed")
    worker.start()
    await asyncio.wait_for(entered.wait(), 10)
    await worker.stop(grace_seconds=30)
    assert seen == [True]


async def test_stop_before_start_does_nothing() -> None:
    worker = Worker("t", Counting(), interval=NEVER, failure_event="t_failed")
    await worker.stop()
    assert not worker.running


# --- the lease ----------------------------------------------------------------------------
async def holder(store: Store, name: str) -> str | None:
    async with store.read() as conn:
        return await lease_holder(conn, name=name, now=datetime.now(UTC))


async def test_a_worker_holds_its_lease_while_it_runs_and_releases_it_on_stop(
    store: Store,
) -> None:
    changes: list[bool] = []
    lease = Lease(store, "test", ttl=timedelta(seconds=30), on_change=changes.append)
    work = Counting()
    worker = Worker("t", work, interval=NEVER, failure_event="t_failed", lease=lease)
    worker.start()
    await calls_reach(work, 1)
    assert lease.held()
    assert await holder(store, "test") == lease.owner
    await worker.stop()
    assert not lease.held()
    assert await holder(store, "test") is None
    assert changes == [True, False]


async def test_a_second_worker_with_the_same_lease_waits_until_the_first_stops(
    store: Store,
) -> None:
    first_work, second_work = Counting(), Counting()
    first_lease = Lease(store, "shared", ttl=timedelta(seconds=30))
    second_lease = Lease(store, "shared", ttl=timedelta(seconds=30))
    first = Worker("one", first_work, interval=0.02, failure_event="t_failed", lease=first_lease)
    second = Worker("two", second_work, interval=0.02, failure_event="t_failed", lease=second_lease)
    first.start()
    await calls_reach(first_work, 1)
    second.start()
    try:
        # The first keeps working (and renewing) while the second keeps asking for the lease.
        await calls_reach(first_work, 5)
        second.wake()
        await calls_reach(first_work, 10)
        assert second_work.calls == 0
        assert not second_lease.held()
        await first.stop()
        second.wake()  # no need to wait out its retry: the lease is free now
        await calls_reach(second_work, 1)
        assert second_lease.held()
        assert await holder(store, "shared") == second_lease.owner
    finally:
        await first.stop()
        await second.stop()


async def test_the_lease_is_renewed_while_a_long_round_runs(store: Store) -> None:
    # A 1.2 s lease renewed every 0.4 s: a round more than three times longer keeps it.
    lease = Lease(store, "long", ttl=timedelta(seconds=1.2))
    rival = Lease(store, "long", ttl=timedelta(seconds=1.2))
    async with inside_a_long_round(lease) as (_, work):
        loop = asyncio.get_running_loop()
        until = loop.time() + 3.5 * lease.ttl.total_seconds()
        while loop.time() < until:
            assert not await rival.acquire()
            assert lease.held()
            await asyncio.sleep(0.1)
        assert not work.cancelled


async def test_a_round_whose_lease_is_taken_over_is_cancelled(
    store: Store, logs: LogCapture
) -> None:
    lease = Lease(store, "lost", ttl=timedelta(seconds=0.6))
    async with inside_a_long_round(lease) as (_, work):
        # Another process takes the lease (as after this one stalled past its expiry).
        async with store.write() as conn:
            await conn.execute(
                relay_lease.update().values(
                    owner="someone-else", expires_at=datetime(2999, 1, 1, tzinfo=UTC)
                )
            )

        async def cancelled() -> bool:
            return work.cancelled

        await eventually(cancelled, timeout=10, interval=0.02)
        assert not lease.held()
        assert any(e["event"] == "lease_lost" for e in logs.entries)
    assert await holder(store, "lost") == "someone-else"  # stop released only its own
