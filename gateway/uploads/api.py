"""``/v1/uploads``: staffing agencies upload payroll CSV and SETU files of any size.

The body is streamed to disk (never held in memory); the answer comes at once with an upload
id and a status URL, and the file is checked in the background.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

import orjson
from fastapi import APIRouter, Header, Query, Request
from starlette.responses import Response, StreamingResponse

from gateway.api.deps import ClientDep, ContextDep
from gateway.context import GatewayContext
from gateway.errors import PayloadTooLarge, ServiceUnavailable
from gateway.uploads.model import ACCEPTED_STATES
from gateway.uploads.report import errors_csv, errors_json
from gateway.uploads.service import UploadService, UploadSource

__all__ = ["router"]

router = APIRouter(tags=["uploads"])

_PROBLEM: dict[str, Any] = {"content": {"application/problem+json": {}}}


def _service(ctx: GatewayContext) -> UploadService:
    from gateway.uploads.wiring import UploadChannel

    channel = ctx.channels.get("uploads")
    if not isinstance(channel, UploadChannel):
        raise ServiceUnavailable("the upload channel is not running in this process")
    return channel.service


@router.post(
    "/v1/uploads",
    status_code=202,
    summary="Upload a payroll CSV or a SETU Timecard/Assignment (XML or JSON)",
    responses={
        401: _PROBLEM | {"description": "Missing or unknown API key"},
        403: _PROBLEM | {"description": "Not a staffing agency"},
        413: _PROBLEM | {"description": "File too large"},
        415: _PROBLEM | {"description": "Declared SETU, but neither XML nor JSON"},
        422: _PROBLEM | {"description": "CSV from an agency without a profile"},
    },
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "text/csv": {"schema": {"type": "string", "format": "binary"}},
                "application/xml": {"schema": {"type": "string", "format": "binary"}},
                "application/json": {"schema": {"type": "object"}},
                "application/octet-stream": {"schema": {"type": "string", "format": "binary"}},
            },
        }
    },
)
async def upload(
    request: Request,
    ctx: ContextDep,
    client: ClientDep,
    format: Annotated[
        Literal["csv", "setu"] | None,
        Query(description="What the file is; detected from its first bytes when left out."),
    ] = None,
    x_file_name: Annotated[
        str | None, Header(max_length=255, description="The file's name, for reports.")
    ] = None,
) -> Response:
    service = _service(ctx)
    declared = request.headers.get("content-length")
    if (
        declared is not None
        and declared.isdigit()
        and int(declared) > ctx.settings.upload_max_bytes
    ):
        limit = ctx.settings.upload_max_bytes
        raise PayloadTooLarge(f"the file is larger than {limit} bytes", limit=limit)
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    accepted = await service.receive(
        request.stream(),
        client=client,
        source=UploadSource(
            channel="api", file_name=x_file_name, declared_format=format, content_type=media
        ),
    )
    body = accepted.upload.receipt(repeated=accepted.repeated)
    if accepted.repeated:
        body["status"] = accepted.upload.state
    headers = {"Location": body["status_url"]}
    if accepted.repeated:
        headers["Idempotent-Replayed"] = "true"
    return Response(
        orjson.dumps(body), status_code=202, media_type="application/json", headers=headers
    )


@router.get("/v1/uploads/{upload_id}", summary="Status, counts and progress of an upload")
async def upload_status(upload_id: str, ctx: ContextDep, client: ClientDep) -> Response:
    service = _service(ctx)
    found = await service.get(upload_id, client)
    # Nothing of an upload is published before it is accepted: no need to count then.
    published = await service.published(upload_id) if found.state in ACCEPTED_STATES else 0
    return Response(orjson.dumps(found.status(published=published)), media_type="application/json")


@router.get(
    "/v1/uploads/{upload_id}/errors",
    summary="Every error of an upload, as JSON or as CSV (?format=csv or Accept: text/csv)",
    responses={200: {"content": {"application/json": {}, "text/csv": {}}}},
)
async def upload_errors(
    upload_id: str,
    request: Request,
    ctx: ContextDep,
    client: ClientDep,
    format: Annotated[Literal["json", "csv"] | None, Query()] = None,
) -> Response:
    service = _service(ctx)
    found = await service.get(upload_id, client)
    wants_csv = format == "csv" or (
        format is None and "text/csv" in request.headers.get("accept", "")
    )
    if wants_csv:
        name = f"upload-{found.id}-errors.csv"
        return StreamingResponse(
            errors_csv(service.store, found.id),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{name}"'},
        )
    return StreamingResponse(errors_json(service.store, found), media_type="application/json")
