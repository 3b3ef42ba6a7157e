"""Console sessions: a signed cookie naming the ops client, with an expiry and a nonce from
which the CSRF token of its forms is derived. The session also lives server-side
(``console_sessions``, keyed by the SHA-256 of the nonce) and is checked at every request:
logout deletes it, and a client revoked from the clients file has its sessions refused and
deleted, so a copied cookie is worthless after either."""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import orjson
from sqlalchemy import delete, insert, select
from sqlalchemy.ext.asyncio import AsyncConnection

from gateway.settings import Settings
from gateway.store.tables import console_sessions

__all__ = [
    "COOKIE_NAME",
    "ConsoleSession",
    "SessionSigner",
    "end_client_sessions",
    "end_session",
    "save_session",
    "session_is_live",
    "session_secret",
]

COOKIE_NAME = "flexgw_ops"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass(frozen=True, slots=True)
class ConsoleSession:
    client_id: str
    expires: int
    csrf: str
    #: SHA-256 of the nonce: the session's key in ``console_sessions``.
    key: str


class SessionSigner:
    def __init__(self, secret: bytes, *, lifetime_seconds: int) -> None:
        if len(secret) < 32:
            raise ValueError("the console session secret must be at least 32 bytes")
        self._secret = secret
        self.lifetime = lifetime_seconds

    def _mac(self, purpose: bytes, data: bytes) -> bytes:
        return hmac.new(self._secret, purpose + b"\x1f" + data, hashlib.sha256).digest()

    def issue(self, client_id: str, *, now: float | None = None) -> str:
        body = orjson.dumps(
            {
                "c": client_id,
                "e": int((now or time.time()) + self.lifetime),
                "n": secrets.token_urlsafe(16),
            }
        )
        return f"{_b64(body)}.{_b64(self._mac(b'session', body))}"

    def verify(self, cookie: str | None, *, now: float | None = None) -> ConsoleSession | None:
        if not cookie or cookie.count(".") != 1:
            return None
        body_text, mac_text = cookie.split(".")
        try:
            body, mac = _unb64(body_text), _unb64(mac_text)
        except ValueError:
            return None
        if not hmac.compare_digest(mac, self._mac(b"session", body)):
            return None
        try:
            data = orjson.loads(body)
            client_id, expires, nonce = str(data["c"]), int(data["e"]), str(data["n"])
        except (orjson.JSONDecodeError, KeyError, TypeError, ValueError):
            return None
        if expires < (now or time.time()):
            return None
        csrf = _b64(self._mac(b"csrf", nonce.encode()))
        key = hashlib.sha256(nonce.encode()).hexdigest()
        return ConsoleSession(client_id=client_id, expires=expires, csrf=csrf, key=key)


async def save_session(conn: AsyncConnection, session: ConsoleSession, *, now: datetime) -> None:
    # Expired rows of anyone go with each login: the table stays as small as the live sessions.
    await conn.execute(delete(console_sessions).where(console_sessions.c.expires_at < now))
    await conn.execute(
        insert(console_sessions).values(
            session_hash=session.key,
            client_id=session.client_id,
            created_at=now,
            expires_at=datetime.fromtimestamp(session.expires, UTC),
        )
    )


async def session_is_live(conn: AsyncConnection, session: ConsoleSession) -> bool:
    found = await conn.scalar(
        select(console_sessions.c.client_id).where(console_sessions.c.session_hash == session.key)
    )
    return found == session.client_id


async def end_session(conn: AsyncConnection, session: ConsoleSession) -> None:
    await conn.execute(
        delete(console_sessions).where(console_sessions.c.session_hash == session.key)
    )


async def end_client_sessions(conn: AsyncConnection, client_id: str) -> int:
    result = await conn.execute(
        delete(console_sessions).where(console_sessions.c.client_id == client_id)
    )
    return result.rowcount


def session_secret(settings: Settings) -> bytes:
    """Configured, or generated once into ``<data_dir>/console-session.secret`` (0600)."""
    if settings.console_session_secret is not None:
        return settings.console_session_secret.get_secret_value().encode("utf-8")
    path: Path = settings.data_dir / "console-session.secret"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass
        else:
            with os.fdopen(fd, "w", encoding="ascii") as handle:
                handle.write(secrets.token_hex(32) + "\n")
    return path.read_text(encoding="ascii").strip().encode("ascii")
