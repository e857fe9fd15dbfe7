"""`rehab people reencrypt` (SQLite and PostgreSQL): ID numbers stored before encryption are sealed and given the
keyed hash; the person is still matched by the number; a second run changes nothing; nothing is printed in clear."""

from __future__ import annotations

import hashlib
from datetime import date
from typing import Any

import pytest
from sqlalchemy import insert, select
from typer.testing import CliRunner

from admin.cli import app
from tests.journeys import make_runtime, open_adult
from workflow.runtime import Runtime
from workflow.tables import Dossier, Person

runner = CliRunner()
PERSON, DOSSIER = Person.__table__, Dossier.__table__  # type: ignore[attr-defined]
NEW, CLEAR, CLEAR_NO_HASH, SEALED_OLD_HASH = "011090001234", "011090009999", "001088000777", "034095001111"


def legacy_rows(rt: Runtime) -> dict[str, int]:
    """Rows as a database from before the upgrade holds them: clear with the salted SHA-256, clear without a
    hash, and one sealed but still with the salted hash."""
    salted = lambda number: hashlib.sha256(f"{rt.settings.id_number_salt}:{number}".encode()).hexdigest()  # noqa: E731
    rows = {
        CLEAR: (CLEAR, salted(CLEAR)),
        CLEAR_NO_HASH: (CLEAR_NO_HASH, None),
        SEALED_OLD_HASH: (rt.engine.ids.seal(SEALED_OLD_HASH), salted(SEALED_OLD_HASH)),
    }
    ids = {}
    with rt.db.begin() as conn:
        for number, (stored, digest) in rows.items():
            values: dict[str, Any] = {"full_name": "A", "birth_date": date(1990, 1, 1)}
            query = insert(PERSON).values(**values, id_number=stored, id_number_hash=digest).returning(PERSON.c.id)
            ids[number] = conn.execute(query).scalar_one()
    return ids


def stored(rt: Runtime) -> list[tuple[Any, ...]]:
    with rt.db.connect() as conn:
        return [tuple(r) for r in conn.execute(select(PERSON).order_by(PERSON.c.id))]


def test_clear_and_old_rows_are_sealed_and_rehashed_once_and_still_match(
    db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REHAB_DATABASE_URL", db_url)
    monkeypatch.setenv("REHAB_ENV", "development")
    rt, clock = make_runtime(db_url)
    open_adult(rt, clock, id_number=NEW)
    ids = legacy_rows(rt)

    dry = runner.invoke(app, ["people", "reencrypt", "--dry-run"])
    unchanged = stored(rt)
    first = runner.invoke(app, ["people", "reencrypt"])
    after_first = stored(rt)
    second = runner.invoke(app, ["people", "reencrypt"])
    again = open_adult(rt, clock, id_number=CLEAR).dossier_id
    with rt.db.connect() as conn:
        person_of_again = conn.execute(select(DOSSIER.c.person_id).where(DOSSIER.c.id == again)).scalar_one()
    after_second = [row for row in stored(rt) if row[0] in {r[0] for r in after_first}]
    rt.db.dispose()

    assert dry.exit_code == first.exit_code == second.exit_code == 0, first.output
    assert "would change: 4 people with an ID number: 2 encrypted, 3 given the keyed hash, 1 already" in dry.output
    assert "4 people with an ID number: 2 encrypted, 3 given the keyed hash, 1 already protected" in first.output
    assert "0 encrypted, 0 given the keyed hash, 4 already protected" in second.output
    assert unchanged != after_first and after_second == after_first  # the second run wrote nothing
    everything = " ".join(str(v) for row in after_first for v in row) + first.output + second.output
    for number in (NEW, CLEAR, CLEAR_NO_HASH, SEALED_OLD_HASH):
        assert number not in everything
        salted = hashlib.sha256(f"{rt.settings.id_number_salt}:{number}".encode()).hexdigest()
        assert salted not in everything
    assert all(str(row[2]).startswith("enc1:") for row in after_first)
    assert person_of_again == ids[CLEAR]  # matched by the keyed hash: the same person, not a new one
    assert {rt.engine.ids.reveal(row[2]) for row in after_first} == {NEW, CLEAR, CLEAR_NO_HASH, SEALED_OLD_HASH}


def test_production_mode_refuses_to_seal_with_the_committed_key(tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("REHAB_DATABASE_URL", f"sqlite:///{tmp_path}/prod.db")
    monkeypatch.setenv("REHAB_ENV", "production")

    result = runner.invoke(app, ["people", "reencrypt"])

    assert result.exit_code == 2 and "REHAB_ID_NUMBER_KEY" in result.output
