"""The payroll-CSV adapter: the streaming API the upload pipeline uses (:func:`read_rows`)
and the plain :class:`~adapters.base.Adapter` ``translate`` for small payloads."""

from __future__ import annotations

import io
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import BinaryIO

from adapters.base import AdapterConfig, Draft, Issue, TranslationError
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

    def __init__(
        self,
        profiles: Mapping[str, AgencyProfile] | None = None,
        *,
        profiles_dir: Path | None = None,
    ) -> None:
        self._profiles = profiles
        self.profiles_dir = profiles_dir or SHIPPED_PROFILES

    def configured(self, config: AdapterConfig) -> PayrollCsvAdapter:
        """The adapter reading the deployment's profile directory (loaded on first use)."""
        return PayrollCsvAdapter(profiles_dir=config.payroll_profiles_dir)

    @property
    def profiles(self) -> Mapping[str, AgencyProfile]:
        """Raises :class:`~adapters.payroll_csv.profile.ProfileError` naming every broken
        profile of the directory."""
        if self._profiles is None:
            self._profiles = load_profiles([self.profiles_dir])
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
