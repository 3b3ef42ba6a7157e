"""Issue 3 acceptance 6: the pull client publishes changes from a SOAP service the test starts
itself (kandidaatLv01 -> kandidaatLa01, zeep) and survives it being down: the circuit opens and
shows in /readyz and the metrics, and closes again when the service is back."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
import uvicorn
from lxml import etree
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from adapters.stuf.schema import XSD_DIR
from adapters.stuf.wsdl import render_vraag_wsdl
from gateway.localkafka import LocalKafka
from tests import stuf_messages as m
from tests.conftest import GatewayFactory
from tests.kafka_reader import headers_of, read_topic
from tests.services.postgres import free_port
from tests.waiting import eventually

pytestmark = pytest.mark.kafka

A, B = "111222333", "123456782"


class MunicipalService:
    """A municipal benefit system answering kandidaatLv01 with its current candidates."""

    def __init__(self) -> None:
        self.candidates: dict[str, list[Any]] = {
            A: m.kandidaat(bsn=A),
            B: m.kandidaat(bsn=B, geslachtsnaam="Bakker", voorvoegselGeslachtsnaam=None),
        }
        self.questions: list[bytes] = []

    def app(self, base: str) -> Starlette:
        async def wsdl(_request: Request) -> Response:
            return Response(
                render_vraag_wsdl(address=base + "/soap", xsd_base=base + "/xsd"),
                media_type="text/xml",
            )

        async def xsd(request: Request) -> Response:
            return Response(
                (XSD_DIR / request.path_params["name"]).read_bytes(), media_type="application/xml"
            )

        async def soap(request: Request) -> Response:
            body = await request.body()
            self.questions.append(body)
            question = etree.fromstring(body)
            gemeente = question.xpath(
                "//*[local-name()='gelijk']/*[local-name()='gemeentecode']/text()"
            )
            assert gemeente == ["0363"], body
            return Response(m.soap(self.answer()), media_type="text/xml")

        return Starlette(
            routes=[
                Route("/wsdl", wsdl),
                Route("/xsd/{name}", xsd),
                Route("/soap", soap, methods=["POST"]),
            ]
        )

    def answer(self) -> str:
        objects = "".join(
            '<FX:object StUF:entiteittype="KDT">'
            + "".join(m._element("FX", n, v) for n, v in fields)
            + "</FX:object>"
            for fields in self.candidates.values()
        )
        return (
            f'<FX:kandidaatLa01 xmlns:FX="{m.FX}" xmlns:StUF="{m.STUF}" xmlns:xsi="{m.XSI}">'
            "<FX:stuurgegevens><StUF:berichtcode>La01</StUF:berichtcode>"
            f"{m.systeem('zender', ('0363', 'SOCIAAL-DOMEIN'))}{m.systeem('ontvanger', m.GATEWAY)}"
            "<StUF:referentienummer>LA-1</StUF:referentienummer>"
            "<StUF:tijdstipBericht>20261201120000</StUF:tijdstipBericht>"
            "<StUF:entiteittype>KDT</StUF:entiteittype></FX:stuurgegevens>"
            "<FX:parameters><StUF:indicatorVervolgvraag>false</StUF:indicatorVervolgvraag></FX:parameters>"
            f"<FX:antwoord>{objects}</FX:antwoord></FX:kandidaatLa01>"
        )


@contextmanager
def serve_on(app: Starlette, port: int) -> Iterator[None]:
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None, access_log=False)
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "municipal service did not start"
        time.sleep(0.02)
    try:
        yield
    finally:
        server.should_exit = True
        thread.join(timeout=30)


async def until(check: Callable[[], Any], timeout: float = 60.0) -> Any:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        result = await check()
        if result:
            return result
        assert loop.time() < deadline, "condition not reached in time"
        await asyncio.sleep(0.1)


async def test_pull_client_publishes_changes_and_survives_the_service_being_down(
    make_gateway: GatewayFactory, kafka: LocalKafka
) -> None:
    municipal = MunicipalService()
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    source = {
        "id": "amsterdam-soc",
        "client": "gemeente-amsterdam",
        "wsdl": base + "/wsdl?wsdl",
        "interval_seconds": 0.2,
        "timeout_seconds": 2,
        "organisatie": "0363",
    }
    app = municipal.app(base)
    async with make_gateway(
        kafka=kafka,
        stuf_pull_sources=[source],
        stuf_pull_attempts=2,
        stuf_pull_backoff_seconds=0.05,
        stuf_pull_failures_to_open=2,
        stuf_pull_open_seconds=1.0,
        stuf_inbox_enabled=False,
    ) as gw:
        with serve_on(app, port):
            await until(lambda: _count_at_least(gw, 2))
            municipal.candidates[A] = m.kandidaat(bsn=A, emailadres="nieuw@example.org")
            await until(lambda: _count_at_least(gw, 3))

        # down: polls fail, the circuit opens; meanwhile B's IBAN is removed at the source
        municipal.candidates[B] = m.kandidaat(
            bsn=B, geslachtsnaam="Bakker", voorvoegselGeslachtsnaam=None, iban=None
        )
        readyz_down = await until(lambda: _readyz_when(gw, "open"))
        metrics_down = (await gw.client.get("/metrics")).text
        assert await gw.count() == 3

        with serve_on(app, port):  # back
            await until(lambda: _count_at_least(gw, 4))
            readyz_up = await until(lambda: _readyz_when(gw, "closed"))
            # more polls: nothing new while nothing changes. Polls follow each other, so
            # once the fourth question is asked the answers to the three before it are handled.
            asked = len(municipal.questions)
            await eventually(lambda: len(municipal.questions) >= asked + 4, what="four more polls")
            assert await gw.count() == 4
        await gw.wait_drained()
        records = (await read_topic(kafka.bootstrap, gw.topic, timeout=60)).records

    pull = readyz_down["checks"]["stuf_pull"]
    assert pull["sources"]["amsterdam-soc"]["circuit"] == "open" and pull["degraded"] is True
    assert pull["sources"]["amsterdam-soc"]["last_error"]
    assert 'flexgw_stuf_pull_circuit_open{source="amsterdam-soc"} 1.0' in metrics_down
    assert readyz_up["checks"]["stuf_pull"]["degraded"] is False

    kinds = [(headers_of(r)["ce_type"], json.loads(r.value)) for r in records]
    assert [k for k, _ in kinds].count("nl.flextensie.candidate.enrolled.v1") == 2
    changes = {d["bsn"]: d for k, d in kinds if k == "nl.flextensie.candidate.changed.v2"}
    assert len(changes) == 2 and len(records) == 4
    assert changes[A]["email"] == {
        "state": "modified",
        "old": "jan@example.org",
        "new": "nieuw@example.org",
    }
    assert "surname" not in changes[A]
    assert changes[B]["iban"]["state"] == "cleared" and "email" not in changes[B]
    assert municipal.questions  # zeep asked with kandidaatLv01


async def _count_at_least(gw: Any, n: int) -> bool:
    return bool(await gw.count() >= n)


async def _readyz_when(gw: Any, circuit: str) -> dict[str, Any] | None:
    body = (await gw.client.get("/readyz")).json()
    state = body["checks"]["stuf_pull"]["sources"]["amsterdam-soc"]["circuit"]
    return body if state == circuit else None
