"""plaatsingLk01 -> placement.started (T), placement.changed (W, C, F), placement.ended (V)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from adapters.base import Draft
from adapters.stuf.mapping.common import (
    known,
    optional_date,
    optional_decimal,
    required_date,
    single,
)
from adapters.stuf.mapping.context import MappingContext
from adapters.stuf.mapping.fields import (
    FieldSpec,
    Issues,
    ObjectView,
    by_mutation,
    change_draft,
    changes,
    initial_values,
    one_draft,
    read_date_part,
    read_group,
    read_text,
)
from adapters.stuf.values import UNKNOWN, Marker, StufValueError
from schemas.placement import (
    Client,
    PlacementChanged,
    PlacementChangedData,
    PlacementEnded,
    PlacementEndedData,
    PlacementStarted,
    PlacementStartedData,
)

__all__ = ["END_REASONS", "SPECS", "plaatsing_drafts"]

END_REASONS = {
    "afgerond": "completed",
    "regulierWerk": "regular_employment",
    "doorKandidaat": "ended_by_candidate",
    "doorInlener": "ended_by_client",
    "overig": "other",
}


def _client(values: Mapping[str, Any]) -> Client | Marker | None:
    group = values["inlener"]
    if group is None or group is UNKNOWN:
        return group  # type: ignore[no-any-return, return-value, unused-ignore]
    name, kvk = known(group["naam"]), known(group["kvkNummer"])
    if name is None and kvk is None:
        return None
    return Client(name=name, kvk=kvk)


def _decimal(part: str) -> Any:
    def build(values: Mapping[str, Any]) -> Any:
        value = values[part]
        return UNKNOWN if value is UNKNOWN else optional_decimal(value)

    return build


SPECS = (
    FieldSpec(
        "client",
        ("inlener",),
        _client,
        read_group(("naam", read_text), ("kvkNummer", read_text)),
    ),
    FieldSpec(
        "end_date", ("datumEinde",), lambda v: optional_date(v["datumEinde"]), read_date_part
    ),
    FieldSpec("hourly_rate", ("uurtarief",), _decimal("uurtarief")),
    FieldSpec("hours_per_week", ("urenPerWeek",), _decimal("urenPerWeek")),
    FieldSpec("job_title", ("functienaam",), single("functienaam")),
)
_START = FieldSpec(
    "start_date", ("datumBegin",), lambda v: optional_date(v["datumBegin"]), read_date_part
)


def _identity(view: ObjectView) -> dict[str, Any]:
    return {
        "bsn": known(view.text("inp.bsn")),
        "agency_kvk": known(view.text("uitzendbureauKvk")),
        "assignment_id": known(view.text("plaatsingId")),
    }


def plaatsing_drafts(objects: list[ObjectView], ctx: MappingContext, issues: Issues) -> list[Draft]:
    return by_mutation(objects, ctx, issues, added=_started, removed=_ended, changed=_changed)


def _started(view: ObjectView, ctx: MappingContext, issues: Issues) -> list[Draft]:
    values = initial_values(SPECS, view, issues)
    try:
        start = required_date(view.date("datumBegin"), "datumBegin")
    except StufValueError as exc:
        issues.add(view.where, "invalid-value", str(exc), "start_date")
        return []
    if "client" not in values:
        issues.add(view.where, "missing", "inlener/naam is required for a new plaatsing", "client")
    if issues:
        return []
    return one_draft(
        PlacementStarted,
        lambda: PlacementStartedData(
            **_identity(view),
            municipality=known(view.text("gemeentecode")),
            start_date=start,
            **values,
        ),
        view,
        ctx,
        issues,
    )


def _ended(view: ObjectView, ctx: MappingContext, issues: Issues) -> list[Draft]:
    reason = known(view.text("redenEinde"))
    return one_draft(
        PlacementEnded,
        lambda: PlacementEndedData(
            **_identity(view),
            end_date=required_date(view.date("datumEinde"), "datumEinde"),
            reason=END_REASONS[reason] if reason else "completed",
        ),
        view,
        ctx,
        issues,
        "end_date",
    )


def _changed(old: ObjectView, new: ObjectView, ctx: MappingContext, issues: Issues) -> list[Draft]:
    if changes((_START,), old, new, issues):
        issues.add(
            new.where,
            "not-changeable",
            "datumBegin of a plaatsing cannot change; end it (V) and register a new one (T)",
            "start_date",
        )
    found = changes(SPECS, old, new, issues)
    if issues:
        return []
    if not found:
        ctx.notes.append("nothing to publish: old and new agree on every field of the plaatsing")
        return []
    return change_draft(
        PlacementChanged, PlacementChangedData, found, _identity(new), new, ctx.sent_at, issues
    )
