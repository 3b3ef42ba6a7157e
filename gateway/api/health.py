"""Liveness, readiness and Prometheus metrics."""

from __future__ import annotations

import asyncio
import contextlib
from datetime import UTC, datetime
from typing import Any

import orjson
from fastapi import APIRouter
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.responses import Response

from gateway.api.deps import ContextDep
from gateway.context import GatewayContext
from gateway.kafka_client import KafkaProbe
from gateway.relay import LEASE_NAME
from gateway.store.lease_repo import lease_holder
from gateway.store.outbox_repo import outbox_depth
from gateway.timeutil import as_utc

__all__ = ["router"]

router = APIRouter(tags=["health"])


@router.get("/", include_in_schema=False)
async def index() -> dict[str, Any]:
    """Where a browser pointed at the gateway's address finds its way."""
    return {
        "service": "Flextensie data-exchange gateway",
        "links": {
            "api_docs": "/docs",
            "openapi": "/openapi.json",
            "ops_console": "/ops",
            "health": "/healthz",
            "readiness": "/readyz",
            "metrics": "/metrics",
        },
    }


@router.get("/healthz", summary="The process is up")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/readyz", summary="Store reachable, relay running, Kafka reachable")
async def readyz(ctx: ContextDep) -> Response:
    checks: dict[str, Any] = {}
    checks["store"] = await _check_store(ctx)
    checks["relay"] = await _check_relay(ctx)
    checks["kafka"] = await _check_kafka(ctx)
    for name, check in ctx.readiness.items():
        checks[name] = check()
    ready = all(c["ok"] for c in checks.values())
    return Response(
        orjson.dumps({"status": "ready" if ready else "not-ready", "checks": checks}),
        status_code=200 if ready else 503,
        media_type="application/json",
    )


@router.get("/metrics", summary="Prometheus metrics", include_in_schema=True)
async def metrics(ctx: ContextDep) -> Response:
    with contextlib.suppress(Exception):
        async with ctx.store.read() as conn:
            depth, oldest = await outbox_depth(conn)
        ctx.metrics.outbox_depth.set(depth)
        lag = (datetime.now(UTC) - as_utc(oldest)).total_seconds() if oldest else 0.0
        ctx.metrics.relay_lag.set(max(lag, 0.0))
    return Response(generate_latest(ctx.metrics.registry), media_type=CONTENT_TYPE_LATEST)


async def _check_store(ctx: GatewayContext) -> dict[str, Any]:
    try:
        await asyncio.wait_for(ctx.store.ping(), 2)
    except Exception as exc:
        return {"ok": False, "reason": type(exc).__name__}
    return {"ok": True}


async def _check_relay(ctx: GatewayContext) -> dict[str, Any]:
    if ctx.relay is not None:
        return {"ok": ctx.relay.running, "in_process": True, "holds_lease": ctx.relay.holds_lease}
    # Relay runs as its own process (flexgw relay): it must hold a fresh lease.
    try:
        async with ctx.store.read() as conn:
            holder = await lease_holder(conn, name=LEASE_NAME, now=datetime.now(UTC))
    except Exception as exc:
        return {"ok": False, "reason": type(exc).__name__}
    return {"ok": holder is not None, "in_process": False, "holder": holder}


async def _check_kafka(ctx: GatewayContext) -> dict[str, Any]:
    if ctx.relay is not None and ctx.relay.broker_ok:
        return {"ok": True}
    # Connects as the relay does (TLS, SASL): a wrong certificate or password shows here by
    # name instead of as a broker that merely looks away.
    if ctx.kafka_probe is None:
        ctx.kafka_probe = KafkaProbe(ctx.settings)
    reason = await ctx.kafka_probe.reason()
    if reason is not None:
        return {"ok": False, "reason": reason}
    if ctx.relay is not None:
        return {"ok": False, "reason": "the relay has not had the broker's answer yet"}
    return {"ok": True}
