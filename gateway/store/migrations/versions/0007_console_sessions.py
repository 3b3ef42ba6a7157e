"""Console sessions kept server-side: logout and revocation end them at the next request.

Revision ID: 0007_console_sessions
Revises: 0006_lease_epoch
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007_console_sessions"
down_revision = "0006_lease_epoch"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "console_sessions",
        sa.Column("session_hash", sa.String(64), nullable=False),
        sa.Column("client_id", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("session_hash", name="pk_console_sessions"),
    )
    op.create_index("ix_console_sessions_client_id", "console_sessions", ["client_id"])


def downgrade() -> None:
    op.drop_index("ix_console_sessions_client_id", table_name="console_sessions")
    op.drop_table("console_sessions")
