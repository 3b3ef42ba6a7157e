"""Person family: changes to the person behind a candidate (from the municipal register)."""

from __future__ import annotations

from datetime import date
from typing import Literal, Self

from pydantic import model_validator

from schemas.common import Address, PersonName, PersonRef
from schemas.envelope import CloudEvent

__all__ = ["PersonChanged", "PersonChangedData"]

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
