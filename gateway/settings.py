"""The one settings object. Read from ``FLEXGW_*`` environment variables (or a ``.env`` file),
built once in the CLI or by ``create_app`` and passed down; no module reads the environment.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal, Self

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["Settings"]


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="FLEXGW_",
        env_file=".env",
        env_file_encoding="utf-8",
        env_nested_delimiter="__",
        extra="ignore",
    )

    # --- where things live ---------------------------------------------------------------
    #: Root of everything the gateway writes: SQLite file, secrets it generated, raw uploads,
    #: inbox directories. Created on first start.
    data_dir: Path = Path("var")
    #: SQLAlchemy URL of the store. Empty means the embedded SQLite file
    #: ``<data_dir>/gateway.db``. Production: ``postgresql+asyncpg://user:pw@host/db``.
    database_url: str = ""
    #: TOML file with the clients allowed in (id, role, identity, key hash). Empty means
    #: ``<data_dir>/clients.toml``; see docs/configuration.md.
    clients_file: Path | None = None

    # --- Kafka ---------------------------------------------------------------------------
    kafka_bootstrap_servers: str = "127.0.0.1:9092"
    #: Topic for every canonical message unless ``topic_routes`` names another.
    default_topic: str = "flextensie.placements.v1"
    #: Short message type (``hours.reported``) -> topic, for the types that go elsewhere.
    topic_routes: dict[str, str] = Field(default_factory=dict)
    #: Secret for the pseudonymous person key (HMAC-SHA256 of the BSN). Changing it changes
    #: every key, so partitions and ordering restart: set it once per environment. Empty means
    #: a random secret generated into ``<data_dir>/person-key.secret`` on first start.
    person_key_secret: SecretStr | None = None
    #: CloudEvents ``source`` prefix; the client id is appended.
    source_prefix: str = "urn:flextensie:gateway:"

    # --- relay ---------------------------------------------------------------------------
    relay_enabled: bool = True
    relay_batch_size: Annotated[int, Field(ge=1, le=50_000)] = 2000
    #: Idle poll interval when nothing wakes the relay (another process wrote the outbox).
    relay_poll_seconds: Annotated[float, Field(gt=0, le=60)] = 0.5
    #: Backoff bounds for transient publish failures (exponential with jitter).
    relay_backoff_initial_seconds: Annotated[float, Field(gt=0)] = 0.2
    relay_backoff_max_seconds: Annotated[float, Field(gt=0)] = 10.0
    #: How long a publish attempt may wait for the broker's acknowledgement.
    kafka_request_timeout_ms: Annotated[int, Field(ge=1000)] = 15_000
    #: Largest record value the relay will try; larger ones fail with a clear reason.
    kafka_max_request_size: Annotated[int, Field(ge=1024)] = 1_048_576
    kafka_linger_ms: Annotated[int, Field(ge=0)] = 5
    kafka_compression: Literal["none", "gzip", "lz4", "zstd", "snappy"] = "none"

    # --- HTTP ----------------------------------------------------------------------------
    host: str = "127.0.0.1"
    port: Annotated[int, Field(ge=1, le=65535)] = 8080
    #: Largest body accepted on the JSON and SOAP endpoints (uploads stream and have their own).
    max_body_bytes: Annotated[int, Field(ge=1024)] = 20 * 1024 * 1024
    #: Largest number of messages in one ``POST /v1/messages`` array.
    max_messages_per_request: Annotated[int, Field(ge=1)] = 10_000

    # --- uploads: payroll CSV and SETU files (docs/uploads.md) -----------------------------
    #: Directory of agency CSV profiles (``*.toml``, one per agency, validated at start-up).
    #: Empty means the profiles shipped with the gateway (three demo agencies, see
    #: docs/agencies.md).
    upload_profiles_dir: Path | None = None
    #: Largest upload accepted, in bytes. The body is streamed to disk, never held in memory.
    upload_max_bytes: Annotated[int, Field(ge=1024)] = 4 * 1024**3
    #: Largest SETU document: one document is parsed as one tree, so it has its own bound.
    setu_max_bytes: Annotated[int, Field(ge=1024)] = 50 * 1024 * 1024
    #: Rows per chunk while an upload is processed; each chunk is one store transaction.
    upload_chunk_rows: Annotated[int, Field(ge=1, le=100_000)] = 5000
    #: Error rows kept per upload; beyond that one ``too_many_errors`` row says so.
    upload_max_errors: Annotated[int, Field(ge=1)] = 1_000_000
    #: A copy of the official SETU schemas (layout of the SETU xml-specifications repository:
    #: ``hr-xml/``, ``setu/schemas/``). When set, v1.x and v2.0 XML is also validated against
    #: them. The gateway does not ship them; its own checks always run.
    setu_schema_dir: Path | None = None
    #: Watch the inbox directories (one per agency client, named by client id) for files.
    inbox_enabled: bool = True
    #: Root of the inbox directories. Empty means ``<data_dir>/inbox``.
    inbox_dir: Path | None = None
    #: Scan interval; a file is taken once its size and mtime held still for one interval.
    inbox_poll_seconds: Annotated[float, Field(gt=0, le=3600)] = 2.0

    # --- logging -------------------------------------------------------------------------
    log_level: Literal["debug", "info", "warning", "error"] = "info"
    log_format: Literal["json", "console"] = "json"

    #: Run the store's migrations when the app starts (always wanted for the embedded SQLite;
    #: turn off where deployments run ``flexgw db upgrade`` as a separate step).
    auto_migrate: bool = True

    #: Refuses start-up without an explicit person-key secret and clients file.
    production: bool = False

    @model_validator(mode="after")
    def _refuse_unsafe_production(self) -> Self:
        if self.production:
            if (
                self.person_key_secret is None
                or len(self.person_key_secret.get_secret_value()) < 32
            ):
                raise ValueError(
                    "production needs FLEXGW_PERSON_KEY_SECRET of at least 32 characters"
                )
            if self.clients_file is None:
                raise ValueError("production needs FLEXGW_CLIENTS_FILE")
            if not self.database_url.startswith("postgresql"):
                raise ValueError("production needs a PostgreSQL FLEXGW_DATABASE_URL")
        return self

    @property
    def resolved_database_url(self) -> str:
        return self.database_url or f"sqlite+aiosqlite:///{self.data_dir / 'gateway.db'}"

    @property
    def resolved_clients_file(self) -> Path:
        return self.clients_file or self.data_dir / "clients.toml"

    @property
    def resolved_inbox_dir(self) -> Path:
        return self.inbox_dir or self.data_dir / "inbox"

    def topic_for(self, short_type: str) -> str:
        return self.topic_routes.get(short_type, self.default_topic)
