"""Console login and form safety without a browser: session cookie attributes, roles, CSRF,
cross-origin posts, tampered cookies, no open redirect after login."""

from __future__ import annotations

import re

from tests.conftest import TEST_KEYS
from tests.ops.helpers import ops_get
from tests.samples import candidate_enrolled


def _csrf(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, "no CSRF token in the page"
    return found.group(1)


async def test_console_login_session_roles_and_csrf(make_gateway) -> None:
    async with make_gateway(relay=False) as gw:
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
        client.cookies.clear()
        client.cookies.set("flexgw_ops", session[:-3] + "AAA")
        tampered = await client.get("/ops/messages")
        audit = (await ops_get(gw, "/audit"))["items"]

    assert anonymous.status_code == 303
    assert anonymous.headers["location"] == "/ops/login?next=%2Fops%2Fmessages%3Fstate%3Dfailed"
    assert sender_login.status_code == 401 and "set-cookie" not in sender_login.headers
    assert wrong_login.status_code == 401
    assert login.status_code == 303
    assert login.headers["location"] == "/ops/messages?state=failed"  # not the foreign URL
    assert "HttpOnly" in cookie_header and "SameSite=strict" in cookie_header.replace(
        "Strict", "strict"
    )
    assert "Path=/ops" in cookie_header
    assert TEST_KEYS["ops-viewer"] not in cookie_header
    assert page.status_code == 200
    assert "default-src 'none'" in page.headers["content-security-policy"]
    assert page.headers["x-frame-options"] == "DENY"
    assert "Reveal BSN" not in message_page.text  # viewers get no admin forms
    assert viewer_replay.status_code == 403
    assert no_token.status_code == 403
    assert cross_origin.status_code == 403
    assert held.status_code == 303
    assert tampered.status_code == 303 and tampered.headers["location"].startswith("/ops/login")
    assert [(e["action"], e["actor"]) for e in audit] == [
        ("hold", "ops-admin"),
        ("login", "ops-admin"),
        ("login", "ops-viewer"),
    ]
