"""Executemany straight to the driver, for the statements that write rows by the thousand
(the outbox insert at intake and for uploads, the relay's published mark, upload bookkeeping).

SQLAlchemy Core's executemany costs several microseconds per row in parameter handling,
about as much as SQLite's own insert; here rows are plain tuples, converted once per column
with the dialect's own bind processors (so what lands in the table is exactly what Core would
write), and handed to the driver. Everything else goes through SQLAlchemy Core.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import ARRAY, ColumnElement, String, Table, bindparam, column, func, select
from sqlalchemy.ext.asyncio import AsyncConnection

__all__ = ["BulkInsert", "db_time", "executemany", "one_of"]

_QMARK = re.compile(r"\?")


async def executemany(conn: AsyncConnection, sql: str, rows: Sequence[tuple[Any, ...]]) -> None:
    """``sql`` uses ``?`` placeholders; datetimes must come through :func:`db_time`."""
    if not rows:
        return
    if conn.dialect.paramstyle != "qmark":
        counter = iter(range(1, 1_000_000))
        sql = _QMARK.sub(lambda _m: f"${next(counter)}", sql)
    await conn.exec_driver_sql(sql, list(rows))


def db_time(conn: AsyncConnection, moment: datetime) -> Any:
    """A datetime as this driver stores it where SQLAlchemy's DateTime would have put it:
    SQLite keeps naive UTC text, PostgreSQL a timestamptz."""
    if conn.dialect.name == "sqlite":
        return moment.strftime("%Y-%m-%d %H:%M:%S.%f")
    return moment


class BulkInsert:
    def __init__(self, table: Table, columns: Sequence[str], *, raw: Sequence[str] = ()) -> None:
        """``raw``: columns whose values come already in the stored form (JSON as text)."""
        unknown = [c for c in columns if c not in table.c]
        if unknown:
            raise ValueError(f"{table.name} has no column(s) {unknown}")
        self.table = table
        self.columns = tuple(columns)
        self._raw = frozenset(raw)
        self._prepared: dict[str, tuple[str, list[tuple[int, Callable[[Any], Any]]]]] = {}

    def _prepare(self, conn: AsyncConnection) -> tuple[str, list[tuple[int, Callable[[Any], Any]]]]:
        dialect = conn.dialect
        found = self._prepared.get(dialect.name)
        if found is not None:
            return found
        processors: list[tuple[int, Callable[[Any], Any]]] = []
        for position, name in enumerate(self.columns):
            if name in self._raw:
                continue
            column_type = self.table.c[name].type.dialect_impl(dialect)
            process = column_type.bind_processor(dialect)
            if process is not None:
                processors.append((position, process))
        if dialect.paramstyle == "qmark":
            marks = ", ".join("?" for _ in self.columns)
        elif dialect.paramstyle in ("numeric_dollar", "format", "pyformat"):
            marks = ", ".join(f"${i}" for i in range(1, len(self.columns) + 1))
            if dialect.paramstyle != "numeric_dollar":
                marks = ", ".join("%s" for _ in self.columns)
        else:  # pragma: no cover - only SQLite and asyncpg are supported stores
            raise RuntimeError(f"unsupported paramstyle {dialect.paramstyle}")
        # Table and column names come from tables.py, never from input.
        sql = f"INSERT INTO {self.table.name} ({', '.join(self.columns)}) VALUES ({marks})"  # noqa: S608
        prepared = (sql, processors)
        self._prepared[dialect.name] = prepared
        return prepared

    async def insert(self, conn: AsyncConnection, rows: Sequence[tuple[Any, ...]]) -> None:
        if not rows:
            return
        sql, processors = self._prepare(conn)
        if processors:
            converted = []
            for row in rows:
                values = list(row)
                for position, process in processors:
                    if values[position] is not None:
                        values[position] = process(values[position])
                converted.append(tuple(values))
            rows = converted
        if conn.dialect.name == "sqlite":
            raw = await conn.get_raw_connection()
            await raw.driver_connection.executemany(sql, rows)  # type: ignore[union-attr]
            return
        await conn.exec_driver_sql(sql, list(rows))


def one_of(conn: AsyncConnection, target: Any, values: Sequence[str]) -> ColumnElement[bool]:
    """``target IN (values)`` with the values as one parameter (a JSON array on SQLite, an
    array on PostgreSQL). A plain IN list of thousands of values costs SQLAlchemy more to
    render each time than the query costs to run."""
    if conn.dialect.name == "sqlite":
        listed: Any = select(column("value")).select_from(
            func.json_each(bindparam(None, orjson.dumps(list(values)).decode(), type_=String()))
        )
        return target.in_(listed.scalar_subquery())  # type: ignore[no-any-return]
    return target == func.any(  # type: ignore[no-any-return]
        bindparam(None, list(values), type_=ARRAY(String()))
    )
