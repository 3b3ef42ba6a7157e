"""``/v1/ops/audit`` (read the audit log) and ``/v1/ops/purge`` (retention purge now)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import Field

from gateway.ops.api.deps import ERRORS, AdminDep, OpsDep, ViewerDep
from gateway.ops.api.messages import Reason
from gateway.timeutil import format_time

__all__ = ["router"]

router = APIRouter(tags=["ops: audit and retention"], responses=ERRORS)


@router.get("/audit", summary="The audit log, newest first (keyset paging)")
async def audit_log(
    ops: OpsDep,
    _viewer: ViewerDep,
    action: Annotated[str | None, Query(max_length=32)] = None,
    actor: Annotated[str | None, Query(max_length=64)] = None,
    target: Annotated[str | None, Query(max_length=200)] = None,
    since: datetime | None = None,
    until: datetime | None = None,
    before: Annotated[int | None, Query(description="Continue below this seq")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> dict[str, Any]:
    entries = await ops.audit(
        action=action,
        actor=actor,
        target=target,
        since=since,
        until=until,
        before=before,
        limit=limit,
    )
    return {
        "items": [e.as_json() for e in entries],
        "next_before": entries[-1].seq if len(entries) == limit else None,
    }


class PurgeRequest(Reason):
    older_than_days: Annotated[
        int | None, Field(ge=1, description="Default: the configured retention_days")
    ] = None


@router.post("/purge", summary="Purge raw payloads past retention now (ops-admin; audited)")
async def purge(ops: OpsDep, admin: AdminDep, body: PurgeRequest) -> dict[str, Any]:
    result = await ops.purge(actor=admin, reason=body.reason, older_than_days=body.older_than_days)
    return {
        "payloads": result.payloads,
        "bytes": result.bytes,
        "cutoff": format_time(result.cutoff),
    }
