"""Who may come in: clients configured with an id, a role, their identity and API key hashes.

Only SHA-256 hashes of the keys are configured and kept; keys are random 256-bit tokens, so a
fast hash is the right tool (a password hash would only cost every request time).
"""

from __future__ import annotations

import hashlib
import secrets
import tomllib
from collections.abc import Iterable, Mapping
from pathlib import Path
from types import MappingProxyType
from typing import Annotated, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from gateway.errors import Forbidden, Unauthenticated

__all__ = [
    "Client",
    "ClientRegistry",
    "ClientsFileError",
    "Role",
    "hash_key",
    "new_key",
]

Role = Literal["municipality", "agency", "ops-viewer", "ops-admin"]
_OWNER_FIELD: Mapping[str, str] = MappingProxyType(
    {"municipality": "municipality", "agency": "agency_kvk"}
)


class ClientsFileError(ValueError):
    pass


class Client(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9._-]{1,62}$")]
    role: Role
    name: str = ""
    gemeentecode: Annotated[str | None, Field(pattern=r"^[0-9]{4}$")] = None
    kvk: Annotated[str | None, Field(pattern=r"^[0-9]{8}$")] = None
    #: StUF zender organisatie/applicatie this client sends as (defaults per role).
    stuf_organisatie: str | None = None
    stuf_applicatie: str | None = None
    key_sha256: Annotated[
        list[Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")]], Field(min_length=1)
    ]

    @model_validator(mode="after")
    def _identity_fits_role(self) -> Self:
        if self.role == "municipality" and not self.gemeentecode:
            raise ValueError("a municipality client needs 'gemeentecode'")
        if self.role == "agency" and not self.kvk:
            raise ValueError("an agency client needs 'kvk'")
        return self

    @property
    def identity(self) -> str | None:
        """The value the owner field of its messages must carry."""
        return self.gemeentecode if self.role == "municipality" else self.kvk

    @property
    def is_ops(self) -> bool:
        return self.role.startswith("ops-")

    def check_owns(self, data: BaseModel, where: str) -> None:
        """A sender may only submit data about itself: its municipality code or its KvK."""
        owner_field = _OWNER_FIELD.get(self.role)
        if owner_field is None:
            raise Forbidden(f"role {self.role!r} does not submit messages")
        owner = getattr(data, owner_field, None)
        if owner != self.identity:
            raise Forbidden(
                f"{where}: '{owner_field}' must be this client's own "
                f"({self.identity}); this client cannot submit for another "
                f"{'municipality' if self.role == 'municipality' else 'agency'}",
                pointer=where,
            )


class _ClientsFile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    client: list[Client] = []


class ClientRegistry:
    def __init__(self, clients: Iterable[Client]) -> None:
        by_id: dict[str, Client] = {}
        by_hash: dict[str, Client] = {}
        for client in clients:
            if client.id in by_id:
                raise ClientsFileError(f"client id {client.id!r} is configured twice")
            by_id[client.id] = client
            for digest in client.key_sha256:
                if digest in by_hash:
                    raise ClientsFileError(f"client {client.id!r} shares a key with another")
                by_hash[digest] = client
        self._by_id = MappingProxyType(by_id)
        self._by_hash = MappingProxyType(by_hash)

    @classmethod
    def from_file(cls, path: Path) -> Self:
        try:
            raw = tomllib.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise ClientsFileError(f"clients file {path} does not exist") from None
        except tomllib.TOMLDecodeError as exc:
            raise ClientsFileError(f"clients file {path} is not valid TOML: {exc}") from None
        try:
            parsed = _ClientsFile.model_validate(raw)
        except ValidationError as exc:
            lines = [
                f"  client[{e['loc'][1]}].{'.'.join(map(str, e['loc'][2:]))}: {e['msg']}"
                if len(e["loc"]) > 1
                else f"  {e['msg']}"
                for e in exc.errors(include_input=False, include_url=False)
            ]
            raise ClientsFileError(
                f"clients file {path} is invalid:\n" + "\n".join(lines)
            ) from None
        return cls(parsed.client)

    def __len__(self) -> int:
        return len(self._by_id)

    def get(self, client_id: str) -> Client | None:
        return self._by_id.get(client_id)

    def authenticate(self, authorization: str | None) -> Client:
        if not authorization:
            raise Unauthenticated("send 'Authorization: Bearer <api key>'")
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise Unauthenticated("send 'Authorization: Bearer <api key>'")
        client = self._by_hash.get(hash_key(token.strip()))
        if client is None:
            raise Unauthenticated("unknown API key")
        return client


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def new_key() -> str:
    return "fgw_" + secrets.token_urlsafe(32)
