"""The store's tables (SQLAlchemy Core). Alembic migrations in ``migrations/`` create them;
this module is what the code queries against, and a test checks both agree.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)

__all__ = [
    "inbound",
    "message_events",
    "messages",
    "metadata",
    "relay_lease",
    "stuf_batches",
    "stuf_pull_state",
]

# SQLite only auto-increments an INTEGER PRIMARY KEY; PostgreSQL gets a BIGINT identity.
SeqType = BigInteger().with_variant(Integer(), "sqlite")

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

#: Every payload that reached the gateway, raw, as received: accepted or rejected.
inbound = Table(
    "inbound",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("sender", String(64), nullable=False),
    Column("channel", String(32), nullable=False),
    # The adapter that translated it: what a re-translate after a fix runs again.
    Column("adapter", String(64)),
    Column("content_type", String(100), nullable=False),
    Column("content_hash", String(64), nullable=False),
    Column("received_at", DateTime(timezone=True), nullable=False),
    # received -> accepted | rejected (| partially_accepted for files)
    Column("state", String(24), nullable=False),
    # Set only once accepted: a repeat with the same key or content gets the stored answer.
    Column("idempotency_key", String(200)),
    Column("dedupe_hash", String(64)),
    # The sender's own reference (StUF referentienummer, file name, ...).
    Column("external_ref", String(200)),
    Column("status_code", Integer),
    Column("response", JSON),
    Column("error_code", String(64)),
    Column("payload", LargeBinary),
    # Large files are kept on disk under the data directory instead of in ``payload``.
    Column("payload_path", String(500)),
    Column("payload_size", BigInteger, nullable=False),
    Column("purged_at", DateTime(timezone=True)),
    Column("correlation_id", String(64)),
    UniqueConstraint("sender", "idempotency_key", name="uq_inbound_sender_idempotency_key"),
    UniqueConstraint("sender", "dedupe_hash", name="uq_inbound_sender_dedupe_hash"),
    Index("ix_inbound_received_at", "received_at"),
    Index("ix_inbound_sender_external_ref", "sender", "external_ref"),
)

#: Canonical messages: the outbox the relay drains, and their current state.
messages = Table(
    "messages",
    metadata,
    # Publication order; per person key the relay never overtakes a lower seq.
    Column("seq", SeqType, primary_key=True, autoincrement=True),
    Column("id", String(64), nullable=False, unique=True),  # CloudEvent id
    Column("inbound_id", String(36), ForeignKey("inbound.id"), nullable=False),
    Column("sender", String(64), nullable=False),
    Column("type", String(64), nullable=False),  # short type, e.g. placement.started
    Column("topic", String(249), nullable=False),
    Column("key", String(64), nullable=False),  # pseudonymous person key
    # CloudEvent attributes not derivable from the columns above (ce_* headers are built
    # from them when publishing, see gateway.events.kafka_headers).
    Column("source", String(200), nullable=False),
    Column("event_time", String(32), nullable=False),
    Column("value", LargeBinary, nullable=False),  # JSON data, exactly as published
    # queued -> published | failed; failed -> queued (replay); queued <-> held
    Column("state", String(16), nullable=False),
    Column("attempts", Integer, nullable=False, default=0),
    Column("error_code", String(64)),
    Column("error_message", Text),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("published_at", DateTime(timezone=True)),
    Column("kafka_partition", Integer),
    Column("kafka_offset", BigInteger),
    Column("supersedes", String(64)),
    # Only what the relay still has to read is indexed for it: a partial index stays small
    # and publishing a message only removes its entry.
    Index(
        "ix_messages_queued_seq",
        "seq",
        sqlite_where=text("state = 'queued'"),
        postgresql_where=text("state = 'queued'"),
    ),
    Index("ix_messages_key_seq", "key", "seq"),
    Index("ix_messages_inbound_id", "inbound_id"),
)

#: History of state transitions of inbound payloads and canonical messages (append-only).
message_events = Table(
    "message_events",
    metadata,
    Column("seq", SeqType, primary_key=True, autoincrement=True),
    Column("message_id", String(64)),
    Column("inbound_id", String(36)),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("state", String(16), nullable=False),
    Column("actor", String(64), nullable=False),
    Column("code", String(64)),
    Column("detail", Text),
    Index("ix_message_events_message_id", "message_id"),
    Index("ix_message_events_inbound_id", "inbound_id"),
)

#: At most one relay publishes at a time: it holds this lease and renews it.
relay_lease = Table(
    "relay_lease",
    metadata,
    Column("name", String(32), primary_key=True),
    Column("owner", String(64), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
)

#: StUF batch files (upload or inbox): the file stays on disk under the data directory; every
#: kennisgeving in it becomes its own ``inbound`` row through the intake.
stuf_batches = Table(
    "stuf_batches",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("sender", String(64), nullable=False),
    Column("source", String(16), nullable=False),  # upload | inbox
    Column("file_name", String(255), nullable=False),
    Column("payload_path", String(500), nullable=False),
    Column("content_hash", String(64), nullable=False),
    Column("size", BigInteger, nullable=False),
    # received -> processing -> done | failed (a restart processes 'processing' again)
    Column("state", String(16), nullable=False),
    Column("received_at", DateTime(timezone=True), nullable=False),
    Column("started_at", DateTime(timezone=True)),
    Column("finished_at", DateTime(timezone=True)),
    Column("total", Integer, nullable=False, default=0),
    Column("accepted", Integer, nullable=False, default=0),
    Column("repeated", Integer, nullable=False, default=0),
    Column("ignored", Integer, nullable=False, default=0),
    Column("rejected", Integer, nullable=False, default=0),
    Column("report_path", String(500)),
    Column("error", Text),
    Column("correlation_id", String(64)),
    UniqueConstraint("sender", "content_hash", name="uq_stuf_batches_sender_content_hash"),
    Index("ix_stuf_batches_state", "state"),
)

#: What the StUF pull client last saw of each candidate at a municipal source (the object as
#: received), so the next answer can be turned into only the real changes.
stuf_pull_state = Table(
    "stuf_pull_state",
    metadata,
    Column("source", String(64), primary_key=True),
    Column("person_key", String(64), primary_key=True),
    Column("content_hash", String(64), nullable=False),
    Column("object", LargeBinary, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)
