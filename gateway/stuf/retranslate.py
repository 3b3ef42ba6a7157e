"""Re-translation of a stored StUF message with every rule of the channel: the same
``prepare`` as a pushed message (schema, stuurgegevens, zender and ontvanger of the sending
client, mapping, own municipality only), and the referentienummer as idempotency key. Ops
re-translate through this (registered in ``GatewayContext.retranslators``), never through the
bare adapter."""

from __future__ import annotations

from adapters.base import Issue, TranslationError
from gateway.channels import Retranslate, Retranslated, StoredInput
from gateway.context import GatewayContext
from gateway.errors import GatewayError
from gateway.stuf.pipeline import StufPipeline

__all__ = ["stuf_retranslator"]

#: Refused for a request header, which is not stored with the message: the sender must send
#: it again; re-translating the stored message cannot show the rule holds now.
_HEADER_RULES = {"soap-action": "its soapAction header did not fit the message"}


def stuf_retranslator(ctx: GatewayContext, pipeline: StufPipeline) -> Retranslate:
    def retranslate(stored: StoredInput) -> Retranslated:
        if stored.error_code in _HEADER_RULES:
            raise TranslationError(
                [
                    Issue(
                        "/",
                        stored.error_code,
                        f"refused because {_HEADER_RULES[stored.error_code]}; the header is not "
                        "kept, so only the sender can fix this: ask for the message again",
                    )
                ],
                code=stored.error_code,
                summary="the channel refused this message for a rule ops cannot re-check",
            )
        client = ctx.clients.get(stored.sender)
        if client is None:
            raise GatewayError(f"sender {stored.sender!r} is no longer a configured client")
        element = pipeline.adapter.open(stored.payload)
        prepared = pipeline.prepare(client, element, channel=stored.channel)
        if prepared.failure is not None:
            raise prepared.failure
        if prepared.crash is not None:
            # As on arrival: a bug says no more than that, to ops as to senders.
            raise GatewayError("the gateway could not process this payload") from prepared.crash
        return Retranslated(prepared.drafts, prepared.submission.idempotency_key)

    return retranslate
