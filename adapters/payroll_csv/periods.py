"""Payroll periods (loontijdvakken): from (loontijdvak, year, number) to dates and back.

- ``week``: ISO week ``number`` of ``year`` (Monday to Sunday).
- ``4-weken``: period ``n`` is ISO weeks 4n-3 .. 4n; in a year with 53 ISO weeks the 13th
  period also takes week 53.
- ``maand``: calendar month; ``kwartaal``: calendar quarter.

A row's own dates may be shorter than its period (a payroll row per day of a weekly payroll)
but never cross a period boundary; without a loontijdvak the dates name one when they cover a
whole period exactly (:func:`matching_loontijdvak`).
"""

from __future__ import annotations

import calendar
from datetime import date, timedelta

from adapters.payroll_csv.values import BadValue

__all__ = [
    "LOONTIJDVAKKEN",
    "matching_loontijdvak",
    "normalise_loontijdvak",
    "period_dates",
    "period_number",
]

#: In the order :func:`matching_loontijdvak` tries them.
LOONTIJDVAKKEN = ("week", "4-weken", "maand", "kwartaal")

_ALIASES = {
    "week": "week",
    "wk": "week",
    "w": "week",
    "4-weken": "4-weken",
    "4 weken": "4-weken",
    "4weken": "4-weken",
    "vierweken": "4-weken",
    "4w": "4-weken",
    "maand": "maand",
    "mnd": "maand",
    "m": "maand",
    "kwartaal": "kwartaal",
    "kw": "kwartaal",
}


def normalise_loontijdvak(text: str) -> str:
    found = _ALIASES.get(text.strip().casefold())
    if found is None:
        raise BadValue(
            "invalid_loontijdvak", "loontijdvak must be week, 4-weken, maand or kwartaal"
        )
    return found


def _iso_weeks(year: int) -> int:
    return date(year, 12, 28).isocalendar().week


def period_dates(loontijdvak: str, year: int, number: int) -> tuple[date, date]:
    if not 2000 <= year <= 2100:
        raise BadValue("invalid_period", "the year lies outside 2000-2100")
    if loontijdvak == "week":
        if not 1 <= number <= _iso_weeks(year):
            raise BadValue("invalid_period", f"{year} has no week {number}")
        start = date.fromisocalendar(year, number, 1)
        return start, start + timedelta(days=6)
    if loontijdvak == "4-weken":
        if not 1 <= number <= 13:
            raise BadValue("invalid_period", "a 4-weekly period number lies between 1 and 13")
        start = date.fromisocalendar(year, 4 * number - 3, 1)
        last_week = _iso_weeks(year) if number == 13 else 4 * number
        return start, date.fromisocalendar(year, last_week, 7)
    if loontijdvak == "maand":
        if not 1 <= number <= 12:
            raise BadValue("invalid_period", "a month number lies between 1 and 12")
        return date(year, number, 1), date(year, number, calendar.monthrange(year, number)[1])
    if loontijdvak == "kwartaal":
        if not 1 <= number <= 4:
            raise BadValue("invalid_period", "a quarter number lies between 1 and 4")
        first = 3 * number - 2
        return date(year, first, 1), date(year, first + 2, calendar.monthrange(year, first + 2)[1])
    raise BadValue("invalid_loontijdvak", f"unknown loontijdvak {loontijdvak!r}")


def period_number(loontijdvak: str, day: date) -> tuple[int, int]:
    """The (year, number) of the period that holds ``day``."""
    if loontijdvak == "week":
        iso = day.isocalendar()
        return iso.year, iso.week
    if loontijdvak == "4-weken":
        iso = day.isocalendar()
        return iso.year, min((iso.week - 1) // 4 + 1, 13)
    if loontijdvak == "maand":
        return day.year, day.month
    return day.year, (day.month - 1) // 3 + 1


def matching_loontijdvak(start: date, end: date) -> str | None:
    """The loontijdvak whose one period is exactly ``start`` .. ``end``, if any."""
    for loontijdvak in LOONTIJDVAKKEN:
        year, number = period_number(loontijdvak, start)
        if period_dates(loontijdvak, year, number) == (start, end):
            return loontijdvak
    return None
