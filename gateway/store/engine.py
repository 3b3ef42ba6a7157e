"""Opens the store: SQLite (embedded default, WAL) or PostgreSQL, behind one small class."""

from __future__ import annotations

import asyncio
import math
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import event, text
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

__all__ = ["Store", "StoreBusy"]


class StoreBusy(Exception):
    """SQLite: another process held the write lock longer than ``busy_seconds``. Nothing was
    written; the caller may try again (intake answers 503 with Retry-After)."""

    def __init__(self, waited: float) -> None:
        super().__init__(f"the store stayed locked by another writer for {waited:g} s")
        self.retry_after = max(1, math.ceil(waited / 2))


class Store:
    """Two doors into one database: ``write()`` for transactions that change data, ``read()``
    for queries. On SQLite they differ: writers start with ``BEGIN IMMEDIATE`` so that two
    writers queue on the busy timeout instead of failing on a lock upgrade, while readers use
    a plain deferred ``BEGIN`` and never wait for a writer (WAL).
    """

    def __init__(self, url: str, *, pool_size: int = 10, busy_seconds: float = 60.0) -> None:
        self.url = url
        self.busy_seconds = busy_seconds
        parsed = make_url(url)
        self.dialect = parsed.get_backend_name()
        if self.dialect == "sqlite":
            database = parsed.database or ""
            if database and database != ":memory:":
                Path(database).parent.mkdir(parents=True, exist_ok=True)
            # Small pools: writers take turns anyway (below), and every connection keeps its
            # own page cache, so the pools bound the memory the store takes.
            self._writer = _sqlite_engine(
                url, begin="BEGIN IMMEDIATE", pool_size=2, busy_seconds=busy_seconds
            )
            self._reader = _sqlite_engine(url, begin="BEGIN", pool_size=4, busy_seconds=60.0)
            # SQLite has one writer at a time. Queue this process's writers here, where a
            # release wakes the next at once, instead of in SQLite's busy handler, which
            # sleeps in growing steps (up to 100 ms) between attempts.
            self._write_turn: asyncio.Lock | None = asyncio.Lock()
        else:
            self._writer = create_async_engine(
                url,
                pool_size=pool_size,
                max_overflow=pool_size,
                pool_pre_ping=True,
                # A driver error's text must not carry the statement's values (BSNs, payloads).
                hide_parameters=True,
                json_serializer=_json_dumps,
                json_deserializer=orjson.loads,
            )
            self._reader = self._writer
            self._write_turn = None

    @property
    def engine(self) -> AsyncEngine:
        return self._writer

    @asynccontextmanager
    async def write(self) -> AsyncIterator[AsyncConnection]:
        if self._write_turn is None:
            async with self._writer.begin() as conn:
                yield conn
            return
        # Bounded at both queues (this process's turn, SQLite's lock): a writer elsewhere that
        # stalls with the lock must cost a sender a retriable 503, not a hung request or a 500.
        try:
            await asyncio.wait_for(self._write_turn.acquire(), self.busy_seconds)
        except TimeoutError:
            raise StoreBusy(self.busy_seconds) from None
        try:
            async with self._writer.begin() as conn:
                yield conn
        except OperationalError as exc:
            if _locked(exc):
                raise StoreBusy(self.busy_seconds) from exc
            raise
        finally:
            self._write_turn.release()

    @asynccontextmanager
    async def schema_change(self) -> AsyncIterator[AsyncConnection]:
        """A write transaction for migrations. SQLite changes a table's constraints only by
        recreating it, and dropping a table that others reference breaks their foreign keys
        until the new one takes its name: as SQLite's own procedure for this says, foreign
        keys are off (which only works outside a transaction) and are checked before commit."""
        if self._write_turn is None:
            async with self.write() as conn:
                yield conn
            return
        async with self._write_turn, self._writer.connect() as conn:
            await conn.run_sync(_foreign_keys, on=False)
            try:
                async with conn.begin():
                    yield conn
                    broken = (await conn.exec_driver_sql("PRAGMA foreign_key_check")).all()
                    if broken:
                        raise RuntimeError(f"migration broke foreign keys: {broken[:5]}")
            finally:
                await conn.run_sync(_foreign_keys, on=True)

    @asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncConnection]:
        async with self._reader.connect() as conn:
            yield conn

    async def ping(self) -> None:
        async with self.read() as conn:
            await conn.execute(text("SELECT 1"))

    async def dispose(self) -> None:
        await self._writer.dispose()
        if self._reader is not self._writer:
            await self._reader.dispose()


def _foreign_keys(connection: Connection, *, on: bool) -> None:
    # On the driver's connection: a statement through SQLAlchemy would begin a transaction,
    # inside which SQLite ignores this pragma.
    cursor = connection.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    cursor.execute(f"PRAGMA foreign_keys={'ON' if on else 'OFF'}")
    cursor.close()


def _json_dumps(value: Any) -> str:
    # orjson: the outbox's JSON columns are on the hot path of intake and relay.
    return orjson.dumps(value).decode("utf-8")


def _locked(exc: OperationalError) -> bool:
    text_ = str(exc.orig).lower()
    return "database is locked" in text_ or "database is busy" in text_


def _sqlite_engine(url: str, *, begin: str, pool_size: int, busy_seconds: float) -> AsyncEngine:
    engine = create_async_engine(
        url,
        pool_size=pool_size,
        max_overflow=pool_size,
        connect_args={"timeout": busy_seconds},
        # A driver error's text must not carry the statement's values (BSNs, payloads).
        hide_parameters=True,
        json_serializer=_json_dumps,
        json_deserializer=orjson.loads,
    )

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy's "begin" event, not the driver, decide how a transaction starts.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        # FULL: an acknowledged submission survives power loss, not only a process crash.
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_seconds * 1000)}")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(conn: Any) -> None:
        conn.exec_driver_sql(begin)

    return engine
