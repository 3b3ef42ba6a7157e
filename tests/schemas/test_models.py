from __future__ import annotations

import pytest
from pydantic import ValidationError

from schemas import (
    BenefitStatusChangedData,
    CandidateChangedData,
    HoursReportedData,
    PersonChangedData,
)
from schemas.registry import BY_SHORT_TYPE, BY_TYPE, EVENT_CLASSES, full_type

REF = {"bsn": "111222333", "municipality": "0363"}


def test_every_type_is_versioned_and_registered() -> None:
    assert len(EVENT_CLASSES) == 14
    for cls in EVENT_CLASSES:
        assert full_type(cls) == f"nl.flextensie.{cls.short_type}.v{cls.version}"
        assert cls.model_fields["type"].default == full_type(cls)
    assert set(BY_SHORT_TYPE) == {
        "candidate.enrolled",
        "candidate.changed",
        "candidate.changed.v2",
        "candidate.withdrawn",
        "benefit.status-changed",
        "person.changed",
        "person.changed.v2",
        "placement.started",
        "placement.started.v2",
        "placement.changed",
        "placement.changed.v2",
        "placement.ended",
        "hours.reported",
        "earnings.reported",
    }
    assert len(BY_TYPE) == 14


def test_change_sets_must_change_something_and_not_contradict() -> None:
    with pytest.raises(ValidationError, match="at least one field"):
        CandidateChangedData.model_validate(REF)
    with pytest.raises(ValidationError, match="both carry a value"):
        CandidateChangedData.model_validate(
            {**REF, "iban": "NL91ABNA0417164300", "cleared": ["iban"]}
        )
    changed = CandidateChangedData.model_validate({**REF, "cleared": ["contact"]})
    assert changed.cleared == ["contact"]
    with pytest.raises(ValidationError):
        CandidateChangedData.model_validate({**REF, "cleared": ["bsn"]})


def test_benefit_status_needs_its_dates() -> None:
    with pytest.raises(ValidationError, match="suspension period"):
        BenefitStatusChangedData.model_validate(
            {**REF, "status": "suspended", "effective_date": "2026-01-01"}
        )
    ok = BenefitStatusChangedData.model_validate(
        {
            **REF,
            "status": "suspended",
            "effective_date": "2026-01-01",
            "suspension": {"start": "2026-01-01", "end": "2026-02-01"},
        }
    )
    assert ok.benefit_kind == "participatiewet"


def test_person_change_carries_its_value() -> None:
    with pytest.raises(ValidationError, match="date_of_death"):
        PersonChangedData.model_validate({**REF, "change": "death"})


def test_hours_days_inside_period_and_at_most_24() -> None:
    base = {
        "bsn": "111222333",
        "agency_kvk": "12345678",
        "assignment_id": "A",
        "period": {"start": "2026-12-07", "end": "2026-12-13"},
    }
    with pytest.raises(ValidationError, match="outside the period"):
        HoursReportedData.model_validate({**base, "lines": [{"day": "2026-12-20", "hours": "8"}]})
    with pytest.raises(ValidationError, match="24 hours"):
        HoursReportedData.model_validate({**base, "lines": [{"day": "2026-12-08", "hours": "25"}]})
    with pytest.raises(ValidationError, match="extra_forbidden|Extra inputs"):
        HoursReportedData.model_validate({**base, "lines": [{"hours": "8"}], "foo": 1})


def test_a_field_state_must_fit_its_values() -> None:
    from schemas.person import PersonChangedV2Data

    ok = PersonChangedV2Data.model_validate(
        REF | {"email": {"state": "cleared", "old": "a@example.org"}}
    )
    assert ok.email is not None and ok.email.new is None
    for wrong, message in (
        ({"email": {"state": "set"}}, "needs 'new'"),
        ({"email": {"state": "cleared", "new": "a@example.org"}}, "cannot have 'new'"),
        ({"surname": {"state": "modified", "old": "A", "new": "A"}}, "other than 'new'"),
        ({"surname": {"state": "set", "old": "A", "new": "B"}}, "use 'modified'"),
        ({"kind": "snapshot", "surname": {"state": "unknown", "old": "A"}}, "no old values"),
        ({}, "at least one field"),
        ({"email": {"state": "set", "new": "not-an-address"}}, "pattern"),
    ):
        with pytest.raises(ValidationError, match=message):
            PersonChangedV2Data.model_validate(REF | wrong)
