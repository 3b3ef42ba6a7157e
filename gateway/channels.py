"""Format-specific channels plug into the app the way adapters do: by entry point.

A channel is the transport side of one family of formats (the StUF SOAP service with its
batches and pull clients; the agencies' uploads and inbox). The core (``app.py``, intake,
relay, store) never imports one: each declares a factory in the ``flexgw.channels``
entry-point group (pyproject.toml), and ``build_context`` loads them all.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from importlib.metadata import EntryPoint, entry_points
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from fastapi import FastAPI

from adapters.base import Draft

if TYPE_CHECKING:
    from gateway.context import GatewayContext

__all__ = [
    "ENTRY_POINT_GROUP",
    "Channel",
    "ChannelFactory",
    "ChannelSetupError",
    "Retranslate",
    "Retranslated",
    "StoredInput",
    "load_channels",
]

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


@dataclass(frozen=True, slots=True)
class StoredInput:
    """A stored inbound payload as ops re-translate it (``gateway/ops/replay/retranslate.py``)."""

    payload: bytes
    sender: str
    channel: str
    #: The sender's own reference (StUF referentienummer), when the channel kept one.
    external_ref: str | None = None
    #: Why it was rejected, when it was (the error code stored with it).
    error_code: str | None = None


@dataclass(frozen=True, slots=True)
class Retranslated:
    drafts: list[Draft]
    #: The idempotency key the channel gives this input (a re-translated rejection takes it,
    #: so the store's unique key holds the channel's rule, e.g. StUF's referentienummer).
    idempotency_key: str | None = None


class Retranslate(Protocol):
    """A channel's re-translation: the adapter with every rule of the channel (who may send
    what, its envelope rules), so ops cannot push through what the channel refuses. Raises
    ``TranslationError`` or a ``GatewayError`` saying why not. Channels register one per
    adapter name in ``GatewayContext.retranslators``; the core never imports a channel."""

    def __call__(self, stored: StoredInput) -> Retranslated: ...


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
