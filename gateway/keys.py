"""The person-key secret: configured, or generated once into the data directory."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from gateway.settings import Settings

__all__ = ["person_key_secret"]


def person_key_secret(settings: Settings) -> bytes:
    if settings.person_key_secret is not None:
        return settings.person_key_secret.get_secret_value().encode("utf-8")
    path = settings.data_dir / "person-key.secret"
    if not path.exists():
        _write_private(path, secrets.token_hex(32))
    return path.read_text(encoding="ascii").strip().encode("ascii")


def _write_private(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    # O_EXCL: two processes starting at once must not each write a different secret.
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(text + "\n")
