"""`rehab audit verify` covers the dossier itself: each dossier's state, facts, term and open deadlines are
re-derived from its chain, and a row or deadline changed behind the engine's back (the append-only triggers in
place) is reported with the dossier and the field (SQLite and PostgreSQL)."""

from __future__ import annotations

import html
import sqlite3
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy import select, text
from typer.testing import CliRunner

from admin.cli import app
from demo import build_demo
from tests.journeys import Clock, make_runtime
from tests.regime_cases import DEADLINE, DOSSIER, Case, D, open_case, to_facility, to_session
from workflow.agencies import reassign
from workflow.audit_state import StateReport, verify_state
from workflow.engine import Actor
from workflow.importing import import_workbook, template_workbook
from workflow.runtime import Runtime
from workflow.settings import Settings

runner = CliRunner()
TODAY = date(2026, 11, 20)
COUNT = 40
EPISODE = {
    "kind": "compulsory",
    "started_on": "2021-03-15",
    "ended_on": "2023-03-15",
    "document_number": "45/QĐ-TA",
    "document_issuer": "TAND huyện Tuần Giáo",
}
IMPORTED = {
    "full_name": "Lò Văn Pọm",
    "birth_date": "12/03/1988",
    "sex": "Nam",
    "id_number": "011088001122",
    "commune": "Xã Quài Cang",
    "violation_number": "5/BB-VPHC",
    "violation_date": "05/02/2024",
    "stage": "Chấp hành tại cơ sở cai nghiện",
    "court_number": "12/QĐ-TA",
    "court_date": "20/03/2024",
    "term_months": 18,
    "admitted_on": "02/04/2024",
}


@pytest.fixture(scope="module")
def demo_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A demo database built through the engine only, left untouched by the tests (each works on a copy)."""
    path = tmp_path_factory.mktemp("demo") / "demo.db"
    runtime = Runtime.build(Settings(database_url=f"sqlite:///{path}"), migrate_db=True)
    build_demo(runtime, count=COUNT, today=TODAY)
    runtime.db.dispose()
    return path


@pytest.fixture
def copy(demo_file: Path, tmp_path: Path) -> Iterator[Runtime]:
    target = tmp_path / "copy.db"
    with sqlite3.connect(demo_file) as source, sqlite3.connect(target) as dest:
        source.backup(dest)
    runtime = Runtime.build(Settings(database_url=f"sqlite:///{target}"))
    yield runtime
    runtime.db.dispose()


def tamper(rt: Runtime, statement: str, **params: object) -> None:
    with rt.db.begin() as conn:
        conn.execute(text(statement), params)


def one(rt: Runtime, query: str) -> tuple[object, ...]:
    with rt.db.connect() as conn:
        return tuple(conn.execute(text(query)).one())


def found(report: StateReport) -> list[tuple[int, str, str]]:
    return [(m.dossier_id, m.field, m.problem) for m in report.mismatches]


class TestAnUntouchedDatabase:
    def test_every_demo_dossier_follows_from_its_chain(self, copy: Runtime) -> None:
        report = verify_state(copy.engine)

        assert report.dossiers == COUNT
        assert found(report) == []

    def test_rehab_audit_verify_says_so_and_exits_0(self, copy: Runtime, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("REHAB_DATABASE_URL", str(copy.db.url))

        result = runner.invoke(app, ["audit", "verify"])

        assert result.exit_code == 0, result.output
        assert "every dossier's state, facts and open deadlines follow from its chain" in result.output


class TestTamperingBehindTheEngine:
    def test_a_state_set_by_sql_is_reported_with_the_dossier_and_the_chains_state(self, copy: Runtime) -> None:
        dossier_id, state = one(copy, "SELECT id, state FROM dossier WHERE state = 'in_facility' ORDER BY id LIMIT 1")
        tamper(copy, "UPDATE dossier SET state = 'closed' WHERE id = :id", id=dossier_id)

        report = verify_state(copy.engine)

        assert (dossier_id, "state", f"state is 'closed', the chain says '{state}'") in found(report)
        assert {m.dossier_id for m in report.mismatches} == {dossier_id}

    def test_a_moved_term_end_is_reported(self, copy: Runtime) -> None:
        dossier_id, due_on = one(
            copy, "SELECT dossier_id, due_on FROM deadline WHERE key = 'term' AND closed_at IS NULL LIMIT 1"
        )
        tamper(
            copy,
            "UPDATE deadline SET due_on = '2031-01-01' WHERE key = 'term' AND closed_at IS NULL AND dossier_id = :id",
            id=dossier_id,
        )

        report = verify_state(copy.engine)

        assert [(m.dossier_id, m.field) for m in report.mismatches] == [(dossier_id, "deadline.term.due_on")]
        assert f"due_on is '2031-01-01', the chain says '{due_on}'" in report.mismatches[0].problem

    def test_a_changed_term_in_the_facts_is_reported(self, copy: Runtime) -> None:
        dossier_id, months = one(
            copy, "SELECT id, json_extract(data, '$.term_months') FROM dossier WHERE state = 'in_facility' LIMIT 1"
        )
        tamper(copy, "UPDATE dossier SET data = json_set(data, '$.term_months', 3) WHERE id = :id", id=dossier_id)

        report = verify_state(copy.engine)

        assert found(report) == [(dossier_id, "data.term_months", f"fact 'term_months' is 3, the chain says {months}")]

    def test_a_deleted_deadline_is_reported_missing(self, copy: Runtime) -> None:
        deadline_id, dossier_id, key = one(
            copy,
            "SELECT id, dossier_id, key FROM deadline WHERE closed_at IS NULL AND dossier_id IS NOT NULL LIMIT 1",
        )
        tamper(copy, "DELETE FROM deadline WHERE id = :id", id=deadline_id)

        report = verify_state(copy.engine)

        assert found(report) == [(dossier_id, f"deadline.{key}", f"open deadline '{key}' missing")]

    def test_a_closed_deadline_reopened_and_a_fact_added_are_not_on_the_chain(self, copy: Runtime) -> None:
        deadline_id, dossier_id, key = one(
            copy,
            "SELECT d.id, d.dossier_id, d.key FROM deadline d JOIN dossier s ON s.id = d.dossier_id "
            "WHERE d.closed_at IS NOT NULL AND s.state = 'closed' LIMIT 1",
        )
        tamper(copy, "UPDATE deadline SET closed_at = NULL WHERE id = :id", id=deadline_id)
        tamper(copy, "UPDATE dossier SET data = json_set(data, '$.pregnant', 1) WHERE id = :id", id=dossier_id)

        fields = {m.field: m.problem for m in verify_state(copy.engine).mismatches}

        assert fields[f"deadline.{key}"] == f"open deadline '{key}' is not on the chain"
        assert fields["data.pregnant"] == "fact 'pregnant' is not on the chain"

    def test_rehab_audit_verify_prints_each_difference_and_exits_1(
        self, copy: Runtime, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        dossier_id, state = one(copy, "SELECT id, state FROM dossier WHERE state = 'in_facility' ORDER BY id LIMIT 1")
        tamper(copy, "UPDATE dossier SET state = 'closed', version = version + 1 WHERE id = :id", id=dossier_id)
        monkeypatch.setenv("REHAB_DATABASE_URL", str(copy.db.url))

        everything = runner.invoke(app, ["audit", "verify"])
        only_this = runner.invoke(app, ["audit", "verify", "--dossier", str(dossier_id)])
        another = runner.invoke(app, ["audit", "verify", "--dossier", str(dossier_id + 1)])
        chains_only = runner.invoke(app, ["audit", "verify", "--chain-only"])

        assert everything.exit_code == only_this.exit_code == 1
        assert f"DIFFERS: dossier {dossier_id}: state is 'closed', the chain says '{state}'" in everything.output
        assert f"DIFFERS: dossier {dossier_id}: version is" in only_this.output
        assert another.exit_code == 0 and chains_only.exit_code == 0  # the hash chains themselves are intact


@pytest.fixture
def journeys(db_url: str) -> Iterator[tuple[Runtime, Clock, list[int]]]:
    """Every way a dossier's row changes: an Excel import, steps, a court handed to its successor, an earlier
    episode entered from paper records, an identity correction, a refused step."""
    rt, clock = make_runtime(db_url, datetime(2024, 10, 1, 2, tzinfo=UTC))
    imported = import_workbook(rt.engine, template_workbook([IMPORTED]), Actor("nhap.excel", None, "admin"))
    clock.now = datetime(2025, 5, 26, 2, tzinfo=UTC)
    before_court = open_case(rt, clock, clock.today)
    to_session(before_court, court="district_court")
    clock.now = datetime(2025, 7, 2, 2, tzinfo=UTC)
    reassign(rt.db, f"{D}.district_court", actor="admin.tinh", basis="Nghị quyết 81/2025/UBTVQH15", now=clock.now)
    in_facility = open_case(rt, clock, clock.today)
    rt.engine.record_episode(int(in_facility.row.person_id), EPISODE, Actor("user.cp", None, "admin"))
    to_facility(in_facility, 12)
    rt.engine.correct_identity(int(in_facility.row.person_id), {"sex": "female"}, Actor("admin", None, "admin"))
    with rt.db.connect() as conn:
        first = conn.execute(select(DOSSIER.c.id).where(DOSSIER.c.code == imported.imported[0])).scalar_one()
    ids = [first, before_court.id, in_facility.id]
    yield rt, clock, ids
    rt.db.dispose()


class TestEveryKindOfEntry:
    def test_imported_stepped_reassigned_and_corrected_dossiers_follow_from_their_chains(
        self, journeys: tuple[Runtime, Clock, list[int]]
    ) -> None:
        rt, _, ids = journeys

        report = verify_state(rt.engine)

        assert report.dossiers == len(ids)
        assert found(report) == []

    def test_a_state_and_a_term_end_changed_by_sql_are_reported(
        self, journeys: tuple[Runtime, Clock, list[int]]
    ) -> None:
        rt, _, ids = journeys
        in_facility = Case(rt, journeys[1], ids[-1])
        term = in_facility.deadline("term")
        with rt.db.begin() as conn:
            conn.execute(DOSSIER.update().where(DOSSIER.c.id == ids[-1]).values(state="closed"))
            conn.execute(DEADLINE.update().where(DEADLINE.c.id == term.id).values(due_on=date(2040, 1, 1)))

        fields = {m.field for m in verify_state(rt.engine).mismatches if m.dossier_id == ids[-1]}

        assert fields == {"state", "deadline.term.due_on"}
        with rt.db.connect() as conn:
            assert conn.execute(select(DOSSIER.c.state).where(DOSSIER.c.id == ids[0])).scalar_one() == "in_facility"


class TestTheProcuracysAuditPageAndApi:
    def test_the_api_and_the_page_name_the_dossier_changed_behind_the_engine(self, tmp_path: Path) -> None:
        from tests.integration.test_api import as_, client_for, sign_in

        with client_for(tmp_path) as (client, journey):
            journey.step("request_determination", "commune_police")
            clean = client.get(f"/api/v1/audit/verify?dossier={journey.dossier_id}", auth=as_("vks")).json()
            tamper(journey.rt, "UPDATE dossier SET state = 'closed' WHERE id = :id", id=journey.dossier_id)

            answer = client.get("/api/v1/audit/verify", auth=as_("vks")).json()
            sign_in(client, "vks")
            page = html.unescape(client.get("/audit?verify=1").text)

        assert clean["ok"] is True and clean["differences"] == []
        expected = f"dossier {journey.dossier_id}: state is 'closed', the chain says 'determination_requested'"
        assert answer["ok"] is False and answer["first_break"] is None  # the chain itself is intact
        assert answer["differences"] == [expected] and answer["differences_found"] == 1
        assert "Hồ sơ <strong>KHÔNG khớp</strong> với nhật ký" in page and expected in page
