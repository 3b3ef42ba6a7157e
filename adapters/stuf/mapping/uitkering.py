"""uitkeringLk01 -> benefit.status-changed.

T: the benefit as registered. W, C, F: only the fields that really changed, plus ``status`` and
``effective_date`` (always needed) and what the status needs (an end date when ended, a
suspension period when suspended). V: the benefit ends (``datumEinde`` required).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from adapters.base import Draft
from adapters.stuf.mapping.common import known, optional_date, required_date
from adapters.stuf.mapping.context import MappingContext
from adapters.stuf.mapping.fields import (
    Change,
    FieldSpec,
    Issues,
    ObjectView,
    by_mutation,
    changes,
    clean,
    initial_values,
    one_draft,
    read_date_part,
    read_group,
)
from adapters.stuf.values import UNKNOWN, Marker, StufValueError
from schemas.benefit import BenefitStatusChanged, BenefitStatusChangedData
from schemas.common import Period

__all__ = ["KINDS", "SPECS", "STATUSES", "uitkering_drafts"]

KINDS = {"PW": "participatiewet", "IOAW": "ioaw", "IOAZ": "ioaz", "ANW": "anw", "OVR": "other"}
STATUSES = {"lopend": "active", "opgeschort": "suspended", "beeindigd": "ended"}


def _coded(part: str, table: Mapping[str, str]) -> Any:
    def build(values: Mapping[str, Any]) -> Any:
        value = values[part]
        if value is None or value is UNKNOWN:
            return value
        return table[value]

    return build


def _period(values: Mapping[str, Any]) -> Period | Marker | None:
    group = values["opschorting"]
    if group is None or group is UNKNOWN:
        return group  # type: ignore[no-any-return, return-value, unused-ignore]
    start, end = known(group["datumBegin"]), known(group["datumEinde"])
    if start is None and end is None:
        return None
    return Period(
        start=required_date(start, "opschorting/datumBegin"),
        end=required_date(end, "opschorting/datumEinde"),
    )


SPECS = (
    FieldSpec("benefit_kind", ("soortUitkering",), _coded("soortUitkering", KINDS)),
    FieldSpec("status", ("status",), _coded("status", STATUSES)),
    FieldSpec(
        "benefit_start",
        ("datumIngang",),
        lambda v: optional_date(v["datumIngang"]),
        read_date_part,
    ),
    FieldSpec(
        "benefit_end", ("datumEinde",), lambda v: optional_date(v["datumEinde"]), read_date_part
    ),
    FieldSpec(
        "suspension",
        ("opschorting",),
        _period,
        read_group(("datumBegin", read_date_part), ("datumEinde", read_date_part)),
    ),
)
_BY_NAME = {spec.name: spec for spec in SPECS}
_ELEMENTS = {spec.name: spec.parts[0] for spec in SPECS}


def uitkering_drafts(objects: list[ObjectView], ctx: MappingContext, issues: Issues) -> list[Draft]:
    return by_mutation(objects, ctx, issues, added=_registered, removed=_removed, changed=_changed)


def _identity(view: ObjectView) -> dict[str, Any]:
    return {"bsn": known(view.text("inp.bsn")), "municipality": known(view.text("gemeentecode"))}


def _effective(view: ObjectView) -> Any:
    if view.present("datumStatus"):
        return required_date(view.date("datumStatus"), "datumStatus")
    begin = view.geldigheid()[0]
    if begin is None:
        raise StufValueError(
            "say from when this applies: datumStatus or StUF:tijdvakGeldigheid/beginGeldigheid"
        )
    return begin


def _draft(
    data: dict[str, Any], view: ObjectView, ctx: MappingContext, issues: Issues
) -> list[Draft]:
    return one_draft(
        BenefitStatusChanged,
        lambda: BenefitStatusChangedData(**_identity(view), **data),
        view,
        ctx,
        issues,
    )


def _registered(view: ObjectView, ctx: MappingContext, issues: Issues) -> list[Draft]:
    values = initial_values(SPECS, view, issues)
    try:
        effective = _effective(view)
    except StufValueError as exc:
        issues.add(view.where, "invalid-value", str(exc), "effective_date")
        return []
    if "status" not in values:
        issues.add(view.where, "missing", "status is required for a new uitkering", "status")
    if issues:
        return []
    return _draft({**values, "effective_date": effective}, view, ctx, issues)


def _removed(view: ObjectView, ctx: MappingContext, issues: Issues) -> list[Draft]:
    try:
        end = required_date(view.date("datumEinde"), "datumEinde")
        effective = (
            required_date(view.date("datumStatus"), "datumStatus")
            if view.present("datumStatus")
            else end
        )
    except StufValueError as exc:
        issues.add(view.where, "invalid-value", str(exc), "benefit_end")
        return []
    values = initial_values(SPECS, view, issues)
    values.update(status="ended", benefit_end=end, effective_date=effective)
    return _draft(values, view, ctx, issues)


def _current(name: str, old: ObjectView, new: ObjectView) -> Any:
    """A field's value after the mutation: the new object's if it gives it, else the old one's."""
    spec = _BY_NAME[name]
    source = new if any(new.present(p) for p in spec.parts) else old
    value = spec.build({p: clean(spec.read(source, p)) for p in spec.parts})
    return None if value is UNKNOWN else value


def _changed(old: ObjectView, new: ObjectView, ctx: MappingContext, issues: Issues) -> list[Draft]:
    found: list[Change] = changes(SPECS, old, new, issues)
    for change in found:
        # benefit.status-changed has no "unknown" and clears only an end or a suspension:
        # anything else is refused by name rather than dropped.
        if change.value is UNKNOWN:
            issues.add(
                new.where,
                "not-carried",
                f"{_ELEMENTS[change.name]}: an uitkering field cannot become unknown "
                "(waardeOnbekend); send its value, or geenWaarde where it may be emptied",
                change.name,
            )
        elif change.value is None and change.name not in _CLEARABLE | {"status"}:
            issues.add(
                new.where,
                "not-carried",
                f"{_ELEMENTS[change.name]}: an uitkering cannot lose this value (geenWaarde); "
                "only datumEinde and opschorting may be emptied",
                change.name,
            )
    if issues:
        return []
    if not found:
        ctx.notes.append("nothing to publish: old and new agree on every field of the uitkering")
        return []
    data: dict[str, Any] = {c.name: c.value for c in found if c.value is not None}
    try:
        data["effective_date"] = _effective(new)
        for name in ("status", "benefit_kind"):
            data.setdefault(name, _current(name, old, new))
        if data["status"] is None:
            raise StufValueError("status is unknown: give it in the old or the new object")
        needed = {"ended": "benefit_end", "suspended": "suspension"}.get(data["status"])
        if needed and needed not in data:
            data[needed] = _current(needed, old, new)
    except StufValueError as exc:
        issues.add(new.where, "invalid-value", str(exc))
        return []
    if data["benefit_kind"] is None:
        del data["benefit_kind"]
    data["cleared"] = [c.name for c in found if c.value is None and c.name in _CLEARABLE]
    return _draft(data, new, ctx, issues)


_CLEARABLE = frozenset({"benefit_end", "suspension"})
