"""Drop five indexes of `dossier` that no read needs any more. A step changes indexed columns of its dossier row
(state, version's neighbours `updated_at`, the responsible agency), so PostgreSQL writes a new entry into every
index of the table (13 before this migration, 8 after) and SQLite updates each that holds a changed column:

- `ix_dossier_scope (state, commune_code, agency_id, id)`: the counts by stage it served come from the tally
  (migration 0017);
- `ix_dossier_state`, `ix_dossier_updated_at`, `ix_dossier_agency_id`, `ix_dossier_commune_code`: each the first
  column of a wider index that serves the same reads (`ix_dossier_state_updated_scope`,
  `ix_dossier_updated_scope`, `ix_dossier_agency_id_id`, `ix_dossier_commune_state`).

`tests/integration/test_scale_explain.py` checks that the main reads still use indexes.

Revision ID: 0019
Revises: 0018
"""

from __future__ import annotations

from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None

DROPPED = (
    ("ix_dossier_scope", ["state", "commune_code", "agency_id", "id"]),
    ("ix_dossier_state", ["state"]),
    ("ix_dossier_updated_at", ["updated_at"]),
    ("ix_dossier_agency_id", ["agency_id"]),
    ("ix_dossier_commune_code", ["commune_code"]),
)


def upgrade() -> None:
    for name, _ in DROPPED:
        op.drop_index(name, "dossier")


def downgrade() -> None:
    for name, columns in DROPPED:
        op.create_index(name, "dossier", columns)
