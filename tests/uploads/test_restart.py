"""Processing survives a restart: an upload received but not processed is picked up at
start-up, and one cut off half-way is thrown away and processed again, with the same message
ids and no message twice. While it runs, its status shows progress."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from gateway.store.tables import messages
from gateway.uploads.wiring import UploadChannel
from tests.uploads.conftest import SAMPLES, UploadGatewayFactory, UploadHarness
from tests.uploads.generated import payroll_file


async def _message_ids(gw: UploadHarness) -> list[str]:
    async with gw.ctx.store.read() as conn:
        return sorted((await conn.execute(select(messages.c.id))).scalars())


async def test_an_upload_received_but_not_processed_is_processed_after_a_restart(
    make_upload_gateway: UploadGatewayFactory, tmp_path: Path
) -> None:
    data = tmp_path / "data"
    async with make_upload_gateway(data_dir=data) as gw:
        await uploads_of(gw).processor.stop()  # the process dies right after the 202
        response = await gw.upload((SAMPLES / "flexwerk-uitzend.csv").read_bytes())
        upload_id = response.json()["upload_id"]
        before = (await gw.get(f"/v1/uploads/{upload_id}")).json()
    async with make_upload_gateway(data_dir=data) as gw:
        after = await gw.settled(upload_id)
        queued = await gw.count("queued")

    assert response.status_code == 202 and response.json()["status"] == "received"
    assert before["status"] == "received"
    assert after["status"] == "accepted"
    assert after["counts"]["messages"] == queued == 8


async def test_an_upload_cut_off_while_validating_is_processed_again_from_scratch(
    make_upload_gateway: UploadGatewayFactory, tmp_path: Path
) -> None:
    data = tmp_path / "data"
    big = payroll_file(tmp_path / "big.csv", 12_000).read_bytes()
    seen_running: list[dict[str, Any]] = []
    async with make_upload_gateway(data_dir=data, upload_chunk_rows=200) as gw:
        response = await gw.upload(big, content_type="text/csv", file_name="big.csv")
        upload_id = response.json()["upload_id"]
        for _ in range(2000):
            status = (await gw.get(f"/v1/uploads/{upload_id}")).json()
            if status["status"] == "validating" and status["counts"]["rows_read"] > 0:
                seen_running.append(status)
                if status["counts"]["messages"] > 0:
                    break
            await asyncio.sleep(0.005)
        # Leaving the block stops the app: processing is cut off mid-file.
    async with make_upload_gateway(data_dir=data) as gw:
        final = await gw.settled(upload_id, timeout=120)
        ids = await _message_ids(gw)
        async with gw.ctx.store.read() as conn:
            total = await conn.scalar(select(func.count()).select_from(messages))

    assert seen_running, "never saw the upload running"
    running = seen_running[-1]
    assert 0 < running["progress"]["percent"] < 100
    assert 0 < running["progress"]["bytes_read"] < running["progress"]["bytes_total"]
    assert running["status"] == "validating" and running["counts"]["messages"] > 0
    assert final["status"] == "accepted", final
    assert final["counts"]["rows_read"] == 12_000
    assert final["counts"]["messages"] == 12_000 == total == len(set(ids))


async def test_one_process_at_a_time_processes_uploads_and_another_takes_over(
    make_upload_gateway: UploadGatewayFactory, tmp_path: Path
) -> None:
    data = tmp_path / "data"
    sample = (SAMPLES / "flexwerk-uitzend.csv").read_bytes()
    async with (
        make_upload_gateway(data_dir=data) as first,
        make_upload_gateway(data_dir=data) as second,
    ):
        one, two = uploads_of(first).processor, uploads_of(second).processor
        # Received by the process without the lease, processed by the one that has it.
        by_second = await second.upload_settled(sample)
        holders = [one.holds_lease, two.holds_lease]
        # The holder stops: the other takes over with the next upload.
        await one.stop()
        taken_over = await second.upload_settled(
            (SAMPLES / "detapower.csv").read_bytes(), as_client="detapower"
        )
        after = [one.holds_lease, two.holds_lease]

    assert by_second["status"] == "accepted"
    assert holders == [True, False]
    assert taken_over["status"] == "accepted"
    assert after == [False, True]


def uploads_of(gw: Any) -> UploadChannel:
    channel = gw.ctx.channels["uploads"]
    assert isinstance(channel, UploadChannel)
    return channel
