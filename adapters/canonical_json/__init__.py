"""Canonical JSON: senders that already speak the gateway's message format."""

from adapters.canonical_json.translate import CanonicalJsonAdapter

adapter = CanonicalJsonAdapter()

__all__ = ["CanonicalJsonAdapter", "adapter"]
