"""Errors of the upload channel (on top of :mod:`gateway.errors`)."""

from __future__ import annotations

from gateway.channels import ChannelSetupError
from gateway.errors import GatewayError

__all__ = ["NoProfile", "UploadSetupError"]


class NoProfile(GatewayError):
    code = "no-profile"
    status = 422
    title = "No CSV profile for this agency"


class UploadSetupError(ChannelSetupError):
    """The upload channel cannot start: a broken profile, a missing schema directory."""
