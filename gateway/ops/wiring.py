"""Adds ops to the app: the service (background work started by the app's lifespan), the
``/v1/ops`` API and the ``/ops`` web console."""

from __future__ import annotations

from fastapi import FastAPI

from gateway.context import GatewayContext
from gateway.ops.service import OpsService

__all__ = ["install_ops"]


def install_ops(app: FastAPI, ctx: GatewayContext) -> OpsService:
    from gateway.ops.api import router as api_router

    ops = OpsService.for_context(ctx)
    app.state.ops = ops
    app.include_router(api_router)
    return ops
