"""The real app behind a real port for StUF clients (zeep), and its store opened from the test's
own event loop (the served app runs in its own thread and loop)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypedDict

import requests
from lxml import etree
from sqlalchemy import func, select
from zeep import Client as ZeepClient
from zeep import Transport
from zeep.plugins import HistoryPlugin

from gateway.app import build_context, create_app
from gateway.localkafka import LocalKafka
from gateway.settings import Settings
from gateway.store import Store
from gateway.store.tables import inbound, messages
from tests.conftest import TEST_KEYS, make_test_clients, settings_for
from tests.kafka_reader import TopicRead, read_topic
from tests.live import serve_in_thread
from tests.waiting import eventually
from tests.xpath import elements

WSDL_PATH = "/stuf/v1/flextensie?wsdl"
SOAP_PATH = "/stuf/v1/flextensie"


class PostOptions(TypedDict, total=False):
    """The options of ``StufServer.post``, for helpers that pass them on."""

    client_id: str
    version: str
    action: str | None


@dataclass
class StufServer:
    url: str
    settings: Settings
    topic: str
    store: Store
    kafka: LocalKafka | None

    def zeep(
        self, client_id: str = "gemeente-amsterdam", port: str | None = None
    ) -> tuple[Any, HistoryPlugin]:
        session = requests.Session()
        session.headers["Authorization"] = f"Bearer {TEST_KEYS[client_id]}"
        # zeep ships py.typed but leaves these constructors unannotated (as in gateway/stuf/pull.py).
        history = HistoryPlugin()  # type: ignore[no-untyped-call]
        client = ZeepClient(  # type: ignore[no-untyped-call]
            self.url + WSDL_PATH,
            transport=Transport(session=session),  # type: ignore[no-untyped-call]
            plugins=[history],
        )
        service = client.bind("FlextensieGateway", port) if port else client.service
        return service, history

    def post(
        self,
        body: bytes,
        *,
        client_id: str = "gemeente-amsterdam",
        version: str = "1.1",
        action: str | None = None,
    ) -> requests.Response:
        headers = {"Authorization": f"Bearer {TEST_KEYS[client_id]}"}
        if version == "1.1":
            headers["Content-Type"] = "text/xml; charset=utf-8"
            if action is not None:
                headers["SOAPAction"] = f'"{action}"'
        else:
            headers["Content-Type"] = "application/soap+xml; charset=utf-8" + (
                f'; action="{action}"' if action else ""
            )
        return requests.post(self.url + SOAP_PATH, data=body, headers=headers, timeout=30)

    async def count_messages(self) -> int:
        async with self.store.read() as conn:
            return int(await conn.scalar(select(func.count()).select_from(messages)) or 0)

    async def inbound_rows(self) -> list[Any]:
        async with self.store.read() as conn:
            return list((await conn.execute(select(inbound).order_by(inbound.c.received_at))).all())

    async def records(self, expected: int, timeout: float = 60.0) -> TopicRead:
        """Everything on the topic once at least ``expected`` records are there."""
        assert self.kafka is not None
        bootstrap = self.kafka.bootstrap

        async def enough() -> TopicRead | None:
            found = await read_topic(bootstrap, self.topic, timeout=timeout)
            return found if len(found.records) >= expected else None

        return await eventually(
            enough, timeout=timeout, interval=0.3, what=f"{expected} records on {self.topic}"
        )


@asynccontextmanager
async def stuf_server(
    store_url: str, data_dir: Path, kafka: LocalKafka | None = None, **overrides: Any
) -> AsyncIterator[StufServer]:
    settings = settings_for(store_url, data_dir, kafka, **overrides)
    app = create_app(settings, context=build_context(settings, clients=make_test_clients()))
    store = Store(settings.resolved_database_url)
    try:
        with serve_in_thread(app) as url:
            yield StufServer(url, settings, settings.default_topic, store, kafka)
    finally:
        await store.dispose()


def body_element(envelope: bytes, local: str) -> etree._Element:
    root = etree.fromstring(envelope)
    found = elements(root, f"//*[local-name()='{local}']")
    assert found, f"no {local} in {envelope[:500]!r}"
    return found[0]
