"""Candidate family: enrolment in Flextensie by a municipality, changes, withdrawal."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from pydantic import Field

from schemas.changes import ChangeSet
from schemas.common import Address, Contact, PersonName, PersonRef, ShortText
from schemas.envelope import CloudEvent
from schemas.fields import (
    AddressChange,
    DateChange,
    EmailChange,
    IbanChange,
    PhoneChange,
    TextChange,
)
from schemas.identifiers import Iban
from schemas.person import PersonFieldsChange

__all__ = [
    "CandidateChanged",
    "CandidateChangedData",
    "CandidateChangedV2",
    "CandidateChangedV2Data",
    "CandidateEnrolled",
    "CandidateEnrolledData",
    "CandidateWithdrawn",
    "CandidateWithdrawnData",
]

CandidateField = Literal["name", "birth_date", "address", "contact", "iban"]


class CandidateEnrolledData(PersonRef):
    enrolled_on: date
    name: PersonName
    birth_date: date | None = None
    address: Address | None = None
    contact: Contact | None = None
    iban: Iban | None = None
    case_reference: Annotated[
        str | None, Field(max_length=40, description="The municipality's own file number.")
    ] = None


class CandidateChangedData(PersonRef, ChangeSet[CandidateField]):
    """Only the fields that really changed; see :class:`schemas.changes.ChangeSet`."""

    name: PersonName | None = None
    birth_date: date | None = None
    address: Address | None = None
    contact: Contact | None = None
    iban: Iban | None = None


class CandidateChangedV2Data(PersonFieldsChange):
    """Every candidate field, each with its state (set, modified, cleared, unknown); absent
    fields did not change. E-mail and phone are fields of their own: clearing one says nothing
    of the other."""

    surname: TextChange | None = None
    surname_prefix: TextChange | None = None
    initials: TextChange | None = None
    given_names: TextChange | None = None
    birth_date: DateChange | None = None
    address: AddressChange | None = None
    email: EmailChange | None = None
    phone: PhoneChange | None = None
    iban: IbanChange | None = None
    enrolled_on: DateChange | None = None
    case_reference: TextChange | None = None


class CandidateWithdrawnData(PersonRef):
    withdrawn_on: date
    reason: ShortText | None = None


class CandidateEnrolled(CloudEvent):
    short_type = "candidate.enrolled"
    type: Literal["nl.flextensie.candidate.enrolled.v1"] = "nl.flextensie.candidate.enrolled.v1"
    data: CandidateEnrolledData


class CandidateChanged(CloudEvent):
    short_type = "candidate.changed"
    type: Literal["nl.flextensie.candidate.changed.v1"] = "nl.flextensie.candidate.changed.v1"
    data: CandidateChangedData


class CandidateChangedV2(CloudEvent):
    short_type = "candidate.changed"
    version = 2
    type: Literal["nl.flextensie.candidate.changed.v2"] = "nl.flextensie.candidate.changed.v2"
    data: CandidateChangedV2Data


class CandidateWithdrawn(CloudEvent):
    short_type = "candidate.withdrawn"
    type: Literal["nl.flextensie.candidate.withdrawn.v1"] = "nl.flextensie.candidate.withdrawn.v1"
    data: CandidateWithdrawnData
