"""Plans, their targets and periodic reports; deadlines that belong to a report instead of a dossier.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "plan",
        sa.Column("id", sa.String(), primary_key=True),
        sa.Column("title", sa.String(), nullable=False),
        sa.Column("number", sa.String(), nullable=False, server_default=""),
        sa.Column("issued_on", sa.Date(), nullable=True),
        sa.Column("issuer_agency_id", sa.String(), nullable=False),
        sa.Column("area_code", sa.String(), nullable=False, index=True),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("basis", sa.String(), nullable=False, server_default=""),
        sa.Column("kpis", sa.JSON(), nullable=False),
        sa.Column("source_sha256", sa.String(), nullable=False),
        sa.Column("imported_at", sa.DateTime(), nullable=False),
    )
    op.create_table(
        "plan_target",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("plan_id", sa.String(), nullable=False, index=True),
        sa.Column("area_code", sa.String(), nullable=False),
        sa.Column("category", sa.String(), nullable=False),
        sa.Column("target", sa.Integer(), nullable=False),
        sa.UniqueConstraint("plan_id", "area_code", "category"),
    )
    op.create_table(
        "plan_report",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("plan_id", sa.String(), nullable=False, index=True),
        sa.Column("period", sa.String(), nullable=False),
        sa.Column("period_from", sa.Date(), nullable=False),
        sa.Column("period_to", sa.Date(), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("agency_id", sa.String(), nullable=False),
        sa.Column("recipient", sa.String(), nullable=False, server_default=""),
        sa.Column("submitted_at", sa.DateTime(), nullable=True),
        sa.Column("submitted_by", sa.String(), nullable=True),
        sa.UniqueConstraint("plan_id", "period"),
    )
    with op.batch_alter_table("deadline") as batch:
        batch.alter_column("dossier_id", existing_type=sa.Integer(), nullable=True)
        batch.add_column(sa.Column("report_id", sa.Integer(), nullable=True))
        batch.create_index("ix_deadline_report_id", ["report_id"])
    with op.batch_alter_table("alert") as batch:
        batch.alter_column("dossier_id", existing_type=sa.Integer(), nullable=True)


def downgrade() -> None:
    with op.batch_alter_table("alert") as batch:
        batch.alter_column("dossier_id", existing_type=sa.Integer(), nullable=False)
    with op.batch_alter_table("deadline") as batch:
        batch.drop_index("ix_deadline_report_id")
        batch.drop_column("report_id")
        batch.alter_column("dossier_id", existing_type=sa.Integer(), nullable=False)
    op.drop_table("plan_report")
    op.drop_table("plan_target")
    op.drop_table("plan")
