"""The store's tables (SQLAlchemy Core). Alembic migrations in ``migrations/`` create them;
this module is what the code queries against, and a test checks both agree.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    Column,
    Date,
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

from gateway.states import STATE_COLUMNS, MessageState

__all__ = [
    "INDEXED_OFF_PATH_STATES",
    "audit_log",
    "console_sessions",
    "dlq_offsets",
    "holds",
    "inbound",
    "message_events",
    "messages",
    "metadata",
    "relay_lease",
    "replay_items",
    "replay_jobs",
    "stuf_batches",
    "stuf_pull_state",
    "upload_errors",
    "upload_keys",
    "upload_placements",
    "upload_quarantine",
    "upload_workers",
    "uploads",
]

#: States with their own partial indexes (ops lists messages in them; few are there).
INDEXED_OFF_PATH_STATES = (MessageState.FAILED, MessageState.HELD, MessageState.REPLAYED)

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
    # gateway.states.InboundState (received -> accepted | rejected; files: validating first)
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
    # gateway.states.MessageState (staged -> queued -> published | failed; replay; hold)
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
    # gateway.states.EventState: the state moved to (message or inbound), or ``purged``
    Column("state", String(24), nullable=False),
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
    #: Fencing token: +1 whenever another owner takes the lease over (docs/delivery.md).
    Column("epoch", BigInteger, nullable=False, server_default="0"),
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


# === ops (issue 5, migration 0004_ops) =========================================================
# Listing and filtering failed messages (docs/operations.md): newest first within a state.
# Partial: only messages off the expected path are in them, so the intake's inserts and the
# relay's publishes never touch them. Each index has one simple predicate (state = '...'):
# SQLite evaluates a NOT IN predicate on every update of the row, which made publishing four
# times slower. Queries that want one must carry its predicate as a literal term
# (gateway/ops/filters.py), which is how SQLite matches a partial index.
_failed = text("state = 'failed'")
for _name, _columns in (
    ("ix_messages_failed_error_code_seq", (messages.c.error_code, messages.c.seq)),
    ("ix_messages_failed_type_seq", (messages.c.type, messages.c.seq)),
    ("ix_messages_failed_sender_seq", (messages.c.sender, messages.c.seq)),
    ("ix_messages_failed_created_at", (messages.c.created_at,)),
    ("ix_messages_failed_seq", (messages.c.seq,)),
):
    Index(_name, *_columns, sqlite_where=_failed, postgresql_where=_failed)
for _state in ("held", "replayed"):
    _where = text(f"state = '{_state}'")
    Index(f"ix_messages_{_state}_seq", messages.c.seq, sqlite_where=_where, postgresql_where=_where)
Index(
    "ix_messages_supersedes",
    messages.c.supersedes,
    sqlite_where=text("supersedes IS NOT NULL"),
    postgresql_where=text("supersedes IS NOT NULL"),
)
Index("ix_inbound_state_received_at", inbound.c.state, inbound.c.received_at)

#: Who did what, when, to which messages and why. Append-only: nothing updates or deletes it.
#: Console sessions, by the SHA-256 of the cookie's nonce (the cookie alone is not enough:
#: logout and a revoked client end the session here).
console_sessions = Table(
    "console_sessions",
    metadata,
    Column("session_hash", String(64), primary_key=True),
    Column("client_id", String(64), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    Index("ix_console_sessions_client_id", "client_id"),
)

audit_log = Table(
    "audit_log",
    metadata,
    Column("seq", SeqType, primary_key=True, autoincrement=True),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("actor", String(64), nullable=False),  # client id, or "scheduler"
    Column("role", String(32), nullable=False),
    # replay, cancel, hold, release, reveal, purge, login, ...
    Column("action", String(32), nullable=False),
    Column("target", String(200)),  # message id, job id, hold id, "filter"
    Column("message_count", Integer, nullable=False, default=0),
    Column("reason", Text),
    Column("detail", JSON),
    Index("ix_audit_log_at", "at"),
    Index("ix_audit_log_action_at", "action", "at"),
)

#: Replay jobs: re-publish or re-translate a frozen selection of messages.
replay_jobs = Table(
    "replay_jobs",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("kind", String(16), nullable=False),  # republish | retranslate
    # gateway.states.ReplayJobState: running -> publishing -> done; cancelling -> cancelled
    Column("state", String(16), nullable=False),
    Column("selection", JSON, nullable=False),  # the ids or filter it was created from
    Column("reason", Text, nullable=False),
    Column("created_by", String(64), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("finished_at", DateTime(timezone=True)),
    Column("total", Integer, nullable=False),
    Column("error", Text),
    Index("ix_replay_jobs_created_at", "created_at"),
)

#: One row per message of a job: what the job did with it.
replay_items = Table(
    "replay_items",
    metadata,
    Column("job_id", String(36), ForeignKey("replay_jobs.id"), primary_key=True),
    # The message's outbox seq: the job processes its items in this (the original) order.
    Column("message_seq", BigInteger, primary_key=True),
    Column("message_id", String(64), nullable=False),
    # pending -> queued -> published | failed; pending -> skipped | cancelled | error
    Column("outcome", String(16), nullable=False),
    Column("new_message_id", String(64)),  # re-translate: the message that supersedes it
    Column("detail", Text),
    Index("ix_replay_items_job_id_outcome", "job_id", "outcome"),
)

#: Held person keys: while a key is held the relay publishes none of its queued messages.
holds = Table(
    "holds",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("key", String(64), nullable=False, unique=True),
    Column("message_id", String(64)),  # the message it was placed on, if any
    Column("held_at", DateTime(timezone=True), nullable=False),
    Column("held_by", String(64), nullable=False),
    Column("reason", Text, nullable=False),
)

#: How far the gateway has read the dead-letter topic, per partition (same transaction as the
#: marks it led to, so a record is applied once).
dlq_offsets = Table(
    "dlq_offsets",
    metadata,
    Column("topic", String(249), primary_key=True),
    Column("partition", Integer, primary_key=True),
    Column("next_offset", BigInteger, nullable=False),
)


# --- uploads: payroll CSV and SETU files (issue 4) -------------------------------------------
# Rows of these tables that belong to an upload count only once that upload is accepted
# (state accepted or partially_accepted): lookups join on ``uploads.state``, so a file that is
# still being checked, or was rejected, never makes a duplicate or a known placement.

#: One uploaded file (its raw bytes stay on disk; ``inbound`` has the same id and the path).
uploads = Table(
    "uploads",
    metadata,
    Column("id", String(36), ForeignKey("inbound.id"), primary_key=True),
    Column("sender", String(64), nullable=False),
    Column("agency_kvk", String(8), nullable=False),
    Column("channel", String(16), nullable=False),  # api | inbox
    Column("format", String(16), nullable=False),  # csv | setu-xml | setu-json
    Column("profile", String(64)),
    Column("file_name", String(255)),
    Column("content_hash", String(64), nullable=False),
    # Set unless rejected: the same file from the same agency finds its first upload.
    Column("dedupe_hash", String(64)),
    # received -> validating -> accepted | partially_accepted | rejected
    Column("state", String(24), nullable=False),
    Column("policy", String(16), nullable=False),  # all-or-nothing | accept-valid
    Column("size", BigInteger, nullable=False),
    Column("bytes_read", BigInteger, nullable=False, default=0),
    Column("rows_read", BigInteger, nullable=False, default=0),
    Column("rows_accepted", BigInteger, nullable=False, default=0),
    Column("rows_rejected", BigInteger, nullable=False, default=0),
    Column("rows_duplicate", BigInteger, nullable=False, default=0),
    Column("rows_quarantined", BigInteger, nullable=False, default=0),
    Column("rows_corrected", BigInteger, nullable=False, default=0),
    Column("messages", BigInteger, nullable=False, default=0),
    Column("errors", BigInteger, nullable=False, default=0),
    Column("received_at", DateTime(timezone=True), nullable=False),
    Column("started_at", DateTime(timezone=True)),
    Column("finished_at", DateTime(timezone=True)),
    Column("error_code", String(64)),
    Column("detail", Text),
    # Inbox uploads: the directory their reports are written to.
    Column("report_dir", String(500)),
    UniqueConstraint("agency_kvk", "dedupe_hash", name="uq_uploads_agency_kvk_dedupe_hash"),
    Index("ix_uploads_state", "state"),
    Index("ix_uploads_agency_kvk_received_at", "agency_kvk", "received_at"),
)

#: Every problem found in an upload: where (line or XPath), column, value as received (BSN
#: masked), stable code, and the message in Dutch and English.
upload_errors = Table(
    "upload_errors",
    metadata,
    Column("seq", SeqType, primary_key=True, autoincrement=True),
    Column("upload_id", String(36), nullable=False),
    Column("line", Integer),
    Column("location", String(500), nullable=False),
    Column("column_name", String(200)),
    Column("value", Text),
    Column("code", String(64), nullable=False),
    Column("message_nl", Text, nullable=False),
    Column("message_en", Text, nullable=False),
    Index("ix_upload_errors_upload_id_seq", "upload_id", "seq"),
)

#: Business keys of accepted rows: (agency, person, placement, period, kind) -> the values and
#: the message they became. The latest row of an accepted upload wins.
upload_keys = Table(
    "upload_keys",
    metadata,
    Column("seq", SeqType, primary_key=True, autoincrement=True),
    Column("agency_kvk", String(8), nullable=False),
    Column("key_hash", String(64), nullable=False),
    Column("upload_id", String(36), nullable=False),
    Column("value_hash", String(64), nullable=False),
    Column("message_id", String(64)),
    Column("timecard_id", String(64)),
    Column("line", Integer),
    Index("ix_upload_keys_agency_kvk_key_hash", "agency_kvk", "key_hash"),
    Index("ix_upload_keys_upload_id", "upload_id"),
)

#: Rows that conflict with an earlier accepted row (same key, other values): held, reported,
#: never published until someone decides.
upload_quarantine = Table(
    "upload_quarantine",
    metadata,
    Column("seq", SeqType, primary_key=True, autoincrement=True),
    Column("upload_id", String(36), nullable=False),
    Column("agency_kvk", String(8), nullable=False),
    Column("line", Integer),
    Column("location", String(500), nullable=False),
    Column("key_hash", String(64), nullable=False),
    Column("conflicts_with", String(64)),  # message id of the earlier row
    Column("type", String(64), nullable=False),
    Column("value", LargeBinary, nullable=False),  # the canonical JSON it would have become
    Column("state", String(16), nullable=False),  # held | released | discarded
    Column("created_at", DateTime(timezone=True), nullable=False),
    Index("ix_upload_quarantine_upload_id", "upload_id"),
    Index("ix_upload_quarantine_state", "state"),
)

#: Placements the agency told us about (CSV placement rows, SETU Assignments): their current
#: state, for period checks, for ``placement.changed`` and to find the person of a timecard.
upload_placements = Table(
    "upload_placements",
    metadata,
    Column("seq", SeqType, primary_key=True, autoincrement=True),
    Column("agency_kvk", String(8), nullable=False),
    Column("assignment_id", String(64), nullable=False),
    Column("bsn", String(9), nullable=False),
    Column("start_date", Date, nullable=False),
    Column("end_date", Date),
    Column("state", JSON, nullable=False),  # PlacementStartedData as JSON
    Column("upload_id", String(36), nullable=False),
    Index("ix_upload_placements_agency_kvk_assignment_id", "agency_kvk", "assignment_id"),
    Index("ix_upload_placements_upload_id", "upload_id"),
)

#: The agency's worker (employee) numbers and the BSN each stands for, learned from CSV rows
#: that carry both: how a SETU Assignment (which never carries a BSN) finds its person.
upload_workers = Table(
    "upload_workers",
    metadata,
    Column("seq", SeqType, primary_key=True, autoincrement=True),
    Column("agency_kvk", String(8), nullable=False),
    Column("worker_id", String(64), nullable=False),
    Column("bsn", String(9), nullable=False),
    Column("upload_id", String(36), nullable=False),
    Index("ix_upload_workers_agency_kvk_worker_id", "agency_kvk", "worker_id"),
    Index("ix_upload_workers_upload_id", "upload_id"),
)


# === states (migration 0005_states) ===========================================================
# Every state column holds only its vocabulary (gateway/states.py). The migration writes the
# lists out; a test compares them with the enums.
for (_table, _column), _states in STATE_COLUMNS.items():
    _values = ", ".join(f"'{s.value}'" for s in _states)
    metadata.tables[_table].append_constraint(
        CheckConstraint(f"{_column} IN ({_values})", name=f"ck_{_table}_{_column}")
    )
