"""The ops API is documented in the OpenAPI schema; the console's pages are not part of it."""

from __future__ import annotations


async def test_ops_api_is_in_the_openapi_schema_and_console_is_not(make_gateway) -> None:
    async with make_gateway(relay=False) as gw:
        schema = (await gw.client.get("/openapi.json")).json()
    paths = schema["paths"]
    expected = {
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
    assert expected <= {(path, method) for path, ops in paths.items() for method in ops}
    assert not [p for p in paths if p.startswith("/ops")]
    replay = paths["/v1/ops/replays"]["post"]
    assert {"401", "403", "422"} <= set(replay["responses"])
    body = replay["requestBody"]["content"]["application/json"]["schema"]["$ref"].split("/")[-1]
    request = schema["components"]["schemas"][body]
    assert "reason" in request["required"]
    assert {"kind", "message_ids", "filter", "up_to_seq", "idempotency_key"} <= set(
        request["properties"]
    )
    list_params = {p["name"] for p in paths["/v1/ops/messages"]["get"]["parameters"]}
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
