"""``/v1/ops/quarantine``: upload rows held as conflicts (same business key as an earlier row,
other values); an admin releases (publishes, superseding the earlier message) or discards
them."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from gateway.ops.api.deps import ERRORS, PROBLEM, AdminDep, OpsDep, ViewerDep
from gateway.ops.api.messages import Reason
from gateway.states import QuarantineState

__all__ = ["router"]

router = APIRouter(tags=["ops: quarantine"], responses=ERRORS)

_DECIDED: dict[int | str, dict[str, Any]] = {
    404: PROBLEM | {"description": "No such quarantined row"},
    409: PROBLEM | {"description": "The row was released or discarded already"},
}


@router.get("/quarantine", summary="Quarantined upload rows (BSNs masked)")
async def list_quarantine(
    ops: OpsDep,
    _viewer: ViewerDep,
    state: Annotated[QuarantineState | None, Query()] = QuarantineState.HELD,
    upload_id: Annotated[str | None, Query(max_length=36)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> dict[str, Any]:
    rows = await ops.quarantine(state=state, upload_id=upload_id, limit=limit)
    return {"items": [r.as_json() for r in rows]}


@router.get(
    "/quarantine/{seq}",
    summary="One quarantined row",
    responses={404: _DECIDED[404]},
)
async def get_quarantined(ops: OpsDep, _viewer: ViewerDep, seq: int) -> dict[str, Any]:
    return (await ops.quarantined(seq)).as_json()


@router.post(
    "/quarantine/{seq}/release",
    summary="Publish a held row, superseding the earlier row's message (ops-admin; audited)",
    responses=_DECIDED,
)
async def release(ops: OpsDep, admin: AdminDep, seq: int, body: Reason) -> dict[str, Any]:
    return await ops.decide_quarantined(seq, release=True, actor=admin, reason=body.reason)


@router.post(
    "/quarantine/{seq}/discard",
    summary="Discard a held row: it is never published (ops-admin; audited)",
    responses=_DECIDED,
)
async def discard(ops: OpsDep, admin: AdminDep, seq: int, body: Reason) -> dict[str, Any]:
    return await ops.decide_quarantined(seq, release=False, actor=admin, reason=body.reason)
