"""Shared pieces of the guarantee tests: posting SOAP in process, reading inbound rows."""

from __future__ import annotations

from typing import Any

import httpx
from lxml import etree
from sqlalchemy import select

from gateway.store.tables import inbound
from tests.conftest import TEST_KEYS, Harness

__all__ = ["STUF_NS", "inbound_rows", "post_soap", "stuf_fault"]

SOAP_PATH = "/stuf/v1/flextensie"
STUF_NS = {"StUF": "http://www.egem.nl/StUF/StUF0301"}


async def post_soap(
    gw: Harness, body: bytes, *, client_id: str = "gemeente-amsterdam"
) -> httpx.Response:
    return await gw.client.post(
        SOAP_PATH,
        content=body,
        headers={
            "Authorization": f"Bearer {TEST_KEYS[client_id]}",
            "Content-Type": "text/xml; charset=utf-8",
        },
    )


def stuf_fault(response: httpx.Response) -> tuple[str, str, str]:
    """(code, plek, details) of a StUF fault answer."""
    envelope = etree.fromstring(response.content)
    bodies = envelope.xpath("//StUF:body", namespaces=STUF_NS)
    assert isinstance(bodies, list) and bodies, response.text
    body = bodies[0]
    assert isinstance(body, etree._Element)
    return (
        body.findtext("StUF:code", namespaces=STUF_NS) or "",
        body.findtext("StUF:plek", namespaces=STUF_NS) or "",
        body.findtext("StUF:details", namespaces=STUF_NS) or "",
    )


async def inbound_rows(gw: Harness) -> list[Any]:
    async with gw.ctx.store.read() as conn:
        return list((await conn.execute(select(inbound))).all())
