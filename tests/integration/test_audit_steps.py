"""The legal audit of 2026-12-01, driven through the engine on SQLite and PostgreSQL: one test per row."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from demo.reference import commune_code
from tests.journeys import COMMUNE, Journey, actor, doc, make_runtime
from workflow.engine import Actor
from workflow.errors import StepRefused
from workflow.tables import Dossier

PERSON = {"full_name": "Lò Văn Minh", "id_number": "011090001234", "birth_date": "1990-05-01"}
OTHER_COMMUNE = commune_code("Xã Quài Nưa")


def _runtime(db_url: str, when: datetime):  # type: ignore[no-untyped-def]
    return make_runtime(db_url, when)


def _open(rt, clock, who: Actor, *, commune: str = COMMUNE, person=PERSON, **facts):  # type: ignore[no-untyped-def]
    return rt.engine.open_dossier(
        person=person, commune_code=commune, violation=doc("12/BB-VPHC", clock.today), actor=who, facts=facts
    )


class TestOpening:
    def test_audit_3_1_an_abolished_district_police_cannot_open_a_dossier(self, db_url: str) -> None:
        rt, clock = _runtime(db_url, datetime(2025, 4, 1, 2, tzinfo=UTC))
        try:
            with pytest.raises(StepRefused) as refused:
                _open(rt, clock, actor("district_police"))

            assert [r["code"] for r in refused.value.result.refusals] == ["actor.not_in_office"]
            assert "01/04/2025" in refused.value.result.refusals[0]["reason_vi"]
            opened = _open(rt, clock, Actor("user.pc04", "dien-bien.provincial_police"))
            assert opened.applied
        finally:
            rt.db.dispose()

    def test_audit_3_1_only_an_agency_covering_the_commune_may_open_its_dossier(self, db_url: str) -> None:
        rt, clock = _runtime(db_url, datetime(2023, 3, 1, 2, tzinfo=UTC))
        try:
            other_police = Actor("user.cax.quainua", f"{OTHER_COMMUNE}.commune_police")
            with pytest.raises(StepRefused) as refused:
                _open(rt, clock, other_police)

            assert [r["code"] for r in refused.value.result.refusals] == ["actor.outside_jurisdiction"]
            assert _open(rt, clock, other_police, commune=OTHER_COMMUNE).applied
            with rt.db.connect() as conn:
                assert conn.execute(select(Dossier.__table__.c.id)).all().__len__() == 1  # type: ignore[attr-defined]
        finally:
            rt.db.dispose()


class TestVn2014:
    def test_audit_2_1_vn2014_dossier_cannot_be_opened_for_a_15_year_old(self, db_url: str) -> None:
        rt, clock = _runtime(db_url, datetime(2019, 3, 4, 2, tzinfo=UTC))
        try:
            teen = {**PERSON, "id_number": "011204001111", "birth_date": "2004-01-15"}
            with pytest.raises(StepRefused) as refused:
                _open(rt, clock, actor("commune_police"), person=teen)

            assert [r["code"] for r in refused.value.result.refusals] == ["eligibility.under_18"]
            assert "Điều 96 khoản 1" in refused.value.result.refusals[0]["basis"]
            assert _open(rt, clock, actor("commune_police")).applied  # an adult, same day
        finally:
            rt.db.dispose()

    def test_audit_2_1_vn2014_the_commune_police_do_not_compile(self, db_url: str) -> None:
        rt, clock = _runtime(db_url, datetime(2019, 3, 4, 2, tzinfo=UTC))
        try:
            j = Journey(rt, clock, _open(rt, clock, actor("commune_police"), stable_residence=False).dossier_id)
            j.step("request_determination", "commune_police")
            j.step("record_determination", "health_facility", {"determination_outcome": "addicted"}, days=2)
            from tests.journeys import attachments

            body = {
                "grounds": "no_stable_residence",
                "attachments": [
                    *attachments(clock.today),
                    {"type": "residence_confirmation", "number": "3/XN", "date": clock.today.isoformat()},
                ],
            }
            with pytest.raises(StepRefused) as refused:
                j.step("notify_person", "commune_police", body, days=1)
            assert [r["code"] for r in refused.value.result.refusals] == ["actor.not_authorised"]
            j.step("notify_person", "commune_committee", body)
            assert j.state == "person_reading"
        finally:
            rt.db.dispose()
