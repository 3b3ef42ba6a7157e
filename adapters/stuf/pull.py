"""The pull client's StUF side: the kandidaatLv01 question, and turning a candidate in a
kandidaatLa01 answer into the kennisgeving a pushing system would have sent: T when the
candidate is new, W with the last-seen object as old and the answer as new otherwise.

An answer is a full picture: an element the last-seen object had and the answer lacks was
emptied, so it goes into the new object as ``StUF:noValue="geenWaarde"`` (in a W, an absent
element would mean "unchanged").
"""

from __future__ import annotations

import copy
from typing import Any

from lxml import etree

from adapters.stuf.namespaces import FX, STUF, XSI, qname
from adapters.stuf.stuurgegevens import Systeem
from adapters.xmlsafe import XmlLimits, parse

__all__ = ["KDT_ORDER", "kennisgeving_from_answer", "vraag_arguments"]

#: The elements of a KDT object in schema order (xsd/fx0100_msg.xsd, KDT-basis).
KDT_ORDER = (
    "inp.bsn",
    "gemeentecode",
    "geslachtsnaam",
    "voorvoegselGeslachtsnaam",
    "voorletters",
    "voornamen",
    "geboortedatum",
    "verblijfsadres",
    "telefoonnummer",
    "emailadres",
    "iban",
    "datumAanmelding",
    "dossiernummer",
    "datumAfmelding",
    "redenAfmelding",
)
_VERWERKINGSSOORT = qname(STUF, "verwerkingssoort")
_NO_VALUE = qname(STUF, "noValue")
_NIL = qname(XSI, "nil")


def vraag_arguments(
    *, zender: Systeem, ontvanger: Systeem, referentienummer: str, tijdstip: str, gemeentecode: str
) -> dict[str, Any]:
    """zeep keyword arguments of a kandidaatLv01 for every candidate of one municipality."""

    def systeem(s: Systeem) -> dict[str, str]:
        return {
            k: v for k, v in (("organisatie", s.organisatie), ("applicatie", s.applicatie)) if v
        }

    return {
        "stuurgegevens": {
            "berichtcode": "Lv01",
            "zender": systeem(zender),
            "ontvanger": systeem(ontvanger),
            "referentienummer": referentienummer,
            "tijdstipBericht": tijdstip,
            "entiteittype": "KDT",
        },
        "parameters": {"indicatorVervolgvraag": False},
        "gelijk": {"entiteittype": "KDT", "gemeentecode": gemeentecode},
    }


def kennisgeving_from_answer(
    answer: etree._Element,
    previous: bytes | None,
    *,
    zender: Systeem,
    ontvanger: Systeem,
    referentienummer: str,
    tijdstip: str,
) -> etree._Element:
    root = etree.Element(qname(FX, "kandidaatLk01"), nsmap={"FX": FX, "StUF": STUF, "xsi": XSI})
    sg = etree.SubElement(root, qname(FX, "stuurgegevens"))
    _text(sg, "berichtcode", "Lk01")
    _systeem(sg, "zender", zender)
    _systeem(sg, "ontvanger", ontvanger)
    _text(sg, "referentienummer", referentienummer)
    _text(sg, "tijdstipBericht", tijdstip)
    _text(sg, "entiteittype", "KDT")
    parameters = etree.SubElement(root, qname(FX, "parameters"))
    _text(parameters, "mutatiesoort", "T" if previous is None else "W")
    _text(parameters, "indicatorOvername", "V")
    new = copy.deepcopy(answer)
    if previous is None:
        new.set(_VERWERKINGSSOORT, "T")
        root.append(new)
        return root
    old = parse(previous, XmlLimits())
    old.set(_VERWERKINGSSOORT, "W")
    new.set(_VERWERKINGSSOORT, "W")
    _emptied_become_geen_waarde(old, new)
    root.append(old)
    root.append(new)
    return root


def _emptied_become_geen_waarde(old: etree._Element, new: etree._Element) -> None:
    present = {child.tag for child in new if isinstance(child.tag, str)}
    for name in KDT_ORDER:
        tag = qname(FX, name)
        if tag in present or old.find(tag) is None:
            continue
        emptied = etree.Element(tag)
        emptied.set(_NO_VALUE, "geenWaarde")
        emptied.set(_NIL, "true")
        new.append(emptied)
    order = {qname(FX, name): i for i, name in enumerate(KDT_ORDER)}
    children = [c for c in new if isinstance(c.tag, str)]
    for child in children:
        new.remove(child)
    children.sort(key=lambda c: order.get(c.tag, len(order)))  # StUF elements keep the end
    new.extend(children)


def _text(parent: etree._Element, local: str, text: str) -> None:
    etree.SubElement(parent, qname(STUF, local)).text = text


def _systeem(parent: etree._Element, local: str, systeem: Systeem) -> None:
    element = etree.SubElement(parent, qname(STUF, local))
    if systeem.organisatie:
        _text(element, "organisatie", systeem.organisatie)
    _text(element, "applicatie", systeem.applicatie)
