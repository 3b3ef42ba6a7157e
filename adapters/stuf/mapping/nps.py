"""StUF-BG npsLk01 (natuurlijk persoon) -> person.changed, for W, C and F mutations.

Three kinds of change are read: name (geslachtsnaam, voorvoegsel, voorletters, voornamen),
death (overlijdensdatum) and address (verblijfsadres). One npsLk01 may yield one message per
kind. T and V mutations, and changes to anything else, yield nothing. A cleared address or name
cannot be said in person.changed and yields nothing either (docs/stuf.md). Whether the person
is a known candidate is for the gateway to decide, not for this mapping.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import ValidationError

from adapters.base import Draft
from adapters.stuf.mapping.common import (
    NAME_PARTS,
    known,
    optional_date,
    person_name,
    required_date,
)
from adapters.stuf.mapping.context import MappingContext
from adapters.stuf.mapping.fields import (
    FieldSpec,
    Issues,
    ObjectView,
    changes,
    read_date_part,
    read_group,
    read_text,
)
from adapters.stuf.values import UNKNOWN
from schemas.common import Address
from schemas.person import PersonChanged, PersonChangedData

__all__ = ["SPECS", "nps_bsn", "nps_drafts"]


def _address(values: Mapping[str, Any]) -> Any:
    group = values["verblijfsadres"]
    if group is None or group is UNKNOWN:
        return group
    fields = {k: known(v) for k, v in group.items()}
    moved_on = fields.pop("begindatumVerblijf")
    if all(v is None for v in fields.values()):
        return None
    number = fields["aoa.huisnummer"]
    address = Address(
        street=fields["gor.straatnaam"] or fields["gor.openbareRuimteNaam"],
        house_number=int(number) if number is not None else None,
        house_letter=fields["aoa.huisletter"],
        house_number_addition=fields["aoa.huisnummertoevoeging"],
        postcode=fields["aoa.postcode"],
        city=fields["wpl.woonplaatsNaam"],
    )
    return address, optional_date(moved_on)


def _death(values: Mapping[str, Any]) -> Any:
    value = values["overlijdensdatum"]
    if value is None or value is UNKNOWN:
        return value
    return required_date(value, "overlijdensdatum")


SPECS = (
    FieldSpec("name", NAME_PARTS, person_name),
    FieldSpec("death", ("overlijdensdatum",), _death, read_date_part),
    FieldSpec(
        "address",
        ("verblijfsadres",),
        _address,
        read_group(
            ("wpl.woonplaatsNaam", read_text),
            ("gor.openbareRuimteNaam", read_text),
            ("gor.straatnaam", read_text),
            ("aoa.postcode", read_text),
            ("aoa.huisnummer", read_text),
            ("aoa.huisletter", read_text),
            ("aoa.huisnummertoevoeging", read_text),
            ("begindatumVerblijf", read_date_part),
        ),
    ),
)


def nps_bsn(view: ObjectView) -> str | None:
    value = known(view.text("inp.bsn"))
    return str(value) if value else None


def nps_drafts(objects: list[ObjectView], ctx: MappingContext, issues: Issues) -> list[Draft]:
    if ctx.mutatiesoort not in ("W", "C", "F"):
        return []
    old, new = objects
    found = changes(SPECS, old, new, issues)
    if issues:
        return []
    begin = new.geldigheid()[0]
    drafts = []
    for change in found:
        if change.value is None or change.value is UNKNOWN:
            continue
        fields: dict[str, Any] = {"change": change.name, "effective_date": begin}
        if change.name == "name":
            fields["name"] = change.value
        elif change.name == "death":
            fields["date_of_death"] = change.value
            fields["effective_date"] = begin or change.value
        else:
            address, moved_on = change.value
            fields["address"] = address
            fields["effective_date"] = begin or (moved_on if moved_on is not UNKNOWN else None)
        try:
            data = PersonChangedData(
                bsn=nps_bsn(new) or nps_bsn(old), municipality=ctx.municipality, **fields
            )
        except ValidationError as exc:
            issues.add_validation(new.where, exc)
            continue
        drafts.append(Draft(PersonChanged, data, ctx.sent_at, new.where))
    return drafts
