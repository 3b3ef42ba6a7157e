"""Errors of ops actions, on the gateway's hierarchy (stable codes, problem+json)."""

from __future__ import annotations

from gateway.errors import GatewayError

__all__ = ["AlreadyAccepted", "AlreadyDecided", "InvalidSelection"]


class InvalidSelection(GatewayError):
    code = "invalid-selection"
    status = 422
    title = "The selection of messages is not valid"


class AlreadyAccepted(GatewayError):
    code = "already-accepted"
    status = 409
    title = "This payload (or the same bytes from this sender) was accepted already"


class AlreadyDecided(GatewayError):
    code = "already-decided"
    status = 409
    title = "This quarantined row was released or discarded already"
