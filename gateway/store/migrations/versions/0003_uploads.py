"""Uploads: files from staffing agencies (payroll CSV, SETU), their row errors, business keys
for duplicate and conflict detection, quarantine, known placements and worker numbers.

Revision ID: 0003_uploads
Revises: 0001
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003_uploads"
down_revision = "0001"
branch_labels = None
depends_on = None

Seq = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "uploads",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("sender", sa.String(64), nullable=False),
        sa.Column("agency_kvk", sa.String(8), nullable=False),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("format", sa.String(16), nullable=False),
        sa.Column("profile", sa.String(64)),
        sa.Column("file_name", sa.String(255)),
        sa.Column("content_hash", sa.String(64), nullable=False),
        sa.Column("dedupe_hash", sa.String(64)),
        sa.Column("state", sa.String(24), nullable=False),
        sa.Column("policy", sa.String(16), nullable=False),
        sa.Column("size", sa.BigInteger, nullable=False),
        sa.Column("bytes_read", sa.BigInteger, nullable=False),
        sa.Column("rows_read", sa.BigInteger, nullable=False),
        sa.Column("rows_accepted", sa.BigInteger, nullable=False),
        sa.Column("rows_rejected", sa.BigInteger, nullable=False),
        sa.Column("rows_duplicate", sa.BigInteger, nullable=False),
        sa.Column("rows_quarantined", sa.BigInteger, nullable=False),
        sa.Column("rows_corrected", sa.BigInteger, nullable=False),
        sa.Column("messages", sa.BigInteger, nullable=False),
        sa.Column("errors", sa.BigInteger, nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True)),
        sa.Column("finished_at", sa.DateTime(timezone=True)),
        sa.Column("error_code", sa.String(64)),
        sa.Column("detail", sa.Text),
        sa.Column("report_dir", sa.String(500)),
        sa.PrimaryKeyConstraint("id", name="pk_uploads"),
        sa.ForeignKeyConstraint(["id"], ["inbound.id"], name="fk_uploads_id_inbound"),
        sa.UniqueConstraint(
            "agency_kvk", "dedupe_hash", name="uq_uploads_agency_kvk_dedupe_hash"
        ),
    )
    op.create_index("ix_uploads_state", "uploads", ["state"])
    op.create_index(
        "ix_uploads_agency_kvk_received_at", "uploads", ["agency_kvk", "received_at"]
    )

    op.create_table(
        "upload_errors",
        sa.Column("seq", Seq, primary_key=True, autoincrement=True),
        sa.Column("upload_id", sa.String(36), nullable=False),
        sa.Column("line", sa.Integer),
        sa.Column("location", sa.String(500), nullable=False),
        sa.Column("column_name", sa.String(200)),
        sa.Column("value", sa.Text),
        sa.Column("code", sa.String(64), nullable=False),
        sa.Column("message_nl", sa.Text, nullable=False),
        sa.Column("message_en", sa.Text, nullable=False),
        sa.PrimaryKeyConstraint("seq", name="pk_upload_errors"),
    )
    op.create_index("ix_upload_errors_upload_id_seq", "upload_errors", ["upload_id", "seq"])

    op.create_table(
        "upload_keys",
        sa.Column("seq", Seq, primary_key=True, autoincrement=True),
        sa.Column("agency_kvk", sa.String(8), nullable=False),
        sa.Column("key_hash", sa.String(64), nullable=False),
        sa.Column("upload_id", sa.String(36), nullable=False),
        sa.Column("value_hash", sa.String(64), nullable=False),
        sa.Column("message_id", sa.String(64)),
        sa.Column("timecard_id", sa.String(64)),
        sa.Column("line", sa.Integer),
        sa.PrimaryKeyConstraint("seq", name="pk_upload_keys"),
    )
    op.create_index(
        "ix_upload_keys_agency_kvk_key_hash", "upload_keys", ["agency_kvk", "key_hash"]
    )
    op.create_index("ix_upload_keys_upload_id", "upload_keys", ["upload_id"])

    op.create_table(
        "upload_quarantine",
        sa.Column("seq", Seq, primary_key=True, autoincrement=True),
        sa.Column("upload_id", sa.String(36), nullable=False),
        sa.Column("agency_kvk", sa.String(8), nullable=False),
        sa.Column("line", sa.Integer),
        sa.Column("location", sa.String(500), nullable=False),
        sa.Column("key_hash", sa.String(64), nullable=False),
        sa.Column("conflicts_with", sa.String(64)),
        sa.Column("type", sa.String(64), nullable=False),
        sa.Column("value", sa.LargeBinary, nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("seq", name="pk_upload_quarantine"),
    )
    op.create_index("ix_upload_quarantine_upload_id", "upload_quarantine", ["upload_id"])
    op.create_index("ix_upload_quarantine_state", "upload_quarantine", ["state"])

    op.create_table(
        "upload_placements",
        sa.Column("seq", Seq, primary_key=True, autoincrement=True),
        sa.Column("agency_kvk", sa.String(8), nullable=False),
        sa.Column("assignment_id", sa.String(64), nullable=False),
        sa.Column("bsn", sa.String(9), nullable=False),
        sa.Column("start_date", sa.Date, nullable=False),
        sa.Column("end_date", sa.Date),
        sa.Column("state", sa.JSON, nullable=False),
        sa.Column("upload_id", sa.String(36), nullable=False),
        sa.PrimaryKeyConstraint("seq", name="pk_upload_placements"),
    )
    op.create_index(
        "ix_upload_placements_agency_kvk_assignment_id",
        "upload_placements",
        ["agency_kvk", "assignment_id"],
    )
    op.create_index("ix_upload_placements_upload_id", "upload_placements", ["upload_id"])

    op.create_table(
        "upload_workers",
        sa.Column("seq", Seq, primary_key=True, autoincrement=True),
        sa.Column("agency_kvk", sa.String(8), nullable=False),
        sa.Column("worker_id", sa.String(64), nullable=False),
        sa.Column("bsn", sa.String(9), nullable=False),
        sa.Column("upload_id", sa.String(36), nullable=False),
        sa.PrimaryKeyConstraint("seq", name="pk_upload_workers"),
    )
    op.create_index(
        "ix_upload_workers_agency_kvk_worker_id", "upload_workers", ["agency_kvk", "worker_id"]
    )
    op.create_index("ix_upload_workers_upload_id", "upload_workers", ["upload_id"])


def downgrade() -> None:
    op.drop_table("upload_workers")
    op.drop_table("upload_placements")
    op.drop_table("upload_quarantine")
    op.drop_table("upload_keys")
    op.drop_table("upload_errors")
    op.drop_table("uploads")
