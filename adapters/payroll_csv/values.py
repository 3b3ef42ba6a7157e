"""Turning CSV text into typed values the way a profile says: decimal comma, thousands
separator, date format. Each converter raises :class:`BadValue` with a stable code."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

__all__ = ["BadValue", "date_parser", "decimal_parser", "parse_int"]


class BadValue(ValueError):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def decimal_parser(decimal: str, thousands: str, places: int = 2) -> Callable[[str], Decimal]:
    """``1.234,56`` -> ``Decimal('1234.56')`` for decimal ``,`` and thousands ``.``."""
    example = f"1{thousands}234{decimal}56"
    pattern = (
        r"^-?[0-9]{1,3}(?:"
        + re.escape(thousands)
        + r"[0-9]{3})*(?:"
        + re.escape(decimal)
        + "[0-9]+)?$"
        if thousands
        else None
    )
    grouped = re.compile(pattern) if pattern else None
    plain = re.compile(r"^-?[0-9]+(?:" + re.escape(decimal) + "[0-9]+)?$")

    def parse(text: str) -> Decimal:
        if plain.match(text) is None:
            if grouped is None or grouped.match(text) is None:
                raise BadValue(
                    "invalid_number",
                    f"not a number in this profile's notation (e.g. {example})",
                )
            text = text.replace(thousands, "")
        _, sep, fraction = text.partition(decimal)
        if sep and len(fraction) > places:
            raise BadValue("too_many_decimals", f"at most {places} decimals allowed")
        try:
            return Decimal(text.replace(decimal, ".") if sep else text)
        except InvalidOperation:  # pragma: no cover - the patterns above rule it out
            raise BadValue("invalid_number", "not a number") from None

    return parse


_FAST_DATES: dict[str, tuple[re.Pattern[str], tuple[int, int, int]]] = {
    # format -> (pattern, group index of year, month, day)
    "%d-%m-%Y": (re.compile(r"^([0-9]{1,2})-([0-9]{1,2})-([0-9]{4})$"), (3, 2, 1)),
    "%d/%m/%Y": (re.compile(r"^([0-9]{1,2})/([0-9]{1,2})/([0-9]{4})$"), (3, 2, 1)),
    "%d.%m.%Y": (re.compile(r"^([0-9]{1,2})\.([0-9]{1,2})\.([0-9]{4})$"), (3, 2, 1)),
    "%Y-%m-%d": (re.compile(r"^([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})$"), (1, 2, 3)),
    "%Y%m%d": (re.compile(r"^([0-9]{4})([0-9]{2})([0-9]{2})$"), (1, 2, 3)),
}

_HUMAN = {"%d": "dd", "%m": "mm", "%Y": "jjjj", "%y": "jj"}


def date_parser(fmt: str) -> Callable[[str], date]:
    shown = fmt
    for code, human in _HUMAN.items():
        shown = shown.replace(code, human)
    fast = _FAST_DATES.get(fmt)

    def parse(text: str) -> date:
        try:
            if fast is not None:
                found = fast[0].match(text)
                if found is None:
                    raise ValueError(text)
                y, m, d = fast[1]
                return date(int(found.group(y)), int(found.group(m)), int(found.group(d)))
            return datetime.strptime(text, fmt).date()
        except ValueError:
            raise BadValue("invalid_date", f"not a date in the format {shown}") from None

    return parse


def parse_int(text: str) -> int:
    if not text.isdigit():
        raise BadValue("invalid_number", "not a whole number")
    return int(text)
