"""Dossiers are never deleted: their transition-log chains must keep their owner (SQLite and PostgreSQL).

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

MESSAGE = "dossiers are never deleted; close them with a closing reason"


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"""CREATE FUNCTION dossier_reject_delete() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN RAISE EXCEPTION '{MESSAGE}'; END $$""")
        op.execute("""CREATE TRIGGER dossier_no_delete BEFORE DELETE ON dossier
            FOR EACH ROW EXECUTE FUNCTION dossier_reject_delete()""")
    else:
        op.execute(f"""CREATE TRIGGER dossier_no_delete BEFORE DELETE ON dossier
            BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END""")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER dossier_no_delete ON dossier")
        op.execute("DROP FUNCTION dossier_reject_delete()")
    else:
        op.execute("DROP TRIGGER dossier_no_delete")
