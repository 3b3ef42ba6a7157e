"""The watched inbox: a file an SFTP server writes into ``<inbox>/<client-id>/`` goes through
the same path as an HTTP upload; reports are written next to it."""

from __future__ import annotations

import asyncio
import csv
import io
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.uploads.conftest import SAMPLES, UploadGatewayFactory
from tests.uploads.test_rejections import bad_file


async def _wait_for(predicate: Callable[[], object], timeout: float = 30) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not predicate():
        if loop.time() > deadline:
            raise TimeoutError("the inbox did not get there in time")
        await asyncio.sleep(0.05)


def _status(path: Path) -> dict[str, Any]:
    status: dict[str, Any] = json.loads(path.read_text("utf-8"))
    return status


async def test_inbox_files_are_uploaded_and_reported_next_to_them(
    make_upload_gateway: UploadGatewayFactory,
) -> None:
    async with make_upload_gateway(inbox_poll_seconds=0.1, setu_max_bytes=4096) as gw:
        inbox = gw.settings.resolved_inbox_dir / "flexwerk-uitzend"
        inbox.mkdir(parents=True, exist_ok=True)
        # Written under a temporary name, renamed when complete (what SFTP servers do).
        partial = inbox / "week46.csv.part"
        partial.write_bytes((SAMPLES / "flexwerk-uitzend.csv").read_bytes())
        (inbox / "fouten.csv").write_bytes(bad_file())
        bad_status = inbox / "fouten.csv.status.json"
        # the watcher has scanned the folder since the .part file was there: it took the other
        await _wait_for(lambda: bad_status.exists() and _status(bad_status)["status"] == "rejected")
        assert partial.exists(), "a .part file must be left alone"
        assert not (inbox / "week46.csv.part.status.json").exists()
        partial.rename(inbox / "week46.csv")

        good_status = inbox / "week46.csv.status.json"
        await _wait_for(
            lambda: good_status.exists() and _status(good_status)["status"] == "accepted"
        )
        good = _status(good_status)
        api_view = (await gw.get(f"/v1/uploads/{good['upload_id']}")).json()
        bad = _status(bad_status)
        errors_csv = (inbox / "fouten.csv.errors.csv").read_text("utf-8-sig")

        # The same file dropped again: the original upload, reported as a repeat.
        (inbox / "week46-again.csv").write_bytes((SAMPLES / "flexwerk-uitzend.csv").read_bytes())
        again_status = inbox / "week46-again.csv.status.json"
        await _wait_for(again_status.exists)
        again = _status(again_status)

        # A file that cannot be taken at all (a SETU document over the limit): renamed, and
        # its status file says why.
        other = gw.settings.resolved_inbox_dir / "andere-uitzend"
        other.mkdir()
        (other / "timecard.xml").write_bytes(b"<TimeCard>" + b" " * 5000 + b"</TimeCard>")
        await _wait_for((other / "timecard.xml.status.json").exists)
        remaining = sorted(p.name for p in inbox.iterdir())

    assert good["counts"]["messages"] == 8
    assert good["file_name"] == "week46.csv"
    assert api_view["status"] == "accepted" and api_view["upload_id"] == good["upload_id"]
    assert bad["error"]["code"] == "invalid_rows"
    rows = list(csv.DictReader(io.StringIO(errors_csv), delimiter=";"))
    assert len(rows) == bad["counts"]["errors"] > 5
    assert again["repeated"] is True and again["upload_id"] == good["upload_id"]
    # The picked-up files are gone from the inbox; only the reports remain.
    assert remaining == [
        "fouten.csv.errors.csv",
        "fouten.csv.status.json",
        "week46-again.csv.status.json",
        "week46.csv.status.json",
    ]
    assert (other / "timecard.xml.rejected").exists()
    refused = _status(other / "timecard.xml.status.json")
    assert refused["status"] == "rejected" and refused["error"]["code"] == "payload-too-large"
