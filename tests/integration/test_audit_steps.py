"""The legal audit of 2026-12-01, driven through the engine on SQLite and PostgreSQL: one test per row."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from demo.reference import commune_code
from tests.journeys import COMMUNE, Journey, actor, doc, in_office, make_runtime
from workflow.engine import Actor
from workflow.errors import StepRefused
from workflow.queries import history
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


# --------------------------------------------------------------------------- steps the law has (§1.1, §1.3)

FACILITY_NAME = {"facility_name": "Cơ sở cai nghiện ma túy tỉnh Điện Biên"}


def _row(rt, dossier_id: int):  # type: ignore[no-untyped-def]
    with rt.db.connect() as conn:
        return conn.execute(select(Dossier.__table__).where(Dossier.__table__.c.id == dossier_id)).one()  # type: ignore[attr-defined]


def _escort_deadline(rt, dossier_id: int):  # type: ignore[no-untyped-def]
    from workflow.tables import Deadline

    table = Deadline.__table__  # type: ignore[attr-defined]
    with rt.db.connect() as conn:
        return conn.execute(
            select(table).where(table.c.dossier_id == dossier_id, table.c.key == "escort", table.c.closed_at.is_(None))
        ).one()


@pytest.fixture
def world(journey_runtime):  # type: ignore[no-untyped-def]
    rt, clock = journey_runtime
    return rt, clock, Journey(rt, clock, _open(rt, clock, actor("commune_police")).dossier_id)


def _codes(refused: pytest.ExceptionInfo[StepRefused]) -> list[str]:
    return [r["code"] for r in refused.value.result.refusals]


def _to_facility(j: Journey) -> None:
    from tests.journeys import to_court_decision

    to_court_decision(j, term=12)
    j.step("end_complaint_period", "district_court", days=10)
    j.step("record_escort", "district_police", FACILITY_NAME, days=2)


class TestInFacility:
    def test_audit_1_1_term_suspended_for_pregnancy_after_admission_moves_the_end(self, world) -> None:  # type: ignore[no-untyped-def]
        """NĐ 116/2021 art. 58: the court suspends the rest of the term; the days suspended are not served."""
        rt, clock, j = world
        _to_facility(j)
        admitted = clock.today

        with pytest.raises(StepRefused) as bad_ground:
            j.step("suspend_term", "district_court", {"ground": "homesick"}, days=30)
        assert _codes(bad_ground) == ["term_suspension.ground_invalid"]
        j.step("suspend_term", "district_court", {"ground": "pregnant"})
        assert j.state == "term_suspended"
        j.step("resume_term", "district_court", days=20)
        assert (j.state, _row(rt, j.dossier_id).data["days_term_suspended"]) == ("in_facility", 20)

        clock.now = clock.now.replace(year=admitted.year + 1, month=admitted.month, day=admitted.day)
        with pytest.raises(StepRefused) as early:
            j.step("record_completion", "facility")
        assert _codes(early) == ["term.not_served"]
        j.step("record_completion", "facility", days=20)
        assert j.state == "completion_certified"

    def test_audit_1_1_rest_of_term_exempted_closes_the_dossier(self, world) -> None:  # type: ignore[no-untyped-def]
        rt, clock, j = world
        _to_facility(j)
        j.step("suspend_term", "district_court", {"ground": "long_term_illness"}, days=40)
        j.step("exempt_remainder", "district_court", {"reason": "Bệnh hiểm nghèo"}, days=60)

        row = _row(rt, j.dossier_id)
        assert (row.state, row.closing_reason) == ("closed", "exempted")
        assert row.data["suspension_periods"][-1][1] is not None


class TestPendingManagement:
    def test_audit_1_1_time_managed_at_a_facility_while_pending_is_deducted_from_the_term(self, world) -> None:  # type: ignore[no-untyped-def]
        """Mẫu 36 at a facility from compiling to the escort; art. 44(3) deducts it; home needs Mẫu 35."""
        rt, clock, j = world
        j.step("request_determination", "commune_police")
        j.step("record_determination", "health_facility", {"determination_outcome": "addicted"}, days=2)
        with pytest.raises(StepRefused) as no_commitment:
            j.step("decide_pending_management", "commune_committee", {"management_place": "home"})
        assert _codes(no_commitment) == ["pending_management.not_fitting"]
        home = {
            "management_place": "home",
            "attachments": [{"type": "family_commitment", "number": "1/CK", "date": clock.today.isoformat()}],
        }
        j.step("decide_pending_management", "commune_committee", home)
        j.step(
            "decide_pending_management",
            "commune_committee",
            {"management_place": "facility", "facility_reason": "absconded_from_home"},
            days=3,
        )
        managed_from = clock.today
        _to_facility_from_compiling(j)
        row = _row(rt, j.dossier_id)
        days = (clock.today - managed_from).days

        assert row.data["pending_facility_periods"] == [[managed_from.isoformat(), clock.today.isoformat()]]
        assert row.data["days_managed_at_facility_pending"] == days > 0
        from handlers.calendar import add_months

        clock.now += (add_months(clock.today, 12) - clock.today) - timedelta(days + 1)  # the day before the end
        with pytest.raises(StepRefused):
            j.step("record_completion", "facility")
        j.step("record_completion", "facility", days=1)


def _to_facility_from_compiling(j: Journey) -> None:
    from tests.journeys import attachments

    j.step(
        "notify_person",
        "commune_committee",
        {"grounds": "no_voluntary_rehab", "attachments": attachments(j.clock.today)},
        days=1,
    )
    j.step("send_to_labour", "commune_committee", days=7)
    j.step("propose_to_court", "labour_office", FACILITY_NAME, days=1)
    j.step("accept", "district_court", {"complicated": False}, days=1)
    j.step("open_session", "district_court", {"session_on": (j.clock.today + timedelta(days=5)).isoformat()}, days=2)
    j.step("decide", "district_court", {"outcome": "apply", "term_months": 12}, days=5)
    j.step("end_complaint_period", "district_court", days=10)
    j.step("record_escort", "district_police", FACILITY_NAME, days=2)


class TestEscort:
    def test_audit_1_1_force_majeure_restarts_the_escort_period(self, world) -> None:  # type: ignore[no-untyped-def]
        """NĐ 116/2021 art. 54(3): the 5 days run again from the day the force majeure ended."""
        from tests.journeys import to_court_decision

        rt, clock, j = world
        to_court_decision(j)
        j.step("end_complaint_period", "district_court", days=10)
        began = clock.today + timedelta(days=1)
        j.step(
            "restart_escort",
            "district_police",
            {"force_majeure_from": began.isoformat(), "reason": "Lũ quét chia cắt đường"},
            days=12,
        )

        due = _escort_deadline(rt, j.dossier_id).due_on
        assert due >= clock.today + timedelta(days=5)
        assert j.state == "awaiting_escort"


class TestMinors:
    def test_audit_1_3_a_minors_parent_or_guardian_is_notified_and_may_read(self, journey_runtime) -> None:  # type: ignore[no-untyped-def]
        """PCMT art. 34(2): the parent, guardian or representative is notified and may read for 3 working days."""
        from tests.journeys import attachments

        rt, clock = journey_runtime
        teen = {**PERSON, "id_number": "011207001111", "birth_date": "2007-01-15"}
        j = Journey(rt, clock, _open(rt, clock, actor("commune_police"), person=teen).dossier_id)
        j.step("request_determination", "commune_police")
        j.step("record_determination", "health_facility", {"determination_outcome": "addicted"}, days=2)
        body = {"grounds": "no_voluntary_rehab", "attachments": attachments(clock.today)}
        with pytest.raises(StepRefused) as no_parent:
            j.step("notify_person", "commune_committee", body, days=1)
        assert _codes(no_parent) == ["minor.guardian_not_notified"]

        notified = {
            **body,
            "document": doc("4/TB-UBND", date(2023, 3, 10)),
            "notice_received_on": "2023-03-10",  # the person: reading until 15/03
            "guardian_notice_received_on": "2023-03-14",  # the mother, later: reading until 17/03
        }
        j.step("notify_person", "commune_committee", notified, days=10)
        with pytest.raises(StepRefused) as reading:
            j.step("send_to_labour", "commune_committee", days=2)
        assert _codes(reading) == ["minor.guardian_reading_period_running"]
        assert "17/03/2023" in reading.value.result.refusals[0]["reason_vi"]
        j.step("send_to_labour", "commune_committee", days=2)

        with pytest.raises(StepRefused) as mau_39:
            j.step("propose_to_court", "labour_office", FACILITY_NAME, days=1)
        assert _codes(mau_39) == ["minor.proposal_incomplete"]
        j.step(
            "propose_to_court",
            "labour_office",
            {**FACILITY_NAME, "family_situation_stated": True, "child_protection_plan_stated": True},
        )
        assert j.state == "court_received"


class TestLateExclusion:
    def test_audit_1_3_an_exclusion_learned_after_opening_is_recorded_and_routes_the_dossier(self, world) -> None:  # type: ignore[no-untyped-def]
        """Before the court the dossier stops; at the court the measure cannot be applied; after the decision
        a pregnancy stops the escort (exemption, NĐ 116/2021 art. 57(3))."""
        rt, clock, j = world
        j.step("request_determination", "commune_police")
        with pytest.raises(StepRefused) as nothing:
            j.step("record_exclusion", "commune_committee", {"sole_carer": True})
        assert _codes(nothing) == ["exclusion.not_established"]
        child = {"child_birth_date": "2022-11-02", "sole_carer": True}
        j.step("record_exclusion", "commune_committee", child, days=1)
        row = _row(rt, j.dossier_id)
        assert (row.state, row.closing_reason) == ("closed", "not_eligible")

        k = Journey(
            rt,
            clock,
            _open(rt, clock, actor("commune_police"), person={**PERSON, "id_number": "011090009999"}).dossier_id,
        )
        from tests.journeys import to_court_acceptance

        to_court_acceptance(k)
        k.step("open_session", "district_court", {"session_on": (clock.today + timedelta(days=5)).isoformat()}, days=2)
        k.step("record_exclusion", "district_court", child)
        assert k.state == "session_scheduled"
        with pytest.raises(StepRefused) as decide:
            k.step("decide", "district_court", {"outcome": "apply", "term_months": 12}, days=5)
        assert "eligibility.sole_carer_of_infant" in _codes(decide)
        k.step("decide", "district_court", {"outcome": "reject"})
        assert _row(rt, k.dossier_id).closing_reason == "court_rejected"
        log = [e for e in history(rt.db, k.dossier_id) if e["event"] == "record_exclusion"]
        assert log[0]["payload"]["child_birth_date"] == "(ẩn)"  # a child's birth date stays off the chain


class TestVn2026:
    def test_audit_4_vn2026_dossier_on_the_monitoring_breach_ground_can_be_compiled(self, db_url: str) -> None:
        from tests.journeys import attachments

        rt, clock = _runtime(db_url, datetime(2026, 8, 4, 2, tzinfo=UTC))
        try:
            from tests.regime_cases import Case, open_case

            case: Case = open_case(rt, clock, clock.today)
            case.step("request_determination", "commune_police")
            case.step("record_determination", "health_facility", {"determination_outcome": "addicted"}, days=2)
            case.step(
                "notify_person",
                "commune_police",
                {"grounds": "monitoring_breach", "attachments": attachments(clock.today)},
                days=1,
            )
            assert case.row.state == "person_reading"
        finally:
            rt.db.dispose()

    def test_audit_4_vn2026_track_follows_the_age_at_the_violation_after_user_management(self, db_url: str) -> None:
        """Managed at 17, violation recorded at 18: the dossier is an adult's and can advance."""
        rt, clock = _runtime(db_url, datetime(2026, 8, 4, 2, tzinfo=UTC))
        try:
            from tests.regime_cases import Case

            seventeen = {**PERSON, "id_number": "011208007777", "birth_date": "2008-09-01"}
            opened = rt.engine.open_dossier(
                person=seventeen,
                commune_code=COMMUNE,
                violation={**doc("5/QĐ-CAX", date(2026, 8, 4)), "type": "user_management_decision"},
                actor=in_office(rt, clock.today, actor("commune_police")),
                facts={"positive_test_on": "2026-08-03"},
                start_state="drug_user_management",
            )
            case = Case(rt, clock, int(opened.dossier_id or 0))
            assert case.row.track == "minor"
            case.step("escort_to_drug_test", "commune_police", days=10)  # art. 23: a refused test
            case.step("record_violation", "commune_police", days=40)
            assert (case.row.track, clock.today > date(2026, 9, 1)) == ("adult", True)
            case.step("request_determination", "commune_police", days=1)
            assert case.row.state == "determination_requested"
        finally:
            rt.db.dispose()
