"""Person family: changes to the person behind a candidate (from the municipal register).

``person.changed`` v2 carries every field the back office uses, each with an explicit state
(:mod:`schemas.fields`); v1 (one kind of change per message, no way to say "cleared" or
"unknown") is kept for consumers that have not moved yet and for canonical-JSON senders.
"""

from __future__ import annotations

from datetime import date
from typing import Literal, Self

from pydantic import model_validator

from schemas.common import Address, PersonName, PersonRef
from schemas.envelope import CloudEvent
from schemas.fields import (
    AddressChange,
    DateChange,
    EmailChange,
    FieldState,
    PhoneChange,
    TextChange,
    change_fields,
)

__all__ = [
    "PersonChanged",
    "PersonChangedData",
    "PersonChangedV2",
    "PersonChangedV2Data",
    "PersonFieldsChange",
]

PersonChangeKind = Literal["address", "death", "name"]


class PersonChangedData(PersonRef):
    change: PersonChangeKind
    effective_date: date | None = None
    address: Address | None = None
    name: PersonName | None = None
    date_of_death: date | None = None

    @model_validator(mode="after")
    def _change_has_its_value(self) -> Self:
        needed = {"address": self.address, "name": self.name, "death": self.date_of_death}
        if needed[self.change] is None:
            field = "date_of_death" if self.change == "death" else self.change
            raise ValueError(f"a '{self.change}' change needs '{field}'")
        return self


class PersonChanged(CloudEvent):
    short_type = "person.changed"
    type: Literal["nl.flextensie.person.changed.v1"] = "nl.flextensie.person.changed.v1"
    data: PersonChangedData


class PersonFieldsChange(PersonRef):
    """What every v2 change message shares: which kind of message, from when, and the rule
    that a field's state fits the kind (see :mod:`schemas.fields`)."""

    #: ``change`` (StUF W), ``correction`` (C, F: the old value was wrong, not outdated),
    #: ``snapshot`` (T: the whole record as registered).
    kind: Literal["change", "correction", "snapshot"] = "change"
    effective_date: date | None = None

    @model_validator(mode="after")
    def _fields_fit_kind(self) -> Self:
        given = {
            name: value
            for name in change_fields(type(self))
            if (value := getattr(self, name)) is not None
        }
        if not given:
            raise ValueError("a change message must carry at least one field")
        if self.kind == "snapshot":
            wrong = sorted(
                name
                for name, value in given.items()
                if value.state is FieldState.MODIFIED or value.old is not None
            )
            if wrong:
                raise ValueError(f"a snapshot has no old values: {wrong}")
        return self


class PersonChangedV2Data(PersonFieldsChange):
    """Every person field the back office uses, each with its state (set, modified, cleared,
    unknown); absent fields did not change. ``kind: snapshot`` is the whole person as
    registered (StUF T). The StUF-BG attributes left out, and why: docs/stuf.md."""

    surname: TextChange | None = None
    surname_prefix: TextChange | None = None
    initials: TextChange | None = None
    given_names: TextChange | None = None
    birth_date: DateChange | None = None
    date_of_death: DateChange | None = None
    address: AddressChange | None = None
    email: EmailChange | None = None
    phone: PhoneChange | None = None


class PersonChangedV2(CloudEvent):
    short_type = "person.changed"
    version = 2
    type: Literal["nl.flextensie.person.changed.v2"] = "nl.flextensie.person.changed.v2"
    data: PersonChangedV2Data
