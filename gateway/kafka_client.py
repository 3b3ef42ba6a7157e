"""How the gateway's Kafka clients connect (``client_options``, the one place that turns the
security settings into aiokafka keyword arguments), a readiness probe that names the reason a
connection fails, and topic provisioning (``ensure_topics``; docs/delivery.md).
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import structlog
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType
from aiokafka.conn import create_conn
from aiokafka.errors import (
    AuthenticationFailedError,
    KafkaError,
    SaslAuthenticationFailed,
    TopicAlreadyExistsError,
    UnsupportedSaslMechanismError,
)
from aiokafka.helpers import create_ssl_context

from gateway.settings import Settings

__all__ = [
    "KafkaProbe",
    "TopicGuard",
    "TopicReport",
    "client_options",
    "ensure_topics",
    "gateway_topics",
    "probe_kafka",
]

log = structlog.get_logger("gateway.kafka")


def client_options(settings: Settings) -> dict[str, Any]:
    """Keyword arguments every aiokafka client of the gateway is built with: bootstrap servers,
    security protocol, TLS context and SASL credentials."""
    protocol = settings.kafka_security_protocol
    options: dict[str, Any] = {
        "bootstrap_servers": settings.kafka_bootstrap_servers,
        "security_protocol": protocol,
    }
    if protocol in ("SSL", "SASL_SSL"):
        password = settings.kafka_ssl_key_password
        options["ssl_context"] = create_ssl_context(
            cafile=str(settings.kafka_ssl_cafile) if settings.kafka_ssl_cafile else None,
            certfile=str(settings.kafka_ssl_certfile) if settings.kafka_ssl_certfile else None,
            keyfile=str(settings.kafka_ssl_keyfile) if settings.kafka_ssl_keyfile else None,
            password=password.get_secret_value() if password else None,
        )
    if protocol.startswith("SASL_"):
        assert settings.kafka_sasl_password is not None
        options["sasl_mechanism"] = settings.kafka_sasl_mechanism
        options["sasl_plain_username"] = settings.kafka_sasl_username
        options["sasl_plain_password"] = settings.kafka_sasl_password.get_secret_value()
    return options


async def probe_kafka(settings: Settings, seconds: float = 5.0) -> str | None:
    """Connects to the bootstrap servers as the relay would (TLS handshake, SASL, one API
    versions request); None when one of them answered, else why none did. aiokafka's own
    bootstrap error only says "Unable to bootstrap"; this names the TLS or SASL failure."""
    options = client_options(settings)
    reasons: list[str] = []
    for server in settings.kafka_bootstrap_servers.split(","):
        host, _, port = server.strip().rpartition(":")
        try:
            conn = await asyncio.wait_for(
                create_conn(
                    host,
                    int(port),
                    client_id="flexgw-readiness",
                    request_timeout_ms=int(seconds * 1000),
                    ssl_context=options.get("ssl_context"),
                    security_protocol=options["security_protocol"],
                    sasl_mechanism=options.get("sasl_mechanism"),
                    sasl_plain_username=options.get("sasl_plain_username"),
                    sasl_plain_password=options.get("sasl_plain_password"),
                ),
                seconds,
            )
        except Exception as exc:  # every failure is a reason, none may escape readiness
            reasons.append(f"{server.strip()}: {_reason(exc)}")
            continue
        conn.close()
        return None
    return "; ".join(reasons)[:500] or "no bootstrap servers"


def _reason(exc: BaseException) -> str:
    chain: list[BaseException] = [exc]
    while chain[-1].__cause__ is not None and len(chain) < 5:
        chain.append(chain[-1].__cause__)
    for err in chain:
        if isinstance(err, ssl.SSLCertVerificationError):
            return f"TLS: the broker's certificate is not trusted ({err.verify_message})"
        if isinstance(err, ssl.SSLError):
            return f"TLS handshake failed ({err.reason or err}); check the client certificate"
        if isinstance(
            err,
            SaslAuthenticationFailed | AuthenticationFailedError | UnsupportedSaslMechanismError,
        ):
            return f"SASL authentication failed ({err})"
        if isinstance(err, ConnectionResetError | BrokenPipeError):
            # A broker requiring a client certificate drops a TLS 1.3 client it rejected.
            return (
                f"connection closed by the broker ({type(err).__name__}); a TLS listener "
                "that rejected the client certificate does this"
            )
    if isinstance(exc, TimeoutError):
        return "timed out (wrong port or protocol?)"
    return f"{type(exc).__name__}: {exc}"


# --- topics -----------------------------------------------------------------------------------
def gateway_topics(settings: Settings) -> list[str]:
    """The topics the gateway publishes to or reads: default, routed and dead-letter topic."""
    names = [settings.default_topic, *settings.topic_routes.values(), settings.dlq_topic]
    return list(dict.fromkeys(names))


@dataclass
class TopicReport:
    name: str
    created: bool = False
    partitions: int = 0
    replication_factor: int = 0
    configs: dict[str, str] = field(default_factory=dict)
    #: Minimums the topic breaks; a topic with any is unfit for the relay.
    violations: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.violations


def _topic_configs(settings: Settings) -> dict[str, str]:
    return {
        "min.insync.replicas": str(settings.kafka_topic_min_insync_replicas),
        "retention.ms": str(settings.kafka_topic_retention_ms),
        "compression.type": settings.kafka_topic_compression,
    }


async def ensure_topics(
    settings: Settings, topics: Iterable[str] | None = None, *, create: bool = True
) -> list[TopicReport]:
    """Creates the missing topics as configured (``create``) and describes every one against
    the configured minimums. Existing topics are never altered: their partition count in
    particular must not change under a live key->partition mapping."""
    names = list(topics) if topics is not None else gateway_topics(settings)
    admin = AIOKafkaAdminClient(
        **client_options(settings),
        client_id="flexgw-admin",
        request_timeout_ms=settings.kafka_request_timeout_ms,
    )
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        created: set[str] = set()
        missing = [n for n in names if n not in existing]
        if missing and create:
            await _create(admin, settings, missing)
            created = set(missing)
        present = [n for n in names if n in existing or n in created]
        reports = {n: TopicReport(n, created=n in created) for n in names}
        for n in names:
            if n not in present:
                reports[n].violations.append("topic does not exist")
        if present:
            await _describe(admin, settings, present, reports)
        return [reports[n] for n in names]
    finally:
        await admin.close()


async def _create(admin: AIOKafkaAdminClient, settings: Settings, names: list[str]) -> None:
    new = [
        NewTopic(
            name,
            num_partitions=settings.kafka_topic_partitions,
            replication_factor=settings.kafka_topic_replication_factor,
            topic_configs=_topic_configs(settings),
        )
        for name in names
    ]
    response = await admin.create_topics(new, timeout_ms=settings.kafka_request_timeout_ms)
    for entry in response.topic_errors:
        name, code = entry[0], entry[1]
        if code == 0 or code == TopicAlreadyExistsError.errno:
            continue
        message = entry[2] if len(entry) > 2 else ""
        raise KafkaError(f"creating topic {name} failed: error {code} {message}")
    log.info("kafka_topics_created", topics=names)


async def _describe(
    admin: AIOKafkaAdminClient,
    settings: Settings,
    names: list[str],
    reports: dict[str, TopicReport],
) -> None:
    # A topic just created may take a moment to show all partitions in the metadata.
    deadline = asyncio.get_running_loop().time() + 10
    while True:
        described = await admin.describe_topics(names)
        pending = [t for t in described if t.get("error_code") or not t.get("partitions")]
        if not pending or asyncio.get_running_loop().time() > deadline:
            break
        await asyncio.sleep(0.2)
    for topic in described:
        report = reports[topic["topic"]]
        partitions = topic.get("partitions") or []
        report.partitions = len(partitions)
        report.replication_factor = min((len(p["replicas"]) for p in partitions), default=0)
    responses = await admin.describe_configs(
        [ConfigResource(ConfigResourceType.TOPIC, name) for name in names]
    )
    for response in responses:
        for resource in response.resources:
            # (error_code, error_message, resource_type, resource_name, config_entries)
            name, entries = resource[3], resource[4]
            if name in reports:
                reports[name].configs = {e[0]: e[1] for e in entries if e[0] in _CHECKED}
    for report in reports.values():
        _check(settings, report)


_CHECKED = ("min.insync.replicas", "retention.ms", "compression.type", "cleanup.policy")


def _check(settings: Settings, report: TopicReport) -> None:
    if report.violations:
        return
    want_partitions = settings.kafka_topic_partitions
    if report.partitions < want_partitions:
        report.violations.append(
            f"{report.partitions} partitions, fewer than the minimum {want_partitions}"
        )
    want_rf = settings.kafka_topic_replication_factor
    if report.replication_factor < want_rf:
        report.violations.append(
            f"replication factor {report.replication_factor}, below the minimum {want_rf}"
        )
    isr = int(report.configs.get("min.insync.replicas", "0") or 0)
    if isr < settings.kafka_topic_min_insync_replicas:
        report.violations.append(
            f"min.insync.replicas {isr}, below the minimum "
            f"{settings.kafka_topic_min_insync_replicas}"
        )
    retention = int(report.configs.get("retention.ms", "-1") or -1)
    want_retention = settings.kafka_topic_retention_ms
    if want_retention != -1 and retention != -1 and retention < want_retention:
        report.violations.append(
            f"retention.ms {retention}, shorter than the minimum {want_retention}"
        )


# --- readiness --------------------------------------------------------------------------------
class KafkaProbe:
    """``probe_kafka`` for /readyz: at most one probe per ``every`` seconds, and one log line
    when the answer changes (not one per readiness poll)."""

    def __init__(self, settings: Settings, every: float = 3.0) -> None:
        self._settings = settings
        self._every = every
        self._checked_at = float("-inf")
        self._reason: str | None = None
        self._lock = asyncio.Lock()

    async def reason(self) -> str | None:
        async with self._lock:
            now = asyncio.get_running_loop().time()
            if now - self._checked_at >= self._every:
                reason = await probe_kafka(self._settings, seconds=2.0)
                self._checked_at = asyncio.get_running_loop().time()
                if reason != self._reason:
                    if reason is None:
                        log.info("kafka_reachable")
                    else:
                        log.error("kafka_not_ready", reason=reason)
                self._reason = reason
            return self._reason


class TopicGuard:
    """Ensures the topics at start-up (``kafka_topics_ensure``) and calls ``on_fit`` (starts
    the relay) only once every topic meets the configured minimums. Until then /readyz shows
    ``kafka_topics`` false with the reason; a broker that cannot be reached is tried again
    with backoff, and so is a topic below the minimums (an operator may fix it meanwhile)."""

    def __init__(self, settings: Settings, on_fit: Callable[[], None]) -> None:
        self._settings = settings
        self._on_fit = on_fit
        self._task: asyncio.Task[None] | None = None
        self.state: dict[str, Any] = {"ok": False, "reason": "topics not checked yet"}

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="kafka-topic-guard")

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    def check(self) -> dict[str, Any]:
        return self.state

    async def _run(self) -> None:
        delay = 1.0
        timeout = 2 * self._settings.kafka_request_timeout_ms / 1000
        while True:
            try:
                reports = await asyncio.wait_for(ensure_topics(self._settings), timeout)
            except Exception as exc:  # the broker away or refusing: try again later
                reason = f"topics not checked: {_reason(exc)}"
                log.warning("kafka_topics_unchecked", reason=reason)
            else:
                bad = [r for r in reports if not r.ok]
                if not bad:
                    self.state = {"ok": True, "topics": [r.name for r in reports]}
                    log.info("kafka_topics_ok", topics=[r.name for r in reports])
                    self._on_fit()
                    return
                reason = "; ".join(f"{r.name}: {', '.join(r.violations)}" for r in bad)
                log.error("kafka_topic_below_minimums", reason=reason, relay="not started")
            self.state = {"ok": False, "reason": reason}
            await asyncio.sleep(delay)
            delay = min(delay * 2, 30.0)
