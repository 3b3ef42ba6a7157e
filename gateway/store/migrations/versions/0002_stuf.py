"""StUF: batch files and the pull client's last-seen state.

Revision ID: 0002_stuf
Revises: 0001
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002_stuf"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "stuf_batches",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("sender", sa.String(64), nullable=False),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("file_name", sa.String(255), nullable=False),
        sa.Column("payload_path", sa.String(500), nullable=False),
        sa.Column("content_hash", sa.String(64), nullable=False),
        sa.Column("size", sa.BigInteger, nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True)),
        sa.Column("finished_at", sa.DateTime(timezone=True)),
        sa.Column("total", sa.Integer, nullable=False),
        sa.Column("accepted", sa.Integer, nullable=False),
        sa.Column("repeated", sa.Integer, nullable=False),
        sa.Column("ignored", sa.Integer, nullable=False),
        sa.Column("rejected", sa.Integer, nullable=False),
        sa.Column("report_path", sa.String(500)),
        sa.Column("error", sa.Text),
        sa.Column("correlation_id", sa.String(64)),
        sa.PrimaryKeyConstraint("id", name="pk_stuf_batches"),
        sa.UniqueConstraint(
            "sender", "content_hash", name="uq_stuf_batches_sender_content_hash"
        ),
    )
    op.create_index("ix_stuf_batches_state", "stuf_batches", ["state"])
    op.create_table(
        "stuf_pull_state",
        sa.Column("source", sa.String(64), nullable=False),
        sa.Column("person_key", sa.String(64), nullable=False),
        sa.Column("content_hash", sa.String(64), nullable=False),
        sa.Column("object", sa.LargeBinary, nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("source", "person_key", name="pk_stuf_pull_state"),
    )


def downgrade() -> None:
    op.drop_table("stuf_pull_state")
    op.drop_index("ix_stuf_batches_state", table_name="stuf_batches")
    op.drop_table("stuf_batches")
