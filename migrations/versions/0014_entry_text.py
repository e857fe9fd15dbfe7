"""Free text typed into steps, kept beside the transition log (the log holds only its digest).

Revision ID: 0014
Revises: 0013
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

TEXT = sqlmodel.sql.sqltypes.AutoString
WHEN = sqlmodel.sql.sqltypes.UTCDateTime


def upgrade() -> None:
    op.create_table(
        "entry_text",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("dossier_id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("field", TEXT(), nullable=False),
        sa.Column("text", TEXT(), nullable=True),
        sa.Column("salt", TEXT(), nullable=True),
        sa.Column("written_at", WHEN(), nullable=False),
        sa.Column("change", TEXT(), nullable=True),
        sa.Column("changed_at", WHEN(), nullable=True),
        sa.Column("changed_by", TEXT(), nullable=True),
        sa.Column("basis", TEXT(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("dossier_id", "seq", "field"),
    )


def downgrade() -> None:
    op.drop_table("entry_text")
