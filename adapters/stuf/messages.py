"""Which StUF messages the gateway knows and how one is read: validated against the schema,
stuurgegevens checked, mutatiesoort and objects picked out."""

from __future__ import annotations

from dataclasses import dataclass

from lxml import etree

from adapters.base import Issue, TranslationError
from adapters.stuf.namespaces import BG, FX, STUF, qname
from adapters.stuf.schema import SchemaSet
from adapters.stuf.stuurgegevens import Stuurgegevens, read_stuurgegevens
from adapters.stuf.values import StufValueError, parse_tijdstip

__all__ = ["KINDS", "MessageKind", "StufMessage", "kind_of", "read_message"]


@dataclass(frozen=True, slots=True)
class MessageKind:
    name: str  # element name, e.g. kandidaatLk01
    namespace: str
    entiteittype: str  # KDT, UIT, PLA, NPS
    berichtcode: str  # Lk01, Lv01, La01

    @property
    def tag(self) -> str:
        return qname(self.namespace, self.name)

    @property
    def soap_action(self) -> str:
        """StUF convention: the body element's namespace + '/' + its name."""
        return f"{self.namespace}/{self.name}"

    @property
    def synchronous(self) -> bool:
        """Synchronous messages are answered with Fo02 on error, asynchronous ones with Fo03."""
        return self.berichtcode in {"Lk02", "Lv01", "La01", "Di02"}

    @property
    def kennisgeving(self) -> bool:
        return self.berichtcode == "Lk01"


KINDS: dict[str, MessageKind] = {
    kind.tag: kind
    for kind in (
        MessageKind("kandidaatLk01", FX, "KDT", "Lk01"),
        MessageKind("uitkeringLk01", FX, "UIT", "Lk01"),
        MessageKind("plaatsingLk01", FX, "PLA", "Lk01"),
        MessageKind("npsLk01", BG, "NPS", "Lk01"),
        MessageKind("kandidaatLv01", FX, "KDT", "Lv01"),
        MessageKind("kandidaatLa01", FX, "KDT", "La01"),
    )
}
#: The kennisgevingen the gateway accepts (its WSDL operations), in documentation order.
KENNISGEVINGEN = tuple(k for k in KINDS.values() if k.kennisgeving)


def kind_of(element: etree._Element) -> MessageKind | None:
    return KINDS.get(element.tag) if isinstance(element.tag, str) else None


@dataclass(frozen=True, slots=True)
class StufMessage:
    kind: MessageKind
    element: etree._Element
    stuurgegevens: Stuurgegevens
    mutatiesoort: str | None
    objects: list[etree._Element]

    @property
    def referentienummer(self) -> str:
        return self.stuurgegevens.referentienummer or ""


def read_message(element: etree._Element, schemas: SchemaSet) -> StufMessage:
    """A known, schema-valid message with sound stuurgegevens, or :class:`TranslationError`."""
    kind = kind_of(element)
    if kind is None:
        known = ", ".join(k.name for k in KINDS.values() if k.berichtcode != "La01")
        name = etree.QName(element).localname if isinstance(element.tag, str) else "?"
        raise TranslationError(
            [
                Issue(
                    where=f"line {element.sourceline}: /{name}",
                    code="unknown-message",
                    message=f"'{name}' is not a message of this service; it takes {known}",
                )
            ],
            code="unknown-message",
        )
    issues = schemas.issues(element)
    if issues:
        raise TranslationError(
            issues, code="schema", summary="the message does not match the schema"
        )
    stuurgegevens = read_stuurgegevens(element)
    assert stuurgegevens is not None  # the schema requires them
    problems = _check_stuurgegevens(kind, stuurgegevens, element)
    if problems:
        raise TranslationError(problems, code="stuurgegevens")
    mutatiesoort = element.findtext(f"{{{kind.namespace}}}parameters/{qname(STUF, 'mutatiesoort')}")
    if kind.berichtcode == "La01":
        objects = element.findall(f"{{{kind.namespace}}}antwoord/{{{kind.namespace}}}object")
    else:
        objects = element.findall(qname(kind.namespace, "object"))
    return StufMessage(
        kind=kind,
        element=element,
        stuurgegevens=stuurgegevens,
        mutatiesoort=mutatiesoort.strip() if mutatiesoort else None,
        objects=objects,
    )


def _check_stuurgegevens(
    kind: MessageKind, sg: Stuurgegevens, element: etree._Element
) -> list[Issue]:
    where = f"line {element.sourceline}: /{kind.name}/stuurgegevens"
    issues = []
    if kind.berichtcode == "Lk01" and not (sg.referentienummer or "").strip():
        issues.append(
            Issue(
                f"{where}/referentienummer",
                "referentienummer-empty",
                "referentienummer is empty; give every message its own (max 40 characters)",
            )
        )
    if sg.tijdstip_bericht:
        try:
            parse_tijdstip(sg.tijdstip_bericht)
        except StufValueError as exc:
            issues.append(Issue(f"{where}/tijdstipBericht", "tijdstip-invalid", str(exc)))
    return issues
