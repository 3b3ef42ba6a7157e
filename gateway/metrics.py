"""Prometheus metrics, one registry per app (no process-global collectors)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

__all__ = ["Metrics"]


class Metrics:
    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry if registry is not None else CollectorRegistry()
        r = self.registry
        self.received = Counter(
            "flexgw_received", "Payloads accepted, per channel.", ["channel"], registry=r
        )
        self.rejected = Counter(
            "flexgw_rejected",
            "Payloads rejected, per channel and code.",
            ["channel", "code"],
            registry=r,
        )
        self.repeated = Counter(
            "flexgw_repeated",
            "Repeated submissions answered from the store.",
            ["channel"],
            registry=r,
        )
        self.ignored = Counter(
            "flexgw_ignored",
            "Valid payloads deliberately not turned into messages.",
            ["reason"],
            registry=r,
        )
        self.queued = Counter("flexgw_messages_queued", "Canonical messages queued.", registry=r)
        self.published = Counter(
            "flexgw_messages_published",
            "Messages acknowledged by Kafka, per type.",
            ["type"],
            registry=r,
        )
        self.failed = Counter(
            "flexgw_messages_failed",
            "Messages that could not be published.",
            ["code"],
            registry=r,
        )
        self.publish_retries = Counter(
            "flexgw_relay_retries", "Relay publish attempts that failed transiently.", registry=r
        )
        self.outbox_depth = Gauge(
            "flexgw_outbox_depth", "Messages waiting to be published.", registry=r
        )
        self.relay_lag = Gauge(
            "flexgw_relay_lag_seconds",
            "Age of the oldest message waiting to be published.",
            registry=r,
        )
        self.relay_up = Gauge(
            "flexgw_relay_up", "1 while this process's relay holds the lease and runs.", registry=r
        )
        self.request_seconds = Histogram(
            "flexgw_request_seconds",
            "HTTP request duration per route.",
            ["route", "method"],
            registry=r,
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
        )
