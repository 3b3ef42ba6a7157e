"""Builds the FastAPI app: settings in, everything wired, nothing global."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager

from aiokafka import AIOKafkaProducer
from fastapi import FastAPI

from adapters.base import Adapter, AdapterConfig
from adapters.registry import load_adapters
from gateway.api import health, messages
from gateway.api.middleware import CorrelationMiddleware
from gateway.api.problems import install_problem_handlers
from gateway.auth import ClientLookup, LiveClients
from gateway.channels import Channel, load_channels
from gateway.context import GatewayContext
from gateway.events import EventFactory
from gateway.intake import Intake
from gateway.kafka_client import TopicGuard
from gateway.keys import person_key_secret
from gateway.metrics import Metrics
from gateway.ops.wiring import install_ops
from gateway.relay import Relay, producer_factory
from gateway.settings import Settings
from gateway.store import Store, upgrade
from gateway.tenancy import Tenancy

__all__ = ["adapter_config", "build_context", "create_app"]


def adapter_config(settings: Settings) -> AdapterConfig:
    """The settings the formats depend on: the registry configures its adapters with these."""
    return AdapterConfig(
        max_body_bytes=settings.max_body_bytes,
        stuf_max_depth=settings.stuf_max_depth,
        payroll_profiles_dir=settings.upload_profiles_dir,
        setu_schema_dir=settings.setu_schema_dir,
    )


def build_context(
    settings: Settings,
    *,
    clients: ClientLookup | None = None,
    adapters: Mapping[str, Adapter] | None = None,
    make_producer: Callable[[], AIOKafkaProducer] | None = None,
    with_relay: bool | None = None,
    channels: Callable[[GatewayContext], Mapping[str, Channel]] | None = None,
) -> GatewayContext:
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    store = Store(settings.resolved_database_url, busy_seconds=settings.store_busy_seconds)
    metrics = Metrics()
    events = EventFactory(
        person_key_secret=person_key_secret(settings),
        source_prefix=settings.source_prefix,
        topic_for=settings.topic_for,
    )
    run_relay = settings.relay_enabled if with_relay is None else with_relay
    relay = (
        Relay(
            store=store,
            settings=settings,
            metrics=metrics,
            make_producer=make_producer or producer_factory(settings),
        )
        if run_relay
        else None
    )
    registry = (
        clients
        if clients is not None
        else LiveClients(
            settings.resolved_clients_file, check_seconds=settings.clients_check_seconds
        )
    )
    tenancy = Tenancy(clients=registry, store=store, events=events)
    intake = Intake(
        guard=tenancy.check,
        store=store,
        events=events,
        metrics=metrics,
        on_queued=relay.wake if relay is not None else (lambda: None),
        offload_min_bytes=settings.offload_min_bytes,
    )
    registered = (
        adapters if adapters is not None else load_adapters(config=adapter_config(settings))
    )
    ctx = GatewayContext(
        settings=settings,
        store=store,
        clients=registry,
        adapters=registered,
        metrics=metrics,
        events=events,
        intake=intake,
        relay=relay,
    )
    ctx.channels = load_channels(ctx) if channels is None else channels(ctx)
    return ctx


def create_app(settings: Settings, *, context: GatewayContext | None = None) -> FastAPI:
    ctx = context or build_context(settings)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        if ctx.settings.auto_migrate:
            await upgrade(ctx.store)
        guard = None
        if ctx.settings.kafka_topics_ensure:
            # The relay starts only once the topics meet the configured minimums.
            relay = ctx.relay
            guard = TopicGuard(ctx.settings, on_fit=relay.start if relay else lambda: None)
            ctx.readiness["kafka_topics"] = guard.check
            guard.start()
        elif ctx.relay is not None:
            ctx.relay.start()
        for channel in ctx.channels.values():
            await channel.start()
        ops.start()
        try:
            yield
        finally:
            await ops.stop()
            for channel in reversed(list(ctx.channels.values())):
                await channel.stop()
            if guard is not None:
                await guard.stop()
            if ctx.relay is not None:
                await ctx.relay.stop()
            await ctx.intake.close()
            await ctx.store.dispose()

    app = FastAPI(
        title="Flextensie data-exchange gateway",
        version="0.1.0",
        summary="StUF, SETU and CSV in; canonical placement messages on Kafka out.",
        lifespan=lifespan,
    )
    app.state.ctx = ctx
    install_problem_handlers(app)
    app.include_router(messages.router)
    app.include_router(health.router)
    for channel in ctx.channels.values():
        channel.install(app)
    ops = install_ops(app, ctx)
    app.add_middleware(CorrelationMiddleware, metrics=ctx.metrics)
    return app
