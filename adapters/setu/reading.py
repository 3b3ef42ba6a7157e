"""What the readers of both SETU versions share: ISO dates and the check for required values."""

from __future__ import annotations

from datetime import date, datetime

from adapters.base import Issue

__all__ = ["IssueCollector", "iso_date", "iso_datetime"]


def iso_date(text: str) -> date:
    """The date of an ISO 8601 date or date-time (both versions allow either)."""
    return date.fromisoformat(text[:10])


def iso_datetime(text: str) -> datetime:
    return datetime.fromisoformat(text)


class IssueCollector:
    """The part of both versions' readers that records what is missing."""

    def __init__(self, issues: list[Issue]) -> None:
        self.issues = issues

    def require(self, doc_where: dict[str, str], key: str, value: object, where: str) -> None:
        doc_where[key] = where
        if value is None:
            name = where.rstrip("/").rsplit("/", 1)[-1]
            self.issues.append(Issue(where, "missing_element", f"element {name} is required"))
