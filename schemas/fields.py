"""Per-field changes with an explicit state: what a ``*.changed`` v2 message says of each field.

Every field a v2 change message carries is an object with a ``state``:

* ``set``      - it has a value now (``new``) and had none before, or the sender did not say
  which (StUF: the old object leaves the element out or has it empty);
* ``modified`` - it had a value (``old``) and now has another (``new``);
* ``cleared``  - it is now explicitly empty (StUF ``noValue="geenWaarde"`` or ``xsi:nil``);
  ``old`` when the sender said what it was;
* ``unknown``  - it is now unknown to the sender (StUF ``waardeOnbekend`` /
  ``vastgesteldOnbekend``); ``old`` when the sender said what it was.

A field that is absent did not change. In a snapshot (``kind: snapshot``, a StUF T) every field
the sender gave is ``set``, ``cleared`` or ``unknown``, never ``modified`` and never with ``old``.
"""

from __future__ import annotations

import functools
from datetime import date
from enum import StrEnum
from typing import Annotated, Generic, Self, TypeVar, get_args

from pydantic import Field, model_validator
from pydantic_core import PydanticCustomError

from schemas.common import CanonicalModel
from schemas.identifiers import Gemeentecode, Iban

__all__ = [
    "AddressChange",
    "BagAddress",
    "DateChange",
    "EmailChange",
    "FieldChange",
    "FieldState",
    "IbanChange",
    "PhoneChange",
    "TextChange",
    "change_fields",
]

V = TypeVar("V")


class FieldState(StrEnum):
    SET = "set"
    MODIFIED = "modified"
    CLEARED = "cleared"
    UNKNOWN = "unknown"


class FieldChange(CanonicalModel, Generic[V]):
    state: FieldState
    old: V | None = None
    new: V | None = None

    @model_validator(mode="after")
    def _state_fits_values(self) -> Self:
        wants_new = self.state in (FieldState.SET, FieldState.MODIFIED)
        if wants_new != (self.new is not None):
            need = "needs" if wants_new else "cannot have"
            raise PydanticCustomError(
                "field_change_new", f"a '{self.state}' field {need} 'new'", {}
            )
        if self.state is FieldState.MODIFIED and (self.old is None or self.old == self.new):
            raise PydanticCustomError(
                "field_change_old", "a 'modified' field needs an 'old' value other than 'new'", {}
            )
        if self.state is FieldState.SET and self.old is not None:
            raise PydanticCustomError(
                "field_change_old", "a 'set' field had no value: use 'modified'", {}
            )
        return self


class TextChange(FieldChange[str]):
    """A text field: a name part, an e-mail address, a phone number, a reference."""


Email = Annotated[str, Field(max_length=254, pattern=r"^[^@\s]+@[^@\s]+$")]
Phone = Annotated[str, Field(max_length=20, pattern=r"^\+?[0-9 ()-]{6,20}$")]


class EmailChange(FieldChange[Email]):
    """An e-mail address."""


class PhoneChange(FieldChange[Phone]):
    """A phone number."""


class IbanChange(FieldChange[Iban]):
    """A bank account number (IBAN)."""


class DateChange(FieldChange[date]):
    """A date field (a partial StUF date is no date: the field is then ``unknown``)."""


class BagAddress(CanonicalModel):
    """A residential address with its BAG identification, as the person register gives it."""

    street: Annotated[str | None, Field(max_length=80)] = None
    house_number: Annotated[int | None, Field(ge=0, le=99999)] = None
    house_letter: Annotated[str | None, Field(max_length=1)] = None
    house_number_addition: Annotated[str | None, Field(max_length=4)] = None
    postcode: Annotated[str | None, Field(pattern=r"^[1-9][0-9]{3}[A-Z]{2}$")] = None
    city: Annotated[str | None, Field(max_length=80)] = None
    municipality: Gemeentecode | None = None
    bag_id: Annotated[
        str | None,
        Field(
            pattern=r"^[0-9]{16}$",
            description="BAG nummeraanduiding (StUF-BG aoa.identificatie).",
        ),
    ] = None
    bag_street_id: Annotated[
        str | None,
        Field(
            pattern=r"^[0-9]{16}$",
            description="BAG openbare ruimte (StUF-BG gor.identificatie).",
        ),
    ] = None
    bag_city_id: Annotated[
        str | None,
        Field(pattern=r"^[0-9]{4}$", description="BAG woonplaats (StUF-BG wpl.identificatie)."),
    ] = None
    since: Annotated[
        date | None, Field(description="Lives here since (StUF-BG begindatumVerblijf).")
    ] = None


class AddressChange(FieldChange[BagAddress]):
    """The address as a whole: StUF sends it as one group."""


@functools.cache
def change_fields(model: type[CanonicalModel]) -> tuple[str, ...]:
    """The per-field change attributes of a v2 data model, in declaration order."""
    return tuple(
        name
        for name, info in model.model_fields.items()
        if any(
            isinstance(arg, type) and issubclass(arg, FieldChange)
            for arg in get_args(info.annotation)
        )
    )
