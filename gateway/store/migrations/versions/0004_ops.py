"""Ops: audit log, replay jobs and their items, held person keys, dead-letter offsets, and the
indexes that list and filter failed messages.

Revision ID: 0004_ops
Revises: 0001
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004_ops"
down_revision = "0001"
branch_labels = None
depends_on = None

Seq = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    # Partial indexes: only messages off the expected path (see tables.py for why each has a
    # single state = '...' predicate).
    failed = sa.text("state = 'failed'")
    for name, columns in (
        ("ix_messages_failed_error_code_seq", ["error_code", "seq"]),
        ("ix_messages_failed_type_seq", ["type", "seq"]),
        ("ix_messages_failed_sender_seq", ["sender", "seq"]),
        ("ix_messages_failed_created_at", ["created_at"]),
        ("ix_messages_failed_seq", ["seq"]),
    ):
        op.create_index(name, "messages", columns, sqlite_where=failed, postgresql_where=failed)
    for state in ("held", "replayed"):
        where = sa.text(f"state = '{state}'")
        op.create_index(
            f"ix_messages_{state}_seq", "messages", ["seq"], sqlite_where=where, postgresql_where=where
        )
    op.create_index(
        "ix_messages_supersedes",
        "messages",
        ["supersedes"],
        sqlite_where=sa.text("supersedes IS NOT NULL"),
        postgresql_where=sa.text("supersedes IS NOT NULL"),
    )
    op.create_index("ix_inbound_state_received_at", "inbound", ["state", "received_at"])

    op.create_table(
        "audit_log",
        sa.Column("seq", Seq, primary_key=True, autoincrement=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(64), nullable=False),
        sa.Column("role", sa.String(32), nullable=False),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("target", sa.String(200)),
        sa.Column("message_count", sa.Integer, nullable=False),
        sa.Column("reason", sa.Text),
        sa.Column("detail", sa.JSON),
        sa.PrimaryKeyConstraint("seq", name="pk_audit_log"),
    )
    op.create_index("ix_audit_log_at", "audit_log", ["at"])
    op.create_index("ix_audit_log_action_at", "audit_log", ["action", "at"])
    _make_append_only("audit_log")

    op.create_table(
        "replay_jobs",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("selection", sa.JSON, nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("created_by", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True)),
        sa.Column("total", sa.Integer, nullable=False),
        sa.Column("error", sa.Text),
        sa.PrimaryKeyConstraint("id", name="pk_replay_jobs"),
    )
    op.create_index("ix_replay_jobs_created_at", "replay_jobs", ["created_at"])

    op.create_table(
        "replay_items",
        sa.Column("job_id", sa.String(36), nullable=False),
        sa.Column("message_seq", sa.BigInteger, nullable=False),
        sa.Column("message_id", sa.String(64), nullable=False),
        sa.Column("outcome", sa.String(16), nullable=False),
        sa.Column("new_message_id", sa.String(64)),
        sa.Column("detail", sa.Text),
        sa.PrimaryKeyConstraint("job_id", "message_seq", name="pk_replay_items"),
        sa.ForeignKeyConstraint(
            ["job_id"], ["replay_jobs.id"], name="fk_replay_items_job_id_replay_jobs"
        ),
    )
    op.create_index("ix_replay_items_job_id_outcome", "replay_items", ["job_id", "outcome"])

    op.create_table(
        "holds",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("key", sa.String(64), nullable=False),
        sa.Column("message_id", sa.String(64)),
        sa.Column("held_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("held_by", sa.String(64), nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_holds"),
        sa.UniqueConstraint("key", name="uq_holds_key"),
    )

    op.create_table(
        "dlq_offsets",
        sa.Column("topic", sa.String(249), nullable=False),
        sa.Column("partition", sa.Integer, nullable=False),
        sa.Column("next_offset", sa.BigInteger, nullable=False),
        sa.PrimaryKeyConstraint("topic", "partition", name="pk_dlq_offsets"),
    )


def _make_append_only(table: str) -> None:
    """The store itself refuses UPDATE and DELETE on the table, not only the code."""
    if op.get_bind().dialect.name == "sqlite":
        for verb in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER {table}_no_{verb.lower()} BEFORE {verb} ON {table} "
                f"BEGIN SELECT RAISE(ABORT, '{table} is append-only'); END"
            )
        return
    op.execute(
        f"CREATE FUNCTION {table}_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ "
        f"BEGIN RAISE EXCEPTION '{table} is append-only'; END $$"
    )
    op.execute(
        f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
        f"FOR EACH STATEMENT EXECUTE FUNCTION {table}_append_only()"
    )


def downgrade() -> None:
    op.drop_table("dlq_offsets")
    op.drop_table("holds")
    op.drop_index("ix_replay_items_job_id_outcome", "replay_items")
    op.drop_table("replay_items")
    op.drop_index("ix_replay_jobs_created_at", "replay_jobs")
    op.drop_table("replay_jobs")
    if op.get_bind().dialect.name != "sqlite":
        op.execute("DROP TRIGGER IF EXISTS audit_log_append_only ON audit_log")
        op.execute("DROP FUNCTION IF EXISTS audit_log_append_only()")
    op.drop_index("ix_audit_log_action_at", "audit_log")
    op.drop_index("ix_audit_log_at", "audit_log")
    op.drop_table("audit_log")
    op.drop_index("ix_inbound_state_received_at", "inbound")
    op.drop_index("ix_messages_supersedes", "messages")
    for name in (
        "ix_messages_replayed_seq",
        "ix_messages_held_seq",
        "ix_messages_failed_seq",
        "ix_messages_failed_created_at",
        "ix_messages_failed_sender_seq",
        "ix_messages_failed_type_seq",
        "ix_messages_failed_error_code_seq",
    ):
        op.drop_index(name, "messages")
