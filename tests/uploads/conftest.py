"""Harness for the upload channel: the real app with three agency clients (one per shipped
profile), on SQLite and PostgreSQL, optionally with the real Kafka broker."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from gateway.app import build_context, create_app
from gateway.auth import Client, ClientRegistry, hash_key
from gateway.localkafka import LocalKafka
from gateway.states import MessageState
from gateway.store.tables import messages
from tests.conftest import TEST_CLIENTS, TEST_KEYS, Harness, settings_for

SAMPLES = Path(__file__).resolve().parents[2] / "adapters" / "payroll_csv" / "samples"

#: The agency clients of the shipped profiles (docs/agencies.md).
UPLOAD_CLIENTS: dict[str, dict[str, Any]] = {
    **TEST_CLIENTS,
    "detapower": {"role": "agency", "kvk": "34567890"},
}
UPLOAD_KEYS = {**TEST_KEYS, "detapower": "key-detapower-" + "y" * 16}
#: Which client uploads which shipped sample.
SAMPLE_SENDERS = {
    "flexwerk-uitzend.csv": "flexwerk-uitzend",
    "uurwerk-flex.csv": "andere-uitzend",
    "detapower.csv": "detapower",
}
FINAL = {"accepted", "partially_accepted", "rejected"}


def upload_clients() -> ClientRegistry:
    return ClientRegistry(
        Client.model_validate({"id": cid, "key_sha256": [hash_key(UPLOAD_KEYS[cid])], **spec})
        for cid, spec in UPLOAD_CLIENTS.items()
    )


@dataclass
class UploadHarness(Harness):
    async def upload(
        self,
        content: bytes,
        *,
        as_client: str = "flexwerk-uitzend",
        format: str | None = None,
        content_type: str = "application/octet-stream",
        file_name: str | None = None,
    ) -> httpx.Response:
        headers = {
            "Authorization": f"Bearer {UPLOAD_KEYS[as_client]}",
            "Content-Type": content_type,
        }
        if file_name:
            headers["X-File-Name"] = file_name
        params = {"format": format} if format else {}
        return await self.client.post(
            "/v1/uploads", content=content, headers=headers, params=params
        )

    async def get(
        self, path: str, *, as_client: str = "flexwerk-uitzend", **params: str
    ) -> httpx.Response:
        return await self.client.get(
            path, headers={"Authorization": f"Bearer {UPLOAD_KEYS[as_client]}"}, params=params
        )

    async def settled(
        self, upload_id: str, *, as_client: str = "flexwerk-uitzend", timeout: float = 60
    ) -> dict[str, Any]:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            response = await self.get(f"/v1/uploads/{upload_id}", as_client=as_client)
            assert response.status_code == 200, response.text
            status: dict[str, Any] = response.json()
            # An accepted file's messages move from staged to queued in their own short
            # transactions after the state change: settled means released too.
            if status["status"] in FINAL and not await self._staged(upload_id):
                return status
            if loop.time() > deadline:
                raise TimeoutError(f"upload {upload_id} still {status['status']}")
            await asyncio.sleep(0.05)

    async def _staged(self, upload_id: str) -> int:
        query = (
            select(func.count())
            .select_from(messages)
            .where(messages.c.inbound_id == upload_id, messages.c.state == MessageState.STAGED)
        )
        async with self.ctx.store.read() as conn:
            return int(await conn.scalar(query) or 0)

    async def upload_settled(self, content: bytes, **kwargs: Any) -> dict[str, Any]:
        response = await self.upload(content, **kwargs)
        assert response.status_code == 202, response.text
        return await self.settled(
            response.json()["upload_id"], as_client=kwargs.get("as_client", "flexwerk-uitzend")
        )


#: ``async with factory(kafka=broker, **settings) as gw`` gives an ``UploadHarness``.
UploadGatewayFactory = Callable[..., AbstractAsyncContextManager[UploadHarness]]


@pytest.fixture
def make_upload_gateway(store_url: str, tmp_path: Path) -> UploadGatewayFactory:
    """``async with make_upload_gateway(kafka=broker, **settings) as gw``."""

    @asynccontextmanager
    async def factory(
        kafka: LocalKafka | None = None, data_dir: Path | None = None, **overrides: Any
    ) -> AsyncIterator[UploadHarness]:
        settings = settings_for(
            store_url,
            data_dir or tmp_path / "data",
            kafka,
            inbox_poll_seconds=overrides.pop("inbox_poll_seconds", 0.1),
            **overrides,
        )
        topic = settings.default_topic
        ctx = build_context(settings, clients=upload_clients())
        app = create_app(settings, context=ctx)
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://gateway") as client:
                yield UploadHarness(ctx=ctx, client=client, settings=settings, topic=topic)

    return factory
