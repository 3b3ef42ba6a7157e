"""The StUF adapter: StUF 03.01 messages (SOAP-wrapped or bare) -> canonical message drafts.

Steps, each its own function so the SOAP channel, the batch reader and the pull client can use
them one by one: :meth:`StufAdapter.open` (parse safely, unwrap SOAP), :meth:`StufAdapter.read`
(known message, schema, stuurgegevens), :meth:`StufAdapter.drafts` (mapping).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from lxml import etree

from adapters.base import AdapterConfig, Draft, Issue, TranslationError
from adapters.stuf.mapping.context import MappingContext
from adapters.stuf.mapping.fields import Issues, ObjectView
from adapters.stuf.mapping.kandidaat import kandidaat_drafts
from adapters.stuf.mapping.nps import nps_drafts
from adapters.stuf.mapping.plaatsing import plaatsing_drafts
from adapters.stuf.mapping.uitkering import uitkering_drafts
from adapters.stuf.messages import StufMessage, read_message
from adapters.stuf.namespaces import SOAP11, SOAP12, XSI, qname
from adapters.stuf.schema import SchemaSet
from adapters.stuf.soap import open_envelope
from adapters.stuf.values import StufValueError, parse_tijdstip
from adapters.xmlsafe import XmlLimits, parse

__all__ = ["Mapped", "StufAdapter", "canonical_bytes", "object_views"]

_MAPPERS = {
    "KDT": kandidaat_drafts,
    "UIT": uitkering_drafts,
    "PLA": plaatsing_drafts,
    "NPS": nps_drafts,
}
_OBJECTS = {"T": 1, "V": 1, "W": 2, "C": 2, "F": 2}
#: Elements that identify the object; old and new must agree on them in a W/C/F mutation.
_KEYS = {
    "KDT": ("inp.bsn",),
    "UIT": ("inp.bsn",),
    "PLA": ("inp.bsn", "plaatsingId"),
    "NPS": ("inp.bsn",),
}
_NIL = qname(XSI, "nil")


def _local_zone() -> ZoneInfo | None:
    try:
        return ZoneInfo("Europe/Amsterdam")
    except ZoneInfoNotFoundError:  # no time-zone database: tijdstipBericht is then taken as UTC
        return None


def canonical_bytes(message: etree._Element) -> bytes:
    """The message element alone in exclusive canonical form: the same message gives the same
    bytes whatever envelope (SOAP 1.1, 1.2, batch file) carried it."""
    return bytes(etree.tostring(message, method="c14n", exclusive=True, with_comments=False))


def object_views(message: StufMessage) -> list[ObjectView]:
    return [
        ObjectView(
            element,
            message.kind.namespace,
            f"line {element.sourceline}: /{message.kind.name}/object[{i}]",
        )
        for i, element in enumerate(message.objects, start=1)
    ]


@dataclass(frozen=True, slots=True)
class Mapped:
    """A kennisgeving's canonical drafts; when there are none, ``nothing`` says why
    ("nothing to publish: ..."), so the gateway can record it instead of dropping it silently."""

    drafts: list[Draft]
    nothing: str | None = None


class StufAdapter:
    name = "stuf"

    def __init__(self, limits: XmlLimits | None = None, schemas: SchemaSet | None = None) -> None:
        self.limits = limits or XmlLimits()
        self.schemas = schemas or SchemaSet()
        self._zone = _local_zone()

    def configured(self, config: AdapterConfig) -> StufAdapter:
        """This adapter with the deployment's limits; the compiled schemas are shared."""
        limits = XmlLimits(max_bytes=config.max_body_bytes, max_depth=config.stuf_max_depth)
        return StufAdapter(limits=limits, schemas=self.schemas)

    # --- steps --------------------------------------------------------------------------------
    def open(self, payload: bytes) -> etree._Element:
        """The message element: the SOAP body's element, or the document itself."""
        root = parse(payload, self.limits)
        if root.tag in (qname(SOAP11, "Envelope"), qname(SOAP12, "Envelope")):
            return open_envelope(root).message
        return root

    def read(self, element: etree._Element) -> StufMessage:
        return read_message(element, self.schemas)

    def sent_at(self, message: StufMessage) -> datetime | None:
        text = message.stuurgegevens.tijdstip_bericht
        if not text:
            return None
        try:
            moment = parse_tijdstip(text)
        except StufValueError:
            return None
        return moment.replace(tzinfo=self._zone or UTC)

    def drafts(self, message: StufMessage, *, municipality: str | None = None) -> list[Draft]:
        """Canonical drafts of a kennisgeving; ``municipality`` is the sender's code, used where
        the message does not carry one (npsLk01)."""
        return self.map(message, municipality=municipality).drafts

    def map(self, message: StufMessage, *, municipality: str | None = None) -> Mapped:
        """:meth:`drafts`, with the reason when there are none."""
        mutatiesoort = message.mutatiesoort or ""
        where = f"line {message.element.sourceline}: /{message.kind.name}"
        issues = Issues()
        expected = _OBJECTS.get(mutatiesoort)
        if not message.kind.kennisgeving or expected is None:
            raise _single(
                where, "unsupported", f"{message.kind.name} is not a kennisgeving this gateway maps"
            )
        if len(message.objects) != expected:
            raise _single(
                where,
                "object-count",
                f"mutatiesoort {mutatiesoort} needs {expected} object(s)"
                f"{' (old, then new)' if expected == 2 else ''}; "
                f"the message has {len(message.objects)}",
            )
        if any(obj.get(_NIL) in ("true", "1") for obj in message.objects):
            raise _single(where, "object-nil", "an object must not be nil")
        views = object_views(message)
        if expected == 2:
            for key in _KEYS[message.kind.entiteittype]:
                if views[0].text(key) != views[1].text(key):
                    issues.add(
                        views[1].where,
                        "key-differs",
                        f"{key} differs between the old and the new object",
                    )
        if issues:
            raise TranslationError(issues.found)
        ctx = MappingContext(
            where=where,
            mutatiesoort=mutatiesoort,
            sent_at=self.sent_at(message),
            municipality=municipality or _organisatie_code(message),
        )
        try:
            drafts = _MAPPERS[message.kind.entiteittype](views, ctx, issues)
        except StufValueError as exc:
            issues.add(where, "invalid-value", str(exc))
            drafts = []
        if issues:
            raise TranslationError(
                issues.found, summary=f"{len(issues.found)} problem(s) in {message.kind.name}"
            )
        if drafts:
            return Mapped(drafts)
        return Mapped(
            [],
            "; ".join(ctx.notes)
            or f"nothing to publish: {message.kind.name} {mutatiesoort} changes no field "
            "the gateway carries",
        )

    # --- the Adapter protocol -------------------------------------------------------------------
    def translate(
        self, payload: bytes, *, sender: str, municipality: str | None = None
    ) -> list[Draft]:
        return self.drafts(self.read(self.open(payload)), municipality=municipality)


def _organisatie_code(message: StufMessage) -> str | None:
    zender = message.stuurgegevens.zender
    code = zender.organisatie if zender else None
    return code if code and len(code) == 4 and code.isdigit() else None


def _single(where: str, code: str, message: str) -> TranslationError:
    return TranslationError([Issue(where=where, code=code, message=message)], code=code)
