"""StUF 03.01 fault codes the gateway answers with (a subset of the standard's table), each with
its standard description and where the fault lies (plek: client or server)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

__all__ = ["FAULTS", "StufFault", "fault"]

Plek = Literal["client", "server"]


@dataclass(frozen=True, slots=True)
class StufFault:
    code: str
    plek: Plek
    omschrijving: str


FAULTS: dict[str, StufFault] = {
    f.code: f
    for f in (
        StufFault(
            "StUF010",
            "client",
            "Combinatie van ontvangende organisatie, applicatie en administratie onbekend",
        ),
        StufFault(
            "StUF013",
            "client",
            "Combinatie van zendende organisatie, applicatie en administratie onbekend",
        ),
        StufFault("StUF016", "client", "Combinatie zender en referentienummer niet uniek"),
        StufFault("StUF025", "server", "Berichtcode niet ondersteund"),
        StufFault("StUF046", "server", "Opslaan bericht niet mogelijk"),
        StufFault(
            "StUF052",
            "client",
            "Het zendende systeem is niet geautoriseerd voor de gevraagde combinatie van "
            "berichtcode, entiteittype en functie",
        ),
        StufFault("StUF055", "client", "Berichtbody is niet conform schema in sectormodel"),
        StufFault("StUF058", "server", "Proces voor afhandelen bericht geeft fout"),
    )
}


def fault(code: str) -> StufFault:
    return FAULTS[code]
