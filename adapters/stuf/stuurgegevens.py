"""The stuurgegevens of a StUF message: who sends to whom, which message, which reference."""

from __future__ import annotations

from dataclasses import dataclass

from lxml import etree

from adapters.stuf.namespaces import STUF, qname

__all__ = ["Stuurgegevens", "Systeem", "read_stuurgegevens"]


@dataclass(frozen=True, slots=True)
class Systeem:
    """zender or ontvanger: organisatie, applicatie (required), administratie, gebruiker."""

    applicatie: str
    organisatie: str | None = None
    administratie: str | None = None
    gebruiker: str | None = None

    def __str__(self) -> str:
        parts = [self.organisatie, self.applicatie, self.administratie]
        return "/".join(p if p else "-" for p in parts)


@dataclass(frozen=True, slots=True)
class Stuurgegevens:
    berichtcode: str
    zender: Systeem | None = None
    ontvanger: Systeem | None = None
    referentienummer: str | None = None
    tijdstip_bericht: str | None = None
    cross_refnummer: str | None = None
    entiteittype: str | None = None


def _text(parent: etree._Element, local: str) -> str | None:
    child = parent.find(qname(STUF, local))
    if child is None:
        return None
    return (child.text or "").strip()


def _systeem(parent: etree._Element, local: str) -> Systeem | None:
    element = parent.find(qname(STUF, local))
    if element is None:
        return None
    return Systeem(
        applicatie=_text(element, "applicatie") or "",
        organisatie=_text(element, "organisatie") or None,
        administratie=_text(element, "administratie") or None,
        gebruiker=_text(element, "gebruiker") or None,
    )


def read_stuurgegevens(message: etree._Element) -> Stuurgegevens | None:
    """The stuurgegevens of a message element (first child named ``stuurgegevens``, in any
    namespace, as sector models declare it locally), or None when there are none."""
    for child in message:
        if isinstance(child.tag, str) and etree.QName(child).localname == "stuurgegevens":
            return Stuurgegevens(
                berichtcode=_text(child, "berichtcode") or "",
                zender=_systeem(child, "zender"),
                ontvanger=_systeem(child, "ontvanger"),
                referentienummer=_text(child, "referentienummer"),
                tijdstip_bericht=_text(child, "tijdstipBericht"),
                cross_refnummer=_text(child, "crossRefnummer"),
                entiteittype=_text(child, "entiteittype"),
            )
    return None
