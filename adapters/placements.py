"""What changed between two states of a placement: the ``placement.changed`` that says so.

Used by the payroll-CSV correction rows and by SETU Assignments that revise a placement. Only
fields that now carry a different value are reported; a field that is absent now is left as it
was (SETU and CSV exports resend what they know, not what they cleared).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from schemas.envelope import CloudEvent
from schemas.placement import (
    PlacementChanged,
    PlacementChangedData,
    PlacementChangedV2,
    PlacementChangedV2Data,
    PlacementStartedData,
    PlacementStartedV2Data,
)

__all__ = ["CHANGEABLE", "change_event", "placement_change"]

CHANGEABLE = ("client", "end_date", "hourly_rate", "hours_per_week", "job_title", "municipality")


def placement_change(
    previous: Mapping[str, Any], current: PlacementStartedData
) -> PlacementChangedData | None:
    """``previous`` is the JSON form of the earlier :class:`PlacementStartedData` (merged with
    later changes); ``None`` when nothing changed. A version 2 ``current`` (SETU, with its
    parties) gives a version 2 change; the state may have been written by either version."""
    before = PlacementStartedV2Data.model_validate(previous)
    changed: dict[str, Any] = {}
    for name in CHANGEABLE:
        now = getattr(current, name)
        if now is not None and now != getattr(before, name):
            changed[name] = now
    if isinstance(current, PlacementStartedV2Data):
        if current.parties and current.parties != before.parties:
            changed["parties"] = current.parties
        if not changed:
            return None
        return PlacementChangedV2Data(
            bsn=current.bsn,
            agency_kvk=current.agency_kvk,
            assignment_id=current.assignment_id,
            **changed,
        )
    if not changed:
        return None
    return PlacementChangedData(
        bsn=current.bsn,
        agency_kvk=current.agency_kvk,
        assignment_id=current.assignment_id,
        **changed,
    )


def change_event(change: PlacementChangedData) -> type[CloudEvent]:
    """The message type that carries ``change``."""
    return PlacementChangedV2 if isinstance(change, PlacementChangedV2Data) else PlacementChanged
