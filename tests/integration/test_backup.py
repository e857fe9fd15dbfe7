"""Backups that restore, on SQLite and PostgreSQL: the restored chains verify against an anchor the
procuracy took before the backup, and nothing written after the backup is in the copy."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest
from typer.testing import CliRunner

from admin.cli import app as cli
from tests import pg_server
from tests.journeys import Journey, make_runtime, open_adult, to_court_acceptance
from workflow.audit import check_anchor, take_anchor, verify_chain
from workflow.backup import BackupError, backup, restore
from workflow.db import make_engine

runner = CliRunner()


def another_database(db_url: str, tmp_path: Path) -> str:
    if db_url.startswith("sqlite"):
        return f"sqlite:///{tmp_path}/restored/rehab.db"
    base = pg_server.start_postgres()
    assert base is not None
    return pg_server.create_database(base, f"rehab_r_{uuid.uuid4().hex[:8]}")


def test_a_backup_restores_to_a_copy_whose_chains_extend_the_anchor_taken_before(
    db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rt, clock = make_runtime(db_url)
    journey = Journey(rt, clock, open_adult(rt, clock).dossier_id)
    to_court_acceptance(journey)
    anchor = tmp_path / "anchor.json"
    anchor.write_text(json.dumps(take_anchor(rt.db, rt.now().isoformat())), encoding="utf-8")
    file = tmp_path / "backups" / "rehab.backup"

    monkeypatch.setenv("REHAB_DATABASE_URL", db_url)
    backed_up = runner.invoke(cli, ["backup", str(file)])
    journey.step("open_session", "district_court", {"session_on": clock.today.isoformat()}, days=1)  # after the backup
    target = another_database(db_url, tmp_path)
    monkeypatch.setenv("REHAB_DATABASE_URL", target)
    restored = runner.invoke(cli, ["restore", str(file)])
    verified = runner.invoke(cli, ["audit", "verify", "--anchor", str(anchor)])

    assert backed_up.exit_code == 0, backed_up.output
    assert restored.exit_code == 0, restored.output
    assert verified.exit_code == 0 and "extends the anchor" in verified.output, verified.output
    copy = make_engine(target)
    assert verify_chain(copy).ok and check_anchor(copy, json.loads(anchor.read_text())) is None
    with copy.connect() as conn:
        from sqlalchemy import text

        state = conn.execute(text("SELECT state FROM dossier WHERE id = :id"), {"id": journey.dossier_id}).scalar()
    assert state == "court_accepted"  # the step taken after the backup is not in it
    copy.dispose()
    rt.db.dispose()


def test_restore_refuses_a_database_that_has_a_schema_unless_told_to_replace_it(db_url: str, tmp_path: Path) -> None:
    rt, clock = make_runtime(db_url)
    open_adult(rt, clock)
    file = backup(db_url, tmp_path / "b.backup")

    with pytest.raises(BackupError, match="not empty"):
        restore(db_url, file)
    restore(db_url, file, replace=True)

    assert verify_chain(rt.db).ok
    rt.db.dispose()


def test_restore_refuses_a_file_that_is_not_a_backup(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    junk = tmp_path / "junk.backup"
    junk.write_bytes(b"not a database")
    monkeypatch.setenv("REHAB_DATABASE_URL", f"sqlite:///{tmp_path}/new.db")

    result = runner.invoke(cli, ["restore", str(junk)])
    missing = runner.invoke(cli, ["restore", str(tmp_path / "nothing")])

    assert result.exit_code == 1 and "not an SQLite backup" in result.output
    assert missing.exit_code == 1 and "no backup file" in missing.output
