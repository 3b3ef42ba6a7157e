"""The StUF SOAP service: ``POST /stuf/v1/flextensie`` (SOAP 1.1 and 1.2), its WSDL at
``GET /stuf/v1/flextensie?wsdl`` and the XSDs the WSDL imports at ``/stuf/v1/xsd/<file>``.

Authentication is the client's API key (``Authorization: Bearer``). Every answer is SOAP: Bv03
once the message is stored, otherwise a fault whose detail is a StUF Fo03 (Fo02 for a
synchronous message). SOAP 1.1 faults come with HTTP 500; SOAP 1.2 with 400 (Sender) or 500.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import structlog
from fastapi import APIRouter, Request
from starlette.responses import Response

from adapters.base import TranslationError
from adapters.stuf.replies import FaultReply
from adapters.stuf.schema import XSD_DIR, XSD_FILES
from adapters.stuf.soap import SoapVersion, content_type, envelope, fault_envelope, open_envelope
from adapters.stuf.wsdl import render_wsdl
from adapters.xmlsafe import parse
from gateway.api.deps import read_body
from gateway.auth import Client
from gateway.errors import GatewayError, NotFound
from gateway.intake import SenderAnswer
from gateway.offload import off_loop
from gateway.store import StoreBusy
from gateway.stuf.answers import bv03, fault_body
from gateway.stuf.faults import fault_for
from gateway.stuf.pipeline import Prepared

if TYPE_CHECKING:
    from gateway.stuf.service import StufService

__all__ = ["SOAP_PATH", "XSD_PATH", "soap_routes"]

log = structlog.get_logger(__name__)

SOAP_PATH = "/stuf/v1/flextensie"
XSD_PATH = "/stuf/v1/xsd"
CHANNEL = "stuf-soap"


def soap_routes(service: StufService) -> APIRouter:
    router = APIRouter(tags=["stuf"])
    ctx = service.ctx

    @router.get(SOAP_PATH, summary="The WSDL of the StUF service (?wsdl)")
    async def wsdl(request: Request) -> Response:
        if not any(key.lower() == "wsdl" for key in request.query_params):
            raise NotFound(f"the WSDL is at {SOAP_PATH}?wsdl; messages are POSTed here")
        base = str(request.base_url).rstrip("/")
        return Response(
            render_wsdl(address=base + SOAP_PATH, xsd_base=base + XSD_PATH),
            media_type="text/xml; charset=utf-8",
        )

    @router.get(XSD_PATH + "/{name}", summary="A schema the WSDL imports")
    async def xsd(name: str) -> Response:
        if name not in XSD_FILES and name != "stuf0301.xsd":
            raise NotFound(f"no schema {name!r}; the WSDL names the ones there are")
        return Response((XSD_DIR / name).read_bytes(), media_type="application/xml")

    @router.post(
        SOAP_PATH,
        summary="Receive a StUF kennisgeving (SOAP 1.1 or 1.2)",
        response_class=Response,
        responses={200: {"content": {"text/xml": {}}, "description": "Bv03"}},
    )
    async def receive(request: Request) -> Response:
        given_type = request.headers.get("content-type", "")
        version: SoapVersion = "1.2" if "application/soap+xml" in given_type else "1.1"
        correlation_id = structlog.contextvars.get_contextvars().get("correlation_id")
        client: Client | None = None
        prepared: Prepared | None = None
        try:
            client = ctx.clients.authenticate(request.headers.get("authorization"))
            body = await read_body(request, ctx.settings.max_body_bytes)

            def read(client: Client) -> tuple[SoapVersion, Prepared]:
                try:
                    soap = open_envelope(parse(body, service.adapter.limits))
                    prepared = service.pipeline.prepare(
                        client,
                        soap.message,
                        channel=CHANNEL,
                        soap_action=_soap_action(request, soap.version),
                        correlation_id=correlation_id,
                    )
                    return soap.version, prepared
                except TranslationError as exc:
                    prepared = service.pipeline.rejected_payload(
                        client,
                        body,
                        exc,
                        channel=CHANNEL,
                        content_type=given_type[:100] or "text/xml",
                        correlation_id=correlation_id,
                    )
                    return version, prepared

            version, ready = await off_loop(len(body), ctx.settings.offload_min_bytes, read, client)
            prepared = ready

            def answered(refused: GatewayError) -> SenderAnswer:
                reply = fault_for(refused)
                return SenderAnswer(
                    status=_fault_status(version, reply),
                    code=reply.fault.code,
                    detail=f"{reply.omschrijving}: {reply.details}",
                    first_line=ready.first_line,
                )

            outcome = await service.pipeline.commit(ready, answered)
            if outcome.error is None:
                answer = bv03(ctx.settings, prepared.stuurgegevens, client, outcome.receipt)
                return Response(envelope(version, answer), media_type=content_type(version))
            error: BaseException = outcome.error
        except Exception as exc:
            if not isinstance(exc, GatewayError):
                log.exception("stuf_request_failed", channel=CHANNEL)
            error = exc
        reply = fault_for(error)
        service.metrics.faults.labels(reply.fault.code, CHANNEL).inc()
        synchronous = bool(prepared and prepared.kind and prepared.kind.synchronous)
        detail = fault_body(
            ctx.settings,
            prepared.stuurgegevens if prepared else None,
            client,
            reply,
            synchronous=synchronous,
        )
        status = _fault_status(version, reply)
        headers = None
        if isinstance(error, StoreBusy):  # nothing stored: a sender retries a 503, not a 500
            status, headers = 503, {"Retry-After": str(error.retry_after)}
        return Response(
            fault_envelope(
                version, plek=reply.fault.plek, reason=reply.omschrijving, detail=detail
            ),
            status_code=status,
            media_type=content_type(version),
            headers=headers,
        )

    return router


def _fault_status(version: SoapVersion, reply: FaultReply) -> int:
    return 500 if version == "1.1" or reply.fault.plek == "server" else 400


def _soap_action(request: Request, version: SoapVersion) -> str | None:
    if version == "1.1":
        return request.headers.get("soapaction")
    for part in request.headers.get("content-type", "").split(";"):
        name, _, value = part.strip().partition("=")
        if name.lower() == "action":
            return value
    return None
