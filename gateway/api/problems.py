"""Errors as problem+json (RFC 9457), with stable ``code`` and, for invalid input, every
issue as ``errors[]`` with a JSON pointer."""

from __future__ import annotations

from typing import Any

import orjson
import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from sqlalchemy.exc import SQLAlchemyError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from adapters.issues import json_pointer
from gateway.errors import PROBLEM_BASE, GatewayError, ServiceUnavailable
from gateway.store import StoreBusy

__all__ = ["install_problem_handlers", "problem_response"]

log = structlog.get_logger(__name__)
MEDIA_TYPE = "application/problem+json"


def problem_response(
    request: Request,
    *,
    status: int,
    code: str,
    title: str,
    detail: str,
    errors: list[dict[str, Any]] | None = None,
    extra: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    body: dict[str, Any] = {
        "type": PROBLEM_BASE + code,
        "title": title,
        "status": status,
        "detail": detail,
        "instance": request.url.path,
        "code": code,
    }
    correlation_id = structlog.contextvars.get_contextvars().get("correlation_id")
    if correlation_id:
        body["correlation_id"] = correlation_id
    if errors is not None:
        body["errors"] = errors
    if extra:
        body.update(extra)
    return Response(orjson.dumps(body), status_code=status, media_type=MEDIA_TYPE, headers=headers)


async def _gateway_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, GatewayError)
    if exc.status >= 500:
        log.error("request_failed", code=exc.code, detail=exc.detail)
    errors = (
        [
            {"pointer": i.where, "code": i.code, "detail": i.message}
            | ({"field": i.field} if i.field else {})
            for i in exc.issues
        ]
        if exc.issues
        else None
    )
    headers = (
        {"WWW-Authenticate": 'Bearer realm="flextensie-gateway"'} if exc.status == 401 else None
    )
    if exc.retriable:
        headers = {"Retry-After": "5"}
    return problem_response(
        request,
        status=exc.status,
        code=exc.code,
        title=exc.title,
        detail=exc.detail,
        errors=errors,
        extra=exc.extra,
        headers=headers,
    )


async def _store_busy(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StoreBusy)
    log.warning("store_busy", path=request.url.path)
    return problem_response(
        request,
        status=503,
        code="store-busy",
        title="Temporarily unavailable",
        detail="The store is busy; nothing was stored. Try again shortly.",
        headers={"Retry-After": str(exc.retry_after)},
    )


async def _request_validation(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    errors = [
        {"pointer": json_pointer(e["loc"]), "code": e["type"], "detail": e["msg"]}
        for e in exc.errors()
    ]
    return problem_response(
        request,
        status=422,
        code="invalid-request",
        title="The request is not valid",
        detail=f"{len(errors)} problem(s) in the request",
        errors=errors,
    )


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    code = {404: "not-found", 405: "method-not-allowed"}.get(exc.status_code, "http-error")
    return problem_response(
        request, status=exc.status_code, code=code, title=str(exc.detail), detail=str(exc.detail)
    )


async def _unhandled(request: Request, exc: Exception) -> Response:
    log.exception("unhandled_error")
    return problem_response(
        request,
        status=500,
        code="internal-error",
        title="Internal error",
        detail="the gateway failed to handle this request; quote the correlation_id to ops",
    )


async def _store_unavailable(request: Request, exc: Exception) -> Response:
    # The rule of StUF046 (gateway/stuf/faults.py): the store failed, nothing was stored, the
    # sender sends again later. The error's text may hold SQL parameters: only its class is logged.
    log.error("store_unavailable", error=type(exc).__name__)
    unavailable = ServiceUnavailable(
        "the gateway cannot store messages right now; send the request again later"
    )
    return await _gateway_error(request, unavailable)


def install_problem_handlers(app: FastAPI) -> None:
    app.add_exception_handler(GatewayError, _gateway_error)
    app.add_exception_handler(StoreBusy, _store_busy)
    app.add_exception_handler(SQLAlchemyError, _store_unavailable)
    app.add_exception_handler(RequestValidationError, _request_validation)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, _unhandled)
