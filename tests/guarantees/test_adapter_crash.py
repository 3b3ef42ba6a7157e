"""docs/delivery.md, "Nothing accepted is lost" and docs/stuf.md (StUF058: stored for ops):
when an adapter fails with an unexpected error (a bug, not a validation error) the sender gets
a server error without the details of the crash, and the raw payload is kept in the store as
``rejected`` with ``error_code = crashed``, for ops to look at and re-translate."""

from __future__ import annotations

import orjson
import pytest

from adapters.base import Draft
from adapters.registry import load_adapters
from adapters.stuf.translate import StufAdapter
from tests import stuf_messages as m
from tests.conftest import GatewayFactory
from tests.guarantees.helpers import inbound_rows, post_soap, stuf_fault
from tests.samples import candidate_enrolled

#: Text of the injected crash: it must never reach the sender.
CRASH = "adapter bug: list index out of range at secret/path.py"


class CrashingAdapter:
    """Stands in for the canonical-JSON adapter with a bug."""

    name = "canonical-json"

    def translate(self, payload: bytes, *, sender: str) -> list[Draft]:
        raise IndexError(CRASH)


async def test_rest_payload_is_kept_when_the_adapter_crashes(
    make_gateway: GatewayFactory,
) -> None:
    body = orjson.dumps(candidate_enrolled())
    adapters = {**load_adapters(), CrashingAdapter.name: CrashingAdapter()}
    async with make_gateway(relay=False, adapters=adapters) as gw:
        response = await gw.post(body)
        rows = await inbound_rows(gw)
        queued = await gw.count()

    assert response.status_code == 500
    assert response.headers["content-type"] == "application/problem+json"
    assert CRASH not in response.text and "IndexError" not in response.text
    assert "Traceback" not in response.text
    [row] = rows
    assert bytes(row.payload) == body
    assert row.state == "rejected"
    assert row.error_code == "crashed"
    assert row.sender == "gemeente-amsterdam"
    assert queued == 0


async def test_stuf_payload_is_kept_when_the_adapter_crashes(
    make_gateway: GatewayFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    def crash(*_args: object, **_kwargs: object) -> list[Draft]:
        raise IndexError(CRASH)

    # The StUF channel builds its own StufAdapter, so the bug is put into the class itself.
    monkeypatch.setattr(StufAdapter, "map", crash)
    body = m.soap(m.kandidaat_lk01("CRASH-1"))
    async with make_gateway(relay=False, stuf_inbox_enabled=False) as gw:
        response = await post_soap(gw, body)
        rows = await inbound_rows(gw)
        queued = await gw.count()

    assert response.status_code == 500
    code, plek, details = stuf_fault(response)
    assert (code, plek) == ("StUF058", "server")
    assert CRASH not in response.text and "IndexError" not in response.text
    assert "Traceback" not in response.text
    assert details
    [row] = rows
    assert row.state == "rejected"
    assert row.error_code == "crashed"
    assert row.external_ref == "CRASH-1"
    assert b"CRASH-1" in bytes(row.payload)
    assert queued == 0
