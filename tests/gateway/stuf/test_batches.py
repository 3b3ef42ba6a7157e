"""Issue 3 acceptance 5: a batch of 10,000 kennisgevingen of which some are invalid: the valid
ones are published, the invalid ones are reported with their referentienummer and fault. Also:
the inbox directory, repeats of a file, a file that breaks off, and per-person order."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from gateway.localkafka import LocalKafka
from tests import stuf_messages as m
from tests.conftest import TEST_KEYS, GatewayFactory
from tests.kafka_reader import headers_of, read_topic
from tests.samples import bsn_list
from tests.waiting import eventually

pytestmark = pytest.mark.kafka

AUTH = {
    "Authorization": f"Bearer {TEST_KEYS['gemeente-amsterdam']}",
    "Content-Type": "application/xml",
}


def ten_thousand() -> tuple[bytes, dict[str, str]]:
    """10,000 kennisgevingen; every 500th one is broken in one of four ways."""
    bsns = bsn_list(10_000, start=30_000_000)
    messages, broken = [], {}
    for i, bsn in enumerate(bsns):
        ref = f"B-{i:05d}"
        if i % 500 == 250:
            kind = ("schema", "foreign", "zender", "date")[(i // 500) % 4]
            if kind == "schema":
                messages.append(
                    m.kandidaat_lk01(ref, m.kandidaat(bsn=bsn, geboortedatum="17-04-1990"))
                )
                broken[ref] = "StUF055"
            elif kind == "foreign":
                messages.append(m.kandidaat_lk01(ref, m.kandidaat(bsn=bsn, gemeente="0599")))
                broken[ref] = "StUF052"
            elif kind == "zender":
                messages.append(m.kandidaat_lk01(ref, m.kandidaat(bsn=bsn), zender=("0599", "SOC")))
                broken[ref] = "StUF013"
            else:
                messages.append(
                    m.kandidaat_lk01(ref, m.kandidaat(bsn=bsn, datumAanmelding="20261301"))
                )
                broken[ref] = "StUF055"
        else:
            messages.append(m.kandidaat_lk01(ref, m.kandidaat(bsn=bsn)))
    return m.batch(messages), broken


async def chunks(data: bytes, size: int = 64 * 1024) -> AsyncIterator[bytes]:
    for start in range(0, len(data), size):
        yield data[start : start + size]


async def wait_finished(gw: Any, batch_id: str, timeout: float = 600) -> dict[str, Any]:
    async def finished() -> dict[str, Any] | None:
        status: dict[str, Any] = (
            await gw.client.get(f"/v1/batches/{batch_id}", headers=AUTH)
        ).json()
        return status if status["state"] in ("done", "failed") else None

    return await eventually(finished, timeout=timeout, interval=0.5, what=f"batch {batch_id}")


async def test_ten_thousand_kennisgevingen_valid_published_invalid_reported(
    make_gateway: GatewayFactory, kafka: LocalKafka
) -> None:
    data, broken = ten_thousand()
    async with make_gateway(kafka=kafka, stuf_inbox_enabled=False) as gw:
        response = await gw.client.post(
            "/v1/batches", content=chunks(data), headers={**AUTH, "X-File-Name": "nacht.xml"}
        )
        assert response.status_code == 202, response.text
        batch_id = response.json()["batch_id"]
        status = await wait_finished(gw, batch_id)
        assert status["state"] == "done", status
        assert status["counts"] == {
            "total": 10_000,
            "accepted": 10_000 - len(broken),
            "repeated": 0,
            "ignored": 0,
            "rejected": len(broken),
        }
        report = json.loads(
            (await gw.client.get(f"/v1/batches/{batch_id}/report", headers=AUTH)).content
        )
        assert [e["index"] for e in report["messages"]] == list(range(1, 10_001))
        rejected = {
            e["referentienummer"]: e for e in report["messages"] if e["result"] == "rejected"
        }
        assert {ref: e["fault"]["code"] for ref, e in rejected.items()} == broken
        assert all(e["fault"]["details"] for e in rejected.values())
        assert "line" in rejected["B-00250"]["fault"]["details"]
        await gw.wait_drained(timeout=300)
        records = (await read_topic(kafka.bootstrap, gw.topic, timeout=120)).records
        assert len(records) == 10_000 - len(broken)
        assert {headers_of(r)["ce_type"] for r in records} == {
            "nl.flextensie.candidate.enrolled.v1"
        }

        # the same file again is the same batch; its messages are not published twice
        again = await gw.client.post("/v1/batches", content=data, headers=AUTH)
        assert again.status_code == 200 and again.json()["batch_id"] == batch_id
        assert await gw.count() == 10_000 - len(broken)


async def test_a_reprocessed_batch_publishes_nothing_twice_and_keeps_person_order(
    make_gateway: GatewayFactory,
) -> None:
    bsn = "111222333"
    enrol = m.kandidaat_lk01("P-1", m.kandidaat(bsn=bsn))
    change = m.kandidaat_lk01(
        "P-2", m.kandidaat(bsn=bsn), m.kandidaat(bsn=bsn, geslachtsnaam="Jansen"), mutatiesoort="W"
    )
    withdraw = m.kandidaat_lk01(
        "P-3", m.kandidaat(bsn=bsn, datumAfmelding="20270101"), mutatiesoort="V"
    )
    data = m.batch([enrol, change, withdraw])
    async with make_gateway(stuf_inbox_enabled=False) as gw:
        response = await gw.client.post("/v1/batches", content=data, headers=AUTH)
        batch_id = response.json()["batch_id"]
        await wait_finished(gw, batch_id)
        from sqlalchemy import select

        from gateway.store.tables import messages

        async with gw.ctx.store.read() as conn:
            types = [
                r[0] for r in await conn.execute(select(messages.c.type).order_by(messages.c.seq))
            ]
        assert types == ["candidate.enrolled", "candidate.changed.v2", "candidate.withdrawn"]

        # a stop in the middle: the batch is processed again from the start
        from gateway.store.stuf_repo import find_batch, update_batch

        async with gw.ctx.store.write() as conn:
            await update_batch(conn, batch_id, state="processing")
        service = _service(gw)
        async with gw.ctx.store.read() as conn:
            batch = await find_batch(conn, batch_id)
        assert batch is not None
        await service.batches.process(batch)
        status = (await gw.client.get(f"/v1/batches/{batch_id}", headers=AUTH)).json()
        assert status["counts"]["repeated"] == 3 and status["counts"]["accepted"] == 0
        assert await gw.count() == 3


async def test_inbox_directory_and_a_broken_file(
    make_gateway: GatewayFactory, tmp_path: Path
) -> None:
    async with make_gateway(stuf_inbox_poll_seconds=0.2) as gw:
        inbox = gw.settings.data_dir / "inbox" / "gemeente-amsterdam"
        inbox.mkdir(parents=True)
        good = m.batch([m.kandidaat_lk01("I-1"), m.uitkering_lk01("I-2")])
        (inbox / "nacht.xml.part").write_bytes(good)
        (inbox / "nacht.xml.part").rename(inbox / "nacht.xml")
        cut = m.batch(
            [m.kandidaat_lk01("I-3", m.kandidaat(bsn="123456782")), m.kandidaat_lk01("I-4")]
        )[:-60]
        (inbox / "afgebroken.xml").write_bytes(cut)
        # still being written: the inbox must leave it alone while it takes the others
        (inbox / "later.xml.part").write_bytes(good)
        await eventually(
            lambda: not any(inbox.glob("*.xml")), timeout=60, what="the inbox takes both files"
        )
        service = _service(gw)
        from sqlalchemy import select

        from gateway.store.tables import stuf_batches

        async def both_finished() -> list[Any] | None:
            async with gw.ctx.store.read() as conn:
                rows = (await conn.execute(select(stuf_batches))).all()
            finished = len(rows) == 2 and all(r.state in ("done", "failed") for r in rows)
            return list(rows) if finished else None

        rows = await eventually(both_finished, timeout=60, what="both batches finished")
        assert (inbox / "later.xml.part").exists()
        by_name = {r.file_name: r for r in rows}
        assert by_name["nacht.xml"].state == "done" and by_name["nacht.xml"].accepted == 2
        broken = by_name["afgebroken.xml"]
        assert broken.state == "failed" and "not well-formed" in broken.error
        assert broken.accepted == 1  # the complete message before the break was taken
        assert service is not None


def _service(gw: Any) -> Any:
    return gw.client._transport.app.state.stuf
