"""kandidaatLk01 -> candidate.enrolled (T), candidate.changed v2 (W, C, F), candidate.withdrawn
(V)."""

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
    initial_values,
    one_draft,
    read_date_part,
    read_group,
    read_text,
)
from adapters.stuf.mapping.perfield import (
    Attr,
    date_attr,
    field_changes,
    group_attr,
    text_attr,
    unread_elements,
)
from adapters.stuf.values import UNKNOWN, Marker
from schemas.candidate import (
    CandidateChangedV2,
    CandidateChangedV2Data,
    CandidateEnrolled,
    CandidateEnrolledData,
    CandidateWithdrawn,
    CandidateWithdrawnData,
)
from schemas.common import Address, Contact
from schemas.fields import BagAddress

__all__ = ["ATTRS", "SPECS", "kandidaat_drafts"]


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


def _bag_address(values: dict[str, Any]) -> BagAddress:
    number = values["huisnummer"]
    return BagAddress(
        street=values["straatnaam"],
        house_number=int(number) if number is not None else None,
        house_letter=values["huisletter"],
        house_number_addition=values["huisnummertoevoeging"],
        postcode=values["postcode"],
        city=values["woonplaatsnaam"],
        municipality=values["gemeentecode"],
    )


#: candidate.changed v2: one field per element (e-mail and phone each on their own).
ATTRS: tuple[Attr, ...] = (
    text_attr("surname", "geslachtsnaam"),
    text_attr("surname_prefix", "voorvoegselGeslachtsnaam"),
    text_attr("initials", "voorletters"),
    text_attr("given_names", "voornamen"),
    date_attr("birth_date", "geboortedatum"),
    group_attr(
        "address",
        "verblijfsadres",
        (
            ("straatnaam", read_text),
            ("huisnummer", read_text),
            ("huisletter", read_text),
            ("huisnummertoevoeging", read_text),
            ("postcode", read_text),
            ("woonplaatsnaam", read_text),
            ("gemeentecode", read_text),
        ),
        _bag_address,
    ),
    text_attr("phone", "telefoonnummer"),
    text_attr("email", "emailadres"),
    text_attr("iban", "iban"),
    date_attr("enrolled_on", "datumAanmelding"),
    text_attr("case_reference", "dossiernummer"),
)
_FRAME = ("inp.bsn", "gemeentecode", "tijdvakGeldigheid", "tijdstipRegistratie", "extraElementen")
#: A withdrawal is a V mutation; in a W these cannot be carried.
_WITHDRAWAL = ("datumAfmelding", "redenAfmelding")


def _changed(old: ObjectView, new: ObjectView, ctx: MappingContext, issues: Issues) -> list[Draft]:
    for element in _WITHDRAWAL:
        if new.present(element):
            issues.add(
                f"{new.where}/{element}",
                "not-changeable",
                f"{element} cannot change in a W: withdraw the candidate with mutatiesoort V",
                "withdrawn_on" if element == "datumAfmelding" else "reason",
            )
    found = field_changes(ATTRS, old, new, issues)
    if issues:
        return []
    if not found:
        others = unread_elements(new, tuple(a.element for a in ATTRS) + _FRAME)
        ctx.notes.append(
            "nothing to publish: old and new agree on every field"
            + (f" (not carried: {', '.join(others)})" if others else "")
        )
        return []
    data = issues.attempt(
        new.where,
        None,
        lambda: CandidateChangedV2Data(
            **_identity(new),
            kind="change" if ctx.mutatiesoort == "W" else "correction",
            effective_date=new.geldigheid()[0],
            **found,
        ),
    )
    return [] if data is None else [Draft(CandidateChangedV2, data, ctx.sent_at, new.where)]
