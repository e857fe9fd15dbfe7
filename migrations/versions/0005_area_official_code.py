"""Areas carry their official code (mã đơn vị hành chính), the status of their data and its basis.

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("area") as batch_op:
        batch_op.add_column(sa.Column("official_code", sa.String(), nullable=True))
        batch_op.add_column(sa.Column("status", sa.String(), nullable=False, server_default="✔"))
        batch_op.add_column(sa.Column("confidence", sa.String(), nullable=True))
        batch_op.add_column(sa.Column("basis", sa.String(), nullable=False, server_default=""))


def downgrade() -> None:
    with op.batch_alter_table("area") as batch_op:
        batch_op.drop_column("basis")
        batch_op.drop_column("confidence")
        batch_op.drop_column("status")
        batch_op.drop_column("official_code")
