"""kandidaatLk01 -> candidate.enrolled (T), candidate.changed (W, C, F), candidate.withdrawn (V)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import ValidationError

from adapters.base import Draft
from adapters.stuf.mapping.common import known, name_from, optional_date, required_date, single
from adapters.stuf.mapping.context import MappingContext
from adapters.stuf.mapping.fields import (
    FieldSpec,
    Issues,
    ObjectView,
    by_mutation,
    change_draft,
    changes,
    initial_values,
    read_date_part,
    read_group,
    read_text,
)
from adapters.stuf.values import UNKNOWN, Marker, StufValueError
from schemas.candidate import (
    CandidateChanged,
    CandidateChangedData,
    CandidateEnrolled,
    CandidateEnrolledData,
    CandidateWithdrawn,
    CandidateWithdrawnData,
)
from schemas.common import Address, Contact

__all__ = ["SPECS", "kandidaat_drafts"]

_NAME_PARTS = ("geslachtsnaam", "voorvoegselGeslachtsnaam", "voorletters", "voornamen")


def _name(values: Mapping[str, Any]) -> Any:
    return name_from(
        values,
        surname="geslachtsnaam",
        prefix="voorvoegselGeslachtsnaam",
        initials="voorletters",
        given="voornamen",
    )


def _address(values: Mapping[str, Any]) -> Address | Marker | None:
    group = values["verblijfsadres"]
    if group is None or group is UNKNOWN:
        return group  # type: ignore[no-any-return, return-value, unused-ignore]
    fields = {k: known(v) for k, v in group.items()}
    if all(v is None for v in fields.values()):
        return None
    number = fields["huisnummer"]
    return Address(
        street=fields["straatnaam"],
        house_number=int(number) if number is not None else None,
        house_letter=fields["huisletter"],
        house_number_addition=fields["huisnummertoevoeging"],
        postcode=fields["postcode"],
        city=fields["woonplaatsnaam"],
        municipality=fields["gemeentecode"],
    )


def _contact(values: Mapping[str, Any]) -> Contact | None:
    email, phone = known(values["emailadres"]), known(values["telefoonnummer"])
    if email is None and phone is None:
        return None
    return Contact(email=email, phone=phone)


SPECS = (
    FieldSpec("name", _NAME_PARTS, _name),
    FieldSpec(
        "birth_date",
        ("geboortedatum",),
        lambda v: optional_date(v["geboortedatum"]),
        read_date_part,
    ),
    FieldSpec(
        "address",
        ("verblijfsadres",),
        _address,
        read_group(
            ("straatnaam", read_text),
            ("huisnummer", read_text),
            ("huisletter", read_text),
            ("huisnummertoevoeging", read_text),
            ("postcode", read_text),
            ("woonplaatsnaam", read_text),
            ("gemeentecode", read_text),
        ),
    ),
    FieldSpec("contact", ("emailadres", "telefoonnummer"), _contact),
    FieldSpec("iban", ("iban",), single("iban")),
)


def _identity(view: ObjectView) -> dict[str, Any]:
    return {"bsn": known(view.text("inp.bsn")), "municipality": known(view.text("gemeentecode"))}


def kandidaat_drafts(objects: list[ObjectView], ctx: MappingContext, issues: Issues) -> list[Draft]:
    return by_mutation(objects, ctx, issues, added=_enrolled, removed=_withdrawn, changed=_changed)


def _enrolled(view: ObjectView, ctx: MappingContext, issues: Issues) -> list[Draft]:
    values = initial_values(SPECS, view, issues)
    try:
        enrolled_on = required_date(view.date("datumAanmelding"), "datumAanmelding")
    except StufValueError as exc:
        issues.add(view.where, "invalid-value", str(exc), "enrolled_on")
        return []
    try:
        data = CandidateEnrolledData(
            **_identity(view),
            enrolled_on=enrolled_on,
            case_reference=known(view.text("dossiernummer")),
            **values,
        )
    except ValidationError as exc:
        issues.add_validation(view.where, exc)
        return []
    return [Draft(CandidateEnrolled, data, ctx.sent_at, view.where)]


def _withdrawn(view: ObjectView, ctx: MappingContext, issues: Issues) -> list[Draft]:
    try:
        withdrawn_on = required_date(view.date("datumAfmelding"), "datumAfmelding")
        data = CandidateWithdrawnData(
            **_identity(view),
            withdrawn_on=withdrawn_on,
            reason=known(view.text("redenAfmelding")),
        )
    except StufValueError as exc:
        issues.add(view.where, "invalid-value", str(exc), "withdrawn_on")
        return []
    except ValidationError as exc:
        issues.add_validation(view.where, exc)
        return []
    return [Draft(CandidateWithdrawn, data, ctx.sent_at, view.where)]


def _changed(old: ObjectView, new: ObjectView, ctx: MappingContext, issues: Issues) -> list[Draft]:
    found = changes(SPECS, old, new, issues)
    if issues or not found:
        return []
    return change_draft(
        CandidateChanged, CandidateChangedData, found, _identity(new), new, ctx.sent_at, issues
    )
