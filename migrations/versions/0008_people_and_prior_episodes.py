"""People: the commune of residence, and earlier rehab episodes entered from paper records.

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("person", schema=None) as batch_op:
        batch_op.add_column(sa.Column("residence_commune", sqlmodel.sql.sqltypes.AutoString(), nullable=True))
    op.create_table(
        "prior_episode",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("started_on", sa.Date(), nullable=False),
        sa.Column("ended_on", sa.Date(), nullable=True),
        sa.Column("document_number", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("document_issuer", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("entered_by", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("entered_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("prior_episode", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_prior_episode_person_id"), ["person_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("prior_episode", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_prior_episode_person_id"))
    op.drop_table("prior_episode")
    with op.batch_alter_table("person", schema=None) as batch_op:
        batch_op.drop_column("residence_commune")
