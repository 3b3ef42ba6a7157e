"""Lease epoch: a fencing token on every lease, incremented each time another owner takes it
over, so that work done under an older holding can be refused (docs/delivery.md, issue 10).

Additive (a column with a default): older replicas that do not know it keep working.

Revision ID: 0006_lease_epoch
Revises: 0005_states
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006_lease_epoch"
down_revision = "0005_states"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("relay_lease") as batch:
        batch.add_column(sa.Column("epoch", sa.BigInteger(), nullable=False, server_default="0"))


def downgrade() -> None:
    with op.batch_alter_table("relay_lease") as batch:
        batch.drop_column("epoch")
