"""The clients file is live (issue 11, acceptance 2): a client added while running is
accepted, a rotated key works beside the old one, a revoked key and a logged-out or revoked
console session are refused at their next request, without restart; refusals of revoked
credentials are logged without the key."""

from __future__ import annotations

import re
from pathlib import Path

from structlog.testing import capture_logs

from gateway.auth import LiveClients, hash_key
from tests.conftest import GatewayFactory
from tests.samples import candidate_enrolled


def _client(client_id: str, role: str, *keys: str, extra: str = "") -> str:
    hashes = ", ".join(f'"{hash_key(k)}"' for k in keys)
    return f'[[client]]\nid = "{client_id}"\nrole = "{role}"\n{extra}key_sha256 = [{hashes}]\n'


AMSTERDAM = 'gemeentecode = "0363"\n'


def _write(path: Path, *blocks: str) -> None:
    # Replaced in one rename, as an editor or a deployment tool writes it.
    temporary = path.with_suffix(".tmp")
    temporary.write_text("\n".join(blocks), encoding="utf-8")
    temporary.replace(path)


def _bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def test_add_rotate_revoke_and_a_broken_file(tmp_path: Path) -> None:
    path = tmp_path / "clients.toml"
    _write(path, _client("gemeente-a", "municipality", "old-key", extra=AMSTERDAM))
    live = LiveClients(path, check_seconds=0)
    assert live.authenticate("Bearer old-key").id == "gemeente-a"

    _write(path, _client("gemeente-a", "municipality", "old-key", "new-key", extra=AMSTERDAM))
    assert live.authenticate("Bearer old-key").id == "gemeente-a"  # rotation: both valid
    assert live.authenticate("Bearer new-key").id == "gemeente-a"

    _write(path, _client("gemeente-a", "municipality", "new-key", extra=AMSTERDAM))
    with capture_logs() as logs:
        refused = _refused(live, "Bearer old-key")
        unknown = _refused(live, "Bearer never-a-key")
    assert refused and unknown
    revoked = [e for e in logs if e["event"] == "revoked_credential_refused"]
    assert revoked == [
        {
            "event": "revoked_credential_refused",
            "log_level": "warning",
            "credential": "api_key",
            "client": "gemeente-a",
        }
    ]

    path.write_text("[[client]]\nid = ", encoding="utf-8")  # half-written or a typo
    with capture_logs() as logs:
        assert live.authenticate("Bearer new-key").id == "gemeente-a"  # the last good file
    assert [e["event"] for e in logs] == ["clients_file_invalid"]
    assert "new-key" not in str(logs)


def test_a_change_within_the_same_timestamp_and_size_is_seen(tmp_path: Path) -> None:
    path = tmp_path / "clients.toml"
    path.write_text(_client("ops-one", "ops-admin", "key-aaaa"), encoding="utf-8")
    live = LiveClients(path, check_seconds=0)
    stat = path.stat()
    path.write_text(_client("ops-one", "ops-admin", "key-bbbb"), encoding="utf-8")
    import os

    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert path.stat().st_size == stat.st_size
    assert _refused(live, "Bearer key-aaaa")
    assert live.authenticate("Bearer key-bbbb").id == "ops-one"


def _refused(live: LiveClients, authorization: str) -> bool:
    try:
        live.authenticate(authorization)
    except Exception as exc:
        return type(exc).__name__ == "Unauthenticated"
    return False


def _csrf(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found
    return found.group(1)


async def test_revocation_and_logout_apply_at_the_next_request_without_restart(
    make_gateway: GatewayFactory, tmp_path: Path
) -> None:
    path = tmp_path / "clients.toml"
    municipality = _client("gemeente-a", "municipality", "key-gemeente-a", extra=AMSTERDAM)
    ops = _client("ops-a", "ops-admin", "key-ops-a")
    _write(path, municipality, ops)
    live = LiveClients(path, check_seconds=0)
    async with make_gateway(relay=False, clients=live) as gw:
        http = gw.client
        sent = await http.post(
            "/v1/messages", json=candidate_enrolled(), headers=_bearer("key-gemeente-a")
        )
        new_client = await http.post(
            "/v1/messages", json=candidate_enrolled("123456782"), headers=_bearer("key-new")
        )
        _write(
            path,
            municipality,
            ops,
            _client("gemeente-b", "municipality", "key-new", extra=AMSTERDAM),
        )
        added = await http.post(
            "/v1/messages", json=candidate_enrolled("123456782"), headers=_bearer("key-new")
        )

        # Logout ends the session server-side: the same cookie, sent again, is refused.
        await http.post("/ops/login", data={"api_key": "key-ops-a"})
        cookie = http.cookies.get("flexgw_ops")
        assert cookie is not None
        page = await http.get("/ops/messages")
        logout = await http.post("/ops/logout", data={"csrf_token": _csrf(page.text)})
        http.cookies.set("flexgw_ops", cookie, path="/ops")
        after_logout = await http.get("/ops/messages")

        # Revocation ends the API key and every console session of the client.
        http.cookies.clear()
        await http.post("/ops/login", data={"api_key": "key-ops-a"})
        before_revoke = await http.get("/ops/messages")
        with capture_logs() as logs:
            _write(path, _client("gemeente-b", "municipality", "key-new", extra=AMSTERDAM))
            revoked_key = await http.post(
                "/v1/messages", json=candidate_enrolled(), headers=_bearer("key-gemeente-a")
            )
            revoked_session = await http.get("/ops/messages")

    assert sent.status_code == 202
    assert new_client.status_code == 401
    assert added.status_code == 202, added.text
    assert logout.status_code == 303
    assert after_logout.status_code == 303
    assert after_logout.headers["location"].startswith("/ops/login")
    assert before_revoke.status_code == 200
    assert revoked_key.status_code == 401
    assert revoked_session.status_code == 303
    refusals = [e for e in logs if e["event"] == "revoked_credential_refused"]
    assert {(e["credential"], e["client"]) for e in refusals} == {
        ("api_key", "gemeente-a"),
        ("console_session", "ops-a"),
    }
    assert "key-" not in str(refusals)
