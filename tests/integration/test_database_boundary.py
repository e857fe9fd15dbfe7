"""The append-only triggers are a boundary: SQLite refuses `INSERT OR REPLACE` on the log and the dossiers, and on
PostgreSQL the application's role (not the tables' owner) can neither disable the triggers nor rewrite the log."""

from __future__ import annotations

import secrets
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from typer.testing import CliRunner

from admin.cli import app
from tests import pg_server
from tests.journeys import Journey, make_runtime, open_adult
from workflow.audit import verify_chain
from workflow.audit_state import verify_state
from workflow.runtime import Runtime
from workflow.settings import Settings

runner = CliRunner()


@pytest.fixture
def sqlite_file(tmp_path: Path) -> Path:
    """A migrated SQLite database with one dossier two entries long."""
    path = tmp_path / "rehab.db"
    rt, clock = make_runtime(f"sqlite:///{path}")
    Journey(rt, clock, open_adult(rt, clock).dossier_id).step("request_determination", "commune_police")
    rt.db.dispose()
    return path


def replace_row(path: Path, table: str, where: str, change: dict[str, object], verb: str, recursive: str) -> None:
    with sqlite3.connect(path) as conn:
        conn.execute(f"PRAGMA recursive_triggers={recursive}")  # neither setting lets REPLACE through
        cursor = conn.execute(f"SELECT * FROM {table} WHERE {where}")
        names = [d[0] for d in cursor.description]
        row = {**dict(zip(names, cursor.fetchone(), strict=True)), **change}
        marks = ", ".join("?" * len(row))
        conn.execute(f"{verb} INTO {table} ({', '.join(row)}) VALUES ({marks})", list(row.values()))


class TestSqliteRefusesReplace:
    @pytest.mark.parametrize("verb", ["INSERT OR REPLACE", "REPLACE"])
    @pytest.mark.parametrize("recursive", ["OFF", "ON"])
    def test_a_log_entry_cannot_be_replaced_by_id_or_by_dossier_and_seq(
        self, sqlite_file: Path, verb: str, recursive: str
    ) -> None:
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            replace_row(sqlite_file, "transition_log", "seq = 1", {"actor": "forged"}, verb, recursive)
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):  # same dossier and seq, a new id
            replace_row(sqlite_file, "transition_log", "seq = 2", {"id": 99, "actor": "forged"}, verb, recursive)

        with sqlite3.connect(sqlite_file) as conn:
            assert conn.execute("SELECT count(*) FROM transition_log WHERE actor = 'forged'").fetchone() == (0,)

    @pytest.mark.parametrize("recursive", ["OFF", "ON"])
    def test_a_dossier_cannot_be_replaced(self, sqlite_file: Path, recursive: str) -> None:
        with pytest.raises(sqlite3.IntegrityError, match="never deleted"):
            replace_row(sqlite_file, "dossier", "id = 1", {"state": "closed"}, "INSERT OR REPLACE", recursive)

        with sqlite3.connect(sqlite_file) as conn:
            assert conn.execute("SELECT state FROM dossier").fetchall() == [("determination_requested",)]

    def test_the_application_turns_recursive_triggers_on_for_every_connection(self, sqlite_file: Path) -> None:
        rt = Runtime.build(Settings(database_url=f"sqlite:///{sqlite_file}"))
        try:
            with rt.db.connect() as conn:
                assert conn.execute(text("PRAGMA recursive_triggers")).scalar_one() == 1
        finally:
            rt.db.dispose()


# --------------------------------------------------------------------------- PostgreSQL: two roles


def _url_as(url: str, role: str, password: str) -> str:
    return make_url(url).set(username=role, password=password).render_as_string(hide_password=False)


def _psql(url: str) -> psycopg.Connection:
    return psycopg.connect(make_url(url).set(drivername="postgresql").render_as_string(hide_password=False))


@pytest.fixture
def two_roles(postgres_url: str) -> Iterator[tuple[str, str]]:
    """A database owned by a (non-superuser) owner role, and an application role: the URLs of both."""
    suffix = secrets.token_hex(4)
    owner, application, password = f"rehab_owner_{suffix}", f"rehab_app_{suffix}", secrets.token_hex(12)
    name = f"rehab_roles_{suffix}"
    with pg_server._admin_connection(postgres_url) as admin:
        admin.execute(f"CREATE ROLE {owner} LOGIN PASSWORD '{password}'")
        admin.execute(f"CREATE ROLE {application} LOGIN PASSWORD '{password}'")
        admin.execute(f"CREATE DATABASE {name} OWNER {owner}")
    base = make_url(postgres_url).set(database=name).render_as_string(hide_password=False)
    yield _url_as(base, owner, password), _url_as(base, application, password)
    with pg_server._admin_connection(postgres_url) as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        admin.execute(f"DROP ROLE IF EXISTS {application}")
        admin.execute(f"DROP ROLE IF EXISTS {owner}")


REFUSED_TO_THE_APPLICATION = [
    "ALTER TABLE transition_log DISABLE TRIGGER ALL",
    "ALTER TABLE transition_log DISABLE TRIGGER transition_log_no_update",
    "DROP TRIGGER transition_log_no_update ON transition_log",
    "SET session_replication_role = replica",  # would skip every trigger
    "UPDATE transition_log SET actor = 'forged'",
    "DELETE FROM transition_log",
    "TRUNCATE transition_log",
    "DROP TABLE transition_log",
    "DELETE FROM dossier",
    "DELETE FROM security_event",
    "UPDATE alembic_version SET version_num = '0001'",
    "CREATE TABLE shadow_log (id int)",
    "CREATE OR REPLACE FUNCTION transition_log_reject() RETURNS trigger LANGUAGE plpgsql"
    " AS $$ BEGIN RETURN NEW; END $$",
]


@pytest.mark.postgres
class TestTheApplicationRoleOnPostgres:
    def test_rehab_init_migrates_as_the_owner_and_the_application_works_with_rows_only(
        self, two_roles: tuple[str, str], monkeypatch: pytest.MonkeyPatch
    ) -> None:
        owner_url, app_url = two_roles
        monkeypatch.setenv("REHAB_DATABASE_URL", app_url)
        monkeypatch.setenv("REHAB_MIGRATE_DATABASE_URL", owner_url)

        done = runner.invoke(app, ["init"])
        rt, clock = make_runtime(app_url)  # migrations at head: nothing to create; the reference is rows
        try:
            journey = Journey(rt, clock, open_adult(rt, clock).dossier_id)
            journey.step("request_determination", "commune_police")
            assert verify_chain(rt.db).ok and verify_state(rt.engine).ok
        finally:
            rt.db.dispose()

        assert done.exit_code == 0, done.output
        assert app_url.split("@")[1] in done.output  # the application's database, its password hidden
        with _psql(app_url) as conn:
            owners = conn.execute("SELECT DISTINCT tableowner FROM pg_tables WHERE schemaname = 'public'").fetchall()
        assert owners == [(make_url(owner_url).username,)]

    def test_init_as_the_application_role_alone_says_which_url_migrates(
        self, two_roles: tuple[str, str], monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setenv("REHAB_DATABASE_URL", two_roles[1])
        monkeypatch.delenv("REHAB_MIGRATE_DATABASE_URL", raising=False)

        result = runner.invoke(app, ["init"])

        assert result.exit_code == 1
        assert "may not change the schema" in result.output and "REHAB_MIGRATE_DATABASE_URL" in result.output

    @pytest.mark.parametrize("statement", REFUSED_TO_THE_APPLICATION)
    def test_the_application_role_is_refused(
        self, two_roles: tuple[str, str], monkeypatch: pytest.MonkeyPatch, statement: str
    ) -> None:
        owner_url, app_url = two_roles
        monkeypatch.setenv("REHAB_DATABASE_URL", app_url)
        monkeypatch.setenv("REHAB_MIGRATE_DATABASE_URL", owner_url)
        assert runner.invoke(app, ["init"]).exit_code == 0

        with _psql(app_url) as conn, pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute(statement)

    def test_running_init_again_keeps_the_grants(
        self, two_roles: tuple[str, str], monkeypatch: pytest.MonkeyPatch
    ) -> None:
        owner_url, app_url = two_roles
        monkeypatch.setenv("REHAB_DATABASE_URL", app_url)
        monkeypatch.setenv("REHAB_MIGRATE_DATABASE_URL", owner_url)

        results = [runner.invoke(app, ["init"]).exit_code for _ in range(2)]

        assert results == [0, 0]
        with _psql(app_url) as conn:
            conn.execute("INSERT INTO security_event (at, kind, username, event) VALUES (now(), 'test', 'x', '')")
            assert conn.execute("SELECT count(*) FROM security_event").fetchone() == (1,)
