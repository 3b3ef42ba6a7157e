"""Mapping profiles: how one agency's payroll export maps onto canonical fields.

One TOML file per agency (see docs/agencies.md). A profile names the agency (KvK), the CSV
dialect (separator, quoting, encoding, decimal comma, thousands separator, date format, header
row), which rows are placements, hours or payroll results, the loontijdvak, and for every
canonical field the column that carries it (by header name or by 1-based position).

Profiles are validated when the gateway starts: a broken profile stops start-up with a message
that names the file and the setting.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable, Mapping
from pathlib import Path
from types import MappingProxyType
from typing import Annotated, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from schemas.identifiers import KvkNummer

__all__ = [
    "SHIPPED_PROFILES",
    "AgencyProfile",
    "CanonicalField",
    "ColumnRef",
    "CorrectionSpec",
    "CsvDialect",
    "ProfileError",
    "RowKind",
    "RowKinds",
    "load_profile",
    "load_profiles",
]

#: The profiles shipped with the gateway (three example agencies, see docs/agencies.md).
SHIPPED_PROFILES = Path(__file__).parent / "profiles"

RowKind = Literal["placement", "hours", "payroll"]
Loontijdvak = Literal["week", "4-weken", "maand", "kwartaal"]
HourKind = Literal["regular", "overtime", "shift", "on_call", "leave", "sick", "holiday", "other"]
#: A column by its header name (matched without case and surrounding spaces) or 1-based position.
ColumnRef = Annotated[str, Field(min_length=1, max_length=100)] | Annotated[int, Field(ge=1)]

CanonicalField = Literal[
    # who and which placement
    "bsn",
    "employee_number",
    "assignment_id",
    # placement rows
    "client_name",
    "client_kvk",
    "start_date",
    "end_date",
    "hourly_rate",
    "hours_per_week",
    "job_title",
    "municipality",
    # periods (hours and payroll rows)
    "work_date",
    "period_start",
    "period_end",
    "period_year",
    "period_number",
    "loontijdvak",
    # hours rows
    "hours",
    "hour_kind",
    "multiplier",
    "rate",
    # payroll rows
    "gross",
    "wage_tax",
    "net",
    "loonheffingennummer",
    "iban",
]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class CsvDialect(_Strict):
    #: ``auto`` detects: a UTF-8 byte order mark, else UTF-8 when the whole file decodes as
    #: UTF-8, else Windows-1252. ``utf-8`` also accepts (and drops) a byte order mark.
    encoding: Literal["auto", "utf-8", "utf-8-sig", "windows-1252"] = "auto"
    delimiter: Annotated[str, Field(min_length=1, max_length=1)] = ";"
    quotechar: Annotated[str, Field(min_length=1, max_length=1)] = '"'
    #: Does the first (non-skipped) line hold column names?
    header: bool = True
    #: Lines before the header (titles, export banners) to ignore.
    skip_lines: Annotated[int, Field(ge=0, le=100)] = 0
    decimal: Literal[",", "."] = ","
    thousands: Literal["", ".", ",", " ", "'"] = ""
    #: strptime format of every date column, e.g. ``%d-%m-%Y`` (dd-mm-jjjj) or ``%Y-%m-%d``.
    date_format: Annotated[str, Field(min_length=2, max_length=20)] = "%d-%m-%Y"

    @model_validator(mode="after")
    def _separators_differ(self) -> Self:
        if self.thousands and self.thousands == self.decimal:
            raise ValueError("thousands and decimal separator must differ")
        if self.delimiter == self.quotechar:
            raise ValueError("delimiter and quotechar must differ")
        return self


class RowKinds(_Strict):
    """Either every row is of one kind (``fixed``), or a column tells (``column`` + values)."""

    fixed: RowKind | None = None
    column: ColumnRef | None = None
    placement: list[str] = []
    hours: list[str] = []
    payroll: list[str] = []
    #: Values of the kind column whose rows are skipped without a report (e.g. totals).
    ignore: list[str] = []

    @model_validator(mode="after")
    def _one_way(self) -> Self:
        if (self.fixed is None) == (self.column is None):
            raise ValueError("set either 'fixed' (one row kind) or 'column' (a kind column)")
        if self.column is not None and not (self.placement or self.hours or self.payroll):
            raise ValueError("with 'column', list the values of at least one row kind")
        seen: dict[str, str] = {}
        for kind in ("placement", "hours", "payroll", "ignore"):
            for value in getattr(self, kind):
                key = value.strip().casefold()
                if key in seen:
                    raise ValueError(f"value {value!r} is listed for {seen[key]} and {kind}")
                seen[key] = kind
        return self

    @property
    def produced(self) -> tuple[RowKind, ...]:
        if self.fixed is not None:
            return (self.fixed,)
        kinds: tuple[RowKind, ...] = ("placement", "hours", "payroll")
        return tuple(kind for kind in kinds if getattr(self, kind))

    def lookup(self) -> dict[str, RowKind | None]:
        """Kind-column value (casefolded) -> row kind, ``None`` for ignored values."""
        table: dict[str, RowKind | None] = {}
        for kind in self.produced:
            for value in getattr(self, kind):
                table[value.strip().casefold()] = kind
        for value in self.ignore:
            table[value.strip().casefold()] = None
        return table


class CorrectionSpec(_Strict):
    """A column that marks a row as an explicit correction of an earlier one. A profile
    without it allows no corrections: a changed row is then a conflict.

    ``mode``: ``replace`` (the marked row holds the new values of the row it corrects) or
    ``delta`` (its hours and amounts are signed differences, e.g. a credit line ``-8,00``,
    added to what was delivered for the same row before). Either way the gateway publishes
    the row's new complete values, superseding the earlier message (docs/uploads.md).
    Negative hours or gross amounts are refused in every other row.
    """

    column: ColumnRef
    values: Annotated[list[str], Field(min_length=1)]
    mode: Literal["replace", "delta"] = "replace"


#: What each row kind needs besides a period; checked when the profile loads.
_REQUIRED: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {
        "placement": ("bsn", "assignment_id", "client_name", "start_date"),
        "hours": ("bsn", "assignment_id", "hours"),
        "payroll": ("bsn", "gross"),
    }
)


class AgencyProfile(_Strict):
    id: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9._-]{1,62}$")]
    name: Annotated[str, Field(min_length=1, max_length=200)]
    agency_kvk: KvkNummer
    description: str = ""
    #: ``all-or-nothing``: one bad row rejects the file. ``accept-valid``: valid rows are
    #: published, bad rows are reported (state ``partially_accepted``).
    policy: Literal["all-or-nothing", "accept-valid"] = "all-or-nothing"
    #: The loontijdvak of every period in the file, unless a ``loontijdvak`` column says.
    loontijdvak: Loontijdvak | None = None
    #: Hours and payroll rows must name a placement the gateway knows (from this file or an
    #: earlier accepted upload); otherwise the period-inside-placement check is skipped.
    require_placement: bool = False
    csv: CsvDialect = CsvDialect()
    kinds: RowKinds
    correction: CorrectionSpec | None = None
    #: The agency's own hour-type codes -> canonical hour kind. Empty: the column must carry
    #: canonical names (regular, overtime, ...).
    hour_kinds: dict[str, HourKind] = {}
    columns: dict[CanonicalField, ColumnRef]

    @model_validator(mode="after")
    def _complete(self) -> Self:
        mapped = set(self.columns)
        for kind in self.kinds.produced:
            missing = [f for f in _REQUIRED[kind] if f not in mapped]
            if missing:
                raise ValueError(f"row kind {kind!r} needs columns for: {', '.join(missing)}")
            if kind in ("hours", "payroll") and not _has_period(mapped, kind):
                raise ValueError(
                    f"row kind {kind!r} needs a period: map work_date (hours only), "
                    "period_start + period_end, or period_year + period_number"
                )
            if kind == "payroll" and "loontijdvak" not in mapped and self.loontijdvak is None:
                raise ValueError("payroll rows need a loontijdvak: set it or map its column")
        if "period_number" in mapped and "loontijdvak" not in mapped and self.loontijdvak is None:
            raise ValueError("period_number needs a loontijdvak: set it or map its column")
        refs = [*self.columns.values()]
        if self.kinds.column is not None:
            refs.append(self.kinds.column)
        if self.correction is not None:
            refs.append(self.correction.column)
        if not self.csv.header:
            named = [r for r in refs if isinstance(r, str)]
            if named:
                raise ValueError(
                    f"without a header row, columns are positions (1, 2, ...); got {named}"
                )
        return self


def _has_period(mapped: set[CanonicalField], kind: str) -> bool:
    if kind == "hours" and "work_date" in mapped:
        return True
    if {"period_start", "period_end"} <= mapped:
        return True
    if kind == "payroll" and "period_start" in mapped:
        return True  # the number is derived from the start date and the loontijdvak
    return {"period_year", "period_number"} <= mapped


class ProfileError(ValueError):
    """A profile file is missing, unreadable or invalid; the message says where and why."""


def load_profile(path: Path) -> AgencyProfile:
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ProfileError(f"profile {path} does not exist") from None
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ProfileError(f"profile {path} is not valid TOML: {exc}") from None
    try:
        return AgencyProfile.model_validate(raw)
    except ValidationError as exc:
        lines = [
            f"  {'.'.join(map(str, e['loc'])) or '(profile)'}: {_clean(e['msg'])}"
            for e in exc.errors(include_input=False, include_url=False)
        ]
        raise ProfileError(f"profile {path} is invalid:\n" + "\n".join(lines)) from None


def load_profiles(directories: Iterable[Path]) -> Mapping[str, AgencyProfile]:
    """Every ``*.toml`` profile in the directories, by agency KvK number. Two profiles for one
    agency, or two with one id, are an error."""
    by_kvk: dict[str, AgencyProfile] = {}
    ids: dict[str, Path] = {}
    errors: list[str] = []
    for directory in directories:
        if not directory.is_dir():
            errors.append(f"profile directory {directory} does not exist")
            continue
        for path in sorted(directory.glob("*.toml")):
            try:
                profile = load_profile(path)
            except ProfileError as exc:
                errors.append(str(exc))
                continue
            if profile.id in ids:
                errors.append(
                    f"profile {path}: id {profile.id!r} is also used by {ids[profile.id]}"
                )
                continue
            if profile.agency_kvk in by_kvk:
                errors.append(
                    f"profile {path}: agency {profile.agency_kvk} already has profile "
                    f"{by_kvk[profile.agency_kvk].id!r}"
                )
                continue
            ids[profile.id] = path
            by_kvk[profile.agency_kvk] = profile
    if errors:
        raise ProfileError("\n".join(errors))
    return MappingProxyType(by_kvk)


def _clean(message: str) -> str:
    return message.removeprefix("Value error, ")
