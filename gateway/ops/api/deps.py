"""Dependencies of the ops routes: the ops service, the acting ops user, the message filter."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import Depends, Query, Request
from fastapi.exceptions import RequestValidationError
from pydantic import ValidationError

from gateway.api.deps import OpsAdminDep, OpsViewerDep
from gateway.ops.audit import Actor
from gateway.ops.filters import MessageFilter
from gateway.ops.service import OpsService
from gateway.states import MessageState

__all__ = ["PROBLEM", "AdminDep", "FilterDep", "OpsDep", "ViewerDep"]

PROBLEM: dict[str, Any] = {"content": {"application/problem+json": {}}}
ERRORS: dict[int | str, dict[str, Any]] = {
    401: PROBLEM | {"description": "Missing or unknown API key"},
    403: PROBLEM | {"description": "Not an ops client, or the action needs ops-admin"},
}


def get_ops(request: Request) -> OpsService:
    ops: OpsService = request.app.state.ops
    return ops


OpsDep = Annotated[OpsService, Depends(get_ops)]


def get_viewer(client: OpsViewerDep) -> Actor:
    return Actor.of(client)


def get_admin(client: OpsAdminDep) -> Actor:
    return Actor.of(client)


ViewerDep = Annotated[Actor, Depends(get_viewer)]
AdminDep = Annotated[Actor, Depends(get_admin)]


def get_filter(
    state: Annotated[MessageState | None, Query(description="Message state")] = None,
    sender: Annotated[str | None, Query(max_length=200, description="Client id")] = None,
    channel: Annotated[str | None, Query(max_length=200, description="rest, soap, ...")] = None,
    type: Annotated[str | None, Query(max_length=200, description="Short type")] = None,
    error_code: Annotated[str | None, Query(max_length=200)] = None,
    since: Annotated[datetime | None, Query(description="Created at or after")] = None,
    until: Annotated[datetime | None, Query(description="Created before")] = None,
) -> MessageFilter:
    try:
        return MessageFilter(
            state=state,
            sender=sender,
            channel=channel,
            type=type,
            error_code=error_code,
            since=since,
            until=until,
        )
    except ValidationError as exc:
        raise RequestValidationError(exc.errors(include_url=False)) from None


FilterDep = Annotated[MessageFilter, Depends(get_filter)]
