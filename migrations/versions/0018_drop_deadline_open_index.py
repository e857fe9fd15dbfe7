"""Drop `ix_deadline_open (closed_at, due_at)` (migration 0001): the partial indexes of migrations 0015 and 0016 serve
every read of open deadlines (by agency, by dossier, running ones by reminder day, end or due day), and this one
misled SQLite's planner. Its statistics average the rows per `closed_at`: every closed deadline has its own
time, so `closed_at IS NULL` looks like one row when it is every open deadline (40,000 at 100,000 dossiers); an
agency's open deadlines were counted by walking all of them (180 ms instead of 1 ms), the overdue filter too.

Revision ID: 0018
Revises: 0017
"""

from __future__ import annotations

from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_index("ix_deadline_open", "deadline")


def downgrade() -> None:
    op.create_index("ix_deadline_open", "deadline", ["closed_at", "due_at"])
