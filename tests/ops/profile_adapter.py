"""A test adapter whose output depends on a mapping profile that a test changes, the way an
agency's CSV profile is fixed after a wrong column mapping. Real adapters are exercised the
same way (the lead adds a CSV-profile variant)."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

from pydantic import ValidationError

from adapters.base import Draft, Issue, TranslationError
from schemas.registry import BY_TYPE, data_model

PLACEMENT = BY_TYPE["nl.flextensie.placement.started.v1"]


@dataclass
class Profile:
    """Which CSV column holds the hourly rate (the bug: 'uren', the fix: 'tarief')."""

    rate_column: str = "uren"


class ProfileCsvAdapter:
    name = "test-profile-csv"

    def __init__(self, profile: Profile) -> None:
        self.profile = profile

    def translate(self, payload: bytes, *, sender: str) -> list[Draft]:
        rows = list(csv.DictReader(io.StringIO(payload.decode("utf-8")), delimiter=";"))
        drafts: list[Draft] = []
        issues: list[Issue] = []
        for number, row in enumerate(rows, start=2):
            try:
                data = data_model(PLACEMENT).model_validate(
                    {
                        "bsn": row["bsn"],
                        "agency_kvk": row["kvk"],
                        "assignment_id": row["opdracht"],
                        "client": {"name": row["inlener"], "kvk": row["inlener_kvk"]},
                        "start_date": row["start"],
                        "hourly_rate": row[self.profile.rate_column].replace(",", "."),
                        "hours_per_week": row["uren"].replace(",", "."),
                    }
                )
            except ValidationError as exc:
                issues.append(Issue(f"row {number}", "invalid", str(exc.errors()[0]["msg"])))
                continue
            drafts.append(Draft(event=PLACEMENT, data=data, origin=f"row {number}"))
        if issues:
            raise TranslationError(issues)
        return drafts


CSV = (
    b"bsn;kvk;opdracht;inlener;inlener_kvk;start;uren;tarief\n"
    b"111222333;12345678;A-1;Bakkerij Brood & Zo;23456789;2026-12-07;24;14,40\n"
    b"123456782;12345678;A-2;Bakkerij Brood & Zo;23456789;2026-12-07;16;15,10\n"
)
