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
    "PlacementChanged",
    "PlacementChangedData",
    "PlacementEnded",
    "PlacementEndedData",
    "PlacementStarted",
    "PlacementStartedData",
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


class PlacementEnded(CloudEvent):
    short_type = "placement.ended"
    type: Literal["nl.flextensie.placement.ended.v1"] = "nl.flextensie.placement.ended.v1"
    data: PlacementEndedData
