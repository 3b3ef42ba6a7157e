"""Dutch identifiers and amounts used in canonical messages, validated on the way in.

Every type here is an ``Annotated`` alias so that models stay plain and the JSON Schema
carries the pattern a consumer can check without our code.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator
from decimal import Decimal
from typing import Annotated

from pydantic import AfterValidator, Field, StringConstraints
from pydantic_core import PydanticCustomError
from stdnum import iban as stdnum_iban
from stdnum import util as stdnum_util
from stdnum.exceptions import ValidationError as StdnumError
from stdnum.nl import bsn as stdnum_bsn

__all__ = [
    "Amount",
    "Bsn",
    "Gemeentecode",
    "Hours",
    "Iban",
    "KvkNummer",
    "Loonheffingennummer",
    "find_bsns",
    "mask_bsn",
    "mask_bsns",
    "normalise_bsn",
]

_INVALID_BSN = "not a valid BSN (9 digits that pass the eleven test)"


def _bsn(value: str) -> str:
    # Fast path for the common, already-compact form: the same person comes back in every
    # hours and payroll message, and stdnum's checks cost more than a cache lookup.
    if len(value) == 9 and value.isascii() and value.isdigit():
        if _compact_bsn_is_valid(value):
            return value
        raise PydanticCustomError("invalid_bsn", _INVALID_BSN)
    found = normalise_bsn(value)
    if found is None:
        raise PydanticCustomError("invalid_bsn", _INVALID_BSN)
    return found


def normalise_bsn(value: str) -> str | None:
    """The one decision of what is a BSN: the nine ASCII digits of ``value``, or None.

    Accepted spellings are what python-stdnum's ``compact`` reduces to nine digits (spaces,
    dashes, dots and their Unicode look-alikes between the digits, full-width digits),
    passing the eleven test; and eight plain digits, a BSN whose leading zero a spreadsheet
    dropped (DOMAIN.md). Eight digits with separators are not a BSN (``2026-12-01`` is a
    date). :func:`find_bsns` finds exactly these spellings in free text, so every value the
    gateway accepts as a BSN is also one that masking and log scrubbing recognise.
    """
    value = value.strip()
    digits = stdnum_bsn.compact(value)
    if not (digits.isascii() and digits.isdigit()):
        return None
    if len(digits) == 8 and len(value) == 8:
        digits = "0" + digits
    if len(digits) != 9 or not _compact_bsn_is_valid(digits):
        return None
    return digits


#: A BSN spelling in ASCII text: nine digits with at most one separator between two of them,
#: or eight plain digits; never part of a longer run of digits.
_BSN_SPELLING = re.compile(r"(?<![0-9])(?:[0-9](?:[ .-]?[0-9]){8}|[0-9]{8})(?![0-9])")


@functools.cache
def _to_ascii() -> dict[int, str]:
    """stdnum's look-alikes of digits, spaces, dashes and dots, one character each, so that a
    translated text keeps every position. Built on first use (not at import)."""
    mapped = stdnum_util._char_map  # the table stdnum's ``clean`` translates with
    return {
        ord(char): to
        for char, to in mapped.items()
        if to in (" ", "-", ".") or (len(to) == 1 and to.isascii() and to.isdigit())
    }


def find_bsns(text: str) -> Iterator[tuple[int, int, str]]:
    """Every BSN in ``text`` in any spelling :func:`normalise_bsn` accepts: (start, end, BSN).

    A match that is not a BSN is tried again one character further, so a number that fails
    the eleven test cannot hide a BSN that starts inside it."""
    # Matching the look-alikes through a translation to ASCII (same length) is several
    # times faster than a pattern with their character classes: this runs on every log line.
    plain = text if text.isascii() else text.translate(_to_ascii())
    position = 0
    while (match := _BSN_SPELLING.search(plain, position)) is not None:
        found = normalise_bsn(text[match.start() : match.end()])
        if found is None:
            position = match.start() + 1
            continue
        yield match.start(), match.end(), found
        position = match.end()


def mask_bsns(text: str) -> str:
    """``text`` with every BSN, in every accepted spelling, masked (:func:`mask_bsn`)."""
    parts: list[str] = []
    last = 0
    for start, end, found in find_bsns(text):
        parts.append(text[last:start])
        parts.append(mask_bsn(found))
        last = end
    if not parts:
        return text
    parts.append(text[last:])
    return "".join(parts)


@functools.lru_cache(maxsize=32_768)
def _compact_bsn_is_valid(digits: str) -> bool:
    return digits != "000000000" and stdnum_bsn.checksum(digits) == 0


# Only valid values are cached (a raised error is not); the result depends on the value alone.
@functools.lru_cache(maxsize=16_384)
def _iban(value: str) -> str:
    try:
        return str(stdnum_iban.validate(value))
    except StdnumError:
        raise PydanticCustomError(
            "invalid_iban", "not a valid IBAN (check digits or length are wrong)"
        ) from None


@functools.lru_cache(maxsize=16_384)
def _loonheffingennummer(value: str) -> str:
    compact = value.replace(" ", "").replace(".", "").upper()
    rsin, sep, suffix = compact[:9], compact[9:10], compact[10:]
    if sep != "L" or len(suffix) != 2 or not suffix.isdigit() or not stdnum_bsn.is_valid(rsin):
        raise PydanticCustomError(
            "invalid_loonheffingennummer",
            "not a valid loonheffingennummer (RSIN/BSN + 'L' + 2 digits, e.g. 123456782L01)",
        )
    return compact


Bsn = Annotated[
    str,
    StringConstraints(strip_whitespace=True),
    AfterValidator(_bsn),
    Field(
        description="Burgerservicenummer: 9 digits passing the eleven test.",
        pattern=r"^[0-9]{8,9}$",
        json_schema_extra={"examples": ["111222333"]},
    ),
]
Iban = Annotated[
    str,
    StringConstraints(strip_whitespace=True),
    AfterValidator(_iban),
    Field(
        description="IBAN, ISO 13616 mod-97 checked, stored without spaces.",
        pattern=r"^[A-Z]{2}[0-9]{2}[A-Z0-9]{11,30}$",
        json_schema_extra={"examples": ["NL91ABNA0417164300"]},
    ),
]
Gemeentecode = Annotated[
    str,
    StringConstraints(strip_whitespace=True),
    Field(description="CBS municipality code, 4 digits.", pattern=r"^[0-9]{4}$"),
]
KvkNummer = Annotated[
    str,
    StringConstraints(strip_whitespace=True),
    Field(description="Chamber of Commerce number, 8 digits.", pattern=r"^[0-9]{8}$"),
]
Loonheffingennummer = Annotated[
    str,
    StringConstraints(strip_whitespace=True),
    AfterValidator(_loonheffingennummer),
    Field(
        description="Payroll tax number: RSIN/BSN + 'L' + 2 digits.",
        pattern=r"^[0-9]{9}L[0-9]{2}$",
    ),
]
Amount = Annotated[
    Decimal,
    Field(
        description="Amount in euro with at most 2 decimals (serialised as a string).",
        max_digits=14,
        decimal_places=2,
    ),
]
Hours = Annotated[
    Decimal,
    Field(description="Hours with at most 2 decimals.", ge=0, max_digits=7, decimal_places=2),
]


def mask_bsn(value: str) -> str:
    """What a person may see of a BSN outside a deliberate reveal: the last three digits."""
    return "******" + value[-3:] if len(value) >= 3 else "*" * len(value)
