"""StUF-BG npsLk01 (natuurlijk persoon) -> person.changed v2.

Every attribute of the NPS entity the back office uses is a field of its own with an explicit
state (adapters.stuf.mapping.perfield): name parts, birth date, date of death, the residential
address with its BAG identification, e-mail and phone. W, C and F give the fields that really
changed; T gives a snapshot of the person. The attributes left out, and why, are listed in
docs/stuf.md; a W that changes only those yields nothing, with the reason. Whether the person
is a known candidate is for the gateway to decide, not for this mapping.
"""

from __future__ import annotations

from typing import Any

from adapters.base import Draft
from adapters.stuf.mapping.common import known
from adapters.stuf.mapping.context import MappingContext
from adapters.stuf.mapping.fields import Issues, ObjectView, read_date_part, read_text
from adapters.stuf.mapping.perfield import (
    Attr,
    date_attr,
    field_changes,
    group_attr,
    snapshot,
    text_attr,
    unread_elements,
)
from adapters.stuf.values import StufDate
from schemas.fields import BagAddress
from schemas.person import PersonChangedV2, PersonChangedV2Data

__all__ = ["ATTRS", "NOT_CARRIED", "nps_bsn", "nps_drafts"]


def _address(values: dict[str, Any]) -> BagAddress:
    number = values["aoa.huisnummer"]
    since = values["begindatumVerblijf"]
    return BagAddress(
        street=values["gor.straatnaam"] or values["gor.openbareRuimteNaam"],
        house_number=int(number) if number is not None else None,
        house_letter=values["aoa.huisletter"],
        house_number_addition=values["aoa.huisnummertoevoeging"],
        postcode=values["aoa.postcode"],
        city=values["wpl.woonplaatsNaam"],
        bag_id=values["aoa.identificatie"],
        bag_street_id=values["gor.identificatie"],
        bag_city_id=values["wpl.identificatie"],
        since=since.as_date() if isinstance(since, StufDate) and since.complete else None,
    )


ATTRS: tuple[Attr, ...] = (
    text_attr("surname", "geslachtsnaam"),
    text_attr("surname_prefix", "voorvoegselGeslachtsnaam"),
    text_attr("initials", "voorletters"),
    text_attr("given_names", "voornamen"),
    date_attr("birth_date", "geboortedatum"),
    date_attr("date_of_death", "overlijdensdatum"),
    group_attr(
        "address",
        "verblijfsadres",
        (
            ("aoa.identificatie", read_text),
            ("wpl.identificatie", read_text),
            ("wpl.woonplaatsNaam", read_text),
            ("gor.identificatie", read_text),
            ("gor.openbareRuimteNaam", read_text),
            ("gor.straatnaam", read_text),
            ("aoa.postcode", read_text),
            ("aoa.huisnummer", read_text),
            ("aoa.huisletter", read_text),
            ("aoa.huisnummertoevoeging", read_text),
            ("begindatumVerblijf", read_date_part),
        ),
        _address,
    ),
    text_attr("phone", "sub.telefoonnummer"),
    text_attr("email", "sub.emailadres"),
)

#: Elements that identify the object or frame the mutation rather than describe the person.
_FRAME = ("inp.bsn", "authentiek", "tijdvakGeldigheid", "tijdstipRegistratie", "extraElementen")
_READ = tuple(a.element for a in ATTRS) + _FRAME

#: NPS attributes the gateway does not carry (docs/stuf.md says why for each).
NOT_CARRIED = (
    "anp.identificatie",
    "sub.typering",
    "inp.a-nummer",
    "aanduidingNaamgebruik",
    "geslachtsnaamPartner",
    "voorvoegselGeslachtsnaamPartner",
    "aanhefAanschrijving",
    "voornamenAanschrijving",
    "geslachtsnaamAanschrijving",
    "adellijkeTitelPredikaat",
    "geslachtsaanduiding",
    "inp.geboorteplaats",
    "inp.geboorteLand",
    "inp.overlijdenplaats",
    "inp.overlijdenLand",
    "inp.verblijftIn",
    "sub.verblijfBuitenland",
    "inp.adresHerkomst",
    "sub.correspondentieAdres",
    "sub.faxnummer",
    "sub.url",
    "sub.rekeningnummerBankGiro",
    "acd.code",
    "inp.burgerlijkeStaat",
    "inp.gemeenteVanInschrijving",
    "inp.datumInschrijving",
    "vbt.aanduidingVerblijfstitel",
    "ing.datumVerkrijgingVerblijfstitel",
    "ing.datumVerliesVerblijfstitel",
    "inp.datumVestigingInNederland",
    "inp.immigratieLand",
    "inp.datumVertrekUitNederland",
    "inp.emigratieLand",
    "inp.signaleringReisdocument",
    "inp.aanduidingBijzonderNederlanderschap",
    "inp.buitenlandsReisdocument",
    "ing.aanduidingEuropeesKiesrecht",
    "ing.aanduidingUitgeslotenKiesrecht",
    "ing.indicatieGezagMinderjarige",
    "ing.indicatieCurateleRegister",
    "inp.datumOpschortingBijhouding",
    "inp.redenOpschortingBijhouding",
    "inp.indicatieGeheim",
    "ing.indicatieBlokkering",
    "inOnderzoek",
    "aanduidingStrijdigheidNietigheid",
    "brondocument",
    "inp.heeftAlsEchtgenootPartner",
    "inp.heeftAlsKinderen",
    "inp.heeftAlsOuders",
    "inp.heeftAlsNationaliteit",
    "ing.isBijgeschrevenOp",
)


def nps_bsn(view: ObjectView) -> str | None:
    value = known(view.text("inp.bsn"))
    return str(value) if value else None


def nps_drafts(objects: list[ObjectView], ctx: MappingContext, issues: Issues) -> list[Draft]:
    if ctx.mutatiesoort == "V":
        ctx.notes.append(
            "nothing to publish: a person removed from the register (npsLk01 V) is not carried; "
            "the municipality withdraws the candidate with kandidaatLk01 V"
        )
        return []
    if ctx.mutatiesoort == "T":
        new = objects[0]
        found = snapshot(ATTRS, new, issues)
        kind = "snapshot"
    else:
        old, new = objects
        found = field_changes(ATTRS, old, new, issues)
        kind = "change" if ctx.mutatiesoort == "W" else "correction"
    if issues:
        return []
    if not found:
        others = [e for e in unread_elements(new, _READ)]
        ctx.notes.append(
            "nothing to publish: "
            + ("no field the gateway carries changed" if kind != "snapshot" else "no field given")
            + (f" (not carried: {', '.join(others)})" if others else "")
        )
        return []
    data = issues.attempt(
        new.where,
        None,
        lambda: PersonChangedV2Data(
            bsn=nps_bsn(new) or nps_bsn(objects[0]),
            municipality=ctx.municipality,
            kind=kind,
            effective_date=new.geldigheid()[0],
            **found,
        ),
    )
    return [] if data is None else [Draft(PersonChangedV2, data, ctx.sent_at, new.where)]
