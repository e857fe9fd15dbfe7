"""Two database roles on PostgreSQL: the tables' owner runs the migrations, the application gets only what it needs.

A table's owner may `ALTER TABLE … DISABLE TRIGGER`, drop the triggers or the table, or `TRUNCATE` it: an
application connecting as the owner could rewrite the append-only log despite its triggers. So `rehab init`
migrates through `REHAB_MIGRATE_DATABASE_URL` (the owner) and then grants the role of `REHAB_DATABASE_URL`
(the application) reading and writing rows only: no UPDATE or DELETE on the transition log or the security log,
no DELETE on dossiers, nothing on the migrations' version, no TRUNCATE, no DDL (and no `CREATE` in the
schema for anyone but the owner). Granting is idempotent and follows every migration, so new tables are
covered. On SQLite (one file, no roles) the triggers are the boundary and the file's permissions the rest.
"""

from __future__ import annotations

import structlog
from sqlalchemy import Connection, Engine
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ProgrammingError

from workflow.db import is_postgres, make_engine, migrate
from workflow.errors import WorkflowError

log = structlog.get_logger(__name__)
APPEND_ONLY = ("transition_log", "security_event", "audit_checkpoint")  # rows are added, never changed or removed
NEVER_DELETED = ("dossier",)
READ_ONLY = ("alembic_version",)


class SchemaNotOwned(WorkflowError):
    """The role of REHAB_DATABASE_URL may not change the schema (as intended): migrations need the owner."""

    def __init__(self) -> None:
        super().__init__(
            "the database role may not change the schema: run `rehab init` with REHAB_MIGRATE_DATABASE_URL "
            "set to the tables' owner (README: two database roles)"
        )


def migrate_checked(db: Engine) -> None:
    """`migrate`, with one clear line when the role is the application's, not the owner (PostgreSQL)."""
    try:
        migrate(db)
    except ProgrammingError as err:
        if "permission denied" in str(err) or "must be owner" in str(err):
            raise SchemaNotOwned() from err
        raise


def migrate_as_owner(owner_url: str, app_url: str) -> None:
    """Migrate as the owner, then grant the application's role (when it is another role) what it needs."""
    owner = make_engine(owner_url)
    try:
        migrate(owner)
        app_role, owner_role = make_url(app_url).username, make_url(owner_url).username
        if is_postgres(owner) and app_role and app_role != owner_role:
            with owner.begin() as conn:
                grant_application(conn, app_role)
    finally:
        owner.dispose()


def grant_application(conn: Connection, role: str) -> None:
    """Rows only: read and write them, except what the law keeps (the logs) and what nobody may change."""
    who = conn.dialect.identifier_preparer.quote(role)
    statements = [
        "REVOKE CREATE ON SCHEMA public FROM PUBLIC",  # the default before PostgreSQL 15: anyone could add objects
        f"GRANT USAGE ON SCHEMA public TO {who}",
        f"REVOKE ALL ON ALL TABLES IN SCHEMA public FROM {who}",
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {who}",
        *(f"REVOKE UPDATE, DELETE ON {table} FROM {who}" for table in APPEND_ONLY),
        *(f"REVOKE DELETE ON {table} FROM {who}" for table in NEVER_DELETED),
        *(f"REVOKE INSERT, UPDATE, DELETE ON {table} FROM {who}" for table in READ_ONLY),
        f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {who}",
    ]
    for statement in statements:
        conn.exec_driver_sql(statement)
    log.info("database.granted", role=role)


__all__ = ["SchemaNotOwned", "grant_application", "migrate_as_owner", "migrate_checked"]
