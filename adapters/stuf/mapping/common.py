"""Builders shared by the entity mappings: StUF parts -> canonical value objects."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from typing import Any

from adapters.stuf.values import UNKNOWN, Marker, StufDate, StufValueError, parse_decimal
from schemas.common import PersonName

__all__ = [
    "NAME_PARTS",
    "known",
    "optional_date",
    "optional_decimal",
    "person_name",
    "required_date",
    "single",
]


def known(value: Any) -> Any:
    """None for empty and unknown parts; the value otherwise."""
    return None if value is UNKNOWN or isinstance(value, Marker) else value


def optional_date(value: Any) -> date | Marker | None:
    """A full date; a partial StUF date cannot be a canonical date and counts as unknown."""
    if isinstance(value, StufDate):
        return value.as_date() if value.complete else Marker.UNKNOWN
    return Marker.UNKNOWN if value is UNKNOWN else None


def required_date(value: Any, label: str) -> date:
    if value is None or isinstance(value, Marker):
        raise StufValueError(f"{label} is required here")
    assert isinstance(value, StufDate)
    if not value.complete:
        raise StufValueError(f"{label} must be a complete date here, not '{value}'")
    return value.as_date()


def optional_decimal(value: Any) -> Decimal | None:
    value = known(value)
    return None if value is None else parse_decimal(str(value))


def single(part: str) -> Any:
    """A builder for a field made of one element, taken as is."""

    def build(values: Mapping[str, Any]) -> Any:
        value = values[part]
        return UNKNOWN if value is UNKNOWN else value

    return build


#: A person's name, in the same elements in the Flextensie sector model and StUF-BG.
NAME_PARTS = ("geslachtsnaam", "voorvoegselGeslachtsnaam", "voorletters", "voornamen")


def person_name(values: Mapping[str, Any]) -> PersonName | None:
    surname, prefix, initials, given = (known(values[key]) for key in NAME_PARTS)
    if surname is None and prefix is None and initials is None and given is None:
        return None
    if surname is None:
        raise StufValueError("geslachtsnaam is needed together with the other name elements")
    return PersonName(surname=surname, surname_prefix=prefix, initials=initials, given_names=given)
