"""`rehab reference import FILE`: a deployment's areas and agencies from a file, checked whole, idempotent."""

from __future__ import annotations

import json
import tomllib
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from admin.cli import app
from demo.reference import DIEN_BIEN_FILE
from tests.journeys import Clock, attachments, doc
from workflow import queries
from workflow.engine import Actor
from workflow.errors import OutsideJurisdiction
from workflow.reference import ReferenceInvalid, import_file, import_reference
from workflow.runtime import Runtime
from workflow.settings import Settings
from workflow.sweep import sweep
from workflow.tables import Agency, Area, Deadline, Outbox

runner = CliRunner()
AREA, AGENCY, DEADLINE, OUTBOX = Area.__table__, Agency.__table__, Deadline.__table__, Outbox.__table__
DAK_LAK_FILE = DIEN_BIEN_FILE.with_name("dak-lak.toml")
TAN_LAP = "dak-lak.phuong-tan-lap"


def counts(rt: Runtime) -> tuple[int, int]:
    with rt.db.connect() as conn:
        areas = conn.execute(select(func.count()).select_from(AREA)).scalar_one()
        return areas, conn.execute(select(func.count()).select_from(AGENCY)).scalar_one()


@pytest.fixture
def empty(db_url: str) -> Iterator[tuple[Runtime, Clock]]:
    clock = Clock(datetime(2026, 3, 2, 2, tzinfo=UTC))
    rt = Runtime.build(Settings(database_url=db_url), clock=clock, migrate_db=True)
    yield rt, clock
    rt.db.dispose()


def bad_file() -> dict[str, Any]:
    """The demo file with four mistakes in four rows."""
    data = tomllib.loads(DIEN_BIEN_FILE.read_text(encoding="utf-8"))
    data["areas"][1]["parent"] = "dien-bien.nowhere"
    data["areas"][2]["valid_to"] = date(2025, 1, 1)
    data["areas"][3]["official_code"] = "3253"
    data["agencies"][0]["type"] = "people_committee"
    return data


class TestImport:
    def test_loads_the_demo_province_and_a_second_import_changes_nothing(self, empty: tuple[Runtime, Clock]) -> None:
        rt, _ = empty
        with rt.db.begin() as conn:
            first = import_file(conn, DIEN_BIEN_FILE)
        with rt.db.begin() as conn:
            second = import_file(conn, DIEN_BIEN_FILE)

        assert counts(rt) == (30, 68) and len(first.areas_added) == 30 and len(first.agencies_added) == 68
        assert second.changed == 0 and second.unchanged == 98
        with rt.db.connect() as conn:
            row = conn.execute(select(AREA).where(AREA.c.code == "dien-bien.tuan-giao.quai-cang")).one()
        assert (row.official_code, row.valid_to, row.successor_code) == (
            "03289",
            date(2025, 6, 30),
            "dien-bien.xa-tuan-giao",
        )

    def test_a_changed_row_is_updated_and_reported(self, empty: tuple[Runtime, Clock]) -> None:
        rt, _ = empty
        data = tomllib.loads(DIEN_BIEN_FILE.read_text(encoding="utf-8"))
        with rt.db.begin() as conn:
            import_reference(conn, data)
        data["agencies"][1]["name_vi"] = "Công an tỉnh Điện Biên"
        with rt.db.begin() as conn:
            report = import_reference(conn, data)

        assert report.agencies_updated == ["dien-bien.provincial_police"] and report.changed == 1
        assert rt.engine.directory().name("dien-bien.provincial_police") == "Công an tỉnh Điện Biên"

    def test_a_bad_file_names_every_problem_by_row_and_field_and_imports_nothing(
        self, empty: tuple[Runtime, Clock]
    ) -> None:
        rt, _ = empty
        with pytest.raises(ReferenceInvalid) as raised, rt.db.begin() as conn:
            import_reference(conn, bad_file(), "dien-bien.toml")

        assert [str(p) for p in raised.value.problems] == [
            "areas[code=dien-bien.tuan-giao].parent: unknown area 'dien-bien.nowhere'",
            "areas[code=dien-bien.khu-vuc-tuan-giao].valid_to: 2025-01-01 is before valid_from 2025-07-01",
            "areas[code=dien-bien.tuan-giao.tuan-giao].official_code: '3253': a commune code has 5 digits",
            "agencies[id=dien-bien.provincial_committee].type: 'people_committee' is not an agency type "
            "(commune_police, commune_committee, health_facility, justice_office, labour_office, district_court, "
            "regional_court, provincial_court, procuracy, district_police, provincial_police, facility, "
            "district_committee, provincial_committee)",
        ]
        assert counts(rt) == (0, 0)

    def test_a_successor_must_be_in_office_the_day_after_the_end(self, empty: tuple[Runtime, Clock]) -> None:
        rt, _ = empty
        data = tomllib.loads(DIEN_BIEN_FILE.read_text(encoding="utf-8"))
        new_tuan_giao = next(a for a in data["areas"] if a["code"] == "dien-bien.xa-tuan-giao")
        new_tuan_giao["valid_from"] = date(2025, 9, 1)

        with pytest.raises(ReferenceInvalid) as raised, rt.db.begin() as conn:
            import_reference(conn, data)

        assert (
            "areas[code=dien-bien.tuan-giao.quai-cang].successor: 'dien-bien.xa-tuan-giao' is not in office on "
            "2025-07-01 (the day after valid_to)" in [str(p) for p in raised.value.problems]
        )
        assert counts(rt) == (0, 0)

    def test_a_json_file_loads_as_its_toml_twin(self, empty: tuple[Runtime, Clock], tmp_path: Path) -> None:
        rt, _ = empty
        data = tomllib.loads(DIEN_BIEN_FILE.read_text(encoding="utf-8"))
        twin = tmp_path / "dien-bien.json"
        twin.write_text(json.dumps(data, default=str, ensure_ascii=False), encoding="utf-8")
        with rt.db.begin() as conn:
            import_file(conn, twin)
        with rt.db.begin() as conn:
            again = import_file(conn, DIEN_BIEN_FILE)

        assert counts(rt) == (30, 68) and again.changed == 0


class TestCommand:
    def test_imports_then_reports_nothing_to_change(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("REHAB_DATABASE_URL", f"sqlite:///{tmp_path}/ref.db")

        first = runner.invoke(app, ["reference", "import", str(DIEN_BIEN_FILE)])
        second = runner.invoke(app, ["reference", "import", str(DIEN_BIEN_FILE)])

        assert first.exit_code == 0 and "areas: 30 added, 0 updated; agencies: 68 added" in first.output
        assert second.exit_code == 0 and "0 added, 0 updated; 98 unchanged" in second.output

    def test_a_bad_file_exits_1_listing_every_problem_and_imports_nothing(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setenv("REHAB_DATABASE_URL", f"sqlite:///{tmp_path}/ref.db")
        bad = tmp_path / "bad.json"
        bad.write_text(json.dumps(bad_file(), default=str, ensure_ascii=False), encoding="utf-8")

        result = runner.invoke(app, ["reference", "import", str(bad)])
        check = runner.invoke(app, ["reference", "import", "--check", str(DIEN_BIEN_FILE)])

        assert result.exit_code == 1 and "4 problem(s), nothing imported" in result.output
        assert "areas[code=dien-bien.tuan-giao].parent: unknown area 'dien-bien.nowhere'" in result.output
        assert check.exit_code == 0 and "check only, nothing imported" in check.output
        assert runner.invoke(app, ["reference", "import", str(DIEN_BIEN_FILE)]).output.count("68 added") == 1

    @pytest.mark.parametrize(
        ("content", "message"),
        [("[[areas]\ncode=", "syntax"), ('areas = "none"', "areas.row: Input should be a valid list")],
        ids=["not-toml", "wrong-shape"],
    )
    def test_an_unreadable_file_is_one_clear_error(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, content: str, message: str
    ) -> None:
        monkeypatch.setenv("REHAB_DATABASE_URL", f"sqlite:///{tmp_path}/ref.db")
        bad = tmp_path / "bad.toml"
        bad.write_text(content, encoding="utf-8")

        result = runner.invoke(app, ["reference", "import", str(bad)])

        assert result.exit_code == 1 and message in result.output


class TestSecondProvince:
    """Buôn Ma Thuột (Đắk Lắk) beside the demo's Điện Biên: its own agencies, deadlines and readers."""

    @pytest.fixture
    def both(self, empty: tuple[Runtime, Clock]) -> tuple[Runtime, Clock]:
        rt, clock = empty
        with rt.db.begin() as conn:
            import_file(conn, DIEN_BIEN_FILE)
            import_file(conn, DAK_LAK_FILE)
        rt.engine.reload_directory()
        return rt, clock

    def test_a_dossier_there_is_advanced_by_its_own_agencies_which_own_its_deadlines(
        self, both: tuple[Runtime, Clock]
    ) -> None:
        rt, clock = both
        police = Actor("cax.tanlap", f"{TAN_LAP}.commune_police")
        opened = rt.engine.open_dossier(
            person={"full_name": "Y Bhin Niê", "id_number": "066090001234", "birth_date": "1990-05-01"},
            commune_code="dak-lak.buon-ma-thuot.tan-hoa",  # the person's papers name the ward merged in 2025
            violation=doc("3/BB-VPHC", clock.today),
            actor=police,
            facts={},
        )
        dossier = opened.dossier_id
        assert dossier is not None
        rt.engine.fire(dossier, "request_determination", police, {"document": doc("4/CV", clock.today)})
        clock.advance(days=2)
        health = Actor("yte.buonmathuot", "dak-lak.buon-ma-thuot.health_facility")
        rt.engine.fire(
            dossier,
            "record_determination",
            health,
            {"document": doc("5/KQ", clock.today), "determination_outcome": "addicted"},
        )
        clock.advance(days=1)
        rt.engine.fire(
            dossier,
            "notify_person",
            police,
            {
                "document": doc("6/TB", clock.today),
                "grounds": "no_voluntary_rehab",
                "attachments": attachments(clock.today),
            },
        )

        with rt.db.connect() as conn:
            owners = set(conn.execute(select(DEADLINE.c.agency_id).where(DEADLINE.c.dossier_id == dossier)).scalars())
        directory = rt.engine.directory()
        assert rt.engine.directory().province_of(TAN_LAP) == "dak-lak"
        assert owners and {directory.agency_province(a) for a in owners} == {"dak-lak"}
        entries = len(queries.history(rt.db, dossier))
        with pytest.raises(OutsideJurisdiction):  # another province's agency: 403, kept off this dossier's chain
            rt.engine.fire(dossier, "send_to_labour", Actor("cax.xatuangiao", "dien-bien.xa-tuan-giao.commune_police"))
        assert len(queries.history(rt.db, dossier)) == entries
        late = clock.now + timedelta(days=60)  # every deadline overdue and escalated
        assert sweep(rt.db, rt.calendar, rt.settings, late) > 0
        with rt.db.connect() as conn:
            told = set(conn.execute(select(OUTBOX.c.agency_id).where(OUTBOX.c.dossier_id == dossier)).scalars())
        assert told and {directory.agency_province(a) for a in told} == {"dak-lak"}

    def test_each_provinces_agencies_serve_only_its_own_communes(self, both: tuple[Runtime, Clock]) -> None:
        rt, _ = both
        directory = rt.engine.directory()

        dien_bien = directory.communes_served("dien-bien.procuracy")
        dak_lak = directory.communes_served("dak-lak.procuracy")

        assert dien_bien and dak_lak and not dien_bien & dak_lak
        assert {directory.province_of(c) for c in dien_bien} == {"dien-bien"}
        assert {directory.province_of(c) for c in dak_lak} == {"dak-lak"}
        assert directory.resolve("facility", TAN_LAP, date(2026, 3, 2)) == "dak-lak.facility"
        assert directory.resolve("regional_court", TAN_LAP, date(2026, 3, 2)) == "dak-lak.regional_court.buon-ma-thuot"


def test_a_successor_named_by_reassignment_survives_a_new_import(tmp_path: Path) -> None:
    from workflow.agencies import reassign

    rt = Runtime.build(Settings(database_url=f"sqlite:///{tmp_path}/r.db"), migrate_db=True)
    with rt.db.begin() as conn:
        import_file(conn, DIEN_BIEN_FILE)
    office, heir = "dien-bien.tuan-giao.justice_office", "dien-bien.xa-tuan-giao.commune_committee"
    reassign(
        rt.db,
        office,
        actor="admin",
        basis="NĐ 120/2025/NĐ-CP",
        now=datetime(2025, 7, 2, 2, tzinfo=UTC),
        successor_id=heir,
    )

    with rt.db.begin() as conn:
        again = import_file(conn, DIEN_BIEN_FILE)

    assert again.changed == 0
    assert rt.engine.directory().agencies[office].successor_id == heir
    rt.db.dispose()
