"""Finds the installed adapters. Each adapter package declares itself in the
``flexgw.adapters`` entry-point group (see pyproject.toml); the gateway never imports one by
name, so a new format is a new package plus one line of packaging. Adapters that depend on the
deployment (limits, profile directories) are :class:`~adapters.base.Configurable`: the registry
hands them the :class:`~adapters.base.AdapterConfig` the gateway built from its settings.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from importlib.metadata import EntryPoint, entry_points
from types import MappingProxyType
from typing import cast

from adapters.base import Adapter, AdapterConfig, Configurable

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


def load_adapters(
    points: Iterable[EntryPoint] | None = None, *, config: AdapterConfig | None = None
) -> Mapping[str, Adapter]:
    """Every adapter declared in the entry-point group, by name, configured with ``config``
    (the defaults when none is given)."""
    selected = points if points is not None else entry_points(group=ENTRY_POINT_GROUP)
    chosen = config or AdapterConfig()
    return build_registry(_configured(point.load(), chosen) for point in selected)


def _configured(found: object, config: AdapterConfig) -> Adapter:
    if isinstance(found, Configurable):
        return found.configured(config)
    return cast(Adapter, found)  # build_registry checks the protocol
