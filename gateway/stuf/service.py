"""Wires the StUF channels into the app: one :class:`StufService` per app (no globals), its
routes, and start/stop of the batch worker, the inbox watcher and the pull clients."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

from adapters.stuf.translate import StufAdapter
from gateway.channels import ChannelSetupError
from gateway.context import GatewayContext
from gateway.stuf.batch_api import batch_routes
from gateway.stuf.batches import BatchService
from gateway.stuf.inbox import InboxWatcher
from gateway.stuf.metrics import StufMetrics
from gateway.stuf.pipeline import StufPipeline
from gateway.stuf.pull import Puller
from gateway.stuf.retranslate import stuf_retranslator
from gateway.stuf.soap_api import soap_routes

__all__ = ["StufChannel", "StufService", "channel"]


class StufService:
    def __init__(self, ctx: GatewayContext) -> None:
        registered = ctx.adapter("stuf")
        if not isinstance(registered, StufAdapter):
            raise ChannelSetupError(
                f"the adapter registered as 'stuf' is a {type(registered).__name__}; the StUF "
                "channel needs adapters.stuf.StufAdapter (check the flexgw.adapters entry points)"
            )
        settings = ctx.settings
        self.ctx = ctx
        # The registry configured it from the settings (limits), like every other adapter.
        self.adapter = registered
        self.metrics = StufMetrics(ctx.metrics.registry)
        self.pipeline = StufPipeline(ctx, self.adapter)
        self.batches = BatchService(ctx, self.pipeline, self.metrics)
        self.inbox = InboxWatcher(ctx, self.batches) if settings.stuf_inbox_enabled else None
        for source in settings.stuf_pull_sources:
            owner = ctx.clients.get(source.client)
            if owner is None or owner.role != "municipality":
                raise ValueError(
                    f"stuf_pull_sources[{source.id}]: client {source.client!r} is not a "
                    "municipality client in the clients file"
                )
        self.pullers = [
            Puller(ctx, self.pipeline, self.metrics, source)
            for source in settings.stuf_pull_sources
        ]

    async def start(self) -> None:
        self.adapter.schemas.schema  # noqa: B018 - compile the schemas before the first request
        self.batches.start()
        if self.inbox is not None:
            self.inbox.start()
        for puller in self.pullers:
            puller.start()

    async def stop(self) -> None:
        for puller in self.pullers:
            await puller.stop()
        if self.inbox is not None:
            await self.inbox.stop()
        await self.batches.stop()

    def readiness(self) -> dict[str, Any]:
        """Pull sources and their circuits. Informational: a municipal service being down does
        not make this gateway unready to receive (``ok`` stays true, ``degraded`` says it)."""
        sources = {p.source.id: p.status() for p in self.pullers}
        return {
            "ok": True,
            "degraded": any(s["circuit"] != "closed" for s in sources.values()),
            "sources": sources,
        }


class StufChannel:
    """The StUF channel as the app loads it (entry point ``flexgw.channels: stuf``)."""

    name = "stuf"

    def __init__(self, ctx: GatewayContext) -> None:
        self.service = StufService(ctx)
        ctx.readiness["stuf_pull"] = self.service.readiness
        # Ops re-translate StUF payloads with the channel's rules, not the bare adapter.
        ctx.retranslators[self.service.adapter.name] = stuf_retranslator(ctx, self.service.pipeline)

    def install(self, app: FastAPI) -> None:
        app.state.stuf = self.service  # for operators' tools and tests
        app.include_router(soap_routes(self.service))
        app.include_router(batch_routes(self.service))

    async def start(self) -> None:
        await self.service.start()

    async def stop(self) -> None:
        await self.service.stop()


def channel(ctx: GatewayContext) -> StufChannel:
    return StufChannel(ctx)
