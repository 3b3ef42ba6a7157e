"""FastAPI dependencies as ``Annotated`` aliases."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Header, Request

from gateway.auth import Client
from gateway.context import GatewayContext
from gateway.errors import Forbidden, PayloadTooLarge

__all__ = ["ClientDep", "ContextDep", "OpsAdminDep", "OpsViewerDep", "read_body"]


def get_context(request: Request) -> GatewayContext:
    ctx: GatewayContext = request.app.state.ctx
    return ctx


ContextDep = Annotated[GatewayContext, Depends(get_context)]


def get_client(
    ctx: ContextDep,
    authorization: Annotated[str | None, Header(include_in_schema=False)] = None,
) -> Client:
    return ctx.clients.authenticate(authorization)


ClientDep = Annotated[Client, Depends(get_client)]


def get_ops_viewer(client: ClientDep) -> Client:
    if not client.is_ops:
        raise Forbidden("this needs an ops role")
    return client


def get_ops_admin(client: ClientDep) -> Client:
    if client.role != "ops-admin":
        raise Forbidden("this needs the ops-admin role")
    return client


OpsViewerDep = Annotated[Client, Depends(get_ops_viewer)]
OpsAdminDep = Annotated[Client, Depends(get_ops_admin)]


async def read_body(request: Request, limit: int) -> bytes:
    """The whole body, refusing more than ``limit`` bytes without reading them all."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise PayloadTooLarge(f"the body is larger than {limit} bytes", limit=limit)
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise PayloadTooLarge(f"the body is larger than {limit} bytes", limit=limit)
        chunks.append(chunk)
    return b"".join(chunks)
