"""The one settings object. Read from ``FLEXGW_*`` environment variables (or a ``.env`` file),
built once in the CLI or by ``create_app`` and passed down; no module reads the environment.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["Settings", "StufPullSource"]


class StufPullSource(BaseModel):
    """A municipal SOAP service the gateway asks for its candidates (``kandidaatLv01`` ->
    ``kandidaatLa01``) because it cannot push. Changes since the last poll become canonical
    messages through the same pipeline as pushed kennisgevingen."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    #: Name of this source in metrics, /readyz and the store (stable; letters, digits, -).
    id: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9._-]{1,62}$")]
    #: The municipality client (clients.toml) whose data this is; its gemeentecode is asked for.
    client: str
    #: Where the municipal service's WSDL is.
    wsdl: str
    #: The operation to call; it takes a kandidaatLv01 and answers a kandidaatLa01.
    operation: str = "kandidaatLv01"
    #: zeep service and port to bind, when the WSDL has several.
    service: str | None = None
    port: str | None = None
    #: The municipal system as StUF ontvanger of the question.
    organisatie: str | None = None
    applicatie: Annotated[str, Field(min_length=3, max_length=50)] = "SOCIAAL-DOMEIN"
    interval_seconds: Annotated[float, Field(gt=0)] = 300.0
    timeout_seconds: Annotated[float, Field(gt=0)] = 30.0


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
    #: SQLite: how long a write waits for the database's one write lock (held by another
    #: process, e.g. a stalled relay) before it gives up; intake then answers 503 with
    #: Retry-After, nothing stored. Not used on PostgreSQL, whose writers do not block whole.
    store_busy_seconds: Annotated[float, Field(gt=0, le=300)] = 10.0
    #: TOML file with the clients allowed in (id, role, identity, key hash). Empty means
    #: ``<data_dir>/clients.toml``; see docs/configuration.md.
    clients_file: Path | None = None
    #: How often a running gateway looks whether the clients file changed (a ``stat``); a
    #: change (client added, key rotated, client revoked) applies at the next request after
    #: that. 0 looks at every request.
    clients_check_seconds: Annotated[float, Field(ge=0, le=60)] = 1.0

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

    #: JDK for the local Kafka broker of ``flexgw kafka up`` / ``flexgw dev`` (``bin/java`` in
    #: it); empty means the ``java`` on PATH.
    java_home: Path | None = None

    # --- relay ---------------------------------------------------------------------------
    relay_enabled: bool = True
    relay_batch_size: Annotated[int, Field(ge=1, le=50_000)] = 2000
    #: Idle poll interval when nothing wakes the relay (another process wrote the outbox).
    relay_poll_seconds: Annotated[float, Field(gt=0, le=60)] = 0.5
    #: Backoff bounds for transient publish failures (exponential with jitter).
    relay_backoff_initial_seconds: Annotated[float, Field(gt=0)] = 0.2
    relay_backoff_max_seconds: Annotated[float, Field(gt=0)] = 10.0
    #: The relay's lease in the store: a relay that stalls longer than this loses it to
    #: another relay, which fences the stalled one off (docs/delivery.md).
    relay_lease_seconds: Annotated[float, Field(ge=0.5, le=300)] = 15.0
    #: Publish each drain batch in a Kafka transaction, so that the broker itself rejects a
    #: relay that lost the lease (docs/delivery.md). Off only to measure what it costs.
    relay_transactions: bool = True
    #: ``transactional.id`` of the relay's producer: the same for every relay of one
    #: installation. Empty means ``flexgw-relay-<default_topic>``.
    relay_transactional_id: str = ""
    #: How long a publish attempt may wait for the broker's acknowledgement.
    kafka_request_timeout_ms: Annotated[int, Field(ge=1000)] = 15_000
    #: Largest record value the relay will try; larger ones fail with a clear reason.
    kafka_max_request_size: Annotated[int, Field(ge=1024)] = 1_048_576
    kafka_linger_ms: Annotated[int, Field(ge=0)] = 5
    kafka_compression: Literal["none", "gzip", "lz4", "zstd", "snappy"] = "none"

    # --- Kafka security and topics (docs/configuration.md, docs/delivery.md) ---------------
    #: How every Kafka client of the gateway (relay, DLQ consumer, readiness, CLI) connects:
    #: ``SSL`` is TLS (mutual when a client certificate is set), ``SASL_SSL`` SASL over TLS,
    #: ``SASL_PLAINTEXT`` SASL without TLS (test networks only: the password crosses in clear
    #: with PLAIN).
    kafka_security_protocol: Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"] = "PLAINTEXT"
    #: PEM file of the CA(s) that signed the brokers' certificates. Empty means the system's.
    kafka_ssl_cafile: Path | None = None
    #: PEM files of the gateway's client certificate (chain) and its private key, for brokers
    #: that require mutual TLS (``ssl.client.auth=required``). Both or neither.
    kafka_ssl_certfile: Path | None = None
    kafka_ssl_keyfile: Path | None = None
    #: Password of an encrypted private key.
    kafka_ssl_key_password: SecretStr | None = None
    #: SASL mechanism for ``SASL_SSL`` / ``SASL_PLAINTEXT``, with the user's name and password.
    kafka_sasl_mechanism: Literal["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"] = "SCRAM-SHA-512"
    kafka_sasl_username: str = ""
    kafka_sasl_password: SecretStr | None = None
    #: Create missing topics (default topic, routed topics, DLQ topic) at start-up and check
    #: existing ones against the minimums below; ``flexgw kafka topics ensure`` does the same
    #: on demand. A topic below the minimums keeps the relay stopped and readiness false.
    kafka_topics_ensure: bool = False
    #: Partitions of a created topic and the fewest an existing one may have. Fixed for the
    #: life of a topic: adding partitions moves keys, and with them the order per person.
    kafka_topic_partitions: Annotated[int, Field(ge=1, le=10_000)] = 6
    #: Replication factor of a created topic and the lowest an existing one may have.
    kafka_topic_replication_factor: Annotated[int, Field(ge=1, le=32)] = 3
    #: ``min.insync.replicas`` of a created topic and the lowest an existing one may have:
    #: with ``acks=all`` an acknowledged record is on at least this many brokers.
    kafka_topic_min_insync_replicas: Annotated[int, Field(ge=1, le=32)] = 2
    #: ``retention.ms`` of a created topic and the shortest an existing one may have (-1 is
    #: unlimited). At least the back office's de-duplication window on ``ce_id``.
    kafka_topic_retention_ms: Annotated[int, Field(ge=-1)] = 7 * 24 * 3600 * 1000
    #: ``compression.type`` of a created topic (``producer`` keeps what the relay sends).
    kafka_topic_compression: Literal[
        "producer", "uncompressed", "gzip", "lz4", "zstd", "snappy"
    ] = "producer"

    # --- HTTP ----------------------------------------------------------------------------
    host: str = "127.0.0.1"
    port: Annotated[int, Field(ge=1, le=65535)] = 8080
    #: Largest body accepted on the JSON and SOAP endpoints (uploads stream and have their own).
    max_body_bytes: Annotated[int, Field(ge=1024)] = 20 * 1024 * 1024
    #: A REST or SOAP body of this many bytes or more is parsed, validated and mapped in a
    #: worker thread instead of on the event loop (batch files always are). Measured: a 1.6 KiB
    #: kennisgeving takes 0.2 ms (parse, XSD, mapping); padded with SOAP header elements to
    #: 8 KiB 0.3 ms, 27 KiB 2 ms, 1 MiB 200 ms; the hop to a thread and back about 50 us plus
    #: a GIL hand-over. At 16 KiB the work is about 1 ms: a smaller body holds other
    #: requests up for less than that inline, and the hop would be a sizeable share of it.
    #: bench/bench_stuf_push.py compares it with 0 and with everything on the loop.
    offload_min_bytes: Annotated[int, Field(ge=0)] = 16 * 1024

    # --- StUF (SOAP service, batch files, pull client; docs/stuf.md) -----------------------
    #: This gateway as a StUF system: the ``ontvanger`` senders must address and the ``zender``
    #: of its Bv03 and fault replies.
    stuf_organisatie: str = "Flextensie"
    stuf_applicatie: Annotated[str, Field(min_length=3, max_length=50)] = "FLEXGW"
    #: Deepest XML nesting accepted in a StUF message (SOAP envelope included).
    stuf_max_depth: Annotated[int, Field(ge=8, le=256)] = 32
    #: Largest batch file accepted (upload or inbox); it is streamed, never held in memory.
    stuf_batch_max_bytes: Annotated[int, Field(ge=1024)] = 4 * 1024**3
    #: Kennisgevingen of one batch in flight at once (messages of one person stay in order).
    #: Concurrent submissions share transactions (group commit), so more in flight means
    #: fewer, larger commits; 64 was about twice as fast as 4 at the same memory
    #: (bench/bench_stuf_batch.py).
    stuf_batch_concurrency: Annotated[int, Field(ge=1, le=1024)] = 64
    #: Watch ``<data_dir>/inbox/<client id>/`` of every municipality client for batch files.
    stuf_inbox_enabled: bool = True
    stuf_inbox_poll_seconds: Annotated[float, Field(gt=0)] = 5.0
    #: Municipal services polled with zeep (JSON list in FLEXGW_STUF_PULL_SOURCES).
    stuf_pull_sources: list[StufPullSource] = Field(default_factory=list)
    #: Attempts per poll (tenacity, exponential backoff) before the poll counts as failed.
    stuf_pull_attempts: Annotated[int, Field(ge=1, le=20)] = 3
    stuf_pull_backoff_seconds: Annotated[float, Field(gt=0)] = 1.0
    #: Failed polls in a row that open the circuit; while open, polls wait this long.
    stuf_pull_failures_to_open: Annotated[int, Field(ge=1)] = 3
    stuf_pull_open_seconds: Annotated[float, Field(gt=0)] = 60.0

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

    # --- ops (issue 5): replay, dead-letter topic, retention, web console -------------------
    #: Dead-letter topic on which the back office reports messages it could not process
    #: (docs/operations.md, "Failures from downstream"). The gateway consumes it in ``serve``.
    dlq_topic: str = "flextensie.placements.v1.dlq"
    #: Consume the dead-letter topic inside ``serve`` (off where another process does it).
    dlq_enabled: bool = True
    #: How long the DLQ consumer waits for records per poll, and backs off when Kafka is away.
    dlq_poll_seconds: Annotated[float, Field(gt=0, le=60)] = 1.0
    #: Raw payloads older than this are purged (the canonical messages and history stay).
    retention_days: Annotated[int, Field(ge=1)] = 90
    #: How often ``serve`` runs the retention purge; 0 turns the schedule off.
    retention_purge_interval_seconds: Annotated[float, Field(ge=0)] = 3600.0
    #: Messages a replay job puts back into the outbox (or re-translates) per transaction.
    replay_chunk_size: Annotated[int, Field(ge=1, le=50_000)] = 2000
    #: How many matching messages a replay plan shows as a sample (with diffs on re-translate).
    replay_plan_sample: Annotated[int, Field(ge=1, le=100)] = 10
    #: Secret that signs web-console session cookies. Empty means a random secret generated
    #: into ``<data_dir>/console-session.secret`` on first start.
    console_session_secret: SecretStr | None = None
    #: Lifetime of a web-console session.
    console_session_minutes: Annotated[int, Field(ge=1, le=24 * 60)] = 480
    #: Send the console cookie only over HTTPS (``Secure``); on by default in production.
    console_cookie_secure: bool | None = None

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

    @model_validator(mode="after")
    def _kafka_security_complete(self) -> Self:
        if (self.kafka_ssl_certfile is None) != (self.kafka_ssl_keyfile is None):
            raise ValueError("FLEXGW_KAFKA_SSL_CERTFILE and FLEXGW_KAFKA_SSL_KEYFILE go together")
        if self.kafka_security_protocol.startswith("SASL_") and (
            not self.kafka_sasl_username or self.kafka_sasl_password is None
        ):
            raise ValueError(
                f"FLEXGW_KAFKA_SECURITY_PROTOCOL={self.kafka_security_protocol} needs "
                "FLEXGW_KAFKA_SASL_USERNAME and FLEXGW_KAFKA_SASL_PASSWORD"
            )
        if self.kafka_topic_min_insync_replicas > self.kafka_topic_replication_factor:
            raise ValueError(
                "FLEXGW_KAFKA_TOPIC_MIN_INSYNC_REPLICAS cannot exceed the replication factor"
            )
        return self

    @property
    def resolved_transactional_id(self) -> str:
        return self.relay_transactional_id or f"flexgw-relay-{self.default_topic}"

    @property
    def resolved_database_url(self) -> str:
        return self.database_url or f"sqlite+aiosqlite:///{self.data_dir / 'gateway.db'}"

    @property
    def resolved_clients_file(self) -> Path:
        return self.clients_file or self.data_dir / "clients.toml"

    @property
    def resolved_console_cookie_secure(self) -> bool:
        return self.production if self.console_cookie_secure is None else self.console_cookie_secure

    @property
    def resolved_inbox_dir(self) -> Path:
        return self.inbox_dir or self.data_dir / "inbox"

    def topic_for(self, short_type: str) -> str:
        return self.topic_routes.get(short_type, self.default_topic)
