"""Audit row 8, today's map: the communes merged on 01/07/2025 (NQ 1661/NQ-UBTVQH15) as dated areas with
successors, their police and committees with successors too."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from demo.reference import commune_2025_code, commune_code
from tests.journeys import Clock, Journey, attachments, make_runtime, open_adult, to_supervision
from workflow import queries
from workflow.agencies import reassign
from workflow.engine import Actor
from workflow.errors import StepRefused
from workflow.runtime import Runtime
from workflow.tables import Area, Deadline, Dossier

AREA, DEADLINE, DOSSIER = Area.__table__, Deadline.__table__, Dossier.__table__
QUAI_CANG, TUAN_GIAO = commune_code("Xã Quài Cang"), commune_2025_code("Xã Tuần Giáo")
OLD_POLICE, NEW_POLICE = f"{QUAI_CANG}.commune_police", f"{TUAN_GIAO}.commune_police"
BASIS = "Nghị quyết 1661/NQ-UBTVQH15"


@pytest.fixture
def june_2025(db_url: str) -> Iterator[tuple[Runtime, Clock]]:
    rt, clock = make_runtime(db_url, datetime(2025, 6, 16, 2, tzinfo=UTC))
    yield rt, clock
    rt.db.dispose()


def row(rt: Runtime, dossier_id: int) -> object:
    with rt.db.connect() as conn:
        return conn.execute(select(DOSSIER).where(DOSSIER.c.id == dossier_id)).one()


class TestTodaysMap:
    def test_audit_8_a_dossier_opened_today_names_todays_commune_and_agency(
        self, june_2025: tuple[Runtime, Clock]
    ) -> None:
        rt, clock = june_2025
        clock.now = datetime(2026, 3, 2, 2, tzinfo=UTC)

        opened = open_adult(rt, clock)  # by today's Xã Tuần Giáo police; the person's papers still say Quài Cang

        dossier = row(rt, opened.dossier_id or 0)
        first = queries.history(rt.db, opened.dossier_id or 0)[0]
        assert (dossier.commune_code, dossier.agency_id) == (TUAN_GIAO, NEW_POLICE)  # type: ignore[attr-defined]
        assert (first["payload"]["commune_code"], first["payload"]["commune_named"]) == (TUAN_GIAO, QUAI_CANG)

    def test_audit_8_an_older_dossier_keeps_its_commune_and_the_new_communes_agencies_take_its_steps(
        self, june_2025: tuple[Runtime, Clock]
    ) -> None:
        rt, clock = june_2025
        journey = Journey(rt, clock, open_adult(rt, clock).dossier_id or 0)
        journey.step("request_determination", "commune_police")
        clock.now = datetime(2025, 7, 1, 2, tzinfo=UTC)

        journey.step("record_determination", "health_facility", {"determination_outcome": "addicted"})
        notice = {"grounds": "no_voluntary_rehab", "attachments": attachments(clock.today)}

        with pytest.raises(StepRefused, match="actor.outside_jurisdiction"):
            rt.engine.fire(
                journey.dossier_id,
                "notify_person",
                Actor("cax.quaicang", OLD_POLICE),
                {**notice, "document": {"number": "3/TB", "date": clock.today.isoformat()}},
            )
        compiling = row(rt, journey.dossier_id)
        journey.step("notify_person", "commune_police", notice)  # today's Xã Tuần Giáo police

        assert compiling.agency_id == NEW_POLICE  # type: ignore[attr-defined]  # compiling: today's commune police
        assert row(rt, journey.dossier_id).commune_code == QUAI_CANG  # type: ignore[attr-defined]
        assert journey.state == "person_reading"

    def test_audit_8_a_merged_communes_open_work_is_handed_over_once(self, june_2025: tuple[Runtime, Clock]) -> None:
        rt, clock = june_2025
        dossier_id = open_adult(rt, clock).dossier_id or 0
        clock.now = datetime(2025, 7, 2, 2, tzinfo=UTC)

        first = reassign(rt.db, OLD_POLICE, actor="admin", basis=BASIS, now=clock.now)
        second = reassign(rt.db, OLD_POLICE, actor="admin", basis=BASIS, now=clock.now)

        assert first.to_agency == NEW_POLICE and first.dossiers == (dossier_id,) and first.deadlines >= 1
        assert second.moved == 0
        with rt.db.connect() as conn:
            owners = set(conn.execute(select(DEADLINE.c.agency_id).where(DEADLINE.c.closed_at.is_(None))).scalars())
        assert owners == {NEW_POLICE} and row(rt, dossier_id).agency_id == NEW_POLICE  # type: ignore[attr-defined]
        handed = [e for e in queries.history(rt.db, dossier_id) if e["event"] == "reassign_agency"]
        assert [e["payload"]["to_agency"] for e in handed] == [NEW_POLICE]

    def test_audit_8_the_low_confidence_row_stays_marked_to_verify(self, june_2025: tuple[Runtime, Clock]) -> None:
        rt, _ = june_2025

        with rt.db.connect() as conn:
            rows = {r.code: r for r in conn.execute(select(AREA))}

        tua_chua = rows["dien-bien.xa-tua-chua"]
        assert (tua_chua.status, tua_chua.confidence) == ("◻", "low")
        assert rows[commune_code("Xã Nà Tòng")].successor_code == "dien-bien.xa-tua-chua"
        assert rows[commune_code("Xã Nà Tòng")].status == "◻"
        assert {r.status for r in rows.values() if r.valid_from == date(2025, 7, 1) and r.level == "commune"} == {"◻"}


def test_audit_8_every_old_unit_of_tuan_giao_has_a_2025_successor(tmp_path: Path) -> None:
    rt, _ = make_runtime(f"sqlite:///{tmp_path}/t.db")
    directory = rt.engine.directory()

    old = [a for a in directory.areas.values() if a.parent_code == "dien-bien.tuan-giao"]

    assert len(old) == 19
    assert all(directory.area_on(a.code, date(2025, 7, 1)).startswith("dien-bien.xa-") for a in old)
    assert all(directory.area_on(a.code, date(2025, 6, 30)) == a.code for a in old)
    rt.db.dispose()


def test_audit_8_moving_under_supervision_to_a_merged_commune_goes_to_the_commune_that_took_it_in(
    db_url: str,
) -> None:
    rt, clock = make_runtime(db_url, datetime(2024, 6, 3, 2, tzinfo=UTC))
    journey = Journey(rt, clock, open_adult(rt, clock).dossier_id or 0)
    to_supervision(journey, term=12)
    clock.now = max(clock.now, datetime(2025, 8, 1, 2, tzinfo=UTC))
    named = commune_code("Xã Pú Xi")  # the old address on the person's papers

    journey.step("record_move", "commune_police", {"moved_on": clock.today.isoformat(), "new_commune": named})
    journey.step("notify_move", "commune_police", days=2)

    dossier = row(rt, journey.dossier_id)
    moved_to = commune_2025_code("Xã Mường Mùn")
    assert dossier.commune_code == moved_to  # type: ignore[attr-defined]
    assert dossier.agency_id == f"{moved_to}.commune_committee"  # type: ignore[attr-defined]
    rt.db.dispose()
