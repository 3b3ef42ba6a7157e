"""All canonical message types, looked up by their CloudEvents ``type`` or short name."""

from __future__ import annotations

import functools
from collections.abc import Mapping
from types import MappingProxyType

from pydantic import BaseModel

from schemas.benefit import BenefitStatusChanged
from schemas.candidate import (
    CandidateChanged,
    CandidateChangedV2,
    CandidateEnrolled,
    CandidateWithdrawn,
)
from schemas.envelope import CloudEvent, event_type
from schemas.payroll import EarningsReported, HoursReported
from schemas.person import PersonChanged, PersonChangedV2
from schemas.placement import (
    PlacementChanged,
    PlacementChangedV2,
    PlacementEnded,
    PlacementStarted,
    PlacementStartedV2,
)

__all__ = [
    "BY_SHORT_TYPE",
    "BY_TYPE",
    "EVENT_CLASSES",
    "SCHEMA_BASE_URI",
    "data_model",
    "dataschema_uri",
    "full_type",
    "type_key",
]

#: Where the published JSON Schemas live (also the ``$id`` of each file in ``schemas/json``).
SCHEMA_BASE_URI = "https://schemas.flextensie.nl/gateway/"

EVENT_CLASSES: tuple[type[CloudEvent], ...] = (
    CandidateEnrolled,
    CandidateChanged,
    CandidateChangedV2,
    CandidateWithdrawn,
    BenefitStatusChanged,
    PersonChanged,
    PersonChangedV2,
    PlacementStarted,
    PlacementStartedV2,
    PlacementChanged,
    PlacementChangedV2,
    PlacementEnded,
    HoursReported,
    EarningsReported,
)


def full_type(cls: type[CloudEvent]) -> str:
    return event_type(cls.short_type, cls.version)


def type_key(cls: type[CloudEvent]) -> str:
    """The name a message type is stored and looked up under: its short type for version 1
    (as every stored message has it), ``<short type>.v<n>`` for later versions."""
    return cls.short_type if cls.version == 1 else f"{cls.short_type}.v{cls.version}"


# Cached: pydantic's ``model_fields`` lookup costs microseconds, and bulk uploads ask per row.
@functools.cache
def data_model(cls: type[CloudEvent]) -> type[BaseModel]:
    return _DATA_MODELS.get(cls) or _data_model(cls)


def _data_model(cls: type[CloudEvent]) -> type[BaseModel]:
    annotation = cls.model_fields["data"].annotation
    if not (isinstance(annotation, type) and issubclass(annotation, BaseModel)):
        raise TypeError(f"{cls.__name__}.data is not a pydantic model")
    return annotation


def dataschema_uri(cls: type[CloudEvent]) -> str:
    return f"{SCHEMA_BASE_URI}{cls.short_type}.v{cls.version}.json"


_DATA_MODELS: Mapping[type[CloudEvent], type[BaseModel]] = MappingProxyType(
    {c: _data_model(c) for c in EVENT_CLASSES}
)
BY_TYPE: Mapping[str, type[CloudEvent]] = MappingProxyType({full_type(c): c for c in EVENT_CLASSES})
#: By :func:`type_key` (``person.changed``, ``person.changed.v2``).
BY_SHORT_TYPE: Mapping[str, type[CloudEvent]] = MappingProxyType(
    {type_key(c): c for c in EVENT_CLASSES}
)
