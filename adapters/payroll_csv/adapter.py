"""The payroll-CSV adapter: the streaming API the upload pipeline uses (:func:`read_rows`)
and the plain :class:`~adapters.base.Adapter` ``translate`` for small payloads."""

from __future__ import annotations

import io
from collections.abc import Iterator, Mapping
from typing import BinaryIO

from adapters.base import Draft, Issue, TranslationError
from adapters.payroll_csv.mapper import RowMapper, RowOutcome
from adapters.payroll_csv.profile import SHIPPED_PROFILES, AgencyProfile, load_profiles
from adapters.payroll_csv.reader import CsvFileError, CsvRows

__all__ = ["PayrollCsvAdapter", "read_rows"]


def read_rows(stream: BinaryIO, profile: AgencyProfile) -> Iterator[RowOutcome]:
    """Every data row of the export, mapped; raises :class:`CsvFileError` when the file as a
    whole is unreadable (encoding, broken quoting, header without the profile's columns)."""
    rows = CsvRows(stream, profile.csv)
    mapper: RowMapper | None = None
    for raw in rows:
        if mapper is None:
            mapper = RowMapper(profile, rows.header)
        yield mapper.map(raw)


class PayrollCsvAdapter:
    """``translate(payload, sender=...)`` picks the profile whose ``id`` or ``agency_kvk`` is
    the sender; the upload pipeline passes the profile explicitly to :func:`read_rows`."""

    name = "payroll-csv"

    def __init__(self, profiles: Mapping[str, AgencyProfile] | None = None) -> None:
        self._profiles = profiles

    @property
    def profiles(self) -> Mapping[str, AgencyProfile]:
        if self._profiles is None:
            self._profiles = load_profiles([SHIPPED_PROFILES])
        return self._profiles

    def profile_for(self, sender: str) -> AgencyProfile | None:
        found = self.profiles.get(sender)
        if found is not None:
            return found
        return next((p for p in self.profiles.values() if p.id == sender), None)

    def translate(self, payload: bytes, *, sender: str) -> list[Draft]:
        profile = self.profile_for(sender)
        if profile is None:
            raise TranslationError(
                [Issue("file", "no_profile", f"no CSV profile for {sender!r}")], code="no-profile"
            )
        drafts: list[Draft] = []
        issues: list[Issue] = []
        try:
            for outcome in read_rows(io.BytesIO(payload), profile):
                issues.extend(outcome.issues)
                if outcome.draft is not None:
                    drafts.append(outcome.draft)
        except CsvFileError as exc:
            raise TranslationError([*issues, exc.issue]) from None
        if issues:
            raise TranslationError(issues)
        return drafts
