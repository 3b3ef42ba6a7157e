"""Issue 3 acceptance 3 (and 2 for faults): schema errors, wrong zender, a reused
referentienummer with other content, malformed XML, an XXE attempt and a billion-laughs
document each get the right StUF fault and nothing on Kafka; the raw rejected message is kept
for ops. Every fault body is valid against the official stuf0301.xsd."""

from __future__ import annotations

from pathlib import Path
from typing import Unpack

import pytest
from lxml import etree

from gateway.localkafka import LocalKafka
from tests import stuf_messages as m
from tests.adapters.stuf.official import assert_valid, official_stuf0301
from tests.adapters.test_xmlsafe import LAUGHS, XXE
from tests.stuf_server import PostOptions, StufServer, body_element, stuf_server
from tests.xpath import elements, texts

pytestmark = pytest.mark.kafka

NS = {"StUF": m.STUF}


def fault_of(
    server: StufServer, body: bytes, *, expect_status: int = 500, **kw: Unpack[PostOptions]
) -> etree._Element:
    response = server.post(body, **kw)
    assert response.status_code == expect_status, response.text
    text = response.text
    assert "Traceback" not in text and 'File "' not in text
    return etree.fromstring(response.content)


def stuf_code(
    envelope: etree._Element, berichtcode: str = "Fo03"
) -> tuple[str | None, str | None, str]:
    body = elements(envelope, f"//StUF:{berichtcode}Bericht", NS)[0]
    assert_valid(official_stuf0301(), body)
    return (
        body.findtext("StUF:body/StUF:code", namespaces=NS),
        body.findtext("StUF:body/StUF:plek", namespaces=NS),
        body.findtext("StUF:body/StUF:details", namespaces=NS) or "",
    )


async def test_each_bad_message_gets_its_stuf_fault_and_nothing_reaches_kafka(
    store_url: str, tmp_path: Path, kafka: LocalKafka
) -> None:
    async with stuf_server(store_url, tmp_path / "data", kafka) as server:
        # schema error: a date written the ISO way; the fault names line and element path
        bad_date = m.kandidaat_lk01("F-1", m.kandidaat(geboortedatum="1990-04-17"))
        code, plek, details = stuf_code(fault_of(server, m.soap(bad_date)))
        assert (code, plek) == ("StUF055", "client")
        assert "line 1" in details and "geboortedatum" in details and "object" in details

        # a zender that is not this API key's system
        wrong = m.kandidaat_lk01("F-2", zender=("0599", "SOCIAAL-DOMEIN"))
        code, plek, details = stuf_code(fault_of(server, m.soap(wrong)))
        assert (code, plek) == ("StUF013", "client")
        assert "0363" in details

        # an ontvanger that is not this gateway
        elsewhere = m.kandidaat_lk01("F-3", ontvanger=("Elders", "ANDERSYS"))
        assert stuf_code(fault_of(server, m.soap(elsewhere)))[0] == "StUF010"

        # the same referentienummer again with other content
        accepted = server.post(m.soap(m.kandidaat_lk01("F-4")))
        assert accepted.status_code == 200
        other = m.kandidaat_lk01("F-4", m.kandidaat(geslachtsnaam="Anders"))
        code, plek, _ = stuf_code(fault_of(server, m.soap(other)))
        assert (code, plek) == ("StUF016", "client")

        # malformed XML, XXE, billion laughs
        for hostile in (b"<soap:Envelope><unclosed>", XXE, LAUGHS):
            code, plek, details = stuf_code(fault_of(server, hostile))
            assert (code, plek) == ("StUF055", "client")
        assert "DOCTYPE" in stuf_code(fault_of(server, XXE))[2]

        # data of another municipality, and a client that is no municipality
        foreign = m.kandidaat_lk01("F-5", m.kandidaat(gemeente="0599"))
        assert stuf_code(fault_of(server, m.soap(foreign)))[0] == "StUF052"
        assert (
            stuf_code(
                fault_of(server, m.soap(m.kandidaat_lk01("F-6")), client_id="flexwerk-uitzend")
            )[0]
            == "StUF052"
        )

        # SOAP 1.2: Sender fault, HTTP 400, same StUF body
        envelope = fault_of(
            server, m.soap(bad_date, version="1.2"), version="1.2", expect_status=400
        )
        assert envelope.xpath("//*[local-name()='Value']/text()") == ["soap:Sender"]
        assert stuf_code(envelope)[0] == "StUF055"

        # a soapAction that does not fit the body
        assert (
            stuf_code(
                fault_of(server, m.soap(m.kandidaat_lk01("F-7")), action=f"{m.FX}/uitkeringLk01")
            )[0]
            == "StUF055"
        )

        # only the one accepted message is stored as canonical; it is all Kafka gets
        assert await server.count_messages() == 1
        records = await server.records(expected=1)
        # the end offsets prove the topic holds this one record and nothing else
        assert len(records.records) == records.end_total == 1

        rows = await server.inbound_rows()
    rejected = [r for r in rows if r.state == "rejected"]
    assert len(rejected) == 12
    kept = {bytes(r.payload) for r in rejected}
    assert XXE in kept and LAUGHS in kept  # raw, as received
    assert any(b"Anders" in p for p in kept)  # the StUF016 one too
    assert {r.external_ref for r in rejected} >= {"F-1", "F-2", "F-4"}


async def test_unauthenticated_and_synchronous_messages(store_url: str, tmp_path: Path) -> None:
    import requests

    async with stuf_server(store_url, tmp_path / "data") as server:
        response = requests.post(
            server.url + "/stuf/v1/flextensie",
            data=m.soap(m.kandidaat_lk01("A-1")),
            headers={"Content-Type": "text/xml"},
            timeout=10,
        )
        assert response.status_code == 500
        assert stuf_code(etree.fromstring(response.content))[0] == "StUF013"

        vraag = (
            f'<FX:kandidaatLv01 xmlns:FX="{m.FX}" xmlns:StUF="{m.STUF}"><FX:stuurgegevens>'
            "<StUF:berichtcode>Lv01</StUF:berichtcode><StUF:entiteittype>KDT</StUF:entiteittype>"
            '</FX:stuurgegevens><FX:parameters/><FX:gelijk StUF:entiteittype="KDT">'
            "<FX:gemeentecode>0363</FX:gemeentecode></FX:gelijk></FX:kandidaatLv01>"
        )
        envelope = fault_of(server, m.soap(vraag))
        code, plek, _ = stuf_code(envelope, "Fo02")
        assert (code, plek) == ("StUF025", "server")


async def test_wsdl_and_xsds_are_served(store_url: str, tmp_path: Path) -> None:
    import requests

    async with stuf_server(store_url, tmp_path / "data") as server:
        wsdl = requests.get(server.url + "/stuf/v1/flextensie?wsdl", timeout=10)
        assert wsdl.status_code == 200
        root = etree.fromstring(wsdl.content)
        actions = texts(root, "//*[local-name()='operation']/@soapAction")
        assert f"{m.FX}/kandidaatLk01" in actions and f"{m.BG}/npsLk01" in actions
        for location in texts(root, "//*[local-name()='import']/@schemaLocation"):
            assert requests.get(location, timeout=10).status_code == 200
        assert (
            requests.get(server.url + "/stuf/v1/xsd/../settings.py", timeout=10).status_code == 404
        )


async def test_nps_of_a_person_who_is_no_candidate_is_ignored(
    store_url: str, tmp_path: Path
) -> None:
    async with stuf_server(store_url, tmp_path / "data") as server:
        nps = m.nps_lk01(
            "N-1", m.persoon(bsn="123456782"), m.persoon(bsn="123456782", geslachtsnaam="Jansen")
        )
        response = server.post(m.soap(nps))
        assert response.status_code == 200
        assert body_element(response.content, "Bv03Bericht") is not None
        assert await server.count_messages() == 0
        # answered with success, so recorded (history: nothing to publish, test_fidelity.py)
        assert [r.state for r in await server.inbound_rows()] == ["accepted"]
        import requests

        metrics = requests.get(server.url + "/metrics", timeout=10).text
        assert 'flexgw_ignored_total{reason="stuf-nps-not-a-candidate"} 1.0' in metrics
