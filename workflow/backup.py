"""Backups that restore: SQLite through its online backup API, PostgreSQL through pg_dump / pg_restore.

`backup` takes a consistent copy while the system runs (SQLite: page by page under the backup API;
PostgreSQL: pg_dump's one snapshot) and writes it under a temporary name first, so a failed backup
never leaves a half file behind. `restore` refuses a target that already holds a schema unless told to
replace it, and checks that the file is a backup of this system. After a restore, `rehab audit verify
--anchor FILE` shows that every chain still extends the anchor the procuracy took before the backup.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

import structlog
from sqlalchemy import inspect
from sqlalchemy.engine import URL, make_url

from workflow.db import make_engine

log = structlog.get_logger(__name__)


class BackupError(Exception):
    """A backup or restore that cannot be done, with the reason (the CLI prints it and exits 1)."""


def _sqlite_path(url: URL) -> Path:
    if not url.database or url.database == ":memory:":
        raise BackupError("an in-memory SQLite database cannot be backed up or restored")
    return Path(url.database)


def _tool(name: str) -> str:
    """pg_dump / pg_restore: the newest installed server's, else the one on PATH."""
    versions = sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"), key=lambda p: int(p.parts[-3]))
    found = str(versions[-1]) if versions else shutil.which(name)
    if found is None:
        raise BackupError(f"{name} not found: install the PostgreSQL client (apt-get install postgresql-client)")
    return found


def _pg_env(url: URL) -> dict[str, str]:
    """libpq settings from the URL: the password travels in the environment, not on a command line."""
    env = {**os.environ}
    for key, value in (
        ("PGHOST", url.host or url.query.get("host")),
        ("PGPORT", str(url.port) if url.port else None),
        ("PGUSER", url.username),
        ("PGPASSWORD", url.password),
        ("PGDATABASE", url.database),
    ):
        if value:
            env[key] = str(value)
    return env


def _run(args: list[str], url: URL) -> None:
    done = subprocess.run(args, env=_pg_env(url), capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise BackupError(f"{Path(args[0]).name} failed: {done.stderr.strip().splitlines()[-1:]}")


def backup(database_url: str, target: Path) -> Path:
    """A consistent copy of the database in `target` (an SQLite file, or a pg_dump custom-format archive)."""
    url = make_url(database_url)
    partial = target.with_name(target.name + ".partial")
    target.parent.mkdir(parents=True, exist_ok=True)
    if url.get_backend_name() == "sqlite":
        source_path = _sqlite_path(url)
        if not source_path.exists():
            raise BackupError(f"no database file {source_path}")
        partial.unlink(missing_ok=True)
        with sqlite3.connect(source_path) as source, sqlite3.connect(partial) as copy:
            source.backup(copy)
        copy.close()
    else:
        _run([_tool("pg_dump"), "--format=custom", "--no-owner", "--no-privileges", f"--file={partial}"], url)
    partial.replace(target)
    log.info("backup.written", bytes=target.stat().st_size)
    return target


def _has_schema(database_url: str) -> bool:
    engine = make_engine(database_url)
    try:
        return inspect(engine).has_table("alembic_version")
    finally:
        engine.dispose()


def restore(database_url: str, source: Path, *, replace: bool = False) -> None:
    """Load a backup into the database of `database_url` (empty, or `replace` to overwrite it)."""
    if not source.is_file():
        raise BackupError(f"no backup file {source}")
    url = make_url(database_url)
    if not replace and _has_schema(database_url):
        raise BackupError("the target database is not empty: restore into a new database, or pass --replace")
    if url.get_backend_name() == "sqlite":
        _restore_sqlite(source, _sqlite_path(url))
    else:
        args = [_tool("pg_restore"), "--no-owner", "--no-privileges", "--single-transaction", "--exit-on-error"]
        if replace:
            args += ["--clean", "--if-exists"]
        _run([*args, f"--dbname={url.database}", str(source)], url)
    if not _has_schema(database_url):
        raise BackupError(f"{source} is not a backup of this system (no migration table after restoring)")
    log.info("backup.restored")


def _restore_sqlite(source: Path, target: Path) -> None:
    try:
        with sqlite3.connect(f"file:{source}?mode=ro", uri=True) as backup_db:
            tables = {r[0] for r in backup_db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
            if "alembic_version" not in tables or "transition_log" not in tables:
                raise BackupError(f"{source} is not a backup of this system")
            target.parent.mkdir(parents=True, exist_ok=True)
            with sqlite3.connect(target) as live:
                backup_db.backup(live)
            live.close()
        backup_db.close()
    except sqlite3.DatabaseError as err:
        raise BackupError(f"{source} is not an SQLite backup: {err}") from None


__all__ = ["BackupError", "backup", "restore"]
