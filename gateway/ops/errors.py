"""Errors of ops actions, on the gateway's hierarchy (stable codes, problem+json)."""

from __future__ import annotations

from gateway.errors import GatewayError

__all__ = ["AlreadyAccepted", "InvalidSelection"]


class InvalidSelection(GatewayError):
    code = "invalid-selection"
    status = 422
    title = "The selection of messages is not valid"


class AlreadyAccepted(GatewayError):
    code = "already-accepted"
    status = 409
    title = "This payload (or the same bytes from this sender) was accepted already"
