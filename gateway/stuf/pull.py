"""The pull client: for municipal systems that cannot push, ask their SOAP service with zeep
(``kandidaatLv01`` -> ``kandidaatLa01``, or another operation configured per source) and turn
what changed since the last answer into canonical messages through the same pipeline as pushed
kennisgevingen (a new candidate as T, a changed one as W with the last-seen object as old).

Each call is retried with tenacity (exponential backoff); a poll whose retries all fail counts
as one failure of the source's circuit breaker. An open circuit skips polls until its wait is
over, and shows in ``/readyz`` (``stuf_pull``) and in ``flexgw_stuf_pull_circuit_open``.
"""

from __future__ import annotations

import asyncio
import hashlib
import uuid
from datetime import UTC, datetime
from typing import Any

import structlog
from tenacity import AsyncRetrying, stop_after_attempt, wait_exponential
from zeep import Client as ZeepClient
from zeep import Settings as ZeepSettings
from zeep.transports import Transport

from adapters.base import TranslationError
from adapters.stuf.pull import kennisgeving_from_answer, vraag_arguments
from adapters.stuf.stuurgegevens import Systeem
from adapters.stuf.translate import canonical_bytes, object_views
from adapters.stuf.values import Marker
from gateway.auth import Client
from gateway.context import GatewayContext
from gateway.errors import IdempotencyConflict
from gateway.settings import StufPullSource
from gateway.store.stuf_repo import pull_state, save_pull_state
from gateway.stuf.answers import stuf_tijdstip
from gateway.stuf.checks import gateway_system, zender_of
from gateway.stuf.circuit import CircuitBreaker
from gateway.stuf.metrics import StufMetrics
from gateway.stuf.pipeline import StufPipeline
from gateway.timeutil import format_time
from gateway.worker import Worker

__all__ = ["PollFailed", "Puller"]

log = structlog.get_logger(__name__)

CHANNEL = "stuf-pull"


class PollFailed(Exception):
    """The municipal service did not give a usable answer."""


class Puller:
    def __init__(
        self,
        ctx: GatewayContext,
        pipeline: StufPipeline,
        metrics: StufMetrics,
        source: StufPullSource,
    ) -> None:
        settings = ctx.settings
        self._ctx = ctx
        self._pipeline = pipeline
        self._metrics = metrics
        self.source = source
        self.breaker = CircuitBreaker(
            failures_to_open=settings.stuf_pull_failures_to_open,
            open_seconds=settings.stuf_pull_open_seconds,
        )
        self._zeep: ZeepClient | None = None
        self._loop = Worker(
            f"stuf-pull-{source.id}",
            self.poll,
            interval=lambda: max(self.source.interval_seconds, self.breaker.seconds_until_trial),
            failure_event="stuf_pull_failed_unexpectedly",
            source=source.id,
        )
        self.last_success: datetime | None = None
        self.last_error: str | None = None
        self._metrics.pull_circuit_open.labels(source.id).set(0)

    # --- lifecycle -------------------------------------------------------------------------
    def start(self) -> None:
        self._loop.start()

    async def stop(self) -> None:
        await self._loop.stop()

    def status(self) -> dict[str, Any]:
        return {
            "circuit": self.breaker.state,
            "failures": self.breaker.failures,
            "last_success": format_time(self.last_success) if self.last_success else None,
            "last_error": self.last_error,
        }

    # --- one poll ----------------------------------------------------------------------------
    async def poll(self) -> int:
        """Asks the source once (with retries); returns how many candidates changed."""
        source = self.source
        if not self.breaker.allow():
            self._metrics.pull_polls.labels(source.id, "skipped").inc()
            return 0
        client = self._ctx.clients.get(source.client)
        if client is None or client.role != "municipality" or client.gemeentecode is None:
            raise RuntimeError(
                f"pull source {source.id}: {source.client!r} is no municipality client"
            )
        settings = self._ctx.settings
        try:
            async for attempt in AsyncRetrying(
                stop=stop_after_attempt(settings.stuf_pull_attempts),
                wait=wait_exponential(multiplier=settings.stuf_pull_backoff_seconds, max=30),
                reraise=True,
            ):
                with attempt:
                    answer = await asyncio.to_thread(self._ask, client.gemeentecode)
        except Exception as exc:
            self.breaker.failure()
            self.last_error = f"{type(exc).__name__}: {str(exc)[:300]}"
            self._metrics.pull_polls.labels(source.id, "failed").inc()
            self._metrics.pull_circuit_open.labels(source.id).set(
                1 if self.breaker.state == "open" else 0
            )
            log.warning(
                "stuf_pull_poll_failed",
                source=source.id,
                circuit=self.breaker.state,
                error=type(exc).__name__,
            )
            return 0
        self.breaker.success()
        self.last_success = datetime.now(UTC)
        self.last_error = None
        self._metrics.pull_polls.labels(source.id, "ok").inc()
        self._metrics.pull_circuit_open.labels(source.id).set(0)
        return await self._apply(client, answer)

    def _ask(self, gemeentecode: str) -> bytes:
        """One call (in a worker thread: zeep is synchronous); the raw SOAP answer."""
        if self._zeep is None:
            timeout = self.source.timeout_seconds
            transport = Transport(timeout=timeout, operation_timeout=timeout)  # type: ignore[no-untyped-call]
            zeep = ZeepClient(
                self.source.wsdl, transport=transport, settings=ZeepSettings(strict=False)
            )  # type: ignore[no-untyped-call]
            self._zeep = zeep
        zeep = self._zeep
        service = (
            zeep.bind(self.source.service, self.source.port)
            if self.source.service
            else zeep.service
        )
        arguments = vraag_arguments(
            zender=gateway_system(self._ctx.settings),
            ontvanger=Systeem(
                applicatie=self.source.applicatie, organisatie=self.source.organisatie
            ),
            referentienummer=str(uuid.uuid4()),
            tijdstip=stuf_tijdstip(datetime.now(UTC)),
            gemeentecode=gemeentecode,
        )
        with zeep.settings(raw_response=True):
            response = getattr(service, self.source.operation)(**arguments)
        if response.status_code != 200:
            raise PollFailed(f"the service answered HTTP {response.status_code}")
        return bytes(response.content)

    async def _apply(self, client: Client, answer: bytes) -> int:
        adapter = self._pipeline.adapter
        try:
            message = adapter.read(adapter.open(answer))
        except TranslationError as exc:
            self.last_error = (
                "the answer is not a valid kandidaatLa01: "
                + "; ".join(i.message for i in exc.issues)[:300]
            )
            log.warning("stuf_pull_bad_answer", source=self.source.id)
            return 0
        if message.kind.name != "kandidaatLa01":
            self.last_error = f"the answer is a {message.kind.name}, not a kandidaatLa01"
            return 0
        changed = 0
        for view in object_views(message):
            bsn = view.text("inp.bsn")
            if isinstance(bsn, Marker) or view.text("gemeentecode") != client.gemeentecode:
                continue
            if await self._apply_one(client, bsn, view.element):
                changed += 1
        return changed

    async def _apply_one(self, client: Client, bsn: str, answer: Any) -> bool:
        person_key = self._ctx.events.person_key(bsn)
        current = canonical_bytes(answer)
        current_hash = hashlib.sha256(current).hexdigest()
        async with self._ctx.store.read() as conn:
            previous = await pull_state(conn, self.source.id, person_key)
        if previous is not None and previous[0] == current_hash:
            return False
        transition = f"{previous[0] if previous else '-'}>{current_hash}"
        reference = "pull-" + hashlib.sha256(transition.encode()).hexdigest()[:35]
        kennisgeving = kennisgeving_from_answer(
            answer,
            previous[1] if previous else None,
            zender=zender_of(client),
            ontvanger=gateway_system(self._ctx.settings),
            referentienummer=reference,
            tijdstip=stuf_tijdstip(datetime.now(UTC)),
        )
        prepared = self._pipeline.prepare(client, kennisgeving, channel=CHANNEL)
        outcome = await self._pipeline.commit(prepared)
        if outcome.result == "rejected" and not isinstance(outcome.error, IdempotencyConflict):
            # Kept for ops as a rejected inbound row; not asked again until the answer changes.
            log.warning("stuf_pull_change_rejected", source=self.source.id, reference=reference)
        async with self._ctx.store.write() as conn:
            await save_pull_state(
                conn,
                source=self.source.id,
                person_key=person_key,
                content_hash=current_hash,
                obj=current,
                at=datetime.now(UTC),
            )
        return outcome.result in ("accepted", "repeated")
