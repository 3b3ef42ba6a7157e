"""Placement family: a candidate working through a staffing agency (or directly) for a client."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal, Self

from pydantic import Field, model_validator

from schemas.changes import ChangeSet
from schemas.common import AssignmentRef, CanonicalModel, ShortText
from schemas.envelope import CloudEvent
from schemas.identifiers import Amount, Gemeentecode, Hours, KvkNummer

__all__ = [
    "Client",
    "Party",
    "PartyId",
    "PartyRole",
    "PlacementChanged",
    "PlacementChangedData",
    "PlacementChangedV2",
    "PlacementChangedV2Data",
    "PlacementEnded",
    "PlacementEndedData",
    "PlacementStarted",
    "PlacementStartedData",
    "PlacementStartedV2",
    "PlacementStartedV2Data",
]

PlacementField = Literal[
    "client", "end_date", "hourly_rate", "hours_per_week", "job_title", "municipality"
]
EndReason = Literal[
    "completed", "regular_employment", "ended_by_candidate", "ended_by_client", "other"
]


class Client(CanonicalModel):
    """The business where the candidate works (inlener)."""

    name: ShortText
    kvk: KvkNummer | None = None


class PartyId(CanonicalModel):
    """One identifier of a party and who issued it: SETU's ``idOwner`` (HR-XML) or
    ``schemeAgencyId`` (v2), e.g. ``KvK``, ``BTW``, ``StaffingCustomer``, ``Supplier``. The
    owner is what makes the value mean anything: customer number 123 of the agency is not the
    customer's own 123."""

    value: Annotated[str, Field(min_length=1, max_length=64)]
    owner: Annotated[str, Field(max_length=64)] = ""


PartyRole = Literal["customer", "customer_unit", "supplier", "supplier_unit", "worker"]


class Party(CanonicalModel):
    """A party of the assignment with every identifier the sender gave for it."""

    role: PartyRole
    ids: Annotated[list[PartyId], Field(min_length=1, max_length=10)]


class PlacementStartedData(AssignmentRef):
    municipality: Gemeentecode | None = None
    client: Client
    start_date: date
    end_date: date | None = None
    hourly_rate: Amount | None = None
    hours_per_week: Annotated[Hours | None, Field(le=60)] = None
    job_title: Annotated[str | None, Field(max_length=120)] = None

    @model_validator(mode="after")
    def _dates(self) -> Self:
        if self.end_date is not None and self.end_date < self.start_date:
            raise ValueError("end_date lies before start_date")
        return self


class PlacementChangedData(AssignmentRef, ChangeSet[PlacementField]):
    municipality: Gemeentecode | None = None
    client: Client | None = None
    end_date: date | None = None
    hourly_rate: Amount | None = None
    hours_per_week: Annotated[Hours | None, Field(le=60)] = None
    job_title: Annotated[str | None, Field(max_length=120)] = None


class PlacementStartedV2Data(PlacementStartedData):
    """Version 2: the parties of the assignment with every identifier and its owner (SETU
    customer, its establishment, the supplier, the worker numbers), and who issued the
    assignment id. A worker identifier owned by ``BSN`` is never listed: ``bsn`` carries it."""

    assignment_id_owner: Annotated[str | None, Field(max_length=64)] = None
    parties: Annotated[list[Party], Field(max_length=10)] = []


class PlacementChangedV2Data(PlacementChangedData):
    """Version 2: as version 1, plus ``parties`` (all parties as now known) when any party or
    identifier changed."""

    parties: Annotated[list[Party] | None, Field(max_length=10)] = None


class PlacementEndedData(AssignmentRef):
    end_date: date
    reason: EndReason = "completed"


class PlacementStarted(CloudEvent):
    short_type = "placement.started"
    type: Literal["nl.flextensie.placement.started.v1"] = "nl.flextensie.placement.started.v1"
    data: PlacementStartedData


class PlacementChanged(CloudEvent):
    short_type = "placement.changed"
    type: Literal["nl.flextensie.placement.changed.v1"] = "nl.flextensie.placement.changed.v1"
    data: PlacementChangedData


class PlacementStartedV2(CloudEvent):
    short_type = "placement.started"
    version = 2
    type: Literal["nl.flextensie.placement.started.v2"] = "nl.flextensie.placement.started.v2"
    data: PlacementStartedV2Data


class PlacementChangedV2(CloudEvent):
    short_type = "placement.changed"
    version = 2
    type: Literal["nl.flextensie.placement.changed.v2"] = "nl.flextensie.placement.changed.v2"
    data: PlacementChangedV2Data


class PlacementEnded(CloudEvent):
    short_type = "placement.ended"
    type: Literal["nl.flextensie.placement.ended.v1"] = "nl.flextensie.placement.ended.v1"
    data: PlacementEndedData
