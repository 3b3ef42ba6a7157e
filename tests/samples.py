"""Valid canonical messages for tests, and test BSNs (eleven-test proof, never real)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

WEIGHTS = (9, 8, 7, 6, 5, 4, 3, 2)


def valid_bsns(start: int = 10_000_000) -> Iterator[str]:
    """Endless valid test BSNs: 8 digits plus the check digit that makes the eleven test hold."""
    n = start
    while True:
        digits = f"{n:08d}"
        total = sum(w * int(d) for w, d in zip(WEIGHTS, digits, strict=True))
        check = total % 11
        if check < 10:
            yield digits + str(check)
        n += 1


def bsn_list(count: int, start: int = 10_000_000) -> list[str]:
    found = []
    for bsn in valid_bsns(start):
        found.append(bsn)
        if len(found) == count:
            return found
    return found


def candidate_enrolled(bsn: str = "111222333", municipality: str = "0363") -> dict[str, Any]:
    return {
        "type": "nl.flextensie.candidate.enrolled.v1",
        "data": {
            "bsn": bsn,
            "municipality": municipality,
            "enrolled_on": "2026-12-01",
            "name": {"given_names": "Jan", "surname_prefix": "de", "surname": "Vries"},
            "birth_date": "1990-04-17",
            "iban": "NL91ABNA0417164300",
        },
    }


def placement_started(
    bsn: str = "111222333", kvk: str = "12345678", assignment: str = "A-1"
) -> dict[str, Any]:
    return {
        "type": "nl.flextensie.placement.started.v1",
        "data": {
            "bsn": bsn,
            "agency_kvk": kvk,
            "assignment_id": assignment,
            "client": {"name": "Bakkerij Brood & Zo", "kvk": "23456789"},
            "start_date": "2026-12-07",
            "hourly_rate": "14.40",
            "hours_per_week": "24",
        },
    }


def hours_reported(
    bsn: str = "111222333", kvk: str = "12345678", lines: int = 5, assignment: str = "A-1"
) -> dict[str, Any]:
    return {
        "type": "nl.flextensie.hours.reported.v1",
        "data": {
            "bsn": bsn,
            "agency_kvk": kvk,
            "assignment_id": assignment,
            "period": {"start": "2026-12-07", "end": "2026-12-13"},
            "lines": [
                {"kind": "regular", "day": f"2026-12-{7 + (i % 7):02d}", "hours": "4.00"}
                for i in range(lines)
            ],
        },
    }
