"""Server-side web sessions, API bearer tokens, the shared login throttle and the security log.

Revision ID: 0010
Revises: 0009
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

TEXT = sqlmodel.sql.sqltypes.AutoString
WHEN = sqlmodel.sql.sqltypes.UTCDateTime


def upgrade() -> None:
    op.create_table(
        "web_session",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_hash", TEXT(), nullable=False),
        sa.Column("username", TEXT(), nullable=False),
        sa.Column("created_at", WHEN(), nullable=False),
        sa.Column("expires_at", WHEN(), nullable=False),
        sa.Column("last_seen_at", WHEN(), nullable=False),
        sa.Column("revoked_at", WHEN(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("token_hash"),
    )
    op.create_index("ix_web_session_username", "web_session", ["username"])
    op.create_table(
        "api_token",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_hash", TEXT(), nullable=False),
        sa.Column("prefix", TEXT(), nullable=False),
        sa.Column("username", TEXT(), nullable=False),
        sa.Column("label", TEXT(), nullable=False),
        sa.Column("created_by", TEXT(), nullable=False),
        sa.Column("created_at", WHEN(), nullable=False),
        sa.Column("expires_at", WHEN(), nullable=True),
        sa.Column("last_used_at", WHEN(), nullable=True),
        sa.Column("revoked_at", WHEN(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("token_hash"),
    )
    op.create_index("ix_api_token_username", "api_token", ["username"])
    op.create_table(
        "login_throttle",
        sa.Column("key", TEXT(), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("first_at", WHEN(), nullable=False),
        sa.Column("last_at", WHEN(), nullable=False),
        sa.PrimaryKeyConstraint("key"),
    )
    op.create_table(
        "security_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", WHEN(), nullable=False),
        sa.Column("kind", TEXT(), nullable=False),
        sa.Column("username", TEXT(), nullable=False),
        sa.Column("agency_id", TEXT(), nullable=True),
        sa.Column("dossier_id", sa.Integer(), nullable=True),
        sa.Column("event", TEXT(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_security_event_kind", "security_event", ["kind"])


def downgrade() -> None:
    op.drop_index("ix_security_event_kind", "security_event")
    op.drop_table("security_event")
    op.drop_table("login_throttle")
    op.drop_index("ix_api_token_username", "api_token")
    op.drop_table("api_token")
    op.drop_index("ix_web_session_username", "web_session")
    op.drop_table("web_session")
