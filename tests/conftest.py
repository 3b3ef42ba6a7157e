"""Shared fixtures: a real Kafka broker and PostgreSQL per session; every store-backed test
runs on SQLite and on PostgreSQL; a gateway harness around the real app."""

from __future__ import annotations

import asyncio
import logging
import os
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
from sqlalchemy import func, select

from gateway.app import build_context, create_app
from gateway.auth import Client, ClientRegistry, hash_key
from gateway.context import GatewayContext
from gateway.localkafka import LocalKafka
from gateway.log import configure_logging
from gateway.settings import Settings
from gateway.store.tables import messages
from tests.log_scan import bsns_in_tests, leaks
from tests.samples import placement_started
from tests.services.postgres import PostgresServer, free_port, start_postgres
from tests.waiting import eventually

PERSON_KEY_SECRET = "test-person-key-secret-0123456789abcdef"

TEST_CLIENTS: dict[str, dict[str, Any]] = {
    "gemeente-amsterdam": {
        "role": "municipality",
        "gemeentecode": "0363",
        "agencies": ["12345678", "87654321"],
    },
    "gemeente-rotterdam": {
        "role": "municipality",
        "gemeentecode": "0599",
        "agencies": ["12345678"],
    },
    "flexwerk-uitzend": {"role": "agency", "kvk": "12345678"},
    "andere-uitzend": {"role": "agency", "kvk": "87654321"},
    "ops-admin": {"role": "ops-admin"},
    "ops-viewer": {"role": "ops-viewer"},
}
#: A test BSN no test uses for anything but markers (Harness.publish_marker).
MARKER_BSN = "990000011"
TEST_KEYS = {client_id: f"key-{client_id}-{'x' * 16}" for client_id in TEST_CLIENTS}


def make_test_clients() -> ClientRegistry:
    return ClientRegistry(
        Client.model_validate({"id": cid, "key_sha256": [hash_key(TEST_KEYS[cid])], **spec})
        for cid, spec in TEST_CLIENTS.items()
    )


def settings_for(
    store_url: str,
    data_dir: Path,
    kafka: LocalKafka | None,
    *,
    relay: bool | None = None,
    **overrides: Any,
) -> Settings:
    """The settings of a gateway in a test: its own topic, short relay polls and backoff; the
    relay runs when there is a broker, unless ``relay`` says otherwise."""
    return Settings(
        _env_file=None,
        data_dir=data_dir,
        database_url=store_url,
        kafka_bootstrap_servers=overrides.pop(
            "kafka_bootstrap_servers", kafka.bootstrap if kafka else "127.0.0.1:1"
        ),
        default_topic=overrides.pop("default_topic", f"test.{uuid.uuid4().hex[:12]}"),
        person_key_secret=PERSON_KEY_SECRET,
        relay_enabled=kafka is not None if relay is None else relay,
        relay_poll_seconds=0.1,
        relay_backoff_initial_seconds=0.05,
        relay_backoff_max_seconds=1.0,
        kafka_request_timeout_ms=5000,
        **overrides,
    )


def two_free_ports() -> tuple[int, int]:
    first = free_port()
    second = free_port()
    while second == first:
        second = free_port()
    return first, second


def new_broker(home: Path) -> LocalKafka:
    port, controller = two_free_ports()
    return LocalKafka(
        home=home, cache=Path.home() / ".cache" / "flexgw", port=port, controller_port=controller
    )


@pytest.fixture(scope="session")
def kafka(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalKafka]:
    broker = new_broker(tmp_path_factory.mktemp("kafka"))
    broker.up()  # raises (fails the tests) when Kafka cannot start: never a skip
    yield broker
    broker.down()


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    server = start_postgres()
    yield server
    server.stop()


def _plain_dsn(url: str) -> str:
    return url.replace("postgresql+asyncpg://", "postgresql://")


@asynccontextmanager
async def fresh_database(server: PostgresServer) -> AsyncIterator[str]:
    name = f"t_{uuid.uuid4().hex[:16]}"
    admin = await asyncpg.connect(_plain_dsn(server.admin_url))
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    base, _, _ = server.admin_url.rpartition("/")
    try:
        yield f"{base}/{name}"
    finally:
        admin = await asyncpg.connect(_plain_dsn(server.admin_url))
        try:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await admin.close()


@pytest.fixture(params=["sqlite", "postgresql"])
async def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'gateway.db'}"
        return
    server: PostgresServer = request.getfixturevalue("postgres_server")
    async with fresh_database(server) as url:
        yield url


@pytest.fixture(scope="module")
def _no_real_env_in_module() -> Iterator[None]:
    """``_no_real_env`` for module fixtures, which are set up before any test's own."""
    with pytest.MonkeyPatch.context() as patch:
        for name in list(os.environ):
            if name.startswith("FLEXGW_") and not name.startswith("FLEXGW_TEST_"):
                patch.delenv(name)
        yield


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
async def module_store_url(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    _no_real_env_in_module: None,
) -> AsyncIterator[str]:
    """One store per test module (and per kind of store): for scenario fixtures that several
    tests of one behaviour each read."""
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('store') / 'gateway.db'}"
        return
    server: PostgresServer = request.getfixturevalue("postgres_server")
    async with fresh_database(server) as url:
        yield url


@dataclass
class Harness:
    ctx: GatewayContext
    client: httpx.AsyncClient
    settings: Settings
    topic: str
    extras: dict[str, Any] = field(default_factory=dict)

    async def post(
        self, body: Any, *, as_client: str = "gemeente-amsterdam", **headers: str
    ) -> httpx.Response:
        import orjson

        content = body if isinstance(body, bytes) else orjson.dumps(body)
        return await self.client.post(
            "/v1/messages",
            content=content,
            headers={
                "Authorization": f"Bearer {TEST_KEYS[as_client]}",
                "Content-Type": "application/json",
                **headers,
            },
        )

    async def count(self, state: str | None = None) -> int:
        query = select(func.count()).select_from(messages)
        if state is not None:
            query = query.where(messages.c.state == state)
        async with self.ctx.store.read() as conn:
            return int(await conn.scalar(query) or 0)

    async def wait_drained(self, timeout: float = 60.0) -> None:
        """Until nothing is queued any more (published or failed)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while await self.count("queued"):
            if loop.time() > deadline:
                raise TimeoutError(f"outbox still holds {await self.count('queued')} messages")
            await asyncio.sleep(0.1)

    async def publish_marker(self) -> str:
        """Sends one valid message and waits until the relay is done with it; returns its id.
        The outbox goes out in order, so a read of the topic that finds the marker has looked
        past everything queued before it: "nothing else was published" then means something."""
        marker = placement_started(bsn=MARKER_BSN, assignment=f"MARKER-{uuid.uuid4().hex[:8]}")
        response = await self.post(marker, as_client="flexwerk-uitzend")
        assert response.status_code == 202, response.text
        [message_id] = response.json()["message_ids"]

        async def out() -> bool:
            async with self.ctx.store.read() as conn:
                state = await conn.scalar(
                    select(messages.c.state).where(messages.c.id == message_id)
                )
            return state not in (None, "queued")

        await eventually(out, timeout=60, what=f"the marker {message_id} leaves the outbox")
        return str(message_id)


GatewayFactory = Callable[..., AbstractAsyncContextManager[Harness]]


def gateway_factory(store_url: str, data_dir: Path) -> GatewayFactory:
    """``async with factory(kafka=broker, **settings) as gw`` runs the real app in process."""

    @asynccontextmanager
    async def factory(
        kafka: LocalKafka | None = None,
        relay: bool | None = None,
        adapters: Any = None,
        clients: Any = None,
        **overrides: Any,
    ) -> AsyncIterator[Harness]:
        settings = settings_for(store_url, data_dir, kafka, relay=relay, **overrides)
        topic = settings.default_topic
        registry = make_test_clients() if clients is None else clients
        ctx = build_context(settings, clients=registry, adapters=adapters)
        app = create_app(settings, context=ctx)
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://gateway") as client:
                yield Harness(
                    ctx=ctx, client=client, settings=settings, topic=topic, extras={"app": app}
                )

    return factory


@pytest.fixture
def make_gateway(store_url: str, tmp_path: Path) -> GatewayFactory:
    """``async with make_gateway(kafka=broker, **settings) as gw`` runs the real app in process."""
    return gateway_factory(store_url, tmp_path / "data")


@pytest.fixture(scope="module")
def module_gateway(
    module_store_url: str, tmp_path_factory: pytest.TempPathFactory
) -> GatewayFactory:
    """``make_gateway`` on the module's store, for a scenario shared by a module's tests."""
    return gateway_factory(module_store_url, tmp_path_factory.mktemp("data"))


@pytest.fixture(autouse=True)
def _no_real_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Settings in tests come from the tests, not from a developer's FLEXGW_* environment."""
    for name in list(os.environ):
        if name.startswith("FLEXGW_") and not name.startswith("FLEXGW_TEST_"):
            monkeypatch.delenv(name)


# --- the whole run's logs hold no BSN (issue 11, acceptance 4) ------------------------------
_RUN_LOG = pytest.StashKey[Path]()


@pytest.fixture(scope="session", autouse=True)
def whole_run_log(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Callable[[], None]]:
    """Every log line of the run, through the gateway's own logging pipeline, into one file
    that :func:`pytest_sessionfinish` searches for the tests' BSNs. Yields the function that
    puts this logging back (for a test that configures logging itself)."""
    path = tmp_path_factory.getbasetemp() / "whole-run.log"
    handle = path.open("w", encoding="utf-8")
    request.config.stash[_RUN_LOG] = path

    def install() -> None:
        # info: what production logs (debug adds a line per aiosqlite call, slowing the run).
        configure_logging("info", "json", stream=handle)

    install()
    yield install
    logging.getLogger().handlers.clear()
    handle.close()


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    path = session.config.stash.get(_RUN_LOG, None)
    if path is None or not path.exists():
        return
    bsns = bsns_in_tests(Path(__file__).parent)
    with path.open(encoding="utf-8") as lines:
        found = leaks(lines, bsns)
    if found:
        reporter = session.config.pluginmanager.get_plugin("terminalreporter")
        message = f"\n{len(found)} log line(s) of this run hold a BSN of the tests, e.g.:\n" + (
            "\n".join(found[:5])
        )
        if reporter is not None:
            reporter.write_line(message, red=True)
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
