"""SQLite: `INSERT OR REPLACE` (and `REPLACE INTO`) can no longer rewrite a log entry or a dossier.

SQLite's REPLACE deletes the conflicting row without firing delete triggers (unless `recursive_triggers`
is on, which `workflow.db` now sets on every connection as well): an entry of the append-only log could be
swapped for another with the same id or the same (dossier, seq). These triggers refuse any insert that
collides with an existing row, whatever the conflict clause. PostgreSQL has no REPLACE (its
`ON CONFLICT DO UPDATE` fires the update trigger, which refuses).

Revision ID: 0011
Revises: 0010
"""

from __future__ import annotations

from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

SQLITE = [
    """CREATE TRIGGER transition_log_no_replace BEFORE INSERT ON transition_log
        WHEN EXISTS (SELECT 1 FROM transition_log
                     WHERE id = NEW.id OR (dossier_id = NEW.dossier_id AND seq = NEW.seq))
        BEGIN SELECT RAISE(ABORT, 'transition_log is append-only: an entry cannot be replaced'); END""",
    """CREATE TRIGGER dossier_no_replace BEFORE INSERT ON dossier
        WHEN EXISTS (SELECT 1 FROM dossier WHERE id = NEW.id OR code = NEW.code)
        BEGIN SELECT RAISE(ABORT, 'dossiers are never deleted nor replaced; a step changes them'); END""",
]


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for statement in SQLITE:
            op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TRIGGER transition_log_no_replace")
        op.execute("DROP TRIGGER dossier_no_replace")
