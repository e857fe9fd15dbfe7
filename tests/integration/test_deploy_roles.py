"""deploy/postgres/10-roles.sh and `rehab init` give a deployment its two roles: the owner migrates, the
application reads and writes rows and cannot switch the log's triggers off."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest
from sqlalchemy.engine import make_url

from tests import pg_server

pytestmark = pytest.mark.postgres

SCRIPT = Path(__file__).resolve().parents[2] / "deploy" / "postgres" / "10-roles.sh"
REHAB = Path(sys.executable).with_name("rehab")


def run_script(url: str) -> subprocess.CompletedProcess[str]:
    parsed = make_url(url)
    bin_dir = pg_server.find_bin_dir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PG", "REHAB_"))}
    env |= {
        "PATH": f"{bin_dir}:{env.get('PATH', '')}" if bin_dir else env.get("PATH", ""),
        "PGHOST": parsed.host or "127.0.0.1",
        "PGPORT": str(parsed.port),
        "POSTGRES_USER": parsed.username or "postgres",
        "POSTGRES_DB": parsed.database or "",
        "REHAB_OWNER_DB_PASSWORD": "owner-pass",
        "REHAB_APP_DB_PASSWORD": "app-pass",
    }
    return subprocess.run(["sh", str(SCRIPT)], env=env, capture_output=True, text=True, timeout=60)


def as_role(url: str, role: str) -> str:
    return make_url(url).set(username=role).render_as_string(hide_password=False)


def test_the_roles_script_then_init_leave_the_application_rows_only(fresh_postgres_url: str, tmp_path: Path) -> None:
    first, again = run_script(fresh_postgres_url), run_script(fresh_postgres_url)
    assert (first.returncode, again.returncode) == (0, 0), first.stderr + again.stderr  # and again: no change

    owner, app = as_role(fresh_postgres_url, "rehab_owner"), as_role(fresh_postgres_url, "rehab_app")
    env = {k: v for k, v in os.environ.items() if not k.startswith("REHAB_")}
    env |= {"REHAB_DATABASE_URL": app, "REHAB_MIGRATE_DATABASE_URL": owner, "REHAB_ENV": "production"}
    init = subprocess.run([str(REHAB), "init"], env=env, capture_output=True, text=True, timeout=300)
    assert init.returncode == 0, init.stdout + init.stderr

    plain = make_url(app).set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(plain, autocommit=True) as conn:
        assert conn.execute("SELECT count(*) FROM dossier").fetchone() == (0,)
        owner_of = conn.execute("SELECT tableowner FROM pg_tables WHERE tablename = 'transition_log'").fetchone()
        assert owner_of == ("rehab_owner",)
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("ALTER TABLE transition_log DISABLE TRIGGER ALL")
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("CREATE TABLE intruder (x int)")

    # The daily backup unit runs as the application's role: reading every row is enough for pg_dump.
    backup = subprocess.run(
        [str(REHAB), "backup", str(tmp_path / "daily.backup")], env=env, capture_output=True, text=True, timeout=300
    )
    assert backup.returncode == 0, backup.stdout + backup.stderr
    assert (tmp_path / "daily.backup").stat().st_size > 0
