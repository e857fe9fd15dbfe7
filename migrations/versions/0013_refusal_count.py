"""Refused step attempts per user and window, shared by every process (`workflow.refusal_limit`).

Revision ID: 0013
Revises: 0012
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

TEXT = sqlmodel.sql.sqltypes.AutoString
WHEN = sqlmodel.sql.sqltypes.UTCDateTime


def upgrade() -> None:
    op.create_table(
        "refusal_count",
        sa.Column("key", TEXT(), nullable=False),
        sa.Column("refusals", sa.Integer(), nullable=False),
        sa.Column("first_at", WHEN(), nullable=False),
        sa.Column("last_at", WHEN(), nullable=False),
        sa.PrimaryKeyConstraint("key"),
    )


def downgrade() -> None:
    op.drop_table("refusal_count")
