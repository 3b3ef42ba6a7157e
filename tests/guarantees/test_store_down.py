"""docs/stuf.md (StUF046: "the store cannot be reached (send again later)", not stored) and
the REST counterpart (503, retriable): when the store cannot be reached the sender is told to
send again later, and is never told the message was accepted. The store is made unreachable
for real: SQLite's database file disappears from its path, PostgreSQL refuses connections to
the database and its open connections are terminated."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path

import asyncpg
import pytest
from sqlalchemy.engine import make_url

from tests import stuf_messages as m
from tests.conftest import GatewayFactory, Harness
from tests.guarantees.helpers import post_soap, stuf_fault
from tests.samples import candidate_enrolled
from tests.services.postgres import PostgresServer

StoreOutage = Callable[[Harness], AbstractAsyncContextManager[None]]


@pytest.fixture
def store_outage(store_url: str, request: pytest.FixtureRequest) -> StoreOutage:
    """``async with store_outage(gw):`` the gateway's store cannot be reached inside."""

    @asynccontextmanager
    async def sqlite_gone(gw: Harness) -> AsyncIterator[None]:
        folder = Path(make_url(store_url).database or "").parent
        away = folder.with_name(folder.name + "-away")
        folder.rename(away)
        folder.write_bytes(b"")  # a file where the database's folder was: nothing opens
        # Pooled connections still hold the moved file open; drop them as a restart would.
        await gw.ctx.store.dispose()
        try:
            yield
        finally:
            folder.unlink()
            away.rename(folder)

    @asynccontextmanager
    async def postgres_refusing(gw: Harness) -> AsyncIterator[None]:
        server: PostgresServer = request.getfixturevalue("postgres_server")
        name = make_url(store_url).database
        admin = await asyncpg.connect(server.admin_url.replace("+asyncpg", ""))
        try:
            await admin.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false')
            await admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1",
                name,
            )
            try:
                yield
            finally:
                await admin.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true')
        finally:
            await admin.close()

    return sqlite_gone if store_url.startswith("sqlite") else postgres_refusing


async def test_rest_answers_503_while_the_store_is_down(
    make_gateway: GatewayFactory, store_outage: StoreOutage
) -> None:
    async with make_gateway(relay=False) as gw:
        assert (await gw.post(candidate_enrolled(bsn="123456782"))).status_code == 202
        async with store_outage(gw):
            response = await gw.post(candidate_enrolled())
        after = await gw.post(candidate_enrolled())
        stored = await gw.count()

    assert response.status_code == 503, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert "Traceback" not in response.text
    # back up: the same message is accepted as new, so nothing of it was stored before
    assert after.status_code == 202
    assert after.headers.get("Idempotent-Replayed") is None
    assert stored == 2


async def test_stuf_answers_stuf046_while_the_store_is_down(
    make_gateway: GatewayFactory, store_outage: StoreOutage
) -> None:
    async with make_gateway(relay=False, stuf_inbox_enabled=False) as gw:
        async with store_outage(gw):
            response = await post_soap(gw, m.soap(m.kandidaat_lk01("DOWN-1")))
        after = await post_soap(gw, m.soap(m.kandidaat_lk01("DOWN-1")))
        stored = await gw.count()

    assert response.status_code == 500, response.text
    code, plek, details = stuf_fault(response)
    assert (code, plek) == ("StUF046", "server")
    assert "send the message again later" in details
    assert "Traceback" not in response.text
    assert after.status_code == 200, after.text  # Bv03 once the store is back
    assert stored == 1
