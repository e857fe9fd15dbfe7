"""Citizen ID numbers at rest (SQLite and PostgreSQL): encrypted, matched by a keyed hash, shown in clear
only to the roles that may read them."""

from __future__ import annotations

import hashlib
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import insert, select, text

from tests.integration.test_api import ID_NUMBER, as_, client_for
from tests.journeys import make_runtime, open_adult
from workflow.production import InsecureSettings, require_secure
from workflow.settings import Settings
from workflow.tables import Person

PERSON = Person.__table__  # type: ignore[attr-defined]


def test_a_database_copy_shows_no_id_number_in_clear_nor_a_reversible_hash(db_url: str) -> None:
    rt, clock = make_runtime(db_url)
    open_adult(rt, clock, id_number=ID_NUMBER)

    with rt.db.connect() as conn:
        stored, digest = conn.execute(select(PERSON.c.id_number, PERSON.c.id_number_hash)).one()
        everything = " ".join(str(v) for v in conn.execute(select(PERSON)).one())
    rt.db.dispose()

    assert ID_NUMBER not in everything and stored.startswith("enc1:")
    salted = hashlib.sha256(f"{rt.settings.id_number_salt}:{ID_NUMBER}".encode()).hexdigest()
    assert digest not in (salted, hashlib.sha256(ID_NUMBER.encode()).hexdigest())


def test_the_same_person_is_matched_across_dossiers_and_with_rows_written_before_the_upgrade(db_url: str) -> None:
    rt, clock = make_runtime(db_url)
    first = open_adult(rt, clock, id_number=ID_NUMBER).dossier_id
    second = open_adult(rt, clock, id_number=ID_NUMBER).dossier_id
    legacy_id = "011090009999"
    legacy_hash = hashlib.sha256(f"{rt.settings.id_number_salt}:{legacy_id}".encode()).hexdigest()
    with rt.db.begin() as conn:
        old = conn.execute(
            insert(PERSON)
            .values(full_name="A", id_number=legacy_id, id_number_hash=legacy_hash, birth_date=date(1990, 1, 1))
            .returning(PERSON.c.id)
        ).scalar_one()
    third = open_adult(rt, clock, id_number=legacy_id).dossier_id

    with rt.db.connect() as conn:
        owners = dict(conn.execute(text("SELECT id, person_id FROM dossier")).all())
    rt.db.dispose()
    assert owners[first] == owners[second] and owners[third] == old


def test_the_roles_that_may_read_the_person_see_the_number_in_clear(tmp_path: Path) -> None:
    with client_for(tmp_path) as (client, journey):
        allowed = client.get(f"/api/v1/dossiers/{journey.dossier_id}", auth=as_("cax")).json()
        admin = client.get(f"/api/v1/dossiers/{journey.dossier_id}", auth=as_("admin")).json()

    assert allowed["person"]["id_number"] == ID_NUMBER
    assert "person" not in admin


def test_production_mode_needs_its_own_id_number_key() -> None:
    strong = "k" * 40
    with pytest.raises(InsecureSettings, match="REHAB_ID_NUMBER_KEY"):
        require_secure(Settings(env="production", session_secret=strong, id_number_salt=strong))
