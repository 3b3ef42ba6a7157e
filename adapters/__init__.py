"""Inbound formats, each translated to canonical messages at the edge."""

from adapters.base import Adapter, Draft, Issue, TranslationError

__all__ = ["Adapter", "Draft", "Issue", "TranslationError"]
