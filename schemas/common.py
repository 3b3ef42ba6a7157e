"""Value objects shared by several message families."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator
from pydantic_core import PydanticCustomError

from schemas.identifiers import Bsn, Gemeentecode, KvkNummer

__all__ = [
    "Address",
    "AssignmentRef",
    "CanonicalModel",
    "Contact",
    "Period",
    "PersonName",
    "PersonRef",
    "ShortText",
]

ShortText = Annotated[str, Field(min_length=1, max_length=200)]


class CanonicalModel(BaseModel):
    """Base of every canonical model: unknown fields are an error, never silently dropped."""

    # hide_input_in_errors: a ValidationError that ends up in a log must not carry a BSN.
    model_config = ConfigDict(
        extra="forbid", frozen=True, str_strip_whitespace=True, hide_input_in_errors=True
    )


class Period(CanonicalModel):
    """A closed date range; ``end`` is inclusive and never before ``start``."""

    start: date
    end: date

    @model_validator(mode="after")
    def _end_not_before_start(self) -> Self:
        if self.end < self.start:
            raise PydanticCustomError("period_end_before_start", "period end lies before its start")
        if (self.end - self.start).days > 366:
            raise PydanticCustomError("period_too_long", "period is longer than a year")
        return self


class PersonName(CanonicalModel):
    given_names: Annotated[str | None, Field(max_length=200)] = None
    initials: Annotated[str | None, Field(max_length=20)] = None
    surname_prefix: Annotated[str | None, Field(max_length=10, description="voorvoegsel")] = None
    surname: ShortText


class Address(CanonicalModel):
    street: Annotated[str | None, Field(max_length=80)] = None
    house_number: Annotated[int | None, Field(ge=0, le=99999)] = None
    house_letter: Annotated[str | None, Field(max_length=1)] = None
    house_number_addition: Annotated[str | None, Field(max_length=4)] = None
    postcode: Annotated[str | None, Field(pattern=r"^[1-9][0-9]{3}[A-Z]{2}$")] = None
    city: Annotated[str | None, Field(max_length=80)] = None
    municipality: Gemeentecode | None = None


class Contact(CanonicalModel):
    email: Annotated[str | None, Field(max_length=254, pattern=r"^[^@\s]+@[^@\s]+$")] = None
    phone: Annotated[str | None, Field(max_length=20, pattern=r"^\+?[0-9 ()-]{6,20}$")] = None


class PersonRef(CanonicalModel):
    """A message about a candidate, sent by (or for) a municipality."""

    bsn: Bsn
    municipality: Gemeentecode


class AssignmentRef(CanonicalModel):
    """A message about one placement (assignment) of a candidate at a staffing agency."""

    bsn: Bsn
    agency_kvk: KvkNummer
    assignment_id: Annotated[str, Field(min_length=1, max_length=64)]
