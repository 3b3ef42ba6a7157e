"""Writes the clients file: ``flexgw clients add`` and the demo clients of ``flexgw dev``."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from gateway.auth import Client, ClientRegistry, ClientsFileError, hash_key, new_key

__all__ = ["ClientsFileError", "add_client", "ensure_demo_clients"]

#: The demo agencies' KvK numbers (docs/agencies.md): both demo municipalities work with them.
DEMO_AGENCIES = ("12345678", "87654321", "34567890")
DEMO_CLIENTS: tuple[dict[str, Any], ...] = (
    {
        "client_id": "gemeente-amsterdam",
        "role": "municipality",
        "gemeentecode": "0363",
        "agencies": DEMO_AGENCIES,
        "name": "Gemeente Amsterdam (demo)",
    },
    {
        "client_id": "gemeente-rotterdam",
        "role": "municipality",
        "gemeentecode": "0599",
        "agencies": DEMO_AGENCIES,
        "name": "Gemeente Rotterdam (demo)",
    },
    {
        "client_id": "flexwerk-uitzend",
        "role": "agency",
        "kvk": "12345678",
        "name": "Flexwerk Uitzendbureau (demo)",
    },
    {"client_id": "ops-admin", "role": "ops-admin", "name": "Operator (demo)"},
    {"client_id": "ops-viewer", "role": "ops-viewer", "name": "Viewer (demo)"},
)


def add_client(
    path: Path,
    *,
    client_id: str,
    role: str,
    gemeentecode: str | None = None,
    kvk: str | None = None,
    agencies: Sequence[str] = (),
    name: str = "",
) -> str:
    """Appends a client with a fresh key to ``path`` and returns the key."""
    key = new_key()
    try:
        candidate = Client.model_validate(
            {
                "id": client_id,
                "role": role,
                "name": name,
                "gemeentecode": gemeentecode,
                "kvk": kvk,
                "agencies": list(agencies),
                "key_sha256": [hash_key(key)],
            }
        )
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(map(str, e['loc'])) or 'client'}: {e['msg']}"
            for e in exc.errors(include_input=False, include_url=False)
        )
        raise ClientsFileError(f"cannot add {client_id!r}: {problems}") from None
    existing = ClientRegistry.from_file(path) if path.exists() else ClientRegistry([])
    if existing.get(client_id) is not None:
        raise ClientsFileError(f"client {client_id!r} already exists in {path}")
    block = ["", "[[client]]", f'id = "{candidate.id}"', f'role = "{candidate.role}"']
    if candidate.name:
        block.append(f"name = {_toml_string(candidate.name)}")
    if candidate.gemeentecode:
        block.append(f'gemeentecode = "{candidate.gemeentecode}"')
    if candidate.kvk:
        block.append(f'kvk = "{candidate.kvk}"')
    if candidate.agencies:
        block.append(f"agencies = {sorted(candidate.agencies)!r}".replace("'", '"'))
    block.append(f'key_sha256 = ["{candidate.key_sha256[0]}"]')
    path.parent.mkdir(parents=True, exist_ok=True)
    header = "" if path.exists() else "# API clients of the gateway; see docs/configuration.md\n"
    with path.open("a", encoding="utf-8") as handle:
        handle.write(header + "\n".join(block) + "\n")
    return key


def ensure_demo_clients(clients_path: Path, keys_path: Path) -> dict[str, str]:
    """The demo clients of a local run, created once; their keys are kept in ``keys_path``
    (mode 0600) so a developer finds them again. Never used in production."""
    keys: dict[str, str] = {}
    if keys_path.exists():
        for line in keys_path.read_text(encoding="utf-8").splitlines():
            client, _, key = line.partition(" ")
            if client and key:
                keys[client] = key.strip()
    for demo in DEMO_CLIENTS:
        if demo["client_id"] in keys:
            continue
        keys[demo["client_id"]] = add_client(clients_path, **demo)
    keys_path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(keys_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.writelines(f"{client} {key}\n" for client, key in keys.items())
    return keys


def _toml_string(value: str) -> str:
    escaped = value.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'
