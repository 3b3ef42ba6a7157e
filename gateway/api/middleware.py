"""A pure ASGI middleware: correlation id per request, one ``http_request`` log line, and the
request-duration histogram. Pure ASGI keeps streamed request bodies streamed."""

from __future__ import annotations

import re
import time
import uuid
from typing import Any

import structlog
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gateway.metrics import Metrics
from schemas.identifiers import find_bsns

__all__ = ["CorrelationMiddleware", "correlation_id_of", "current_correlation_id"]

log = structlog.get_logger("gateway.http")
_VALID_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


def correlation_id_of(given: str | None) -> str:
    """The sender's ``X-Correlation-ID`` when it is safe to log and store (a short token of
    letters, digits and ``._:-`` that holds no BSN in any spelling), else a fresh one."""
    if given and _VALID_ID.match(given) and next(find_bsns(given), None) is None:
        return given
    return fresh_correlation_id()


def fresh_correlation_id() -> str:
    """A random id; one whose digits happen to pass the eleven test is drawn again, so a log
    scanner (or a reader) never mistakes it for a BSN."""
    while True:
        candidate = uuid.uuid4().hex
        if next(find_bsns(candidate), None) is None:
            return candidate


def current_correlation_id() -> str | None:
    """The correlation id of the request being handled (bound by the middleware)."""
    value = structlog.contextvars.get_contextvars().get("correlation_id")
    return value if isinstance(value, str) else None


class CorrelationMiddleware:
    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        correlation_id = correlation_id_of(_header(scope, b"x-correlation-id"))
        structlog.contextvars.clear_contextvars()
        structlog.contextvars.bind_contextvars(correlation_id=correlation_id)
        started = time.perf_counter()
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = list(message.get("headers", []))
                headers.append((b"x-correlation-id", correlation_id.encode()))
                message["headers"] = headers
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            elapsed = time.perf_counter() - started
            route: Any = scope.get("route")
            path = getattr(route, "path", None) or "unmatched"
            # A client may send any token as its method: a label holds only known ones (no
            # BSN, no unbounded label values).
            method = scope["method"] if scope["method"] in _METHODS else "OTHER"
            self.metrics.request_seconds.labels(path, method).observe(elapsed)
            log.info(
                "http_request",
                method=method,
                route=path,
                status=status,
                ms=round(elapsed * 1000, 1),
            )
            structlog.contextvars.clear_contextvars()


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key == name:
            return str(value.decode("latin-1"))
    return None
