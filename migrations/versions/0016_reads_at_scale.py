"""Reads at scale, second pass (designed from `EXPLAIN (ANALYZE, BUFFERS)` on 100,000 dossiers):

- SQLite: the folded names by trigrams (FTS5), the mirror of PostgreSQL's `pg_trgm` index of migration 0015. A
  name typed without diacritics matches word prefixes anywhere in the name (`LIKE '% hung%'`), which no b-tree
  serves: SQLite read every person. `person_name_fts` is an external-content FTS5 table over `person.name_folded`
  with the trigram tokenizer (SQLite ≥ 3.34): it gives the names containing each typed word of three letters or
  more, and the search keeps its LIKE conditions on those rows, so both databases return the same dossiers.
  Triggers keep it in step with `person` whatever writes the row (opening, imports, a corrected name, the
  bench's bulk load);
- the list's order indexes cover what the reader's scope tests (`commune_code`, `agency_id`, and the stage for
  the unfiltered order): a deep page skips its offset in the index alone (PostgreSQL: an index-only scan);
- running deadlines by due day and dossier (partial): the "overdue only" filter reads the overdue deadlines, not
  one lookup per readable dossier.

Revision ID: 0016
Revises: 0015
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

FTS = "person_name_fts"
FTS_CREATE = (
    f"CREATE VIRTUAL TABLE {FTS} USING fts5(name_folded, content='person', content_rowid='id', tokenize='trigram')",
    f"CREATE TRIGGER {FTS}_insert AFTER INSERT ON person BEGIN "
    f"INSERT INTO {FTS}(rowid, name_folded) VALUES (new.id, new.name_folded); END",
    f"CREATE TRIGGER {FTS}_delete AFTER DELETE ON person BEGIN "
    f"INSERT INTO {FTS}({FTS}, rowid, name_folded) VALUES ('delete', old.id, old.name_folded); END",
    f"CREATE TRIGGER {FTS}_update AFTER UPDATE OF name_folded ON person BEGIN "
    f"INSERT INTO {FTS}({FTS}, rowid, name_folded) VALUES ('delete', old.id, old.name_folded); "
    f"INSERT INTO {FTS}(rowid, name_folded) VALUES (new.id, new.name_folded); END",
    f"INSERT INTO {FTS}({FTS}) VALUES ('rebuild')",  # the names already there
)
SCOPE = ["commune_code", "agency_id"]
# (old index, new index, key columns, covered columns): covered as INCLUDE on PostgreSQL, trailing keys on SQLite
ORDERS = (
    ("ix_dossier_updated_id", "ix_dossier_updated_scope", ["updated_at", "id"], ["state", *SCOPE]),
    ("ix_dossier_state_updated", "ix_dossier_state_updated_scope", ["state", "updated_at", "id"], SCOPE),
)
RUNNING = "closed_at IS NULL AND paused_at IS NULL"


def _order_index(name: str, keys: list[str], covered: list[str]) -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.create_index(name, "dossier", keys, postgresql_include=covered)
    else:
        op.create_index(name, "dossier", [*keys, *covered])


def upgrade() -> None:
    for old, new, keys, covered in ORDERS:
        _order_index(new, keys, covered)
        op.drop_index(old, "dossier")
    op.create_index(
        "ix_deadline_running_late",
        "deadline",
        ["due_on", "dossier_id"],
        postgresql_where=sa.text(RUNNING),
        sqlite_where=sa.text(RUNNING),
    )
    if op.get_bind().dialect.name == "sqlite":
        for statement in FTS_CREATE:
            op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for suffix in ("insert", "delete", "update"):
            op.execute(f"DROP TRIGGER IF EXISTS {FTS}_{suffix}")
        op.execute(f"DROP TABLE IF EXISTS {FTS}")
    op.drop_index("ix_deadline_running_late", "deadline")
    for old, new, keys, _ in ORDERS:
        op.create_index(old, "dossier", keys)
        op.drop_index(new, "dossier")
