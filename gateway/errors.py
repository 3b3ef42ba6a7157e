"""The gateway's errors: a small hierarchy with stable codes that reach the sender.

HTTP renders them as problem+json (RFC 9457) with ``type`` = ``PROBLEM_BASE + code``; the
SOAP channel maps them to StUF fault codes. ``retriable`` tells a sender (and tenacity)
whether trying again later can help.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

from adapters.base import Issue

__all__ = [
    "PROBLEM_BASE",
    "Forbidden",
    "GatewayError",
    "IdempotencyConflict",
    "InvalidMessage",
    "NotFound",
    "PayloadTooLarge",
    "ServiceUnavailable",
    "Unauthenticated",
    "UnsupportedMediaType",
]

PROBLEM_BASE = "https://flextensie.nl/gateway/problems/"


class GatewayError(Exception):
    code: ClassVar[str] = "internal-error"
    status: ClassVar[int] = 500
    title: ClassVar[str] = "Internal error"
    retriable: ClassVar[bool] = False

    def __init__(self, detail: str, *, issues: Sequence[Issue] = (), **extra: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        self.issues = list(issues)
        self.extra = extra


class InvalidMessage(GatewayError):
    code = "invalid-message"
    status = 422
    title = "The message is not valid"


class Unauthenticated(GatewayError):
    code = "unauthenticated"
    status = 401
    title = "Missing or unknown API key"


class Forbidden(GatewayError):
    code = "forbidden"
    status = 403
    title = "Not allowed for this client"


class NotFound(GatewayError):
    code = "not-found"
    status = 404
    title = "Not found"


class IdempotencyConflict(GatewayError):
    code = "idempotency-key-reused"
    status = 409
    title = "Idempotency-Key was used for a different request"


class PayloadTooLarge(GatewayError):
    code = "payload-too-large"
    status = 413
    title = "Payload too large"


class UnsupportedMediaType(GatewayError):
    code = "unsupported-media-type"
    status = 415
    title = "Unsupported media type"


class ServiceUnavailable(GatewayError):
    code = "unavailable"
    status = 503
    title = "Temporarily unavailable"
    retriable = True
