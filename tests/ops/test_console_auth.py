"""Console login and form safety without a browser: session cookie attributes, roles, CSRF,
cross-origin posts, tampered cookies, no open redirect after login."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from tests.conftest import TEST_KEYS, GatewayFactory
from tests.ops.helpers import ops_get
from tests.samples import candidate_enrolled


def _csrf(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, "no CSRF token in the page"
    return found.group(1)


@dataclass(frozen=True)
class Console:
    anonymous: httpx.Response
    sender_login: httpx.Response
    wrong_login: httpx.Response
    login: httpx.Response
    cookie_header: str
    page: httpx.Response
    message_page: httpx.Response
    viewer_replay: httpx.Response
    no_token: httpx.Response
    cross_origin: httpx.Response
    held: httpx.Response
    tampered: httpx.Response
    audit: list[dict[str, Any]]


@pytest.fixture(scope="module")
async def console(module_gateway: GatewayFactory) -> Console:
    async with module_gateway(relay=False) as gw:
        client = gw.client
        message_id = (await gw.post(candidate_enrolled())).json()["message_ids"][0]
        anonymous = await client.get("/ops/messages?state=failed")
        sender_login = await client.post(
            "/ops/login", data={"api_key": TEST_KEYS["gemeente-amsterdam"]}
        )
        wrong_login = await client.post("/ops/login", data={"api_key": "nonsense"})
        login = await client.post(
            "/ops/login",
            data={"api_key": TEST_KEYS["ops-viewer"], "next": "https://evil.example/ops"},
        )
        cookie_header = login.headers["set-cookie"]
        page = await client.get("/ops/messages")
        message_page = await client.get(f"/ops/messages/{message_id}")
        token = _csrf(page.text)
        viewer_replay = await client.post(
            "/ops/replays",
            data={
                "csrf_token": token,
                "reason": "try",
                "kind": "republish",
                "selection": f'{{"message_ids": ["{message_id}"]}}',
                "up_to_seq": "10",
                "idempotency_key": "k1",
            },
        )
        client.cookies.clear()
        await client.post("/ops/login", data={"api_key": TEST_KEYS["ops-admin"]})
        token = _csrf((await client.get("/ops/messages")).text)
        no_token = await client.post(
            f"/ops/messages/{message_id}/hold", data={"reason": "check", "csrf_token": "x"}
        )
        cross_origin = await client.post(
            f"/ops/messages/{message_id}/hold",
            data={"reason": "check", "csrf_token": token},
            headers={"Origin": "http://evil.example"},
        )
        held = await client.post(
            f"/ops/messages/{message_id}/hold",
            data={"reason": "check", "csrf_token": token},
            headers={"Origin": "http://gateway"},
        )
        session = client.cookies.get("flexgw_ops")
        assert session is not None
        client.cookies.clear()
        client.cookies.set("flexgw_ops", session[:-3] + "AAA")
        tampered = await client.get("/ops/messages")
        audit = (await ops_get(gw, "/audit"))["items"]
    return Console(
        anonymous=anonymous,
        sender_login=sender_login,
        wrong_login=wrong_login,
        login=login,
        cookie_header=cookie_header,
        page=page,
        message_page=message_page,
        viewer_replay=viewer_replay,
        no_token=no_token,
        cross_origin=cross_origin,
        held=held,
        tampered=tampered,
        audit=audit,
    )


def test_anonymous_visitor_is_sent_to_login_with_the_page_to_return_to(
    console: Console,
) -> None:
    assert console.anonymous.status_code == 303
    assert (
        console.anonymous.headers["location"]
        == "/ops/login?next=%2Fops%2Fmessages%3Fstate%3Dfailed"
    )


def test_a_sender_key_cannot_log_in(console: Console) -> None:
    assert console.sender_login.status_code == 401
    assert "set-cookie" not in console.sender_login.headers


def test_a_wrong_key_cannot_log_in(console: Console) -> None:
    assert console.wrong_login.status_code == 401


def test_login_never_redirects_to_a_foreign_url(console: Console) -> None:
    assert console.login.status_code == 303
    assert console.login.headers["location"] == "/ops/messages?state=failed"


def test_session_cookie_is_http_only_strict_and_scoped_without_the_key(
    console: Console,
) -> None:
    cookie = console.cookie_header
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie.replace("Strict", "strict")
    assert "Path=/ops" in cookie
    assert TEST_KEYS["ops-viewer"] not in cookie


def test_pages_carry_a_strict_content_security_policy(console: Console) -> None:
    assert console.page.status_code == 200
    assert "default-src 'none'" in console.page.headers["content-security-policy"]
    assert console.page.headers["x-frame-options"] == "DENY"


def test_viewers_get_no_admin_forms_and_cannot_replay(console: Console) -> None:
    assert "Reveal BSN" not in console.message_page.text
    assert console.viewer_replay.status_code == 403


def test_a_form_without_the_sessions_csrf_token_is_refused(console: Console) -> None:
    assert console.no_token.status_code == 403


def test_a_cross_origin_post_is_refused(console: Console) -> None:
    assert console.cross_origin.status_code == 403


def test_an_admin_form_with_token_and_own_origin_works(console: Console) -> None:
    assert console.held.status_code == 303


def test_a_tampered_session_cookie_is_sent_to_login(console: Console) -> None:
    assert console.tampered.status_code == 303
    assert console.tampered.headers["location"].startswith("/ops/login")


def test_logins_and_actions_are_audited(console: Console) -> None:
    assert [(e["action"], e["actor"]) for e in console.audit] == [
        ("hold", "ops-admin"),
        ("login", "ops-admin"),
        ("login", "ops-viewer"),
    ]
