"""The one intake API: a refused payload is kept the same way on every channel, an adapter
that crashes still has its payload kept, and the work on a body of ``offload_min_bytes`` or
more runs off the event loop (REST and SOAP)."""

from __future__ import annotations

import threading
from typing import Any

import orjson
import pytest
from lxml import etree
from sqlalchemy import select

from adapters.base import Draft
from adapters.registry import load_adapters
from gateway.store.tables import inbound
from tests import stuf_messages as m
from tests.conftest import TEST_KEYS, GatewayFactory
from tests.samples import candidate_enrolled
from tests.xpath import elements

NS = {"StUF": m.STUF}


class ThreadRecorder:
    """The canonical-json adapter, noting the thread each translation ran in."""

    name = "canonical-json"

    def __init__(self) -> None:
        self._real = load_adapters()["canonical-json"]
        self.threads: list[int] = []

    def translate(self, payload: bytes, *, sender: str) -> list[Draft]:
        self.threads.append(threading.get_ident())
        return list(self._real.translate(payload, sender=sender))


class Crashing:
    name = "canonical-json"

    def translate(self, payload: bytes, *, sender: str) -> list[Draft]:
        raise RuntimeError("internal state 0xdeadbeef of the adapter")


async def _inbound(gw: Any) -> list[Any]:
    async with gw.ctx.store.read() as conn:
        rows = await conn.execute(select(inbound).order_by(inbound.c.received_at))
        return list(rows.all())


async def test_a_crashing_adapter_keeps_the_payload_and_answers_500_without_details(
    make_gateway: GatewayFactory,
) -> None:
    body = orjson.dumps(candidate_enrolled())
    async with make_gateway(adapters={**load_adapters(), "canonical-json": Crashing()}) as gw:
        response = await gw.post(body)
        rows = await _inbound(gw)
    assert response.status_code == 500
    assert response.headers["content-type"] == "application/problem+json"
    assert "deadbeef" not in response.text and "RuntimeError" not in response.text
    assert [(r.state, r.error_code, r.payload) for r in rows] == [("rejected", "crashed", body)]


async def test_a_reused_idempotency_key_is_refused_and_the_payload_kept(
    make_gateway: GatewayFactory,
) -> None:
    first = orjson.dumps(candidate_enrolled())
    changed = candidate_enrolled()
    changed["data"]["name"]["surname"] = "Anders"
    other = orjson.dumps(changed)
    async with make_gateway() as gw:
        accepted = await gw.post(first, **{"Idempotency-Key": "k-1"})
        refused = await gw.post(other, **{"Idempotency-Key": "k-1"})
        rows = await _inbound(gw)
    assert (accepted.status_code, refused.status_code) == (202, 409)
    assert refused.json()["code"] == "idempotency-key-reused"
    assert [(r.state, r.error_code, r.payload) for r in rows] == [
        ("accepted", None, first),
        ("rejected", "idempotency-key-reused", other),
    ]
    # The kept refusal is no idempotency record: the key still answers with the original.
    assert rows[1].idempotency_key is None


@pytest.mark.parametrize(("threshold", "off_loop"), [(0, True), (10**9, False)])
async def test_rest_translation_runs_off_the_loop_from_the_threshold_on(
    make_gateway: GatewayFactory, threshold: int, off_loop: bool
) -> None:
    recorder = ThreadRecorder()
    adapters = {**load_adapters(), "canonical-json": recorder}
    async with make_gateway(adapters=adapters, offload_min_bytes=threshold) as gw:
        response = await gw.post(candidate_enrolled())
    loop_thread = threading.get_ident()
    assert response.status_code == 202
    assert len(recorder.threads) == 1
    assert (recorder.threads[0] != loop_thread) is off_loop


def _soap(gw: Any, body: bytes) -> Any:
    return gw.client.post(
        "/stuf/v1/flextensie",
        content=body,
        headers={
            "Authorization": f"Bearer {TEST_KEYS['gemeente-amsterdam']}",
            "Content-Type": "text/xml; charset=utf-8",
        },
    )


@pytest.mark.parametrize("threshold", [0, 10**9])
async def test_soap_answers_are_the_same_on_and_off_the_loop(
    make_gateway: GatewayFactory, threshold: int
) -> None:
    good = m.soap(m.kandidaat_lk01("T-1"))
    bad_date = m.soap(m.kandidaat_lk01("T-2", m.kandidaat(geboortedatum="1990-04-17")))
    async with make_gateway(offload_min_bytes=threshold) as gw:
        accepted = await _soap(gw, good)
        refused = await _soap(gw, bad_date)
        rows = await _inbound(gw)
    assert accepted.status_code == 200 and b"Bv03" in accepted.content
    assert refused.status_code == 500
    fault = elements(etree.fromstring(refused.content), "//StUF:Fo03Bericht", NS)[0]
    assert fault.findtext("StUF:body/StUF:code", namespaces=NS) == "StUF055"
    assert "geboortedatum" in (fault.findtext("StUF:body/StUF:details", namespaces=NS) or "")
    assert [r.state for r in rows] == ["accepted", "rejected"]
