"""``/v1/ops/messages``: list, count and inspect messages; reveal one (admin, audited)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from gateway.ops.api.deps import ERRORS, PROBLEM, AdminDep, FilterDep, OpsDep, ViewerDep

__all__ = ["router"]

router = APIRouter(tags=["ops: messages"], responses=ERRORS)


class Reason(BaseModel):
    reason: Annotated[str, Field(min_length=3, max_length=2000, description="Why (audited)")]


@router.get("/messages", summary="List messages by filter, newest first (keyset paging)")
async def list_messages(
    ops: OpsDep,
    _viewer: ViewerDep,
    f: FilterDep,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    before: Annotated[int | None, Query(description="Continue below this seq")] = None,
) -> dict[str, Any]:
    items = await ops.list_messages(f, limit=limit, before=before)
    return {
        "items": [i.as_json() for i in items],
        "next_before": items[-1].seq if len(items) == limit else None,
    }


@router.get("/messages/counts", summary="Count messages by filter, in total or grouped")
async def count_messages(
    ops: OpsDep,
    _viewer: ViewerDep,
    f: FilterDep,
    by: Annotated[Literal["state", "error_code", "type", "sender"] | None, Query()] = None,
) -> dict[str, int]:
    return await ops.count_messages(f, by=by)


@router.get(
    "/messages/{message_id}",
    summary="One message: state, error, history, masked canonical output and raw payload",
    responses={404: PROBLEM | {"description": "No such message"}},
)
async def show_message(ops: OpsDep, _viewer: ViewerDep, message_id: str) -> dict[str, Any]:
    return (await ops.message(message_id)).as_json()


@router.post(
    "/messages/{message_id}/reveal",
    summary="The message with BSNs unmasked (ops-admin; audited with the reason)",
    responses={404: PROBLEM | {"description": "No such message"}},
)
async def reveal_message(
    ops: OpsDep, admin: AdminDep, message_id: str, body: Reason
) -> dict[str, Any]:
    return (await ops.reveal(message_id, actor=admin, reason=body.reason)).as_json()


@router.get("/inbound", summary="Payloads as received, newest first (e.g. state=rejected)")
async def list_inbound(
    ops: OpsDep,
    _viewer: ViewerDep,
    state: Annotated[Literal["accepted", "rejected"] | None, Query()] = None,
    sender: Annotated[str | None, Query(max_length=200)] = None,
    channel: Annotated[str | None, Query(max_length=200)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> dict[str, Any]:
    items = await ops.inbound(state=state, sender=sender, channel=channel, limit=limit)
    return {"items": [i.as_json() for i in items]}


@router.get(
    "/inbound/{inbound_id}",
    summary="One payload as received: the answer given, its history, its messages (masked)",
    responses={404: PROBLEM | {"description": "No such payload"}},
)
async def show_inbound(ops: OpsDep, _viewer: ViewerDep, inbound_id: str) -> dict[str, Any]:
    return await ops.inbound_payload(inbound_id)


@router.post(
    "/inbound/{inbound_id}/retranslate/plan",
    summary="Would a rejected payload translate now (after a fix)? The messages it would make",
    responses={
        404: PROBLEM | {"description": "No such payload"},
        409: PROBLEM | {"description": "Not rejected"},
    },
)
async def plan_rejected(ops: OpsDep, _viewer: ViewerDep, inbound_id: str) -> dict[str, Any]:
    return (await ops.plan_rejected(inbound_id)).as_json()


@router.post(
    "/inbound/{inbound_id}/retranslate",
    summary="Re-translate a rejected payload and accept it (ops-admin; audited)",
    responses={
        404: PROBLEM | {"description": "No such payload"},
        409: PROBLEM | {"description": "Not rejected, or the same bytes were accepted since"},
        422: PROBLEM | {"description": "It still does not translate"},
    },
)
async def accept_rejected(
    ops: OpsDep, admin: AdminDep, inbound_id: str, body: Reason
) -> dict[str, Any]:
    ids = await ops.accept_rejected(inbound_id, actor=admin, reason=body.reason)
    return {"inbound_id": inbound_id, "message_ids": ids}
