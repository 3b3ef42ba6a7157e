"""Who may come in: clients configured with an id, a role, their identity and API key hashes.

Only SHA-256 hashes of the keys are configured and kept; keys are random 256-bit tokens, so a
fast hash is the right tool (a password hash would only cost every request time).

:class:`LiveClients` is what a running gateway asks: it re-reads the clients file when it
changed, so adding, rotating and revoking a client take effect without a restart.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import threading
import time
import tomllib
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from types import MappingProxyType
from typing import Annotated, Literal, Protocol, Self

import structlog
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from gateway.errors import Forbidden, Unauthenticated

__all__ = [
    "Client",
    "ClientLookup",
    "ClientRegistry",
    "ClientsFileError",
    "LiveClients",
    "Role",
    "hash_key",
    "new_key",
]

log = structlog.get_logger(__name__)

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
    #: Municipality: the KvK numbers of the staffing agencies it places candidates with (the
    #: only agencies its placement messages may name, and the only agencies whose placement
    #: messages may name this municipality; docs/security.md).
    agencies: frozenset[Annotated[str, Field(pattern=r"^[0-9]{8}$")]] = frozenset()
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
        if self.agencies and self.role != "municipality":
            raise ValueError("only a municipality client lists 'agencies'")
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


class ClientLookup(Protocol):
    """What request handlers and channels ask about clients (a fixed registry or the live one)."""

    def get(self, client_id: str) -> Client | None: ...

    def authenticate(self, authorization: str | None) -> Client: ...

    def agencies_of(self, gemeentecode: str) -> frozenset[str]: ...


class ClientRegistry:
    """The clients of one version of the clients file (immutable)."""

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

    def agencies_of(self, gemeentecode: str) -> frozenset[str]:
        """The agencies (KvK) the municipality's clients list."""
        return frozenset(
            kvk
            for client in self._by_id.values()
            if client.role == "municipality" and client.gemeentecode == gemeentecode
            for kvk in client.agencies
        )

    def by_key_hash(self, digest: str) -> Client | None:
        return self._by_hash.get(digest)

    @property
    def key_hashes(self) -> Mapping[str, Client]:
        return self._by_hash

    def authenticate(self, authorization: str | None) -> Client:
        client = self._by_hash.get(key_hash_of(authorization))
        if client is None:
            raise Unauthenticated("unknown API key")
        return client


def key_hash_of(authorization: str | None) -> str:
    """The SHA-256 of the bearer token in an ``Authorization`` header (401 when there is none)."""
    if not authorization:
        raise Unauthenticated("send 'Authorization: Bearer <api key>'")
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthenticated("send 'Authorization: Bearer <api key>'")
    return hash_key(token.strip())


#: Revoked key hashes remembered (to log a refusal as a revocation) until this many.
_REMEMBERED_REVOCATIONS = 10_000


class LiveClients:
    """The clients file as it is now: re-read when it changed, checked at most once per
    ``check_seconds`` (0: at every request; a ``stat`` costs microseconds).

    A change is seen by the file's mtime, size and inode; a file written within the last two
    seconds is also compared by content hash, because a rewrite in the same timestamp tick
    with the same size would otherwise go unseen. An invalid file is logged and the last good
    version stays in force: a typo must not lock every client out.

    A key or client that was valid and is no longer (revoked) is refused like an unknown one
    (401), and the refusal is logged as ``revoked_credential_refused`` with the client id,
    never the key.
    """

    def __init__(
        self,
        path: Path,
        *,
        check_seconds: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._path = path
        self._check_seconds = check_seconds
        self._clock = clock
        self._registry = ClientRegistry.from_file(path)
        self._signature = self._stat()
        self._digest = hashlib.sha256(path.read_bytes()).digest()
        self._checked = clock()
        # Upload rows are checked in worker threads: one reload at a time.
        self._reloading = threading.Lock()
        #: key hash -> client id of keys that were valid while this process ran, and are not.
        self._revoked_keys: dict[str, str] = {}

    @property
    def registry(self) -> ClientRegistry:
        self.refresh()
        return self._registry

    def get(self, client_id: str) -> Client | None:
        return self.registry.get(client_id)

    def __len__(self) -> int:
        return len(self.registry)

    def agencies_of(self, gemeentecode: str) -> frozenset[str]:
        return self.registry.agencies_of(gemeentecode)

    def authenticate(self, authorization: str | None) -> Client:
        digest = key_hash_of(authorization)
        client = self.registry.by_key_hash(digest)
        if client is None:
            revoked = self._revoked_keys.get(digest)
            if revoked is not None:
                log.warning("revoked_credential_refused", credential="api_key", client=revoked)
            raise Unauthenticated("unknown API key")
        return client

    def refresh(self, *, force: bool = False) -> None:
        now = self._clock()
        if not force and now - self._checked < self._check_seconds:
            return
        with self._reloading:
            self._reload(now, force=force)

    def _reload(self, now: float, *, force: bool) -> None:
        self._checked = now
        try:
            signature = self._stat()
            racy = time.time() - signature[0] / 1e9 < 2.0
            if signature == self._signature and not racy and not force:
                return
            data = self._path.read_bytes()
            digest = hashlib.sha256(data).digest()
            self._signature = signature
            if digest == self._digest:
                return
            registry = ClientRegistry.from_file(self._path)
        except (OSError, ClientsFileError) as exc:
            # The message names the file and the field, never a key.
            log.error("clients_file_invalid", path=str(self._path), error=str(exc).splitlines()[0])
            return
        self._digest = digest
        self._swap(registry)

    def _swap(self, registry: ClientRegistry) -> None:
        old = self._registry
        for digest, client in old.key_hashes.items():
            if registry.by_key_hash(digest) is None:
                self._revoked_keys[digest] = client.id
        for digest in registry.key_hashes:
            self._revoked_keys.pop(digest, None)
        while len(self._revoked_keys) > _REMEMBERED_REVOCATIONS:
            self._revoked_keys.pop(next(iter(self._revoked_keys)))
        gone = {c for c in old._by_id if registry.get(c) is None}
        self._registry = registry
        log.info(
            "clients_file_reloaded",
            clients=len(registry),
            removed=sorted(gone),
            added=sorted(set(registry._by_id) - set(old._by_id)),
        )

    def _stat(self) -> tuple[int, int, int]:
        found = os.stat(self._path)
        return (found.st_mtime_ns, found.st_size, found.st_ino)


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def new_key() -> str:
    return "fgw_" + secrets.token_urlsafe(32)
