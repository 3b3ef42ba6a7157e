"""Builds the upload channel from the settings and the registry's adapters: the ``payroll-csv``
adapter's profiles (validated now, so a broken one stops start-up), the ``setu`` adapter's
official schemas when configured, processor, service and inbox watcher."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from fastapi import FastAPI
from prometheus_client import CollectorRegistry

from adapters.base import Adapter
from adapters.payroll_csv import PayrollCsvAdapter, ProfileError
from adapters.setu import SetuAdapter
from gateway.auth import ClientLookup
from gateway.context import GatewayContext
from gateway.events import EventFactory
from gateway.intake import Intake
from gateway.settings import Settings
from gateway.store import Store
from gateway.uploads.errors import UploadSetupError
from gateway.uploads.inbox import InboxWatcher
from gateway.uploads.metrics import UploadMetrics
from gateway.uploads.processor import UploadProcessor
from gateway.uploads.service import UploadService

__all__ = ["UploadChannel", "build_upload_channel", "channel"]


@dataclass
class UploadChannel:
    """The upload channel as the app loads it (entry point ``flexgw.channels: uploads``)."""

    service: UploadService
    processor: UploadProcessor
    inbox: InboxWatcher | None
    name: str = "uploads"

    def install(self, app: FastAPI) -> None:
        from gateway.uploads.api import router

        app.include_router(router)

    async def start(self) -> None:
        self.processor.start()
        if self.inbox is not None:
            self.inbox.start()

    async def stop(self) -> None:
        if self.inbox is not None:
            await self.inbox.stop()
        await self.processor.stop()


def build_upload_channel(
    settings: Settings,
    *,
    store: Store,
    intake: Intake,
    events: EventFactory,
    registry: CollectorRegistry,
    clients: ClientLookup,
    on_queued: Callable[[], None],
    payroll: PayrollCsvAdapter,
    setu: SetuAdapter,
) -> UploadChannel:
    """Raises :class:`UploadSetupError` naming every broken profile or setting."""
    try:
        profiles = payroll.profiles
    except ProfileError as exc:
        raise UploadSetupError(str(exc)) from None
    if settings.setu_schema_dir is not None and not settings.setu_schema_dir.is_dir():
        raise UploadSetupError(
            f"FLEXGW_SETU_SCHEMA_DIR {settings.setu_schema_dir} is not a directory"
        )
    schemas = setu.schemas
    metrics = UploadMetrics(registry)
    processor = UploadProcessor(
        store=store,
        events=events,
        data_dir=settings.data_dir,
        profiles=profiles,
        setu_schemas=schemas,
        metrics=metrics,
        chunk_rows=settings.upload_chunk_rows,
        max_errors=settings.upload_max_errors,
        on_queued=on_queued,
        clients=clients,
    )
    service = UploadService(
        store=store,
        intake=intake,
        data_dir=settings.data_dir,
        profiles=profiles,
        processor=processor,
        metrics=metrics,
        max_bytes=settings.upload_max_bytes,
        setu_max_bytes=settings.setu_max_bytes,
    )
    inbox = (
        InboxWatcher(
            root=settings.resolved_inbox_dir,
            clients=clients,
            service=service,
            poll_seconds=settings.inbox_poll_seconds,
        )
        if settings.inbox_enabled
        else None
    )
    return UploadChannel(service=service, processor=processor, inbox=inbox)


def channel(ctx: GatewayContext) -> UploadChannel:
    relay = ctx.relay
    return build_upload_channel(
        ctx.settings,
        store=ctx.store,
        intake=ctx.intake,
        events=ctx.events,
        registry=ctx.metrics.registry,
        clients=ctx.clients,
        on_queued=relay.wake if relay is not None else (lambda: None),
        payroll=_registered(ctx, "payroll-csv", PayrollCsvAdapter),
        setu=_registered(ctx, "setu", SetuAdapter),
    )


_A = TypeVar("_A", bound=Adapter)


def _registered(ctx: GatewayContext, name: str, kind: type[_A]) -> _A:
    """The registry's adapter (configured from the settings), of the kind this channel reads."""
    found = ctx.adapter(name)
    if not isinstance(found, kind):
        raise UploadSetupError(
            f"the adapter registered as {name!r} is a {type(found).__name__}; the upload "
            f"channel needs {kind.__module__}.{kind.__name__} (check the flexgw.adapters "
            "entry points)"
        )
    return found
