"""Format-specific channels plug into the app the way adapters do: by entry point.

A channel is the transport side of one family of formats (the StUF SOAP service with its
batches and pull clients; the agencies' uploads and inbox). The core (``app.py``, intake,
relay, store) never imports one: each declares a factory in the ``flexgw.channels``
entry-point group (pyproject.toml), and ``build_context`` loads them all.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from importlib.metadata import EntryPoint, entry_points
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from fastapi import FastAPI

if TYPE_CHECKING:
    from gateway.context import GatewayContext

__all__ = ["ENTRY_POINT_GROUP", "Channel", "ChannelFactory", "ChannelSetupError", "load_channels"]

ENTRY_POINT_GROUP = "flexgw.channels"


class ChannelSetupError(ValueError):
    """A channel cannot start with this configuration (the message says what to fix)."""


@runtime_checkable
class Channel(Protocol):
    name: str

    def install(self, app: FastAPI) -> None:
        """Adds the channel's routes (and anything else it needs) to the app."""
        ...

    async def start(self) -> None: ...

    async def stop(self) -> None: ...


ChannelFactory = Callable[["GatewayContext"], Channel]


def load_channels(
    ctx: GatewayContext, points: Iterable[EntryPoint] | None = None
) -> Mapping[str, Channel]:
    """Every installed channel, built for this context, by name."""
    found: dict[str, Channel] = {}
    for point in points if points is not None else entry_points(group=ENTRY_POINT_GROUP):
        factory: ChannelFactory = point.load()
        channel = factory(ctx)
        if channel.name in found:
            raise ChannelSetupError(f"two channels are named {channel.name!r}")
        found[channel.name] = channel
    return found
