"""The gateway's StUF answers to one message: Bv03 after a durable store, or a SOAP fault with
Fo03 (asynchronous messages) or Fo02 (synchronous ones)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from lxml import etree

from adapters.stuf import replies
from adapters.stuf.replies import FaultReply
from adapters.stuf.stuurgegevens import Stuurgegevens, Systeem
from gateway.auth import Client
from gateway.intake import Receipt
from gateway.settings import Settings
from gateway.stuf.checks import gateway_system, zender_of

__all__ = ["bv03", "fault_body", "stuf_tijdstip"]

try:
    _ZONE: ZoneInfo | None = ZoneInfo("Europe/Amsterdam")
except ZoneInfoNotFoundError:  # pragma: no cover - no time-zone database on this machine
    _ZONE = None


def stuf_tijdstip(moment: datetime) -> str:
    """YYYYMMDDhhmmssmmm in Dutch local time, as StUF systems write it."""
    local = moment.astimezone(_ZONE) if _ZONE else moment.astimezone(UTC)
    return local.strftime("%Y%m%d%H%M%S") + f"{local.microsecond // 1000:03d}"


def _their_system(sg: Stuurgegevens | None, client: Client | None) -> Systeem:
    if sg is not None and sg.zender is not None and len(sg.zender.applicatie) >= 3:
        return sg.zender
    if client is not None:
        return zender_of(client)
    return Systeem(applicatie="ONBEKEND")


def bv03(
    settings: Settings,
    sg: Stuurgegevens | None,
    client: Client,
    receipt: Receipt | None,
) -> etree._Element:
    """The Bv03 of a stored message is derived from its receipt, so a re-send gets the very
    same Bv03; an ignored message (npsLk01 of a non-candidate) gets a fresh one."""
    if receipt is not None:
        reference = receipt.inbound_id
        moment = datetime.fromisoformat(receipt.received_at.replace("Z", "+00:00"))
    else:
        reference, moment = str(uuid.uuid4()), datetime.now(UTC)
    return replies.bv03(
        zender=gateway_system(settings),
        ontvanger=_their_system(sg, client),
        referentienummer=reference,
        tijdstip=stuf_tijdstip(moment),
        cross_ref=(sg.referentienummer if sg and sg.referentienummer else ""),
    )


def fault_body(
    settings: Settings,
    sg: Stuurgegevens | None,
    client: Client | None,
    reply: FaultReply,
    *,
    synchronous: bool,
) -> etree._Element:
    if synchronous:
        return replies.fo02(reply)
    return replies.fo03(
        reply,
        zender=gateway_system(settings),
        ontvanger=_their_system(sg, client),
        referentienummer=str(uuid.uuid4()),
        tijdstip=stuf_tijdstip(datetime.now(UTC)),
        cross_ref=(sg.referentienummer if sg and sg.referentienummer else ""),
    )
