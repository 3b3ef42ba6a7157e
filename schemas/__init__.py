"""Canonical placement messages: the shared language between adapters, gateway and back office."""

from schemas.benefit import BenefitStatusChanged, BenefitStatusChangedData
from schemas.candidate import (
    CandidateChanged,
    CandidateChangedData,
    CandidateEnrolled,
    CandidateEnrolledData,
    CandidateWithdrawn,
    CandidateWithdrawnData,
)
from schemas.envelope import CloudEvent
from schemas.payroll import (
    EarningsReported,
    EarningsReportedData,
    HoursReported,
    HoursReportedData,
)
from schemas.person import PersonChanged, PersonChangedData
from schemas.placement import (
    PlacementChanged,
    PlacementChangedData,
    PlacementEnded,
    PlacementEndedData,
    PlacementStarted,
    PlacementStartedData,
)

__all__ = [
    "BenefitStatusChanged",
    "BenefitStatusChangedData",
    "CandidateChanged",
    "CandidateChangedData",
    "CandidateEnrolled",
    "CandidateEnrolledData",
    "CandidateWithdrawn",
    "CandidateWithdrawnData",
    "CloudEvent",
    "EarningsReported",
    "EarningsReportedData",
    "HoursReported",
    "HoursReportedData",
    "PersonChanged",
    "PersonChangedData",
    "PlacementChanged",
    "PlacementChangedData",
    "PlacementEnded",
    "PlacementEndedData",
    "PlacementStarted",
    "PlacementStartedData",
]
