"""The procuracy's log search reads the newest entries first and by date range: an index on the time.

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_transition_log_at", "transition_log", ["at"])


def downgrade() -> None:
    op.drop_index("ix_transition_log_at", table_name="transition_log")
