"""Search and lists: the folded name column, the lists' indexes; alerts read, unread or dismissed.

The indexes follow the queries of `workflow.search` and `workflow.access`:
- `person.name_folded`: name search without diacritics by word prefix (on PostgreSQL with
  `varchar_pattern_ops`, so `LIKE 'nguyen%'` uses it whatever the database's collation);
- `dossier(updated_at)`, `dossier(opened_at)`: the default sort and the date range;
- `dossier(commune_code, state)`: a reader's communes, by stage (lists and counts);
- `transition_log(actor_agency, dossier_id)`: the dossiers an agency acted on (it may still read them);
- `inboxitem(agency_id, created_at)`: an agency's alerts, newest first.

Revision ID: 0009
Revises: 0008
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

from workflow.names import fold

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    with op.batch_alter_table("person") as batch:
        batch.add_column(sa.Column("name_folded", sa.String(), nullable=False, server_default=""))
    person = sa.table(
        "person", sa.column("id", sa.Integer), sa.column("full_name", sa.String), sa.column("name_folded")
    )
    bind = op.get_bind()
    for row in bind.execute(sa.select(person.c.id, person.c.full_name)).all():
        bind.execute(sa.update(person).where(person.c.id == row.id).values(name_folded=fold(row.full_name)))
    if postgres:
        op.execute("CREATE INDEX ix_person_name_folded ON person (name_folded varchar_pattern_ops)")
    else:
        op.create_index("ix_person_name_folded", "person", ["name_folded"])
    op.create_index("ix_dossier_updated_at", "dossier", ["updated_at"])
    op.create_index("ix_dossier_opened_at", "dossier", ["opened_at"])
    op.create_index("ix_dossier_commune_state", "dossier", ["commune_code", "state"])
    op.create_index("ix_transition_log_actor_agency", "transition_log", ["actor_agency", "dossier_id"])
    with op.batch_alter_table("inboxitem") as batch:
        batch.add_column(sa.Column("dismissed_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
    op.create_index("ix_inboxitem_agency_created", "inboxitem", ["agency_id", "created_at"])


def downgrade() -> None:
    op.drop_index("ix_inboxitem_agency_created", "inboxitem")
    with op.batch_alter_table("inboxitem") as batch:
        batch.drop_column("dismissed_at")
    op.drop_index("ix_transition_log_actor_agency", "transition_log")
    op.drop_index("ix_dossier_commune_state", "dossier")
    op.drop_index("ix_dossier_opened_at", "dossier")
    op.drop_index("ix_dossier_updated_at", "dossier")
    op.drop_index("ix_person_name_folded", "person")
    with op.batch_alter_table("person") as batch:
        batch.drop_column("name_folded")
