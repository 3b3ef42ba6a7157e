"""Everything a request handler may need, built once per app and passed in (no globals)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from adapters.base import Adapter
from gateway.auth import ClientLookup
from gateway.channels import Channel, Retranslate
from gateway.events import EventFactory
from gateway.intake import Intake
from gateway.kafka_client import KafkaProbe
from gateway.metrics import Metrics
from gateway.relay import Relay
from gateway.settings import Settings
from gateway.store import Store

__all__ = ["GatewayContext"]


@dataclass
class GatewayContext:
    settings: Settings
    store: Store
    #: The live clients file (gateway.auth.LiveClients) in a running gateway.
    clients: ClientLookup
    adapters: Mapping[str, Adapter]
    metrics: Metrics
    events: EventFactory
    intake: Intake
    relay: Relay | None
    #: Format-specific channels (StUF, uploads, ...) by name, loaded from entry points.
    channels: Mapping[str, Channel] = field(default_factory=dict)
    #: Extra /readyz checks channels register (name -> check); informational unless a check
    #: returns ``{"ok": False, ...}``.
    readiness: dict[str, Callable[[], dict[str, Any]]] = field(default_factory=dict)
    #: The /readyz Kafka probe (connects with the configured TLS/SASL), made on first use.
    kafka_probe: KafkaProbe | None = None
    #: Re-translation with a channel's rules, by adapter name (channels register theirs); an
    #: adapter without one is re-translated as the REST channel does: translate, then ownership.
    retranslators: dict[str, Retranslate] = field(default_factory=dict)

    def adapter(self, name: str) -> Adapter:
        try:
            return self.adapters[name]
        except KeyError:
            raise RuntimeError(
                f"adapter {name!r} is not installed (pip install -e . registers the adapters)"
            ) from None
