"""The console's pages under ``/ops`` (excluded from the OpenAPI schema: the API is
``/v1/ops``). Reads need an ops session; changes need ops-admin and a valid CSRF token."""

import hmac
import inspect
import uuid
from datetime import UTC, datetime
from importlib import resources
from typing import Annotated, Any, Literal
from urllib.parse import urlencode, urlsplit

import orjson
import structlog
from fastapi import APIRouter, Depends, FastAPI, Form, Request
from fastapi.exceptions import RequestValidationError
from pydantic import ValidationError
from starlette.responses import JSONResponse, RedirectResponse, Response

from gateway.auth import Client
from gateway.errors import Forbidden, GatewayError, NotFound, Unauthenticated
from gateway.ops.audit import Actor, record_audit
from gateway.ops.console.pages import SECURITY_HEADERS, Pages
from gateway.ops.console.session import (
    COOKIE_NAME,
    ConsoleSession,
    SessionSigner,
    end_client_sessions,
    end_session,
    save_session,
    session_is_live,
)
from gateway.ops.errors import InvalidSelection
from gateway.ops.filters import MessageFilter
from gateway.ops.replay.model import ReplayKind, Selection
from gateway.ops.service import OpsService
from gateway.states import QuarantineState

__all__ = ["ConsoleUser", "build_console_router", "install_console_errors"]

log = structlog.get_logger(__name__)

_FILTER_FIELDS = ("state", "sender", "channel", "type", "error_code", "since", "until")


class ConsoleUser:
    """The ops client behind a valid session cookie."""

    def __init__(self, client: Client, session: ConsoleSession) -> None:
        self.client = client
        self.session = session
        self.actor = Actor.of(client)
        self.is_admin = client.role == "ops-admin"


class _LoginNeeded(Exception):
    pass


def build_console_router(
    ops: OpsService, signer: SessionSigner, *, secure_cookie: bool
) -> APIRouter:
    pages = Pages()
    router = APIRouter(prefix="/ops", include_in_schema=False)
    ctx = ops.ctx

    # --- sessions ------------------------------------------------------------------------
    async def current_user(request: Request) -> ConsoleUser:
        session = signer.verify(request.cookies.get(COOKIE_NAME))
        if session is None:
            raise _LoginNeeded()
        client = ctx.clients.get(session.client_id)
        if client is None or not client.is_ops:
            # Revoked (or no longer an ops client): its sessions end everywhere.
            async with ctx.store.write() as conn:
                ended = await end_client_sessions(conn, session.client_id)
            log.warning(
                "revoked_credential_refused",
                credential="console_session",
                client=session.client_id,
                sessions_ended=ended,
            )
            raise _LoginNeeded()
        async with ctx.store.read() as conn:
            live = await session_is_live(conn, session)
        if not live:
            raise _LoginNeeded()
        return ConsoleUser(client, session)

    def check_form(request: Request, user: ConsoleUser, token: str) -> None:
        origin = request.headers.get("origin")
        if origin and urlsplit(origin).netloc != request.url.netloc:
            raise Forbidden("cross-origin form post refused")
        if not hmac.compare_digest(token.encode(), user.session.csrf.encode()):
            raise Forbidden("the form expired or did not come from this console; reload it")

    def admin_form(request: Request, user: ConsoleUser, token: str) -> None:
        check_form(request, user, token)
        if not user.is_admin:
            raise Forbidden("this needs the ops-admin role")

    User = Annotated[ConsoleUser, Depends(current_user)]
    Csrf = Annotated[str, Form(alias="csrf_token")]
    ReasonField = Annotated[str, Form(min_length=3, max_length=2000)]

    def page(name: str, user: ConsoleUser | None, status: int = 200, **context: Any) -> Response:
        return pages.render(
            name, status, user=user, csrf=user.session.csrf if user else "", **context
        )

    def redirect(url: str) -> RedirectResponse:
        return RedirectResponse(url, status_code=303, headers=SECURITY_HEADERS)

    # --- login ---------------------------------------------------------------------------
    @router.get("/login")
    async def login_form(next: str = "/ops/messages?state=failed") -> Response:
        return page("login.html", None, next=_local(next), error=None)

    @router.post("/login")
    async def login(
        request: Request,
        api_key: Annotated[str, Form(max_length=500)],
        next: Annotated[str, Form(max_length=2000)] = "/ops/messages?state=failed",
    ) -> Response:
        origin = request.headers.get("origin")
        if origin and urlsplit(origin).netloc != request.url.netloc:
            raise Forbidden("cross-origin login refused")
        try:
            client = ctx.clients.authenticate(f"Bearer {api_key}")
        except Unauthenticated:
            client = None
        if client is None or not client.is_ops:
            return page(
                "login.html", None, 401, next=_local(next), error="Unknown key, or not an ops key."
            )
        cookie = signer.issue(client.id)
        session = signer.verify(cookie)
        assert session is not None  # just issued by the same signer
        async with ctx.store.write() as conn:
            # Real time, as the cookie's expiry is (ops.clock may be a test's fixed clock).
            await save_session(conn, session, now=datetime.now(UTC))
            await record_audit(
                conn, actor=Actor.of(client), action="login", at=ops.clock(), target="console"
            )
        response = redirect(_local(next))
        response.set_cookie(
            COOKIE_NAME,
            cookie,
            max_age=signer.lifetime,
            path="/ops",
            httponly=True,
            samesite="strict",
            secure=secure_cookie,
        )
        return response

    @router.post("/logout")
    async def logout(request: Request, user: User, csrf_token: Csrf) -> Response:
        check_form(request, user, csrf_token)
        async with ctx.store.write() as conn:
            await end_session(conn, user.session)
        response = redirect("/ops/login")
        response.delete_cookie(
            COOKIE_NAME, path="/ops", httponly=True, samesite="strict", secure=secure_cookie
        )
        return response

    # --- messages ------------------------------------------------------------------------
    @router.get("")
    @router.get("/")
    async def home(_user: User) -> Response:
        return redirect("/ops/messages?state=failed")

    @router.get("/messages")
    async def messages_page(request: Request, user: User) -> Response:
        values = {k: v for k in _FILTER_FIELDS if (v := request.query_params.get(k))}
        try:
            flt = MessageFilter.model_validate(values)
            before = (
                int(request.query_params["before"]) if "before" in request.query_params else None
            )
        except (ValidationError, ValueError):
            return page(
                "messages.html",
                user,
                422,
                error="The filter is not valid.",
                filter=values,
                items=[],
                counts={},
                by_error={},
                by_type={},
                by_state={},
                query="",
                failed_query="",
                next_before=None,
            )
        items = await ops.list_messages(flt, limit=50, before=before)
        counts = await ops.count_messages(flt, by=None)
        by_error = await ops.count_messages(flt, by="error_code")
        by_type = await ops.count_messages(flt, by="type")
        by_state = await ops.count_messages(flt, by="state")
        return page(
            "messages.html",
            user,
            filter=values,
            items=[i.as_json() for i in items],
            counts=counts,
            by_error=by_error,
            by_type=by_type,
            by_state=by_state,
            error=None,
            query=urlencode(values),
            failed_query=urlencode({**values, "state": "failed"}),
            next_before=items[-1].seq if len(items) == 50 else None,
        )

    @router.get("/messages/{message_id}")
    async def message_page(user: User, message_id: str) -> Response:
        detail = await ops.message(message_id)
        return page("message.html", user, d=detail.as_json(), revealed=False, notice=None)

    @router.post("/messages/{message_id}/reveal")
    async def reveal(
        request: Request, user: User, message_id: str, csrf_token: Csrf, reason: ReasonField
    ) -> Response:
        admin_form(request, user, csrf_token)
        detail = await ops.reveal(message_id, actor=user.actor, reason=reason)
        return page(
            "message.html",
            user,
            d=detail.as_json(),
            revealed=True,
            notice="Revealed for: " + reason + " (this view is in the audit log)",
        )

    @router.post("/messages/{message_id}/hold")
    async def hold(
        request: Request, user: User, message_id: str, csrf_token: Csrf, reason: ReasonField
    ) -> Response:
        admin_form(request, user, csrf_token)
        await ops.hold(actor=user.actor, reason=reason, message_id=message_id)
        return redirect(f"/ops/messages/{message_id}")

    @router.post("/messages/{message_id}/release")
    async def release(
        request: Request, user: User, message_id: str, csrf_token: Csrf, reason: ReasonField
    ) -> Response:
        admin_form(request, user, csrf_token)
        await ops.release(actor=user.actor, reason=reason, message_id=message_id)
        return redirect(f"/ops/messages/{message_id}")

    # --- payloads as received ------------------------------------------------------------
    @router.get("/inbound")
    async def inbound_page(user: User, state: str | None = "rejected") -> Response:
        items = await ops.inbound(state=state or None, sender=None, channel=None, limit=100)
        return page("inbound.html", user, items=[i.as_json() for i in items], state=state)

    @router.get("/inbound/{inbound_id}")
    async def inbound_detail_page(user: User, inbound_id: str) -> Response:
        detail = await ops.inbound_payload(inbound_id)
        rejected = detail["inbound"]["state"] == "rejected" and detail["raw_payload"] is not None
        plan = (await ops.plan_rejected(inbound_id)).as_json() if rejected else None
        return page("inbound_detail.html", user, d=detail, plan=plan)

    @router.post("/inbound/{inbound_id}/retranslate")
    async def inbound_retranslate(
        request: Request, user: User, inbound_id: str, csrf_token: Csrf, reason: ReasonField
    ) -> Response:
        admin_form(request, user, csrf_token)
        await ops.accept_rejected(inbound_id, actor=user.actor, reason=reason)
        return redirect(f"/ops/inbound/{inbound_id}")

    # --- quarantined upload rows ---------------------------------------------------------
    @router.get("/quarantine")
    async def quarantine_page(user: User, state: QuarantineState | None = None) -> Response:
        rows = await ops.quarantine(state=state or QuarantineState.HELD, upload_id=None, limit=200)
        return page(
            "quarantine.html",
            user,
            items=[r.as_json() for r in rows],
            state=(state or QuarantineState.HELD).value,
        )

    @router.post("/quarantine/{seq}/{decision}")
    async def quarantine_decide(
        request: Request,
        user: User,
        seq: int,
        decision: Literal["release", "discard"],
        csrf_token: Csrf,
        reason: ReasonField,
    ) -> Response:
        admin_form(request, user, csrf_token)
        await ops.decide_quarantined(
            seq, release=decision == "release", actor=user.actor, reason=reason
        )
        return redirect("/ops/quarantine")

    # --- replay --------------------------------------------------------------------------
    @router.get("/replays/new")
    async def replay_plan(request: Request, user: User) -> Response:
        kind = ReplayKind(request.query_params.get("kind", "republish"))
        ids = request.query_params.getlist("id")
        values = {k: v for k in _FILTER_FIELDS if (v := request.query_params.get(k))}
        try:
            selection = (
                Selection(message_ids=ids)
                if ids
                else Selection(filter=MessageFilter.model_validate(values))
            )
        except ValidationError:
            raise InvalidSelection("select messages by id or by a valid filter") from None
        plan = await ops.plan(kind, selection)
        return page(
            "replay_new.html",
            user,
            plan=plan.as_json(),
            selection_json=orjson.dumps(
                selection.model_dump(mode="json", exclude_none=True)
            ).decode(),
            idempotency_key=str(uuid.uuid4()),
        )

    @router.post("/replays")
    async def replay_start(
        request: Request,
        user: User,
        csrf_token: Csrf,
        reason: ReasonField,
        kind: Annotated[ReplayKind, Form()],
        selection: Annotated[str, Form(max_length=5_000_000)],
        up_to_seq: Annotated[int, Form()],
        idempotency_key: Annotated[str, Form(max_length=200)],
    ) -> Response:
        admin_form(request, user, csrf_token)
        try:
            chosen = Selection.model_validate({**orjson.loads(selection), "up_to_seq": up_to_seq})
        except (ValidationError, orjson.JSONDecodeError):
            raise InvalidSelection("the replay form is damaged; plan again") from None
        job = await ops.replay(
            kind, chosen, actor=user.actor, reason=reason, idempotency_key=idempotency_key
        )
        return redirect(f"/ops/replays/{job.id}")

    @router.get("/replays")
    async def jobs_page(user: User) -> Response:
        return page("jobs.html", user, jobs=[j.as_json() for j in await ops.jobs(limit=100)])

    @router.get("/replays/{job_id}")
    async def job_page(user: User, job_id: str) -> Response:
        job = await ops.job(job_id)
        items = await ops.job_items(job_id, outcome=None, after=None, limit=50)
        return page("job.html", user, job=job.as_json(), items=items)

    @router.get("/replays/{job_id}/progress")
    async def job_progress(_user: User, job_id: str) -> Response:
        return JSONResponse((await ops.job(job_id)).as_json(), headers=SECURITY_HEADERS)

    @router.post("/replays/{job_id}/cancel")
    async def job_cancel(
        request: Request, user: User, job_id: str, csrf_token: Csrf, reason: ReasonField
    ) -> Response:
        admin_form(request, user, csrf_token)
        await ops.cancel(job_id, actor=user.actor, reason=reason)
        return redirect(f"/ops/replays/{job_id}")

    # --- audit ---------------------------------------------------------------------------
    @router.get("/audit")
    async def audit_page(user: User, action: str | None = None) -> Response:
        entries = await ops.audit(action=action or None, limit=200)
        return page("audit.html", user, entries=[e.as_json() for e in entries], action=action)

    # --- static --------------------------------------------------------------------------
    @router.get("/static/{name}")
    async def static(name: str) -> Response:
        types = {"console.css": "text/css", "console.js": "text/javascript"}
        if name not in types:
            raise NotFound("no such file")
        data = resources.files("gateway.ops.console").joinpath("static", name).read_bytes()
        return Response(
            data,
            media_type=types[name],
            headers={**SECURITY_HEADERS, "Cache-Control": "max-age=300"},
        )

    return router


def _local(target: str) -> str:
    """Only paths of this console are followed after login (no open redirect)."""
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not parts.path.startswith("/ops"):
        return "/ops/messages?state=failed"
    return target


def install_console_errors(app: FastAPI) -> None:
    """Under ``/ops``: a login redirect when the session is missing, and errors as HTML pages
    (the API under ``/v1`` keeps answering problem+json)."""
    pages = Pages()
    api_gateway_error = app.exception_handlers[GatewayError]
    api_invalid_request = app.exception_handlers[RequestValidationError]

    async def login_needed(request: Request, _exc: Exception) -> Response:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        if request.method != "GET":
            target = "/ops/messages?state=failed"
        return RedirectResponse(
            "/ops/login?" + urlencode({"next": target}), status_code=303, headers=SECURITY_HEADERS
        )

    def _console(request: Request) -> bool:
        return request.url.path.startswith("/ops/") and not request.url.path.endswith("/progress")

    async def gateway_error(request: Request, exc: Exception) -> Response:
        if not _console(request) or not isinstance(exc, GatewayError):
            return await _delegate(api_gateway_error, request, exc)
        return pages.render(
            "error.html", exc.status, user=None, csrf="", title=exc.title, detail=exc.detail
        )

    async def invalid_request(request: Request, exc: Exception) -> Response:
        if not _console(request) or not isinstance(exc, RequestValidationError):
            return await _delegate(api_invalid_request, request, exc)
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc'][1:])}: {e['msg']}" for e in exc.errors()
        )
        return pages.render(
            "error.html", 422, user=None, csrf="", title="The form is not valid", detail=problems
        )

    app.add_exception_handler(_LoginNeeded, login_needed)
    app.add_exception_handler(GatewayError, gateway_error)
    app.add_exception_handler(RequestValidationError, invalid_request)


async def _delegate(handler: Any, request: Request, exc: Exception) -> Response:
    result = handler(request, exc)
    if inspect.isawaitable(result):
        result = await result
    assert isinstance(result, Response)
    return result
