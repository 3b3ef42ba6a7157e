"""Durable store: inbound payloads, the outbox of canonical messages, their history."""

from gateway.store.engine import Store, StoreBusy
from gateway.store.migrate import upgrade

__all__ = ["Store", "StoreBusy", "upgrade"]
