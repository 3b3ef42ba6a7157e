"""Checks that need to know who sent a message: the stuurgegevens' zender and ontvanger, the
client's role, and that every object belongs to the client's own municipality."""

from __future__ import annotations

from adapters.base import Draft, Issue, TranslationError
from adapters.stuf.messages import StufMessage
from adapters.stuf.stuurgegevens import Systeem
from adapters.stuf.translate import object_views
from gateway.auth import Client
from gateway.errors import Forbidden
from gateway.settings import Settings
from gateway.stuf.errors import ZenderUnknown

__all__ = ["check_objects", "check_systems", "gateway_system", "zender_of"]


def gateway_system(settings: Settings) -> Systeem:
    return Systeem(applicatie=settings.stuf_applicatie, organisatie=settings.stuf_organisatie)


def zender_of(client: Client) -> Systeem:
    """The StUF system a client sends as: configured, or by default organisatie = its
    gemeentecode (any applicatie)."""
    application = client.stuf_applicatie or (client.id if len(client.id) >= 3 else "ONBEKEND")
    return Systeem(
        applicatie=application[:50], organisatie=client.stuf_organisatie or client.gemeentecode
    )


def check_systems(message: StufMessage, client: Client, settings: Settings) -> None:
    if client.role != "municipality":
        raise Forbidden(
            f"role {client.role!r} does not send StUF kennisgevingen; only municipality clients do"
        )
    sg = message.stuurgegevens
    where = f"line {message.element.sourceline}: /{message.kind.name}/stuurgegevens"
    ontvanger = sg.ontvanger
    if ontvanger is not None and (
        ontvanger.applicatie != settings.stuf_applicatie
        or (ontvanger.organisatie not in (None, settings.stuf_organisatie))
    ):
        raise TranslationError(
            [
                Issue(
                    f"{where}/ontvanger",
                    "ontvanger-unknown",
                    f"ontvanger {ontvanger} is not this gateway; address it as organisatie "
                    f"'{settings.stuf_organisatie}', applicatie '{settings.stuf_applicatie}'",
                )
            ],
            code="ontvanger-unknown",
        )
    zender = sg.zender
    expected = zender_of(client)
    if (
        zender is None
        or zender.organisatie != expected.organisatie
        or (client.stuf_applicatie is not None and zender.applicatie != client.stuf_applicatie)
    ):
        wanted = f"organisatie '{expected.organisatie}'" + (
            f", applicatie '{client.stuf_applicatie}'" if client.stuf_applicatie else ""
        )
        raise ZenderUnknown(
            f"{where}/zender: zender {zender} is not the system this API key belongs to; "
            f"this client sends as {wanted}"
        )


def check_objects(message: StufMessage, drafts: list[Draft], client: Client) -> None:
    """Data about the client's own municipality only (its gemeentecode in every object)."""
    for view in object_views(message):
        if view.present("gemeentecode") and view.text("gemeentecode") != client.gemeentecode:
            raise Forbidden(
                f"{view.where}/gemeentecode: must be this client's own ({client.gemeentecode}); "
                "a municipality sends only its own candidates"
            )
    for draft in drafts:
        owner = getattr(draft.data, "municipality", None)
        if owner is not None and owner != client.gemeentecode:
            raise Forbidden(
                f"{draft.origin}: municipality must be this client's own ({client.gemeentecode})"
            )
