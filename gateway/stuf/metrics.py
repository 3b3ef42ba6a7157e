"""Prometheus metrics of the StUF channels, on the app's registry."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge

__all__ = ["StufMetrics"]


class StufMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.faults = Counter(
            "flexgw_stuf_faults",
            "StUF faults answered, per StUF code and channel.",
            ["code", "channel"],
            registry=registry,
        )
        self.batch_messages = Counter(
            "flexgw_stuf_batch_messages",
            "Kennisgevingen read from batch files, per result.",
            ["result"],
            registry=registry,
        )
        self.batches = Counter(
            "flexgw_stuf_batches", "Batch files finished, per state.", ["state"], registry=registry
        )
        self.pull_polls = Counter(
            "flexgw_stuf_pull_polls",
            "Polls of municipal services, per source and result (ok, failed, skipped).",
            ["source", "result"],
            registry=registry,
        )
        self.pull_circuit_open = Gauge(
            "flexgw_stuf_pull_circuit_open",
            "1 while the circuit to a municipal service is open (polls are not tried).",
            ["source"],
            registry=registry,
        )
