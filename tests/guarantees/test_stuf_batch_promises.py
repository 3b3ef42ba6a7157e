"""docs/stuf.md, batch files: a file and its batch row are durable before the ``202``; SOAP and
a batch carry the same content; reading a batch takes constant memory."""

from __future__ import annotations

import hashlib
import io
import json
import tracemalloc
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import select

from adapters.stuf.batch import read_batch
from adapters.xmlsafe import XmlLimits
from gateway.store.tables import messages, stuf_batches
from gateway.stuf.service import StufService
from tests import stuf_messages as m
from tests.conftest import TEST_KEYS, GatewayFactory, Harness
from tests.guarantees.helpers import post_soap
from tests.samples import bsn_list
from tests.waiting import eventually

AUTH = {
    "Authorization": f"Bearer {TEST_KEYS['gemeente-amsterdam']}",
    "Content-Type": "application/xml",
}


def stuf_service(gw: Harness) -> StufService:
    service = gw.extras["app"].state.stuf
    assert isinstance(service, StufService)
    return service


async def finished(gw: Harness, batch_id: str) -> dict[str, Any]:
    async def done() -> dict[str, Any] | None:
        status: dict[str, Any] = (
            await gw.client.get(f"/v1/batches/{batch_id}", headers=AUTH)
        ).json()
        return status if status["state"] in ("done", "failed") else None

    return await eventually(done, timeout=120, interval=0.2, what=f"batch {batch_id} finished")


async def test_a_batch_file_and_its_row_are_durable_before_the_202(
    make_gateway: GatewayFactory,
) -> None:
    data = m.batch(
        [
            m.kandidaat_lk01(f"D-{i}", m.kandidaat(bsn=b))
            for i, b in enumerate(bsn_list(3, start=41_000_000))
        ]
    )
    async with make_gateway(relay=False, stuf_inbox_enabled=False) as gw:
        # The processing side stops before the upload: the app goes down after its 202 with
        # nothing processed, as a crash right after the answer would leave it.
        await stuf_service(gw).batches.stop()
        response = await gw.client.post("/v1/batches", content=data, headers=AUTH)
        assert response.status_code == 202, response.text
        batch_id = response.json()["batch_id"]

    async with make_gateway(relay=False, stuf_inbox_enabled=False) as gw:
        async with gw.ctx.store.read() as conn:
            row = (
                await conn.execute(select(stuf_batches).where(stuf_batches.c.id == batch_id))
            ).one()
        assert row.state == "received"
        assert row.content_hash == hashlib.sha256(data).hexdigest()
        assert Path(row.payload_path).read_bytes() == data
        # ... and the next gateway processes it.
        status = await finished(gw, batch_id)
        assert status["state"] == "done", status
        assert status["counts"]["accepted"] == 3
        assert await gw.count() == 3


async def test_a_kennisgeving_gives_the_same_message_over_soap_and_in_a_batch(
    make_gateway: GatewayFactory,
) -> None:
    same = m.kandidaat(bsn="111222333")
    async with make_gateway(relay=False, stuf_inbox_enabled=False) as gw:
        response = await post_soap(gw, m.soap(m.kandidaat_lk01("S-1", same)))
        assert response.status_code == 200, response.text
        # S-1 again inside a batch (another envelope, namespaces declared on the set): the same
        # content, so a repeat and not StUF016; S-2 is the same kennisgeving under a new number.
        data = m.batch([m.kandidaat_lk01("S-1", same), m.kandidaat_lk01("S-2", same)])
        upload = await gw.client.post("/v1/batches", content=data, headers=AUTH)
        assert upload.status_code == 202, upload.text
        batch_id = upload.json()["batch_id"]
        status = await finished(gw, batch_id)
        report = json.loads(
            (await gw.client.get(f"/v1/batches/{batch_id}/report", headers=AUTH)).content
        )
        async with gw.ctx.store.read() as conn:
            stored = (
                await conn.execute(
                    select(messages.c.type, messages.c.value).order_by(messages.c.seq)
                )
            ).all()
    assert status["state"] == "done", status
    assert [(e["referentienummer"], e["result"]) for e in report["messages"]] == [
        ("S-1", "repeated"),
        ("S-2", "accepted"),
    ]
    assert len(stored) == 2
    over_soap, in_batch = stored
    assert over_soap.type == in_batch.type == "candidate.enrolled"
    assert orjson.loads(over_soap.value) == orjson.loads(in_batch.value)


def _read_through(count: int) -> tuple[int, int, int]:
    """(file size, peak bytes allocated while reading, most messages held at once) of
    reading a generated batch of ``count`` kennisgevingen through the batch reader."""
    data = m.batch(
        [
            m.kandidaat_lk01(f"M-{i:06d}", m.kandidaat(bsn=bsn))
            for i, bsn in enumerate(bsn_list(count, start=50_000_000))
        ]
    )
    source = io.BytesIO(data)  # allocated before tracing: only the reading is measured
    seen = held = 0
    tracemalloc.start()
    try:
        for item in read_batch(source, XmlLimits()):
            seen += 1
            assert item.element is not None
            parent = item.element.getparent()
            # lxml's tree lives in C memory tracemalloc does not see: that the earlier
            # messages are gone from the tree is checked directly.
            held = max(held, len(parent) if parent is not None else 1)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert seen == count
    return len(data), peak, held


def test_reading_a_batch_takes_the_same_memory_for_ten_times_the_messages() -> None:
    small_size, small_peak, small_held = _read_through(500)
    large_size, large_peak, large_held = _read_through(5_000)
    assert large_size > 9 * small_size
    # The parser reads ahead by a buffer's worth of messages; earlier ones leave the tree.
    assert small_held == large_held < 200, (small_held, large_held)
    # Constant: ten times the file, not even twice the peak (allowing for caches warming up).
    assert large_peak < 2 * small_peak + 64 * 1024, (small_peak, large_peak)
    assert large_peak < large_size / 20, (large_peak, large_size)
