"""``/v1/batches``: StUF batch files by upload (streamed), their status and report."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import orjson
import structlog
from fastapi import APIRouter, Header, Request
from starlette.responses import FileResponse, Response

from gateway.api.deps import ClientDep
from gateway.auth import Client
from gateway.errors import Forbidden, NotFound, UnsupportedMediaType
from gateway.store.stuf_repo import BatchRow, find_batch
from gateway.timeutil import format_time

if TYPE_CHECKING:
    from gateway.stuf.service import StufService

__all__ = ["batch_routes"]

_XML = {"application/xml", "text/xml"}


def batch_routes(service: StufService) -> APIRouter:
    router = APIRouter(tags=["stuf batches"])
    ctx = service.ctx

    @router.post(
        "/v1/batches",
        status_code=202,
        summary="Upload a StUF batch file (StUF:StUF-berichtenSet); streamed, never held in memory",
        openapi_extra={"requestBody": {"required": True, "content": {"application/xml": {}}}},
    )
    async def upload(
        request: Request,
        client: ClientDep,
        x_file_name: Annotated[str | None, Header(max_length=255)] = None,
    ) -> Response:
        if client.role != "municipality":
            raise Forbidden("only municipality clients deliver StUF batch files")
        content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if content_type not in _XML:
            raise UnsupportedMediaType("send the batch file as application/xml")
        correlation_id = structlog.contextvars.get_contextvars().get("correlation_id")
        batch, repeated = await service.batches.receive(
            client,
            request.stream(),
            file_name=x_file_name or "upload.xml",
            source="upload",
            correlation_id=correlation_id,
        )
        return Response(
            orjson.dumps({**_status(batch), "repeated": repeated}),
            status_code=200 if repeated else 202,
            media_type="application/json",
            headers={"Location": f"/v1/batches/{batch.id}"},
        )

    @router.get("/v1/batches/{batch_id}", summary="Status and counts of a batch")
    async def status(batch_id: str, client: ClientDep) -> Response:
        batch = await _owned(batch_id, client)
        return Response(orjson.dumps(_status(batch)), media_type="application/json")

    @router.get(
        "/v1/batches/{batch_id}/report",
        summary="Per kennisgeving: referentienummer, result and StUF fault",
    )
    async def report(batch_id: str, client: ClientDep) -> Response:
        batch = await _owned(batch_id, client)
        if batch.report_path is None or batch.state not in ("done", "failed"):
            return Response(
                orjson.dumps({**_status(batch), "detail": "the batch is not finished yet"}),
                status_code=202,
                media_type="application/json",
                headers={"Retry-After": "5"},
            )
        return FileResponse(batch.report_path, media_type="application/json")

    async def _owned(batch_id: str, client: Client) -> BatchRow:
        async with ctx.store.read() as conn:
            batch = await find_batch(conn, batch_id)
        if batch is None or (batch.sender != client.id and not client.is_ops):
            raise NotFound("no such batch for this client")
        return batch

    return router


def _status(batch: BatchRow) -> dict[str, Any]:
    return {
        "batch_id": batch.id,
        "state": batch.state,
        "file_name": batch.file_name,
        "size": batch.size,
        "sha256": batch.content_hash,
        "received_at": format_time(batch.received_at),
        "counts": {
            "total": batch.total,
            "accepted": batch.accepted,
            "repeated": batch.repeated,
            "ignored": batch.ignored,
            "rejected": batch.rejected,
        },
        "error": batch.error,
        "status_url": f"/v1/batches/{batch.id}",
        "report_url": f"/v1/batches/{batch.id}/report",
    }
