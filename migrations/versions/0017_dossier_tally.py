"""The dossiers counted by stage, commune, responsible agency, regime and track (`dossier_tally`), so that a list's
counts by stage read a few hundred rows instead of one index entry per readable dossier (`workflow.tally`).

Triggers on `dossier` record each change of those columns as two rows of `dossier_tally_change` (-1 for the old
bucket, +1 for the new; +1 for a new dossier), whatever writes the dossier: the engine's steps and openings,
imports, a reassignment, the bench's bulk load. They only insert, so concurrent steps never wait on a shared
counter row. `workflow.tally.fold` moves the changes into `dossier_tally` (the scheduler's cycle does it), and
readers add the changes not yet folded. The table starts from the dossiers already there.

Revision ID: 0017
Revises: 0016
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None

KEYS = ("state", "commune_code", "agency_id", "regime", "track")
WATCHED = ", ".join(KEYS)


def _columns() -> list[sa.Column[str]]:
    return [sa.Column(k, sa.String(), nullable=False) for k in KEYS]


def _values(row: str, n: int) -> str:
    """The VALUES of one change row for trigger row `row` (`new` or `old`); no agency is ''."""
    return f"({row}.state, {row}.commune_code, COALESCE({row}.agency_id, ''), {row}.regime, {row}.track, {n})"


INSERT = f"INSERT INTO dossier_tally_change ({WATCHED}, n) VALUES "
CHANGED = " OR ".join(f"old.{k} IS DISTINCT FROM new.{k}" for k in KEYS)

POSTGRES = (
    f"""CREATE FUNCTION dossier_tally_track() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        {INSERT}{_values("new", 1)};
    ELSIF TG_OP = 'DELETE' THEN
        {INSERT}{_values("old", -1)};
    ELSIF {CHANGED} THEN
        {INSERT}{_values("old", -1)}, {_values("new", 1)};
    END IF;
    RETURN NULL;
END $$""",
    f"CREATE TRIGGER dossier_tally_track AFTER INSERT OR DELETE OR UPDATE OF {WATCHED} ON dossier "
    "FOR EACH ROW EXECUTE FUNCTION dossier_tally_track()",
)
SQLITE = (
    f"CREATE TRIGGER dossier_tally_insert AFTER INSERT ON dossier BEGIN {INSERT}{_values('new', 1)}; END",
    f"CREATE TRIGGER dossier_tally_delete AFTER DELETE ON dossier BEGIN {INSERT}{_values('old', -1)}; END",
    f"CREATE TRIGGER dossier_tally_update AFTER UPDATE OF {WATCHED} ON dossier "
    f"WHEN {CHANGED.replace('IS DISTINCT FROM', 'IS NOT')} "
    f"BEGIN {INSERT}{_values('old', -1)}, {_values('new', 1)}; END",
)


def upgrade() -> None:
    op.create_table(
        "dossier_tally", *_columns(), sa.Column("n", sa.Integer(), nullable=False), sa.PrimaryKeyConstraint(*KEYS)
    )
    op.create_table(
        "dossier_tally_change",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True, autoincrement=True),
        *_columns(),
        sa.Column("n", sa.Integer(), nullable=False),
    )
    for statement in POSTGRES if op.get_bind().dialect.name == "postgresql" else SQLITE:
        op.execute(statement)
    op.execute(
        f"INSERT INTO dossier_tally ({WATCHED}, n) SELECT state, commune_code, COALESCE(agency_id, ''), regime, "
        f"track, count(*) FROM dossier GROUP BY state, commune_code, COALESCE(agency_id, ''), regime, track"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS dossier_tally_track ON dossier")
        op.execute("DROP FUNCTION IF EXISTS dossier_tally_track()")
    else:
        for suffix in ("insert", "delete", "update"):
            op.execute(f"DROP TRIGGER IF EXISTS dossier_tally_{suffix}")
    op.drop_table("dossier_tally_change")
    op.drop_table("dossier_tally")
