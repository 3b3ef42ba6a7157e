"""The one place where the gateway's errors become StUF faults (code, plek, description,
details). Details say exactly what to fix; they never carry a stack trace or another party's
data."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.exc import SQLAlchemyError

from adapters.base import Issue, TranslationError
from adapters.stuf.faults import fault
from adapters.stuf.replies import FaultReply
from gateway.errors import (
    Forbidden,
    GatewayError,
    IdempotencyConflict,
    InvalidMessage,
    PayloadTooLarge,
    ServiceUnavailable,
    Unauthenticated,
)
from gateway.store import StoreBusy
from gateway.stuf.errors import ZenderUnknown

__all__ = ["fault_for", "issue_details"]

#: Issue codes that are not a schema matter, and their StUF fault code.
_BY_ISSUE = {
    "ontvanger-unknown": "StUF010",
    "not-supported": "StUF025",
}


def issue_details(issues: Sequence[Issue]) -> str:
    return "; ".join(f"{i.where}: {i.message}" for i in issues)


def fault_for(error: BaseException) -> FaultReply:
    if isinstance(error, IdempotencyConflict):
        return FaultReply(
            fault("StUF016"),
            "referentienummer al eerder ontvangen met een andere inhoud",
            "this zender sent this referentienummer before with different content; "
            "a new message needs a new referentienummer, and a re-send must repeat the "
            "message unchanged (same stuurgegevens, tijdstipBericht included, and objects)",
        )
    if isinstance(error, ZenderUnknown):
        return FaultReply(fault("StUF013"), fault("StUF013").omschrijving, error.detail)
    if isinstance(error, Unauthenticated):
        return FaultReply(
            fault("StUF013"),
            "zendend systeem niet geauthenticeerd",
            f"{error.detail} (the API key of this municipal system)",
        )
    if isinstance(error, Forbidden):
        return FaultReply(fault("StUF052"), fault("StUF052").omschrijving, error.detail)
    if isinstance(error, PayloadTooLarge):
        return FaultReply(fault("StUF055"), "bericht te groot", error.detail)
    if isinstance(error, InvalidMessage | TranslationError):
        issues = list(error.issues)
        code = _BY_ISSUE.get(issues[0].code, "StUF055") if issues else "StUF055"
        return FaultReply(fault(code), fault(code).omschrijving, issue_details(issues))
    if isinstance(error, ServiceUnavailable | SQLAlchemyError | OSError | StoreBusy):
        return FaultReply(
            fault("StUF046"),
            fault("StUF046").omschrijving,
            "the gateway cannot store messages right now; send the message again later",
        )
    detail = error.detail if isinstance(error, GatewayError) else ""
    return FaultReply(
        fault("StUF058"),
        fault("StUF058").omschrijving,
        detail or "the gateway failed to process this message; quote the correlation id to ops",
    )
