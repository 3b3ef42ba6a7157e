"""``POST /v1/messages``: senders that already speak canonical JSON."""

from __future__ import annotations

from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Header, Request
from pydantic import BaseModel
from starlette.responses import Response

from adapters.base import Draft
from gateway.api.deps import ClientDep, ContextDep, read_body
from gateway.api.middleware import current_correlation_id
from gateway.errors import UnsupportedMediaType
from gateway.intake import Submission

__all__ = ["router"]

router = APIRouter(tags=["messages"])


class Accepted(BaseModel):
    inbound_id: str
    status: str
    received_at: str
    message_ids: list[str]


_PROBLEM: dict[str, Any] = {"content": {"application/problem+json": {}}}


@router.post(
    "/v1/messages",
    status_code=202,
    response_model=Accepted,
    summary="Submit one canonical message or a JSON array of them",
    responses={
        401: _PROBLEM | {"description": "Missing or unknown API key"},
        403: _PROBLEM | {"description": "Data of another municipality or agency"},
        409: _PROBLEM | {"description": "Idempotency-Key reused with another body"},
        413: _PROBLEM | {"description": "Body too large"},
        415: _PROBLEM | {"description": "Not application/json"},
        422: _PROBLEM | {"description": "Invalid; errors[] lists every problem by JSON pointer"},
    },
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": {"type": ["object", "array"]}}},
        }
    },
)
async def submit_messages(
    request: Request,
    ctx: ContextDep,
    client: ClientDep,
    idempotency_key: Annotated[
        str | None, Header(max_length=200, pattern=r"^[\x21-\x7e]+$")
    ] = None,
) -> Response:
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type != "application/json" and not content_type.endswith("+json"):
        raise UnsupportedMediaType("send the messages as application/json")
    body = await read_body(request, ctx.settings.max_body_bytes)
    adapter = ctx.adapter("canonical-json")

    def authorize(draft: Draft) -> None:
        client.check_owns(draft.data, draft.origin)

    receipt = await ctx.intake.submit(
        Submission(
            sender=client.id,
            channel="rest",
            adapter=adapter.name,
            content_type=content_type,
            payload=body,
            idempotency_key=idempotency_key,
            correlation_id=current_correlation_id(),
        ),
        translate=lambda payload: adapter.translate(payload, sender=client.id),
        authorize=authorize,
    )
    headers: dict[str, Any] = {}
    if receipt.repeated:
        headers["Idempotent-Replayed"] = "true"
    return Response(
        orjson.dumps(receipt.as_response()),
        status_code=202,
        media_type="application/json",
        headers=headers,
    )
