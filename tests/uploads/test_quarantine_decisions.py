"""Issue 13, ops completeness: a quarantined upload row (a conflict) is released or discarded
by an operator through ``/v1/ops/quarantine`` (audited); ``flexgw quarantine`` does the same
from the command line."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import orjson
from sqlalchemy import select

from gateway.app import build_context, create_app
from gateway.settings import Settings
from gateway.store.tables import audit_log, messages, upload_quarantine
from tests.conftest import PERSON_KEY_SECRET, TEST_KEYS
from tests.live import serve_in_thread
from tests.uploads.conftest import SAMPLES, UploadGatewayFactory, UploadHarness, upload_clients
from tests.uploads.test_rejections import HEADER, U, row

SAMPLE = (SAMPLES / "flexwerk-uitzend.csv").read_bytes()
FLEXGW = str(Path(sys.executable).with_name("flexgw"))
ADMIN = ["--key", TEST_KEYS["ops-admin"]]
VIEWER = ["--key", TEST_KEYS["ops-viewer"]]


def flexgw(*args: str) -> subprocess.CompletedProcess[str]:
    """The installed command in its own process, as an operator runs it."""
    return subprocess.run(
        [FLEXGW, *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={k: v for k, v in os.environ.items() if not k.startswith("FLEXGW_")},
    )


def csv_file(*lines: str) -> bytes:
    return ("\r\n".join([HEADER, *lines]) + "\r\n").encode("cp1252")


def conflicting(hours: str, day: str = "09-11-2026") -> bytes:
    """The sample's hours of 9 November again, with other hours and no correction mark."""
    return csv_file(
        row(
            **{**U, "Uren": hours},
            BSN="111222333",
            Plaatsingsnummer="PL-2026-001",
            Datum=day,
        )
    )


def ops(client: str = "ops-admin") -> dict[str, str]:
    return {"Authorization": f"Bearer {TEST_KEYS[client]}"}


async def quarantined(gw: UploadHarness) -> list[dict[str, Any]]:
    await gw.upload_settled(SAMPLE, content_type="text/csv")
    await gw.upload_settled(conflicting("6,00"), content_type="text/csv")
    await gw.upload_settled(conflicting("7,00", "10-11-2026"), content_type="text/csv")
    listed = await gw.client.get("/v1/ops/quarantine", headers=ops("ops-viewer"))
    assert listed.status_code == 200, listed.text
    items: list[dict[str, Any]] = listed.json()["items"]
    return items


async def test_ops_list_held_rows_with_masked_values(
    make_upload_gateway: UploadGatewayFactory,
) -> None:
    async with make_upload_gateway() as gw:
        items = await quarantined(gw)
    assert [(i["line"], i["state"], i["type"]) for i in items] == [
        (2, "held", "hours.reported"),
        (2, "held", "hours.reported"),
    ]
    assert items[0]["value"]["bsn"] == "******333"
    assert "111222333" not in json.dumps(items)
    assert items[0]["conflicts_with"]


async def test_a_released_row_is_queued_superseding_the_earlier_message_and_audited(
    make_upload_gateway: UploadGatewayFactory,
) -> None:
    async with make_upload_gateway() as gw:
        first, _second = await quarantined(gw)
        refused = await gw.client.post(
            f"/v1/ops/quarantine/{first['seq']}/release",
            json={"reason": "agency confirmed 6 hours (TCK-9)"},
            headers=ops("ops-viewer"),
        )
        released = await gw.client.post(
            f"/v1/ops/quarantine/{first['seq']}/release",
            json={"reason": "agency confirmed 6 hours (TCK-9)"},
            headers=ops(),
        )
        again = await gw.client.post(
            f"/v1/ops/quarantine/{first['seq']}/discard",
            json={"reason": "changed my mind"},
            headers=ops(),
        )
        async with gw.ctx.store.read() as conn:
            message = (
                await conn.execute(
                    select(messages).where(messages.c.id == released.json()["message_id"])
                )
            ).one()
            [entry] = (
                await conn.execute(
                    select(audit_log).where(audit_log.c.action == "quarantine-release")
                )
            ).all()
        # The same values once more (in a file of other bytes) are a duplicate now, not
        # another conflict.
        resent = await gw.upload_settled(
            conflicting("6,00").replace(b"\r\n", b"\n"), content_type="text/csv"
        )
    assert refused.status_code == 403
    assert released.status_code == 200, released.text
    assert released.json()["state"] == "released"
    assert again.status_code == 409 and again.json()["code"] == "already-decided"
    assert message.state == "queued"
    assert message.supersedes == first["conflicts_with"]
    assert orjson.loads(message.value)["lines"][0]["hours"] == "6.00"
    assert (entry.actor, entry.reason) == ("ops-admin", "agency confirmed 6 hours (TCK-9)")
    assert entry.detail["quarantine_seq"] == first["seq"]
    assert resent["counts"]["rows_duplicate"] == 1
    assert resent["counts"]["rows_quarantined"] == 0


async def test_a_discarded_row_is_never_published_and_audited(
    make_upload_gateway: UploadGatewayFactory,
) -> None:
    async with make_upload_gateway() as gw:
        _first, second = await quarantined(gw)
        before = await gw.count()
        discarded = await gw.client.post(
            f"/v1/ops/quarantine/{second['seq']}/discard",
            json={"reason": "typo by the agency, old values stand"},
            headers=ops(),
        )
        after = await gw.count()
        async with gw.ctx.store.read() as conn:
            state = await conn.scalar(
                select(upload_quarantine.c.state).where(upload_quarantine.c.seq == second["seq"])
            )
            actions = (await conn.scalars(select(audit_log.c.action))).all()
        held = await gw.client.get("/v1/ops/quarantine", headers=ops("ops-viewer"))
    assert discarded.status_code == 200, discarded.text
    assert discarded.json() == {
        "seq": second["seq"],
        "state": "discarded",
        "upload_id": second["upload_id"],
        "message_id": None,
    }
    assert after == before
    assert state == "discarded"
    assert "quarantine-discard" in actions
    assert [i["seq"] for i in held.json()["items"]] == [_first["seq"]]


async def test_flexgw_quarantine_lists_releases_and_discards(tmp_path: Path) -> None:
    """The command line only talks HTTP: one store (SQLite) is enough here."""
    settings = Settings(
        _env_file=None,
        data_dir=tmp_path / "data",
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'gateway.db'}",
        person_key_secret=PERSON_KEY_SECRET,
        kafka_bootstrap_servers="127.0.0.1:1",
        relay_enabled=False,
        dlq_enabled=False,
        inbox_poll_seconds=0.1,
    )
    app = create_app(settings, context=build_context(settings, clients=upload_clients()))
    with serve_in_thread(app) as url:
        async with httpx.AsyncClient(base_url=url) as client:
            gw = UploadHarness(ctx=app.state.ctx, client=client, settings=settings, topic="")
            first, second = await quarantined(gw)
            listed = flexgw("quarantine", "list", "--url", url, *VIEWER)
            as_viewer = flexgw(
                "quarantine", "release", str(first["seq"]), "--reason", "ok", "--url", url, *VIEWER
            )
            released = flexgw(
                "quarantine",
                "release",
                str(first["seq"]),
                "--reason",
                "TCK-9",
                "--url",
                url,
                *ADMIN,
            )
            discarded = flexgw(
                "quarantine",
                "discard",
                str(second["seq"]),
                "--reason",
                "TCK-10",
                "--json",
                "--url",
                url,
                *ADMIN,
            )
            left = flexgw("quarantine", "list", "--json", "--url", url, *VIEWER)
    assert listed.returncode == 0, listed.stderr
    assert listed.stdout.splitlines()[0].split()[:3] == ["SEQ", "UPLOAD", "LINE"]
    assert len(listed.stdout.splitlines()) == 3
    assert as_viewer.returncode == 1 and "HTTP 403" in as_viewer.stderr
    assert released.returncode == 0, released.stderr
    assert f"row {first['seq']} of upload {first['upload_id']}: released as message" in (
        released.stdout
    )
    assert discarded.returncode == 0, discarded.stderr
    assert json.loads(discarded.stdout)["state"] == "discarded"
    assert json.loads(left.stdout)["items"] == []
