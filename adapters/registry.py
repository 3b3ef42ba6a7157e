"""Finds the installed adapters. Each adapter package declares itself in the
``flexgw.adapters`` entry-point group (see pyproject.toml); the gateway never imports one by
name, so a new format is a new package plus one line of packaging.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from importlib.metadata import EntryPoint, entry_points
from types import MappingProxyType

from adapters.base import Adapter

__all__ = ["ENTRY_POINT_GROUP", "DuplicateAdapterError", "build_registry", "load_adapters"]

ENTRY_POINT_GROUP = "flexgw.adapters"


class DuplicateAdapterError(RuntimeError):
    pass


def build_registry(adapters: Iterable[Adapter]) -> Mapping[str, Adapter]:
    found: dict[str, Adapter] = {}
    for adapter in adapters:
        if not isinstance(adapter, Adapter):
            raise TypeError(f"{adapter!r} does not implement the Adapter protocol")
        if adapter.name in found:
            raise DuplicateAdapterError(f"two adapters are named {adapter.name!r}")
        found[adapter.name] = adapter
    return MappingProxyType(found)


def load_adapters(points: Iterable[EntryPoint] | None = None) -> Mapping[str, Adapter]:
    """Every adapter declared in the entry-point group, by name."""
    selected = points if points is not None else entry_points(group=ENTRY_POINT_GROUP)
    return build_registry(point.load() for point in selected)
