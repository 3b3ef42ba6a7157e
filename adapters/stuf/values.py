"""Reading StUF element values: a parser must tell "absent", "empty with a reason" and "has a
value" apart.

* absent element                      -> :data:`ABSENT`   (in a W mutation: unchanged)
* ``StUF:noValue="geenWaarde"``       -> :data:`CLEARED`  (explicitly empty; also plain
  ``xsi:nil="true"`` without a noValue)
* ``waardeOnbekend`` / ``vastgesteldOnbekend`` -> :data:`UNKNOWN`
* ``nietOndersteund`` / ``nietGeautoriseerd``  -> :data:`ABSENT` (the sender cannot say)
* otherwise the text, stripped.

Dates are StUF dates: 8 digits ``YYYYMMDD``; a partial date has zeros for what is unknown
(``19900400``, ``19900000``) or says so with ``StUF:indOnvolledigeDatum`` (J, M, D).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from lxml import etree

from adapters.stuf.namespaces import STUF, XSI, qname

__all__ = [
    "ABSENT",
    "CLEARED",
    "UNKNOWN",
    "Marker",
    "StufDate",
    "StufValueError",
    "parse_stuf_date",
    "parse_tijdstip",
    "read",
    "read_date",
]

_NO_VALUE = qname(STUF, "noValue")
_NIL = qname(XSI, "nil")
_INCOMPLETE = qname(STUF, "indOnvolledigeDatum")


class Marker(enum.Enum):
    ABSENT = "absent"
    CLEARED = "cleared"
    UNKNOWN = "unknown"


ABSENT = Marker.ABSENT
CLEARED = Marker.CLEARED
UNKNOWN = Marker.UNKNOWN


class StufValueError(ValueError):
    """A value that the schema lets through but that is not what StUF means (a bad date)."""


def state_of(element: etree._Element | None) -> Marker | None:
    """The marker an element stands for, or None when it carries a value."""
    if element is None:
        return ABSENT
    no_value = element.get(_NO_VALUE)
    if no_value == "geenWaarde":
        return CLEARED
    if no_value in ("waardeOnbekend", "vastgesteldOnbekend"):
        return UNKNOWN
    if no_value in ("nietOndersteund", "nietGeautoriseerd"):
        return ABSENT
    if element.get(_NIL) in ("true", "1"):
        return CLEARED
    return None


def read(element: etree._Element | None) -> str | Marker:
    marker = state_of(element)
    if marker is not None:
        return marker
    assert element is not None
    text = (element.text or "").strip()
    return text if text else CLEARED


@dataclass(frozen=True, slots=True)
class StufDate:
    year: int
    month: int  # 0 when unknown
    day: int  # 0 when unknown

    @property
    def complete(self) -> bool:
        return self.month != 0 and self.day != 0

    def as_date(self) -> date:
        if not self.complete:
            raise StufValueError("a complete date is needed here, not a partial one")
        return date(self.year, self.month, self.day)

    def __str__(self) -> str:
        return f"{self.year:04d}{self.month:02d}{self.day:02d}"


def parse_stuf_date(text: str, incomplete: str | None = None) -> StufDate:
    digits = text.strip()
    if len(digits) != 8 or not digits.isdigit():
        raise StufValueError(f"'{digits}' is not a StUF date (8 digits, YYYYMMDD)")
    year, month, day = int(digits[:4]), int(digits[4:6]), int(digits[6:])
    if incomplete == "J":
        return StufDate(year, 0, 0) if year else StufDate(0, 0, 0)
    if incomplete == "M":
        month, day = 0, 0
    elif incomplete == "D":
        day = 0
    if month == 0:
        day = 0
    if month > 12:
        raise StufValueError(f"'{digits}' has no month {month}")
    if month and day:
        try:
            date(year, month, day)
        except ValueError:
            raise StufValueError(f"'{digits}' is not a date in the calendar") from None
    return StufDate(year, month, day)


def read_date(element: etree._Element | None) -> StufDate | Marker:
    value = read(element)
    if isinstance(value, Marker):
        return value
    assert element is not None
    return parse_stuf_date(value, element.get(_INCOMPLETE))


_TIJDSTIP_LENGTHS = frozenset({8, 10, 12, 14, 15, 16, 17})


def parse_tijdstip(text: str) -> datetime:
    """``YYYYMMDD[hh[mm[ss[mmm]]]]`` (8 to 17 digits) as a naive local date-time."""
    digits = text.strip()
    if len(digits) not in _TIJDSTIP_LENGTHS or not digits.isdigit():
        raise StufValueError(
            f"'{digits}' is not a StUF tijdstip (YYYYMMDD, optionally hhmmss and milliseconds)"
        )
    padded = (digits + "000000000")[:17]
    try:
        return datetime(
            int(padded[:4]),
            int(padded[4:6]),
            int(padded[6:8]),
            int(padded[8:10]),
            int(padded[10:12]),
            int(padded[12:14]),
            int(padded[14:17]) * 1000,
        )
    except ValueError:
        raise StufValueError(f"'{digits}' is not a moment in the calendar") from None


def parse_decimal(text: str) -> Decimal:
    try:
        return Decimal(text.strip())
    except InvalidOperation:
        raise StufValueError(f"'{text.strip()}' is not a number") from None
