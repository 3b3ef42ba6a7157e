"""``/v1/ops/replays``: plan a replay, run it as a job (admin, with a reason), follow, cancel."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import Field
from starlette.responses import JSONResponse

from gateway.ops.api.deps import ERRORS, PROBLEM, AdminDep, OpsDep, ViewerDep
from gateway.ops.api.messages import Reason
from gateway.ops.replay.model import ReplayKind, Selection

__all__ = ["router"]

router = APIRouter(tags=["ops: replay"], responses=ERRORS)


class PlanRequest(Selection):
    kind: ReplayKind = Field(
        description="republish: same message, same CloudEvent id; "
        "retranslate: run the adapter again on the raw payload, new id + supersedes"
    )

    def selection(self) -> Selection:
        return Selection(message_ids=self.message_ids, filter=self.filter, up_to_seq=self.up_to_seq)


class ReplayRequest(PlanRequest):
    # Required here: a replay runs what a plan showed (hard to misuse: plan, then execute).
    up_to_seq: int = Field(
        description="The plan's max_seq: the job replays exactly the messages the plan counted"
    )
    reason: Annotated[str, Field(min_length=3, max_length=2000, description="Why (audited)")]
    idempotency_key: Annotated[
        str | None,
        Field(max_length=200, description="The same key again returns the same job"),
    ] = None


@router.post("/replays/plan", summary="What a replay would do: count, sample, diffs (no change)")
async def plan_replay(ops: OpsDep, _viewer: ViewerDep, body: PlanRequest) -> dict[str, Any]:
    return (await ops.plan(body.kind, body.selection())).as_json()


@router.post(
    "/replays",
    status_code=202,
    summary="Start a replay job (ops-admin, reason required); progress at /replays/{id}",
    responses={422: PROBLEM | {"description": "Invalid selection or missing reason"}},
)
async def start_replay(ops: OpsDep, admin: AdminDep, body: ReplayRequest) -> JSONResponse:
    job = await ops.replay(
        body.kind,
        body.selection(),
        actor=admin,
        reason=body.reason,
        idempotency_key=body.idempotency_key,
    )
    return JSONResponse(job.as_json(), status_code=200 if job.repeated else 202)


@router.get("/replays", summary="Replay jobs, newest first")
async def list_replays(
    ops: OpsDep, _viewer: ViewerDep, limit: Annotated[int, Query(ge=1, le=200)] = 50
) -> dict[str, Any]:
    return {"items": [j.as_json() for j in await ops.jobs(limit=limit)]}


@router.get(
    "/replays/{job_id}",
    summary="A job and its progress",
    responses={404: PROBLEM | {"description": "No such job"}},
)
async def show_replay(ops: OpsDep, _viewer: ViewerDep, job_id: str) -> dict[str, Any]:
    return (await ops.job(job_id)).as_json()


@router.get("/replays/{job_id}/items", summary="What the job did with each message")
async def replay_items(
    ops: OpsDep,
    _viewer: ViewerDep,
    job_id: str,
    outcome: Annotated[str | None, Query(max_length=16)] = None,
    after: Annotated[int | None, Query(description="Continue after this seq")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> dict[str, Any]:
    items = await ops.job_items(job_id, outcome=outcome, after=after, limit=limit)
    return {"items": items}


@router.post("/replays/{job_id}/cancel", summary="Stop a job (ops-admin; audited)")
async def cancel_replay(ops: OpsDep, admin: AdminDep, job_id: str, body: Reason) -> dict[str, Any]:
    return (await ops.cancel(job_id, actor=admin, reason=body.reason)).as_json()


@router.post(
    "/replays/{job_id}/run",
    summary="Run a job again: resumes an unfinished job; a finished one publishes nothing",
)
async def rerun_replay(ops: OpsDep, admin: AdminDep, job_id: str) -> dict[str, Any]:
    return (await ops.resume(job_id, actor=admin)).as_json()
