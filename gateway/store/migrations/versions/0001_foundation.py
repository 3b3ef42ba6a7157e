"""Foundation: inbound payloads, canonical messages (outbox), their history, relay lease.

Revision ID: 0001
Revises:
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

Seq = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "inbound",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("sender", sa.String(64), nullable=False),
        sa.Column("channel", sa.String(32), nullable=False),
        sa.Column("adapter", sa.String(64)),
        sa.Column("content_type", sa.String(100), nullable=False),
        sa.Column("content_hash", sa.String(64), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("state", sa.String(24), nullable=False),
        sa.Column("idempotency_key", sa.String(200)),
        sa.Column("dedupe_hash", sa.String(64)),
        sa.Column("external_ref", sa.String(200)),
        sa.Column("status_code", sa.Integer),
        sa.Column("response", sa.JSON),
        sa.Column("error_code", sa.String(64)),
        sa.Column("payload", sa.LargeBinary),
        sa.Column("payload_path", sa.String(500)),
        sa.Column("payload_size", sa.BigInteger, nullable=False),
        sa.Column("purged_at", sa.DateTime(timezone=True)),
        sa.Column("correlation_id", sa.String(64)),
        sa.PrimaryKeyConstraint("id", name="pk_inbound"),
        sa.UniqueConstraint("sender", "idempotency_key", name="uq_inbound_sender_idempotency_key"),
        sa.UniqueConstraint("sender", "dedupe_hash", name="uq_inbound_sender_dedupe_hash"),
    )
    op.create_index("ix_inbound_received_at", "inbound", ["received_at"])
    op.create_index("ix_inbound_sender_external_ref", "inbound", ["sender", "external_ref"])

    op.create_table(
        "messages",
        sa.Column("seq", Seq, primary_key=True, autoincrement=True),
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("inbound_id", sa.String(36), nullable=False),
        sa.Column("sender", sa.String(64), nullable=False),
        sa.Column("type", sa.String(64), nullable=False),
        sa.Column("topic", sa.String(249), nullable=False),
        sa.Column("key", sa.String(64), nullable=False),
        sa.Column("source", sa.String(200), nullable=False),
        sa.Column("event_time", sa.String(32), nullable=False),
        sa.Column("value", sa.LargeBinary, nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("error_code", sa.String(64)),
        sa.Column("error_message", sa.Text),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True)),
        sa.Column("kafka_partition", sa.Integer),
        sa.Column("kafka_offset", sa.BigInteger),
        sa.Column("supersedes", sa.String(64)),
        sa.PrimaryKeyConstraint("seq", name="pk_messages"),
        sa.UniqueConstraint("id", name="uq_messages_id"),
        sa.ForeignKeyConstraint(
            ["inbound_id"], ["inbound.id"], name="fk_messages_inbound_id_inbound"
        ),
    )
    op.create_index(
        "ix_messages_queued_seq",
        "messages",
        ["seq"],
        sqlite_where=sa.text("state = 'queued'"),
        postgresql_where=sa.text("state = 'queued'"),
    )
    op.create_index("ix_messages_key_seq", "messages", ["key", "seq"])
    op.create_index("ix_messages_inbound_id", "messages", ["inbound_id"])

    op.create_table(
        "message_events",
        sa.Column("seq", Seq, primary_key=True, autoincrement=True),
        sa.Column("message_id", sa.String(64)),
        sa.Column("inbound_id", sa.String(36)),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("actor", sa.String(64), nullable=False),
        sa.Column("code", sa.String(64)),
        sa.Column("detail", sa.Text),
        sa.PrimaryKeyConstraint("seq", name="pk_message_events"),
    )
    op.create_index("ix_message_events_message_id", "message_events", ["message_id"])
    op.create_index("ix_message_events_inbound_id", "message_events", ["inbound_id"])

    op.create_table(
        "relay_lease",
        sa.Column("name", sa.String(32), nullable=False),
        sa.Column("owner", sa.String(64), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name", name="pk_relay_lease"),
    )


def downgrade() -> None:
    op.drop_table("relay_lease")
    op.drop_table("message_events")
    op.drop_table("messages")
    op.drop_table("inbound")
