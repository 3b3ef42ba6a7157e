"""One CSV row -> one canonical draft, by the profile: placement rows become
``placement.started``, hours rows ``hours.reported``, payroll rows ``earnings.reported``.

Every problem of a row is reported (not only the first), each with the column as the agency
named it, the value as received (BSN masked) and a stable code. The business key of the row
(kind, person, placement, period) is returned so the gateway can spot duplicates and conflicts.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ValidationError

from adapters.base import Draft, Issue
from adapters.payroll_csv.periods import (
    matching_loontijdvak,
    normalise_loontijdvak,
    period_dates,
    period_number,
)
from adapters.payroll_csv.profile import AgencyProfile, ColumnRef, RowKind
from adapters.payroll_csv.reader import CsvFileError, RawRow
from adapters.payroll_csv.values import BadValue, date_parser, decimal_parser, parse_int
from schemas.envelope import CloudEvent
from schemas.identifiers import mask_bsn
from schemas.payroll import EarningsReported, EarningsReportedData, HoursReported, HoursReportedData
from schemas.placement import PlacementStarted, PlacementStartedData

__all__ = ["SIGNED_FIELDS", "RowMapper", "RowOutcome", "mask_value"]

#: Per row kind, the canonical fields a ``delta`` correction row carries as signed differences.
SIGNED_FIELDS: Mapping[str, tuple[str, ...]] = {
    "hours": ("hours",),
    "payroll": ("hours", "gross", "wage_tax", "net"),
}

_CANONICAL_HOUR_KINDS = frozenset(
    {"regular", "overtime", "shift", "on_call", "leave", "sick", "holiday", "other"}
)
_EVENTS: Mapping[str, tuple[type[CloudEvent], type[BaseModel]]] = {
    "placement": (PlacementStarted, PlacementStartedData),
    "hours": (HoursReported, HoursReportedData),
    "payroll": (EarningsReported, EarningsReportedData),
}


@dataclass(slots=True)
class RowOutcome:
    line: int
    row: int
    #: None: a row the profile says to ignore (totals, comments).
    kind: RowKind | None
    draft: Draft | None
    issues: list[Issue]
    #: Business key without the agency: (kind, bsn, placement, period[, hour kind]).
    key: tuple[str, ...] | None = None
    correction: bool = False
    #: A ``delta`` correction row: its signed hours and amounts (the draft holds their
    #: absolute values); the gateway adds them to the earlier row of the same key.
    delta: dict[str, Decimal] | None = None
    #: Canonical field -> column label (the mapper's, shared by all its rows).
    columns: Mapping[str, str] = dataclasses.field(default_factory=dict)
    #: (employee number, BSN) when the row carries both and both are valid.
    worker: tuple[str, str] | None = None


def _refused(raw: RawRow, issue: Issue) -> RowOutcome:
    """A row that cannot be read at all: no kind, no draft, one issue."""
    return RowOutcome(raw.line, raw.row, None, None, [issue])


def mask_value(field: str, value: str) -> str:
    """The value as the report may show it: a BSN (or the RSIN in a loonheffingennummer)
    keeps only its last three digits."""
    if field == "bsn":
        return mask_bsn(value.strip())
    if field == "loonheffingennummer":
        text = value.strip()
        return mask_bsn(text[:9]) + text[9:] if len(text) >= 9 else mask_bsn(text)
    return value


class RowMapper:
    """Compiled once per file (after the header is known); ``map(row)`` per row."""

    def __init__(self, profile: AgencyProfile, header: Sequence[str] | None) -> None:
        self.profile = profile
        self._labels: dict[str, str] = {}
        self._index: dict[str, int] = {}
        missing: list[str] = []
        for field, ref in profile.columns.items():
            index = _resolve(ref, header)
            if index is None:
                missing.append(f"{ref!r} ({field})")
                continue
            self._index[field] = index
            self._labels[field] = _label(ref, header, index)
        self._kind_index = _resolve(profile.kinds.column, header) if profile.kinds.column else None
        if profile.kinds.column is not None and self._kind_index is None:
            missing.append(f"{profile.kinds.column!r} (row kind)")
        self._correction_index: int | None = None
        self._correction_values: frozenset[str] = frozenset()
        self._delta = profile.correction is not None and profile.correction.mode == "delta"
        if profile.correction is not None:
            self._correction_index = _resolve(profile.correction.column, header)
            if self._correction_index is None:
                missing.append(f"{profile.correction.column!r} (correction)")
            self._correction_values = frozenset(
                v.strip().casefold() for v in profile.correction.values
            )
        if missing:
            raise CsvFileError(
                Issue(
                    where="line 1" if header is not None else "file",
                    code="missing_column",
                    message="the header lacks column(s) of profile "
                    f"{profile.id!r}: {', '.join(missing)}",
                )
            )
        self._kind_label = (
            _label(profile.kinds.column, header, self._kind_index)
            if profile.kinds.column is not None and self._kind_index is not None
            else ""
        )
        self._kinds = profile.kinds.lookup()
        self._hour_kinds = {k.strip().casefold(): v for k, v in profile.hour_kinds.items()}
        dialect = profile.csv
        self._amount = decimal_parser(dialect.decimal, dialect.thousands, places=2)
        self._percent = decimal_parser(dialect.decimal, dialect.thousands, places=2)
        self._date = date_parser(dialect.date_format)
        self._kvk = profile.agency_kvk
        used = [*self._index.values()]
        if self._kind_index is not None:
            used.append(self._kind_index)
        if self._correction_index is not None:
            used.append(self._correction_index)
        self._width = max(used) + 1 if used else 0
        self._period_fields = tuple(
            f
            for f in ("period_start", "period_end", "period_year", "period_number")
            if f in self._index
        )
        self._builders: Mapping[str, Callable[[_Row], dict[str, Any] | None]] = {
            "placement": self._placement,
            "hours": self._hours,
            "payroll": self._payroll,
        }

    @property
    def labels(self) -> Mapping[str, str]:
        return self._labels

    # --- the row ---------------------------------------------------------------------------
    def map(self, raw: RawRow) -> RowOutcome:
        fields = raw.fields
        where = f"line {raw.line}"
        if raw.issue is not None:
            return _refused(raw, raw.issue)
        if len(fields) < self._width:
            return _refused(
                raw,
                Issue(
                    where,
                    "row_too_short",
                    f"the row has {len(fields)} fields; this profile reads up to column "
                    f"{self._width}",
                    field=f"column {len(fields) + 1}",
                ),
            )
        kind = self.profile.kinds.fixed
        if self._kind_index is not None:
            text = fields[self._kind_index].strip()
            folded = text.casefold()
            if folded not in self._kinds:
                allowed = [
                    value
                    for kind in self.profile.kinds.produced
                    for value in getattr(self.profile.kinds, kind)
                ]
                return _refused(
                    raw,
                    Issue(
                        where,
                        "unknown_row_kind",
                        f"row kind {text!r} is not one of {', '.join(allowed)}",
                        field=self._kind_label,
                        value=text,
                    ),
                )
            kind = self._kinds[folded]
            if kind is None:
                return RowOutcome(raw.line, raw.row, None, None, [])
        assert kind is not None
        correction = (
            self._correction_index is not None
            and fields[self._correction_index].strip().casefold() in self._correction_values
        )
        row = _Row(fields, self._index, self._labels, where)
        row.signed = correction and self._delta and kind in SIGNED_FIELDS
        values = self._builders[kind](row)
        outcome = RowOutcome(
            raw.line, raw.row, kind, None, row.issues, correction=correction, columns=self._labels
        )
        employee = row.text("employee_number")
        if values is None or row.issues:
            return outcome
        if row.signed:
            outcome.delta = _take_signs(kind, values)
        event, model = _EVENTS[kind]
        try:
            data = model.model_validate(values)
        except ValidationError as exc:
            outcome.issues.extend(self._from_validation(kind, exc, row))
            return outcome
        outcome.draft = Draft(event=event, data=data, origin=where)
        outcome.key = _key(kind, data)
        if employee:
            outcome.worker = (employee, data.bsn)  # type: ignore[attr-defined]
        return outcome

    # --- per kind --------------------------------------------------------------------------
    def _placement(self, row: _Row) -> dict[str, Any] | None:
        start = row.convert("start_date", self._date, required=True)
        end = row.convert("end_date", self._date)
        if isinstance(start, date) and isinstance(end, date) and end < start:
            row.problem("end_date", "end_before_start", "the end date lies before the start date")
        client: dict[str, Any] = {"name": row.require("client_name")}
        kvk = row.text("client_kvk")
        if kvk:
            client["kvk"] = kvk
        values: dict[str, Any] = {
            "bsn": row.require("bsn"),
            "agency_kvk": self._kvk,
            "assignment_id": row.require("assignment_id"),
            "client": client,
            "start_date": start,
        }
        _put(values, "end_date", end)
        _put(values, "municipality", row.text("municipality") or None)
        _put(values, "hourly_rate", row.convert("hourly_rate", self._amount))
        hours_per_week = row.convert("hours_per_week", self._amount)
        if isinstance(hours_per_week, Decimal) and not 0 <= hours_per_week <= 60:
            row.problem("hours_per_week", "hours_out_of_range", "hours per week lie outside 0-60")
        _put(values, "hours_per_week", hours_per_week)
        _put(values, "job_title", row.text("job_title") or None)
        return values

    def _period(self, row: _Row, *, derive_number: bool) -> tuple[Any, ...] | None:
        """(start, end, loontijdvak, year, number) from the columns the profile maps.

        The loontijdvak is the row's own (column), else the one whose period the dates cover
        exactly, else the profile's. The dates must lie inside one period of it, and a given
        period number must be that period (periods.py has the calendar)."""
        loontijdvak: str | None = None
        if "loontijdvak" in self._index and row.text("loontijdvak"):
            given = row.convert("loontijdvak", normalise_loontijdvak)
            if not isinstance(given, str):
                return None
            loontijdvak = given
        elif "loontijdvak" in self._index and self.profile.loontijdvak is None:
            row.issues.append(row.missing("loontijdvak"))
            return None
        start = row.convert("period_start", self._date)
        end = row.convert("period_end", self._date)
        year = row.convert("period_year", parse_int)
        number = row.convert("period_number", parse_int)
        if isinstance(start, date) and isinstance(end, date) and end < start:
            row.problem("period_end", "period_end_before_start", "the period ends before it starts")
            return None
        if loontijdvak is None and isinstance(start, date) and isinstance(end, date):
            loontijdvak = matching_loontijdvak(start, end)
        if loontijdvak is None:
            loontijdvak = self.profile.loontijdvak
        if start is None and isinstance(year, int) and isinstance(number, int):
            if loontijdvak is None:
                return None
            try:
                start, end = period_dates(loontijdvak, year, number)
            except BadValue as exc:
                row.problem("period_number", exc.code, exc.message)
                return None
            return start, end, loontijdvak, year, number
        if not isinstance(start, date) or loontijdvak is None:
            return start, end, loontijdvak, year, number
        own_year, own_number = period_number(loontijdvak, start)
        period_start, period_end = period_dates(loontijdvak, own_year, own_number)
        if end is None:
            end = period_end
        elif end > period_end:
            row.problem(
                "period_end",
                "period_crosses_boundary",
                f"{start}..{end} does not lie inside one {loontijdvak} period "
                f"({own_year}/{own_number} is {period_start}..{period_end})",
            )
            return None
        given_year = year if isinstance(year, int) else own_year
        if (isinstance(number, int) and number != own_number) or given_year != own_year:
            row.problem(
                "period_number",
                "period_mismatch",
                f"{loontijdvak} {given_year}/{number} does not hold {start}..{end}: "
                f"those dates lie in {own_year}/{own_number} ({period_start}..{period_end})",
            )
            return None
        if derive_number or year is not None or number is not None:
            year, number = own_year, own_number
        return start, end, loontijdvak, year, number

    def _hours(self, row: _Row) -> dict[str, Any] | None:
        day = row.convert("work_date", self._date)
        # Rows of a mixed export leave the payroll period columns empty: skip them then.
        given = any(row.text(f) for f in self._period_fields)
        period = self._period(row, derive_number=False) if given else None
        start, end = (period[0], period[1]) if period else (None, None)
        if isinstance(day, date):
            if start is None:
                start = end = day
            elif isinstance(end, date) and not start <= day <= end:
                row.problem("work_date", "day_outside_period", "the day lies outside the period")
        elif start is None and not row.issues:
            field = "work_date" if "work_date" in self._index else "period_start"
            row.problem(field, "missing", "the row has no day and no period")
        hours = row.convert("hours", self._amount, required=True)
        if isinstance(day, date):
            row.hours_bound(hours, day, day)
        elif isinstance(start, date) and isinstance(end, date):
            row.hours_bound(hours, start, end)
        kind, source = self._hour_kind(row)
        line: dict[str, Any] = {"kind": kind, "hours": hours}
        _put(line, "day", day)
        _put(line, "source_type", source)
        _put(line, "multiplier_percent", row.convert("multiplier", self._percent))
        _put(line, "rate", row.convert("rate", self._amount))
        return {
            "bsn": row.require("bsn"),
            "agency_kvk": self._kvk,
            "assignment_id": row.require("assignment_id"),
            "period": {"start": start, "end": end},
            "lines": [line],
            "allowances": [],  # given, so pydantic need not deep-copy the default
        }

    def _payroll(self, row: _Row) -> dict[str, Any] | None:
        period = self._period(row, derive_number=True)
        pay_period: dict[str, Any] | None = None
        if period is not None:
            start, end, loontijdvak, year, number = period
            pay_period = {"loontijdvak": loontijdvak, "year": year, "number": number}
            if isinstance(start, date) and isinstance(end, date):
                pay_period["period"] = {"start": start, "end": end}
            if year is None or number is None:
                field = "period_start" if "period_start" in self._index else "period_number"
                if not row.issues:
                    row.problem(field, "missing", "the row has no period")
        values: dict[str, Any] = {
            "bsn": row.require("bsn"),
            "agency_kvk": self._kvk,
            "pay_period": pay_period,
            "gross": row.convert("gross", self._amount, required=True),
        }
        _put(values, "assignment_id", row.text("assignment_id") or None)
        _put(values, "employee_number", row.text("employee_number") or None)
        _put(values, "loonheffingennummer", row.text("loonheffingennummer") or None)
        _put(values, "iban", row.text("iban") or None)
        hours = row.convert("hours", self._amount)
        if period is not None and isinstance(period[0], date) and isinstance(period[1], date):
            row.hours_bound(hours, period[0], period[1])
        elif isinstance(hours, Decimal) and hours < 0 and not row.signed:
            row.negative("hours")
        gross = values["gross"]
        if isinstance(gross, Decimal) and gross < 0 and not row.signed:
            row.negative("gross")
        _put(values, "hours", hours)
        _put(values, "wage_tax", row.convert("wage_tax", self._amount))
        _put(values, "net", row.convert("net", self._amount))
        return values

    def _hour_kind(self, row: _Row) -> tuple[str, str | None]:
        text = row.text("hour_kind")
        if not text:
            return "regular", None
        folded = text.casefold()
        if self._hour_kinds:
            kind = self._hour_kinds.get(folded)
            if kind is None:
                row.problem(
                    "hour_kind",
                    "unknown_hour_kind",
                    f"hour type {text!r} is not in the profile's list: "
                    + ", ".join(sorted(self.profile.hour_kinds)),
                )
                return "regular", text
            return kind, text
        if folded not in _CANONICAL_HOUR_KINDS:
            row.problem(
                "hour_kind",
                "unknown_hour_kind",
                f"hour type {text!r} is not one of {', '.join(sorted(_CANONICAL_HOUR_KINDS))}",
            )
            return "regular", None
        return folded, None

    # --- pydantic errors -> issues -------------------------------------------------------
    def _from_validation(self, kind: str, error: ValidationError, row: _Row) -> list[Issue]:
        issues = []
        for err in error.errors(include_input=False, include_url=False):
            loc = tuple(0 if isinstance(p, int) else p for p in err["loc"])
            field = _field_for(kind, loc)
            code = _code_for(str(err["type"]), field)
            message = str(err["msg"]).removeprefix("Value error, ")
            issues.append(row.issue(field, code, message))
        return issues


class _Row:
    """The fields of one row and the issues found so far; knows each field's column label."""

    __slots__ = ("fields", "index", "issues", "labels", "signed", "where")

    def __init__(
        self, fields: list[str], index: Mapping[str, int], labels: Mapping[str, str], where: str
    ) -> None:
        self.fields = fields
        self.index = index
        self.labels = labels
        self.where = where
        self.issues: list[Issue] = []
        #: A ``delta`` correction row: its hours and amounts may be negative.
        self.signed = False

    def text(self, field: str) -> str:
        position = self.index.get(field)
        return self.fields[position].strip() if position is not None else ""

    def require(self, field: str) -> str | None:
        value = self.text(field)
        if not value:
            self.issues.append(self.missing(field))
            return None
        return value

    def missing(self, field: str) -> Issue:
        label = self.labels.get(field, field)
        return self.issue(field, "missing", f"{label!r} ({field}) is required")

    def convert(self, field: str, parse: Callable[[str], Any], *, required: bool = False) -> Any:
        value = self.text(field)
        if not value:
            if required:
                self.issues.append(self.missing(field))
            return None
        try:
            return parse(value)
        except BadValue as exc:
            self.issues.append(self.issue(field, exc.code, exc.message))
            return None

    def problem(self, field: str, code: str, message: str) -> None:
        self.issues.append(self.issue(field, code, message))

    def negative(self, field: str) -> None:
        # Negative hours kept their old code (codes are stable); amounts have their own.
        self.problem(
            field,
            "hours_out_of_range" if field == "hours" else "negative_value",
            "a negative value is allowed only in a correction row of a profile whose "
            '[correction] mode is "delta"',
        )

    def hours_bound(self, hours: object, start: date, end: date) -> None:
        """0-24 hours per day of the row's own dates; a delta row's size counts."""
        if not isinstance(hours, Decimal):
            return
        if hours < 0 and not self.signed:
            self.negative("hours")
            return
        days = (end - start).days + 1
        if abs(hours) > 24 * days:
            self.problem(
                "hours",
                "hours_out_of_range",
                f"{hours} hours is not plausible for {days} day(s) ({start}..{end}): "
                "at most 24 per day",
            )

    def issue(self, field: str | None, code: str, message: str) -> Issue:
        label = self.labels.get(field, field) if field else None
        raw = self.text(field) if field else ""
        return Issue(
            where=self.where,
            code=code,
            message=message,
            field=label,
            value=mask_value(field, raw) if field else None,
        )


def _put(target: dict[str, Any], name: str, value: Any) -> None:
    if value is not None:
        target[name] = value


def _resolve(ref: ColumnRef | None, header: Sequence[str] | None) -> int | None:
    if ref is None:
        return None
    if isinstance(ref, int):
        return ref - 1
    if header is None:
        return None
    wanted = ref.strip().casefold()
    for position, name in enumerate(header):
        if name.strip().casefold() == wanted:
            return position
    return None


def _label(ref: ColumnRef, header: Sequence[str] | None, index: int) -> str:
    if header is not None and index < len(header):
        return header[index]
    return str(ref) if isinstance(ref, str) else f"column {ref}"


def _take_signs(kind: str, values: dict[str, Any]) -> dict[str, Decimal]:
    """The signed hours and amounts of a delta row; ``values`` keeps their absolute values,
    so the draft passes the model's checks (hours are never negative on Kafka)."""
    target = values["lines"][0] if kind == "hours" else values
    signed: dict[str, Decimal] = {}
    for name in SIGNED_FIELDS[kind]:
        value = target.get(name)
        if isinstance(value, Decimal):
            signed[name] = value
            target[name] = abs(value)
    return signed


def _key(kind: str, data: Any) -> tuple[str, ...]:
    if kind == "placement":
        return ("placement", data.bsn, data.assignment_id, "")
    if kind == "hours":
        line = data.lines[0]
        period = f"{line.day}" if line.day else f"{data.period.start}..{data.period.end}"
        return ("hours", data.bsn, data.assignment_id, period, line.kind)
    pay = data.pay_period
    # The row's own dates belong to its key: daily payroll rows of one week are not conflicts.
    dates = f":{pay.period.start}..{pay.period.end}" if pay.period is not None else ""
    return (
        "payroll",
        data.bsn,
        data.assignment_id or data.employee_number or "",
        f"{pay.loontijdvak}:{pay.year}:{pay.number}{dates}",
    )


#: pydantic location (list indexes as 0) -> canonical field, per row kind.
_LOCATIONS: Mapping[str, Mapping[tuple[Any, ...], str]] = {
    "placement": {
        (): "end_date",
        ("client",): "client_name",
        ("client", "name"): "client_name",
        ("client", "kvk"): "client_kvk",
    },
    "hours": {
        (): "work_date",
        ("period",): "period_end",
        ("period", "start"): "period_start",
        ("period", "end"): "period_end",
        ("lines",): "hours",
        ("lines", 0): "hours",
        ("lines", 0, "hours"): "hours",
        ("lines", 0, "day"): "work_date",
        ("lines", 0, "kind"): "hour_kind",
        ("lines", 0, "multiplier_percent"): "multiplier",
        ("lines", 0, "rate"): "rate",
        ("lines", 0, "source_type"): "hour_kind",
    },
    "payroll": {
        ("pay_period",): "period_number",
        ("pay_period", "loontijdvak"): "loontijdvak",
        ("pay_period", "year"): "period_year",
        ("pay_period", "number"): "period_number",
        ("pay_period", "period"): "period_end",
        ("pay_period", "period", "start"): "period_start",
        ("pay_period", "period", "end"): "period_end",
    },
}

_CODES: Mapping[str, str] = {
    "string_too_long": "string_too_long",
    "less_than_equal": "out_of_range",
    "less_than": "out_of_range",
    "greater_than_equal": "out_of_range",
    "greater_than": "out_of_range",
    "decimal_max_places": "too_many_decimals",
    "decimal_max_digits": "out_of_range",
    "decimal_whole_digits": "out_of_range",
}


def _field_for(kind: str, loc: tuple[Any, ...]) -> str | None:
    table = _LOCATIONS[kind]
    if loc in table:
        return table[loc]
    if len(loc) == 1 and isinstance(loc[0], str):
        return loc[0]
    for length in range(len(loc) - 1, -1, -1):
        if loc[:length] in table:
            return table[loc[:length]]
    return None


def _code_for(pydantic_type: str, field: str | None) -> str:
    if pydantic_type == "string_pattern_mismatch":
        if field in ("client_kvk",):
            return "invalid_kvk"
        if field == "municipality":
            return "invalid_gemeentecode"
        return "invalid_value"
    if pydantic_type == "missing":
        return "missing"
    return _CODES.get(pydantic_type, pydantic_type)
