"""The transition log is append-only: triggers reject UPDATE and DELETE (SQLite and PostgreSQL).

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

MESSAGE = "transition_log is append-only"

SQLITE = [
    f"""CREATE TRIGGER transition_log_no_update BEFORE UPDATE ON transition_log
        BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END""",
    f"""CREATE TRIGGER transition_log_no_delete BEFORE DELETE ON transition_log
        BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END""",
]
POSTGRES = [
    f"""CREATE FUNCTION transition_log_reject() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN RAISE EXCEPTION '{MESSAGE}'; END $$""",
    """CREATE TRIGGER transition_log_no_update BEFORE UPDATE OR DELETE ON transition_log
        FOR EACH ROW EXECUTE FUNCTION transition_log_reject()""",
    """CREATE TRIGGER transition_log_no_truncate BEFORE TRUNCATE ON transition_log
        FOR EACH STATEMENT EXECUTE FUNCTION transition_log_reject()""",
]


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    for statement in POSTGRES if dialect == "postgresql" else SQLITE:
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER transition_log_no_truncate ON transition_log")
        op.execute("DROP TRIGGER transition_log_no_update ON transition_log")
        op.execute("DROP FUNCTION transition_log_reject()")
    else:
        op.execute("DROP TRIGGER transition_log_no_update")
        op.execute("DROP TRIGGER transition_log_no_delete")
