"""Issue 3 acceptance 1 and 2: zeep, given only the gateway's WSDL URL, sends every message type
and receives Bv03 (SOAP 1.1 and 1.2); the canonical messages arrive on Kafka; every Bv03 is
valid against the official stuf0301.xsd."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from lxml import etree

from gateway.localkafka import LocalKafka
from tests.adapters.stuf.official import assert_valid, official_stuf0301
from tests.kafka_reader import headers_of
from tests.stuf_server import stuf_server

pytestmark = pytest.mark.kafka

ZENDER = {"organisatie": "0363", "applicatie": "SOCIAAL-DOMEIN"}
ONTVANGER = {"organisatie": "Flextensie", "applicatie": "FLEXGW"}
BSN = "111222333"


def sg(ref: str, entity: str) -> dict[str, Any]:
    return {
        "berichtcode": "Lk01",
        "zender": ZENDER,
        "ontvanger": ONTVANGER,
        "referentienummer": ref,
        "tijdstipBericht": "20261201120000",
        "entiteittype": entity,
    }


def params(mutatiesoort: str) -> dict[str, str]:
    return {"mutatiesoort": mutatiesoort, "indicatorOvername": "V"}


def kandidaat(soort: str, **fields: Any) -> dict[str, Any]:
    return {
        "entiteittype": "KDT",
        "verwerkingssoort": soort,
        "inp.bsn": BSN,
        "gemeentecode": "0363",
        **fields,
    }


def persoon(soort: str, **fields: Any) -> dict[str, Any]:
    return {"entiteittype": "NPS", "verwerkingssoort": soort, "inp.bsn": BSN, **fields}


async def test_zeep_sends_every_message_type_and_kafka_gets_canonical_messages(
    store_url: str, tmp_path: Path, kafka: LocalKafka
) -> None:
    async with stuf_server(store_url, tmp_path / "data", kafka) as server:
        soap11, history = server.zeep()
        soap12, history12 = server.zeep(port="Soap12")
        replies: list[tuple[str, Any, bytes]] = []

        def send(service: Any, hist: Any, operation: str, ref: str, **body: Any) -> None:
            answer = getattr(service, operation)(**body)
            raw = etree.tostring(hist.last_received["envelope"])
            replies.append((ref, answer, raw))

        enrol = kandidaat(
            "T",
            geslachtsnaam="Vries",
            voorvoegselGeslachtsnaam="de",
            voornamen="Jan",
            geboortedatum="19900417",
            iban="NL91ABNA0417164300",
            datumAanmelding="20261201",
        )
        send(
            soap11,
            history,
            "kandidaatLk01",
            "Z-1",
            stuurgegevens=sg("Z-1", "KDT"),
            parameters=params("T"),
            object=[enrol],
        )
        send(
            soap11,
            history,
            "uitkeringLk01",
            "Z-2",
            stuurgegevens=sg("Z-2", "UIT"),
            parameters=params("T"),
            object=[
                {
                    "entiteittype": "UIT",
                    "verwerkingssoort": "T",
                    "inp.bsn": BSN,
                    "gemeentecode": "0363",
                    "soortUitkering": "PW",
                    "status": "lopend",
                    "datumStatus": "20260101",
                    "datumIngang": "20260101",
                }
            ],
        )
        plaatsing = {
            "entiteittype": "PLA",
            "verwerkingssoort": "T",
            "inp.bsn": BSN,
            "gemeentecode": "0363",
            "plaatsingId": "PL-9",
            "uitzendbureauKvk": "12345678",
            "inlener": {"naam": "Bakkerij Brood & Zo"},
            "datumBegin": "20261207",
            "uurtarief": "14.40",
        }
        send(
            soap11,
            history,
            "plaatsingLk01",
            "Z-3",
            stuurgegevens=sg("Z-3", "PLA"),
            parameters=params("T"),
            object=[plaatsing],
        )
        send(
            soap11,
            history,
            "kandidaatLk01",
            "Z-4",
            stuurgegevens=sg("Z-4", "KDT"),
            parameters=params("W"),
            object=[
                kandidaat("W", emailadres="oud@example.org"),
                kandidaat("W", emailadres="nieuw@example.org"),
            ],
        )
        send(
            soap12,
            history12,
            "npsLk01",
            "Z-5",
            stuurgegevens=sg("Z-5", "NPS"),
            parameters=params("W"),
            object=[persoon("W", geslachtsnaam="Vries"), persoon("W", geslachtsnaam="Jansen")],
        )
        ended = {
            **plaatsing,
            "verwerkingssoort": "V",
            "datumEinde": "20270301",
            "redenEinde": "afgerond",
        }
        send(
            soap12,
            history12,
            "plaatsingLk01",
            "Z-6",
            stuurgegevens=sg("Z-6", "PLA"),
            parameters=params("V"),
            object=[ended],
        )

        for ref, answer, raw in replies:
            assert answer.berichtcode == "Bv03", (ref, answer)
            assert answer.crossRefnummer == ref
            assert answer.zender.applicatie == "FLEXGW"
            assert_valid(official_stuf0301(), _bv03(raw))

        records = (await server.records(expected=6)).records
    types = [headers_of(r)["ce_type"] for r in records]
    assert sorted(types) == sorted(
        [
            "nl.flextensie.candidate.enrolled.v1",
            "nl.flextensie.benefit.status-changed.v1",
            "nl.flextensie.placement.started.v1",
            "nl.flextensie.candidate.changed.v2",
            "nl.flextensie.person.changed.v2",
            "nl.flextensie.placement.ended.v1",
        ]
    )
    changed = next(
        json.loads(r.value)
        for r in records
        if headers_of(r)["ce_type"] == "nl.flextensie.candidate.changed.v2"
    )
    assert changed["email"]["new"] == "nieuw@example.org"
    assert all(BSN.encode() not in (r.key or b"") for r in records)


async def test_resend_gets_the_same_bv03_and_publishes_nothing_new(
    store_url: str, tmp_path: Path
) -> None:
    from tests import stuf_messages as m

    async with stuf_server(store_url, tmp_path / "data") as server:
        body = m.soap(m.kandidaat_lk01("RE-1"))
        first = server.post(body)
        again = server.post(m.soap(m.kandidaat_lk01("RE-1"), version="1.2"), version="1.2")
        assert first.status_code == again.status_code == 200
        one, two = _bv03(first.content), _bv03(again.content)
        assert etree.tostring(one, method="c14n", exclusive=True) == etree.tostring(
            two, method="c14n", exclusive=True
        )
        assert await server.count_messages() == 1


def _bv03(envelope: bytes) -> etree._Element:
    from tests.stuf_server import body_element

    return body_element(envelope, "Bv03Bericht")
