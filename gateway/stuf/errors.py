"""Errors of the StUF channels; :mod:`gateway.stuf.faults` turns every error into a StUF fault."""

from __future__ import annotations

from gateway.errors import Forbidden

__all__ = ["ZenderUnknown"]


class ZenderUnknown(Forbidden):
    """The stuurgegevens' zender is not the system this client is configured to send as."""

    code = "stuf-zender-unknown"
    title = "zender does not match the authenticated client"
