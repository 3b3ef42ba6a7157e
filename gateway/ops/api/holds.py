"""``/v1/ops/holds``: hold a person key (its queued messages wait) and release it."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter
from pydantic import Field, model_validator

from gateway.ops.api.deps import ERRORS, PROBLEM, AdminDep, OpsDep, ViewerDep
from gateway.ops.api.messages import Reason
from schemas.identifiers import Bsn

__all__ = ["router"]

router = APIRouter(tags=["ops: holds"], responses=ERRORS)


class HoldRequest(Reason):
    message_id: Annotated[str | None, Field(max_length=64)] = None
    bsn: Bsn | None = Field(default=None, description="Hold a person by BSN (body only)")

    @model_validator(mode="after")
    def _one(self) -> HoldRequest:
        if (self.message_id is None) == (self.bsn is None):
            raise ValueError("name either 'message_id' or 'bsn'")
        return self


@router.get("/holds", summary="Held person keys")
async def list_holds(ops: OpsDep, _viewer: ViewerDep) -> dict[str, Any]:
    return {"items": await ops.holds()}


@router.post(
    "/holds",
    status_code=201,
    summary="Hold a message and its person key (ops-admin; audited)",
    responses={404: PROBLEM | {"description": "No such message"}},
)
async def place_hold(ops: OpsDep, admin: AdminDep, body: HoldRequest) -> dict[str, Any]:
    result = await ops.hold(
        actor=admin, reason=body.reason, message_id=body.message_id, bsn=body.bsn
    )
    return result.as_json()


@router.post(
    "/holds/{hold_id}/release",
    summary="Release a hold: held messages go out again in order (ops-admin; audited)",
    responses={404: PROBLEM | {"description": "No such hold"}},
)
async def release_hold(ops: OpsDep, admin: AdminDep, hold_id: str, body: Reason) -> dict[str, Any]:
    return (await ops.release(actor=admin, reason=body.reason, hold_id=hold_id)).as_json()


@router.post(
    "/messages/{message_id}/release",
    summary="Release the hold on this message's person key (ops-admin; audited)",
    responses={404: PROBLEM | {"description": "No hold on this message's key"}},
)
async def release_message(
    ops: OpsDep, admin: AdminDep, message_id: str, body: Reason
) -> dict[str, Any]:
    return (await ops.release(actor=admin, reason=body.reason, message_id=message_id)).as_json()
