"""Executemany straight to the driver, for the two statements on the hot path (outbox insert
at intake, published mark in the relay). SQLAlchemy's per-row parameter processing costs
about as much as SQLite's own insert there; everything else goes through SQLAlchemy Core.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

__all__ = ["db_time", "executemany"]

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
