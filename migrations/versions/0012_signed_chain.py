"""Signed chain: each log entry keeps the bytes it was hashed from and the server's Ed25519 signature of
its hash; signed checkpoints of verified prefixes (incremental `rehab audit verify`).

Entries written before this revision keep NULL in the new columns: `rehab audit verify` rebuilds their
bytes from the columns (the slower legacy path) and accepts a chain whose last entry is unsigned only
when a signed checkpoint covers it (`rehab audit verify --full --adopt-unsigned`, once, after upgrading).

Revision ID: 0012
Revises: 0011
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

TEXT = sqlmodel.sql.sqltypes.AutoString


def upgrade() -> None:
    op.add_column("transition_log", sa.Column("body", sa.LargeBinary(), nullable=True))
    op.add_column("transition_log", sa.Column("signature", sa.LargeBinary(), nullable=True))
    op.add_column("transition_log", sa.Column("key_id", TEXT(), nullable=True))
    op.create_table(
        "audit_checkpoint",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("taken_at", TEXT(), nullable=False),
        sa.Column("upto_log_id", sa.Integer(), nullable=False),
        sa.Column("entries", sa.Integer(), nullable=False),
        sa.Column("chains", sa.Integer(), nullable=False),
        sa.Column("root", TEXT(), nullable=False),
        sa.Column("tips", sa.LargeBinary(), nullable=False),
        sa.Column("key_id", TEXT(), nullable=False),
        sa.Column("signature", TEXT(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )


def downgrade() -> None:
    op.drop_table("audit_checkpoint")
    for column in ("key_id", "signature", "body"):  # SQLite 3.35+ drops a column in place (triggers kept)
        op.drop_column("transition_log", column)
