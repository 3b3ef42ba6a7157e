"""Every timestamp the API writes out has one form: UTC, milliseconds, ``Z``."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from tests import stuf_messages as m
from tests.uploads.conftest import SAMPLES, UPLOAD_KEYS, UploadGatewayFactory

ROOT = Path(__file__).resolve().parents[2]
ONE_FORM = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z")
LOOKS_LIKE_A_TIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:")


def timestamps(value: Any) -> list[str]:
    """Every string in an answer that is (or starts like) a date and time."""
    if isinstance(value, dict):
        return [t for v in value.values() for t in timestamps(v)]
    if isinstance(value, list):
        return [t for v in value for t in timestamps(v)]
    return [value] if isinstance(value, str) and LOOKS_LIKE_A_TIME.match(value) else []


def auth(client: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {UPLOAD_KEYS[client]}"}


async def test_every_api_timestamp_has_one_form(make_upload_gateway: UploadGatewayFactory) -> None:
    found: dict[str, list[str]] = {}
    async with make_upload_gateway(stuf_inbox_enabled=False) as gw:

        async def answer(
            name: str, method: str, path: str, client: str, kind: str = "json", **kw: Any
        ) -> Any:
            headers = {**auth(client), "Content-Type": f"application/{kind}"}
            response = await gw.client.request(method, path, headers=headers, **kw)
            assert response.status_code < 300, (name, response.text)
            found[name] = timestamps(response.json())
            return response.json()

        sent = await answer(
            "messages POST",
            "POST",
            "/v1/messages",
            "gemeente-amsterdam",
            content=(ROOT / "docs" / "examples" / "candidate.enrolled.json").read_bytes(),
        )
        [message_id] = sent["message_ids"]
        batch = await answer(
            "batches POST",
            "POST",
            "/v1/batches",
            "gemeente-amsterdam",
            content=m.batch([m.kandidaat_lk01("T-1", m.kandidaat(bsn="111222333"))]),
            kind="xml",
        )
        await answer("batches GET", "GET", f"/v1/batches/{batch['batch_id']}", "gemeente-amsterdam")
        upload = await gw.upload_settled((SAMPLES / "flexwerk-uitzend.csv").read_bytes())
        await answer("uploads GET", "GET", f"/v1/uploads/{upload['upload_id']}", "flexwerk-uitzend")
        await answer(
            "hold POST",
            "POST",
            "/v1/ops/holds",
            "ops-admin",
            json={"message_id": message_id, "reason": "check the person first"},
        )
        await answer("ops messages", "GET", "/v1/ops/messages", "ops-viewer")
        await answer("ops message", "GET", f"/v1/ops/messages/{message_id}", "ops-viewer")
        await answer("ops inbound", "GET", "/v1/ops/inbound", "ops-viewer")
        await answer(
            "ops inbound one", "GET", f"/v1/ops/inbound/{sent['inbound_id']}", "ops-viewer"
        )
        await answer("ops holds", "GET", "/v1/ops/holds", "ops-viewer")
        await answer("ops audit", "GET", "/v1/ops/audit", "ops-viewer")

    for name, found_here in found.items():
        assert found_here or name == "hold POST", f"{name}: no timestamp in the answer"
        for stamp in found_here:
            assert ONE_FORM.fullmatch(stamp), f"{name}: {stamp!r}"
