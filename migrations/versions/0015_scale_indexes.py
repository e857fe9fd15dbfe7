"""Indexes for a national database (a million dossiers), designed from the queries that read it.

- `person.name_folded` by trigrams (PostgreSQL, `pg_trgm`): the name search matches word prefixes anywhere in the
  name (`LIKE '% hung%'`), which a b-tree cannot serve; without the extension the search still works, by scanning;
- `dossier(updated_at, id)`, `dossier(state, updated_at, id)`: the list's default order (newest updated first, then
  the id), whole or by stage, read in index order up to the page asked for, no sort of every dossier;
- `dossier(agency_id, id)`: the dossiers an agency is responsible for, newest first (its inbox);
- `dossier(state, commune_code, agency_id, id)`: the counts by stage of what a reader may read, from the index
  alone (the reader's communes and agency are in it; 108 → 17 ms on 30,000 dossiers on PostgreSQL);
- open deadlines only (partial indexes, `closed_at IS NULL`): by agency and due day (an agency's deadlines, the
  overdue ones), by dossier (the list's next due day and overdue flag, the overdue filter); running ones
  (not paused) by their reminder day and their end (an hour rule's alert falls due an hour before it):
  the sweep's candidates, so that its cost follows the alerts due, not the open deadlines;
- unread, not dismissed alerts of an agency, newest first (`inboxitem`, partial): the inbox's first page and
  its unread count.

`tests/integration/test_scale_explain.py` checks with EXPLAIN, on SQLite and PostgreSQL, that the main queries
use them.

Revision ID: 0015
Revises: 0014
"""

from __future__ import annotations

import sqlalchemy as sa
import structlog
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

log = structlog.get_logger(__name__)
OPEN = "closed_at IS NULL"
RUNNING = "closed_at IS NULL AND paused_at IS NULL"
UNREAD = "read_at IS NULL AND dismissed_at IS NULL"
PARTIAL = (
    ("ix_deadline_open_agency", "deadline", ["agency_id", "due_on"], OPEN),
    ("ix_deadline_open_dossier", "deadline", ["dossier_id", "due_on"], OPEN),
    ("ix_deadline_running_remind", "deadline", ["remind_on"], RUNNING),
    ("ix_deadline_running_due_at", "deadline", ["due_at"], RUNNING),
    ("ix_inboxitem_unread", "inboxitem", ["agency_id", "created_at", "id"], UNREAD),
)
PLAIN = (
    ("ix_dossier_updated_id", "dossier", ["updated_at", "id"]),
    ("ix_dossier_state_updated", "dossier", ["state", "updated_at", "id"]),
    ("ix_dossier_agency_id_id", "dossier", ["agency_id", "id"]),
    ("ix_dossier_scope", "dossier", ["state", "commune_code", "agency_id", "id"]),
)


def _trigrams() -> None:
    """The trigram index of folded names, if the server has `pg_trgm` (a trusted extension since PostgreSQL 13)."""
    bind = op.get_bind()
    try:
        with bind.begin_nested():
            bind.exec_driver_sql("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    except sa.exc.DBAPIError as err:
        log.warning("migration.pg_trgm_unavailable", error=str(err).splitlines()[0])
        return
    op.execute("CREATE INDEX ix_person_name_trgm ON person USING gin (name_folded gin_trgm_ops)")


def upgrade() -> None:
    for name, table, columns in PLAIN:
        op.create_index(name, table, columns)
    for name, table, columns, where in PARTIAL:
        op.create_index(name, table, columns, postgresql_where=sa.text(where), sqlite_where=sa.text(where))
    if op.get_bind().dialect.name == "postgresql":
        _trigrams()


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP INDEX IF EXISTS ix_person_name_trgm")
    for name, table, *_ in (*PARTIAL, *PLAIN):
        op.drop_index(name, table)
