"""Time helpers: the store gives naive datetimes on SQLite; everything here is UTC."""

from __future__ import annotations

from datetime import UTC, datetime

__all__ = ["as_utc", "format_time", "utcnow"]


def utcnow() -> datetime:
    return datetime.now(UTC)


def as_utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def format_time(moment: datetime) -> str:
    """The one form of every timestamp the gateway writes out (API answers, Kafka headers,
    reports): RFC 3339 in UTC, milliseconds, ``Z`` (``2026-12-01T07:30:00.123Z``). A naive
    moment (SQLite) is UTC."""
    return as_utc(moment).isoformat(timespec="milliseconds").replace("+00:00", "Z")
