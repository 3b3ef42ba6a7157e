"""StUF test messages, written out as a municipal system would send them (test BSNs only)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TypedDict, Unpack

STUF = "http://www.egem.nl/StUF/StUF0301"
FX = "http://www.flextensie.nl/StUF/sector/fx/0100"
BG = "http://www.egem.nl/StUF/sector/bg/0310"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
SOAP11 = "http://schemas.xmlsoap.org/soap/envelope/"
SOAP12 = "http://www.w3.org/2003/05/soap-envelope"

GATEWAY = ("Flextensie", "FLEXGW")
AMSTERDAM = ("0363", "SOCIAAL-DOMEIN")


@dataclass(frozen=True)
class V:
    """An element value: text, or a StUF noValue (with xsi:nil) instead."""

    text: str | None = None
    no_value: str | None = None
    nil: bool = False
    incomplete: str | None = None


Field = tuple[str, "str | V | Sequence[Field]"]
#: What an entity's field may be changed to; None leaves the field out.
Change = str | V | Sequence[Field] | None
#: A change of the validity period, whose name is no Python keyword: ``**Geldigheid({...})``.
Geldigheid = TypedDict("Geldigheid", {"StUF:tijdvakGeldigheid": Sequence[Field]})


class Envelope(TypedDict, total=False):
    """The options of ``message`` that the ``*_lk01`` helpers pass on."""

    zender: tuple[str | None, str]
    ontvanger: tuple[str | None, str]
    tijdstip: str
    verwerkingssoort: Sequence[str] | None


def _element(prefix: str, name: str, value: str | V | Sequence[Field]) -> str:
    if ":" in name:  # e.g. StUF:tijdvakGeldigheid
        prefix, name = name.split(":", 1)
    if isinstance(value, str):
        return f"<{prefix}:{name}>{_esc(value)}</{prefix}:{name}>"
    if isinstance(value, V):
        attrs = ""
        if value.no_value:
            attrs += f' StUF:noValue="{value.no_value}" xsi:nil="true"'
        elif value.nil:
            attrs += ' xsi:nil="true"'
        if value.incomplete:
            attrs += f' StUF:indOnvolledigeDatum="{value.incomplete}"'
        if value.text is None:
            return f"<{prefix}:{name}{attrs}/>"
        return f"<{prefix}:{name}{attrs}>{_esc(value.text)}</{prefix}:{name}>"
    inner = "".join(_element(prefix, n, v) for n, v in value)
    return f"<{prefix}:{name}>{inner}</{prefix}:{name}>"


def _esc(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def systeem(name: str, org_app: tuple[str | None, str]) -> str:
    org, app = org_app
    org_xml = f"<StUF:organisatie>{org}</StUF:organisatie>" if org else ""
    return f"<StUF:{name}>{org_xml}<StUF:applicatie>{app}</StUF:applicatie></StUF:{name}>"


def message(
    name: str,
    entity: str,
    objects: Sequence[Sequence[Field]],
    *,
    ref: str,
    mutatiesoort: str = "T",
    zender: tuple[str | None, str] = AMSTERDAM,
    ontvanger: tuple[str | None, str] = GATEWAY,
    tijdstip: str = "20261201120000",
    verwerkingssoort: Sequence[str] | None = None,
    prefix: str = "FX",
    namespace: str = FX,
) -> str:
    soorts = verwerkingssoort or (
        [{"C": "W", "F": "W"}.get(mutatiesoort, mutatiesoort)] * len(objects)
    )
    objs = "".join(
        f'<{prefix}:object StUF:entiteittype="{entity}" StUF:verwerkingssoort="{soort}">'
        + "".join(_element(prefix, n, v) for n, v in fields)
        + f"</{prefix}:object>"
        for soort, fields in zip(soorts, objects, strict=True)
    )
    return (
        f'<{prefix}:{name} xmlns:{prefix}="{namespace}" xmlns:StUF="{STUF}" xmlns:xsi="{XSI}">'
        f"<{prefix}:stuurgegevens><StUF:berichtcode>Lk01</StUF:berichtcode>"
        f"{systeem('zender', zender)}{systeem('ontvanger', ontvanger)}"
        f"<StUF:referentienummer>{ref}</StUF:referentienummer>"
        f"<StUF:tijdstipBericht>{tijdstip}</StUF:tijdstipBericht>"
        f"<StUF:entiteittype>{entity}</StUF:entiteittype></{prefix}:stuurgegevens>"
        f"<{prefix}:parameters><StUF:mutatiesoort>{mutatiesoort}</StUF:mutatiesoort>"
        f"<StUF:indicatorOvername>V</StUF:indicatorOvername></{prefix}:parameters>"
        f"{objs}</{prefix}:{name}>"
    )


def soap(body: str, version: str = "1.1") -> bytes:
    ns = SOAP11 if version == "1.1" else SOAP12
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><soap:Envelope xmlns:soap="{ns}">'
        f"<soap:Body>{body}</soap:Body></soap:Envelope>"
    ).encode()


# --- entities -------------------------------------------------------------------------------
def kandidaat(bsn: str = "111222333", gemeente: str = "0363", **changes: Change) -> list[Field]:
    fields: dict[str, Change] = {
        "inp.bsn": bsn,
        "gemeentecode": gemeente,
        "geslachtsnaam": "Vries",
        "voorvoegselGeslachtsnaam": "de",
        "voorletters": "J.",
        "voornamen": "Jan",
        "geboortedatum": "19900417",
        "verblijfsadres": [
            ("straatnaam", "Dorpsstraat"),
            ("huisnummer", "12"),
            ("postcode", "1011AB"),
            ("woonplaatsnaam", "Amsterdam"),
        ],
        "telefoonnummer": None,
        "emailadres": "jan@example.org",
        "iban": "NL91ABNA0417164300",
        "datumAanmelding": "20261201",
        "dossiernummer": "WIZ-2026-001",
        "datumAfmelding": None,
        "redenAfmelding": None,
        "StUF:tijdvakGeldigheid": None,
    }
    fields.update(changes)
    return [(k, v) for k, v in fields.items() if v is not None]


def kandidaat_lk01(
    ref: str, *objects: Sequence[Field], mutatiesoort: str = "T", **kw: Unpack[Envelope]
) -> str:
    return message(
        "kandidaatLk01", "KDT", objects or [kandidaat()], ref=ref, mutatiesoort=mutatiesoort, **kw
    )


def uitkering(bsn: str = "111222333", gemeente: str = "0363", **changes: Change) -> list[Field]:
    fields: dict[str, Change] = {
        "inp.bsn": bsn,
        "gemeentecode": gemeente,
        "soortUitkering": "PW",
        "status": "lopend",
        "datumStatus": "20260101",
        "datumIngang": "20260101",
        "datumEinde": None,
        "opschorting": None,
        "StUF:tijdvakGeldigheid": None,
    }
    fields.update(changes)
    return [(k, v) for k, v in fields.items() if v is not None]


def uitkering_lk01(
    ref: str, *objects: Sequence[Field], mutatiesoort: str = "T", **kw: Unpack[Envelope]
) -> str:
    return message(
        "uitkeringLk01", "UIT", objects or [uitkering()], ref=ref, mutatiesoort=mutatiesoort, **kw
    )


def plaatsing(bsn: str = "111222333", gemeente: str = "0363", **changes: Change) -> list[Field]:
    fields: dict[str, Change] = {
        "inp.bsn": bsn,
        "gemeentecode": gemeente,
        "plaatsingId": "PL-1",
        "uitzendbureauKvk": "12345678",
        "inlener": [("naam", "Bakkerij Brood & Zo"), ("kvkNummer", "23456789")],
        "datumBegin": "20261207",
        "datumEinde": None,
        "uurtarief": "14.40",
        "urenPerWeek": "24",
        "functienaam": "Bakkershulp",
        "redenEinde": None,
        "StUF:tijdvakGeldigheid": None,
    }
    fields.update(changes)
    return [(k, v) for k, v in fields.items() if v is not None]


def plaatsing_lk01(
    ref: str, *objects: Sequence[Field], mutatiesoort: str = "T", **kw: Unpack[Envelope]
) -> str:
    return message(
        "plaatsingLk01", "PLA", objects or [plaatsing()], ref=ref, mutatiesoort=mutatiesoort, **kw
    )


def persoon(bsn: str = "111222333", **changes: Change) -> list[Field]:
    fields: dict[str, Change] = {
        "inp.bsn": bsn,
        "geslachtsnaam": "Vries",
        "voorvoegselGeslachtsnaam": "de",
        "voorletters": "J.",
        "voornamen": "Jan",
        "geboortedatum": "19900417",
        "overlijdensdatum": None,
        "verblijfsadres": [
            ("wpl.woonplaatsNaam", "Amsterdam"),
            ("gor.straatnaam", "Dorpsstraat"),
            ("aoa.postcode", "1011AB"),
            ("aoa.huisnummer", "12"),
        ],
        "StUF:tijdvakGeldigheid": None,
    }
    fields.update(changes)
    return [(k, v) for k, v in fields.items() if v is not None]


def nps_lk01(
    ref: str,
    old: Sequence[Field],
    new: Sequence[Field],
    *,
    mutatiesoort: str = "W",
    **kw: Unpack[Envelope],
) -> str:
    return message(
        "npsLk01",
        "NPS",
        [old, new],
        ref=ref,
        mutatiesoort=mutatiesoort,
        prefix="BG",
        namespace=BG,
        **kw,
    )


def batch(messages: Sequence[str]) -> bytes:
    """A batch file: StUF:StUF-berichtenSet around the messages."""
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<StUF:StUF-berichtenSet xmlns:StUF="{STUF}">\n'
        + "\n".join(messages)
        + "\n</StUF:StUF-berichtenSet>\n"
    ).encode()
