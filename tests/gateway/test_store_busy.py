"""Issue 10 acceptance 4: on SQLite, a writer elsewhere that stalls while holding the write lock
makes intake answer 503 with Retry-After (never 500) within the configured bound; once it lets
go, the retried submission is accepted and everything accepted is stored."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import pytest

from tests import stuf_messages as m
from tests.conftest import GatewayFactory
from tests.samples import bsn_list, placement_started
from tests.stuf_server import body_element, stuf_server


@pytest.mark.parametrize("store_url", ["sqlite"], indirect=True)
async def test_stalled_writer_gives_503_with_retry_after_then_retry_is_accepted(
    make_gateway: GatewayFactory, store_url: str, tmp_path: Path
) -> None:
    persons = bsn_list(3)
    async with make_gateway(relay=False, store_busy_seconds=1.0) as gw:
        before = await gw.post(placement_started(bsn=persons[0]), as_client="flexwerk-uitzend")
        assert before.status_code == 202, before.text

        # Another process's connection (a relay that stopped mid-transaction) takes the lock.
        database = store_url.removeprefix("sqlite+aiosqlite:///")
        stalled = sqlite3.connect(database, isolation_level=None, timeout=1)
        stalled.execute("BEGIN IMMEDIATE")
        try:
            loop = asyncio.get_running_loop()
            started = loop.time()
            busy = await gw.post(placement_started(bsn=persons[1]), as_client="flexwerk-uitzend")
            waited = loop.time() - started
        finally:
            stalled.rollback()
            stalled.close()

        assert busy.status_code == 503, busy.text
        assert int(busy.headers["Retry-After"]) >= 1
        assert busy.json()["code"] == "store-busy"
        assert waited < 10, f"the bound of 1 s took {waited:.1f} s"
        assert await gw.count() == 1  # the refused submission stored nothing

        retried = await gw.post(placement_started(bsn=persons[1]), as_client="flexwerk-uitzend")
        assert retried.status_code == 202, retried.text
        assert await gw.count("queued") == 2
        ids = set(before.json()["message_ids"]) | set(retried.json()["message_ids"])
        assert len(ids) == 2


@pytest.mark.parametrize("store_url", ["sqlite"], indirect=True)
async def test_stalled_writer_gives_soap_senders_503_with_retry_after(
    store_url: str, tmp_path: Path
) -> None:
    async with stuf_server(
        store_url, tmp_path / "data", None, relay=False, store_busy_seconds=1.0
    ) as server:
        database = store_url.removeprefix("sqlite+aiosqlite:///")
        stalled = sqlite3.connect(database, isolation_level=None, timeout=1)
        stalled.execute("BEGIN IMMEDIATE")
        try:
            busy = await asyncio.to_thread(server.post, m.soap(m.kandidaat_lk01("B-1")))
        finally:
            stalled.rollback()
            stalled.close()
        assert busy.status_code == 503, busy.text
        assert int(busy.headers["Retry-After"]) >= 1
        assert "Traceback" not in busy.text
        assert "StUF046" in busy.text  # "send again later"

        retried = await asyncio.to_thread(server.post, m.soap(m.kandidaat_lk01("B-1")))
        assert retried.status_code == 200, retried.text
        assert body_element(retried.content, "Bv03Bericht") is not None
