"""Adds ops to the app: the service (background work started by the app's lifespan), the
``/v1/ops`` API and the ``/ops`` web console."""

from __future__ import annotations

from fastapi import FastAPI

from gateway.context import GatewayContext
from gateway.ops.service import OpsService

__all__ = ["install_ops"]


def install_ops(app: FastAPI, ctx: GatewayContext) -> OpsService:
    from gateway.ops.api import router as api_router
    from gateway.ops.console.routes import build_console_router, install_console_errors
    from gateway.ops.console.session import SessionSigner, session_secret

    ops = OpsService.for_context(ctx)
    app.state.ops = ops
    app.include_router(api_router)
    signer = SessionSigner(
        session_secret(ctx.settings), lifetime_seconds=ctx.settings.console_session_minutes * 60
    )
    app.include_router(
        build_console_router(ops, signer, secure_cookie=ctx.settings.resolved_console_cookie_secure)
    )
    install_console_errors(app)
    return ops
