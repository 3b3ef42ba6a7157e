"""Prometheus metrics of the upload pipeline, on the app's own registry."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

__all__ = ["UploadMetrics"]


class UploadMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.received = Counter(
            "flexgw_uploads_received",
            "Uploads received, per channel and format.",
            ["channel", "format"],
            registry=registry,
        )
        self.repeated = Counter(
            "flexgw_uploads_repeated",
            "Uploads of a file that was uploaded before (answered with the first upload).",
            registry=registry,
        )
        self.finished = Counter(
            "flexgw_uploads_finished",
            "Uploads processed, per final state.",
            ["state"],
            registry=registry,
        )
        self.rows = Counter(
            "flexgw_upload_rows",
            "Rows processed, per outcome.",
            ["outcome"],
            registry=registry,
        )
        self.processing = Gauge(
            "flexgw_uploads_processing", "Uploads being processed now.", registry=registry
        )
        self.seconds = Histogram(
            "flexgw_upload_seconds",
            "Time from the start of processing to the final state.",
            registry=registry,
            buckets=(0.1, 0.5, 1, 5, 10, 30, 60, 120, 300, 900),
        )
