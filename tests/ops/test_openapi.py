"""The ops API is documented in the OpenAPI schema; the console's pages are not part of it."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import GatewayFactory

EXPECTED = {
    ("/v1/ops/messages", "get"),
    ("/v1/ops/messages/counts", "get"),
    ("/v1/ops/messages/{message_id}", "get"),
    ("/v1/ops/messages/{message_id}/reveal", "post"),
    ("/v1/ops/messages/{message_id}/release", "post"),
    ("/v1/ops/inbound", "get"),
    ("/v1/ops/inbound/{inbound_id}", "get"),
    ("/v1/ops/inbound/{inbound_id}/retranslate/plan", "post"),
    ("/v1/ops/inbound/{inbound_id}/retranslate", "post"),
    ("/v1/ops/replays/plan", "post"),
    ("/v1/ops/replays", "post"),
    ("/v1/ops/replays", "get"),
    ("/v1/ops/replays/{job_id}", "get"),
    ("/v1/ops/replays/{job_id}/items", "get"),
    ("/v1/ops/replays/{job_id}/cancel", "post"),
    ("/v1/ops/replays/{job_id}/run", "post"),
    ("/v1/ops/holds", "get"),
    ("/v1/ops/holds", "post"),
    ("/v1/ops/holds/{hold_id}/release", "post"),
    ("/v1/ops/purge", "post"),
    ("/v1/ops/audit", "get"),
}


@pytest.fixture(scope="module")
async def schema(module_gateway: GatewayFactory) -> dict[str, Any]:
    async with module_gateway(relay=False) as gw:
        found: dict[str, Any] = (await gw.client.get("/openapi.json")).json()
    return found


def test_every_ops_operation_is_in_the_schema(schema: dict[str, Any]) -> None:
    paths = schema["paths"]
    assert {(path, method) for path, ops in paths.items() for method in ops} >= EXPECTED


def test_the_console_pages_are_not_in_the_schema(schema: dict[str, Any]) -> None:
    assert not [p for p in schema["paths"] if p.startswith("/ops")]


def test_replay_documents_its_refusals(schema: dict[str, Any]) -> None:
    replay = schema["paths"]["/v1/ops/replays"]["post"]
    assert {"401", "403", "422"} <= set(replay["responses"])


def test_replay_request_requires_a_reason(schema: dict[str, Any]) -> None:
    replay = schema["paths"]["/v1/ops/replays"]["post"]
    body = replay["requestBody"]["content"]["application/json"]["schema"]["$ref"].split("/")[-1]
    request = schema["components"]["schemas"][body]
    assert "reason" in request["required"]
    assert {"kind", "message_ids", "filter", "up_to_seq", "idempotency_key"} <= set(
        request["properties"]
    )


def test_message_list_documents_its_filters(schema: dict[str, Any]) -> None:
    list_params = {p["name"] for p in schema["paths"]["/v1/ops/messages"]["get"]["parameters"]}
    assert {
        "state",
        "sender",
        "channel",
        "type",
        "error_code",
        "since",
        "until",
        "before",
    } <= list_params
