"""States: every state column holds only its vocabulary (CHECK constraints), and the history's
state column is wide enough for ``partially_accepted``.

The lists are written out here, not imported: a migration must not change when the code does.
``tests/gateway/test_states.py`` compares them with the enums of ``gateway/states.py``; a new
state needs a new migration.

Revision ID: 0005_states
Revises: 0002_stuf, 0003_uploads, 0004_ops
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005_states"
down_revision = ("0002_stuf", "0003_uploads", "0004_ops")
branch_labels = None
depends_on = None

_MESSAGE = ("staged", "queued", "published", "failed", "held", "replayed")
_INBOUND = ("received", "validating", "accepted", "partially_accepted", "rejected")

#: (table, column) -> the values the column may hold.
CHECKS: dict[tuple[str, str], tuple[str, ...]] = {
    ("messages", "state"): _MESSAGE,
    ("inbound", "state"): _INBOUND,
    ("uploads", "state"): _INBOUND,
    ("message_events", "state"): (*_MESSAGE, *_INBOUND, "purged"),
    ("stuf_batches", "state"): ("received", "processing", "done", "failed"),
    ("replay_jobs", "state"): ("running", "publishing", "cancelling", "done", "cancelled"),
    ("replay_items", "outcome"): (
        "pending",
        "queued",
        "skipped",
        "cancelled",
        "error",
        "published",
        "failed",
        "held",
        "replayed",
    ),
    ("upload_quarantine", "state"): ("held", "released", "discarded"),
}


def condition(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def upgrade() -> None:
    for (table, column), values in CHECKS.items():
        with op.batch_alter_table(table) as batch:
            if table == "message_events":
                batch.alter_column(
                    "state", existing_type=sa.String(16), type_=sa.String(24), nullable=False
                )
            batch.create_check_constraint(f"ck_{table}_{column}", condition(column, values))
    # Before the widening, uploads noted a partial acceptance as ``accepted`` with the code
    # ``partially_accepted``: their history now says what happened.
    op.execute(
        "UPDATE message_events SET state = 'partially_accepted', code = NULL "
        "WHERE state = 'accepted' AND code = 'partially_accepted' AND message_id IS NULL"
    )


def downgrade() -> None:
    op.execute(
        "UPDATE message_events SET state = 'accepted', code = 'partially_accepted' "
        "WHERE state = 'partially_accepted'"
    )
    for table, column in CHECKS:
        with op.batch_alter_table(table) as batch:
            batch.drop_constraint(f"ck_{table}_{column}", type_="check")
            if table == "message_events":
                batch.alter_column(
                    "state", existing_type=sa.String(24), type_=sa.String(16), nullable=False
                )
