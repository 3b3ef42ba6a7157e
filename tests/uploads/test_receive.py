"""Receiving: the body is streamed to disk, bounded, and nothing is left behind on refusal."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

from tests.uploads.conftest import SAMPLES, UploadGatewayFactory


async def test_a_file_over_the_limit_is_refused_and_leaves_nothing(
    make_upload_gateway: UploadGatewayFactory, tmp_path: Path
) -> None:
    body = (SAMPLES / "flexwerk-uitzend.csv").read_bytes() * 3

    async def chunks() -> AsyncIterator[bytes]:
        for start in range(0, len(body), 100):
            yield body[start : start + 100]

    async with make_upload_gateway(upload_max_bytes=2048) as gw:
        declared = await gw.upload(body)
        streamed = await gw.client.post(
            "/v1/uploads",
            content=chunks(),  # no Content-Length: only the stream tells
            headers={"Authorization": declared.request.headers["Authorization"]},
        )
        incoming = gw.settings.data_dir / "uploads" / "incoming"
        left = list(incoming.iterdir()) if incoming.exists() else []
        uploads = await gw.count()

    assert declared.status_code == 413
    assert streamed.status_code == 413
    assert streamed.json()["code"] == "payload-too-large"
    assert left == [] and uploads == 0


async def test_the_stored_file_is_the_uploaded_file(
    make_upload_gateway: UploadGatewayFactory,
) -> None:
    body = (SAMPLES / "detapower.csv").read_bytes()
    async with make_upload_gateway() as gw:
        status = await gw.upload_settled(body, as_client="detapower", file_name="../../x.csv")
        stored = list((gw.settings.data_dir / "uploads" / "34567890").iterdir())
    assert status["file_name"] == "x.csv"  # a name, never a path
    assert [p.read_bytes() for p in stored] == [body]
    assert stored[0].name == f"{status['upload_id']}.csv"
