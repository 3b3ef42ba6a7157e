"""kandidaatLk01 -> candidate.enrolled (T), candidate.changed (W, C, F), candidate.withdrawn (V)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from adapters.base import Draft
from adapters.stuf.mapping.common import (
    NAME_PARTS,
    known,
    optional_date,
    person_name,
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
from adapters.stuf.values import UNKNOWN, Marker
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
    FieldSpec("name", NAME_PARTS, person_name),
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
    return one_draft(
        CandidateEnrolled,
        lambda: CandidateEnrolledData(
            **_identity(view),
            enrolled_on=required_date(view.date("datumAanmelding"), "datumAanmelding"),
            case_reference=known(view.text("dossiernummer")),
            **values,
        ),
        view,
        ctx,
        issues,
        "enrolled_on",
    )


def _withdrawn(view: ObjectView, ctx: MappingContext, issues: Issues) -> list[Draft]:
    return one_draft(
        CandidateWithdrawn,
        lambda: CandidateWithdrawnData(
            **_identity(view),
            withdrawn_on=required_date(view.date("datumAfmelding"), "datumAfmelding"),
            reason=known(view.text("redenAfmelding")),
        ),
        view,
        ctx,
        issues,
        "withdrawn_on",
    )


def _changed(old: ObjectView, new: ObjectView, ctx: MappingContext, issues: Issues) -> list[Draft]:
    found = changes(SPECS, old, new, issues)
    if issues or not found:
        return []
    return change_draft(
        CandidateChanged, CandidateChangedData, found, _identity(new), new, ctx.sent_at, issues
    )
