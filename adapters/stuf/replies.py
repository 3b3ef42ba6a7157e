"""The gateway's StUF answers: Bv03 (accepted), Fo03 (fault on an asynchronous message) and
Fo02 (fault on a synchronous one). Each validates against the official stuf0301.xsd."""

from __future__ import annotations

from dataclasses import dataclass

from lxml import etree

from adapters.stuf.faults import StufFault
from adapters.stuf.namespaces import STUF, qname
from adapters.stuf.stuurgegevens import Systeem

__all__ = ["FaultReply", "bv03", "fo02", "fo03"]

_MAX_OMSCHRIJVING = 200
_MAX_DETAILS = 1000


@dataclass(frozen=True, slots=True)
class FaultReply:
    fault: StufFault
    omschrijving: str
    details: str | None = None


def _add(parent: etree._Element, local: str, text: str | None = None) -> etree._Element:
    child = etree.SubElement(parent, qname(STUF, local))
    if text is not None:
        child.text = text
    return child


def _systeem(parent: etree._Element, local: str, systeem: Systeem) -> None:
    element = _add(parent, local)
    if systeem.organisatie:
        _add(element, "organisatie", systeem.organisatie)
    _add(element, "applicatie", systeem.applicatie)
    if systeem.administratie:
        _add(element, "administratie", systeem.administratie)
    if systeem.gebruiker:
        _add(element, "gebruiker", systeem.gebruiker)


def _bericht(berichtcode: str) -> tuple[etree._Element, etree._Element]:
    """A ``StUF:<berichtcode>Bericht`` and its stuurgegevens, with the berichtcode."""
    root = etree.Element(qname(STUF, f"{berichtcode}Bericht"), nsmap={"StUF": STUF})
    sg = _add(root, "stuurgegevens")
    _add(sg, "berichtcode", berichtcode)
    return root, sg


def _answer(
    berichtcode: str,
    zender: Systeem,
    ontvanger: Systeem,
    referentienummer: str,
    tijdstip: str,
    cross_ref: str,
) -> etree._Element:
    """A reply with full stuurgegevens; ``cross_ref`` is the referentienummer it answers."""
    root, sg = _bericht(berichtcode)
    _systeem(sg, "zender", zender)
    _systeem(sg, "ontvanger", ontvanger)
    _add(sg, "referentienummer", referentienummer[:40])
    _add(sg, "tijdstipBericht", tijdstip)
    _add(sg, "crossRefnummer", cross_ref[:40])
    return root


def bv03(
    *, zender: Systeem, ontvanger: Systeem, referentienummer: str, tijdstip: str, cross_ref: str
) -> etree._Element:
    return _answer("Bv03", zender, ontvanger, referentienummer, tijdstip, cross_ref)


def _body(root: etree._Element, reply: FaultReply) -> None:
    body = _add(root, "body")
    _add(body, "code", reply.fault.code)
    _add(body, "plek", reply.fault.plek)
    _add(body, "omschrijving", _cut(reply.omschrijving, _MAX_OMSCHRIJVING))
    if reply.details:
        _add(body, "details", _cut(reply.details, _MAX_DETAILS))


def fo03(
    reply: FaultReply,
    *,
    zender: Systeem,
    ontvanger: Systeem,
    referentienummer: str,
    tijdstip: str,
    cross_ref: str,
) -> etree._Element:
    root = _answer("Fo03", zender, ontvanger, referentienummer, tijdstip, cross_ref)
    _body(root, reply)
    return root


def fo02(reply: FaultReply) -> etree._Element:
    root, _ = _bericht("Fo02")
    _body(root, reply)
    return root


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
