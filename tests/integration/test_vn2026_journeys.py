"""What Law 120/2025 adds, driven through the engine: drug-user management, monitoring orders, minors at 18."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from demo.reference import commune_2025_code
from handlers.calendar import Unit
from notifications.messages import render
from tests.journeys import Clock, doc, in_office, make_runtime
from tests.regime_cases import COMMUNE, DEADLINE, DOSSIER, FACILITY, PERSON, Case, actor, open_case, to_session
from workflow.audit import verify_chain
from workflow.errors import InvalidInput, StepRefused
from workflow.runtime import Runtime
from workflow.sweep import sweep
from workflow.tables import Outbox

OUTBOX = Outbox.__table__
MINOR = {**PERSON, "id_number": "011209004321", "birth_date": "2009-03-10"}


@pytest.fixture
def world(tmp_path: Path) -> Iterator[tuple[Runtime, Clock]]:
    rt, clock = make_runtime(f"sqlite:///{tmp_path}/t.db", datetime(2026, 8, 4, 2, tzinfo=UTC))
    yield rt, clock
    rt.db.dispose()


def start_management(rt: Runtime, clock: Clock, decided: date, tested: str = "2026-08-03") -> Case:
    result = rt.engine.open_dossier(
        person=PERSON,
        commune_code=COMMUNE,
        actor=in_office(rt, clock.today, actor("commune_police")),
        violation={**doc("5/QĐ-CAX", decided), "type": "user_management_decision"},
        facts={"positive_test_on": tested},
        start_state="drug_user_management",
    )
    assert result.dossier_id is not None
    return Case(rt, clock, result.dossier_id)


def open_deadlines(rt: Runtime, case: Case) -> set[str]:
    with rt.db.connect() as conn:
        return set(
            conn.execute(
                select(DEADLINE.c.key).where(DEADLINE.c.dossier_id == case.id, DEADLINE.c.closed_at.is_(None))
            ).scalars()
        )


class TestDrugUserManagement:
    def test_starts_before_any_violation_record_and_lasts_a_year(self, world: tuple[Runtime, Clock]) -> None:
        rt, clock = world
        case = start_management(rt, clock, date(2026, 8, 4))

        assert (case.row.regime, case.row.state) == ("vn-2026", "drug_user_management")
        assert case.row.commune_code == commune_2025_code("Xã Tuần Giáo")  # Quài Cang is part of it since 7/2025
        assert case.row.agency_id == f"{commune_2025_code('Xã Tuần Giáo')}.commune_police"
        assert case.deadline("user_management_end").due_on == rt.calendar.period_end(date(2026, 8, 4), 1, Unit.YEARS)
        with pytest.raises(StepRefused, match="management.period_running"):
            case.step("end_user_management", "commune_police", days=300)
        case.step("end_user_management", "commune_police", days=70)
        assert (case.row.state, case.row.closing_reason) == ("closed", "management_completed")

    def test_refuses_a_decision_later_than_24_hours_after_the_test_and_opens_nothing(
        self, world: tuple[Runtime, Clock]
    ) -> None:
        rt, clock = world
        with pytest.raises(StepRefused, match="management.decided_out_of_time"):
            start_management(rt, clock, date(2026, 8, 4), tested="2026-08-01")
        with rt.db.connect() as conn:
            assert conn.execute(select(func.count()).select_from(DOSSIER)).scalar_one() == 0

    def test_cannot_start_under_a_regime_without_the_stage(self, world: tuple[Runtime, Clock]) -> None:
        rt, clock = world
        with pytest.raises(InvalidInput, match=r"^start_state: regime vn-2025, in force on 30/06/2026, has no"):
            start_management(rt, clock, date(2026, 6, 30), tested="2026-06-30")

    def test_a_move_opens_the_24_hour_notice_which_the_notice_closes(self, world: tuple[Runtime, Clock]) -> None:
        rt, clock = world
        case = start_management(rt, clock, date(2026, 8, 4))
        case.step(
            "record_move",
            "commune_police",
            # recorded from the person's own report the day they moved: nothing more to wait for from them
            {
                "moved_on": "2026-09-01",
                "new_commune": "dien-bien.tuan-giao.chieng-sinh",
                "move_reported_on": "2026-09-01",
            },
            days=28,
        )
        notice = case.deadline("move_notice")

        assert notice.due_at.replace(tzinfo=UTC) == clock.now + timedelta(hours=24)
        assert open_deadlines(rt, case) == {"user_management_end", "move_notice"}
        case.step("notify_move", "commune_police", days=1)
        assert open_deadlines(rt, case) == {"user_management_end"}

    def test_a_violation_record_moves_the_dossier_into_the_compulsory_procedure(
        self, world: tuple[Runtime, Clock]
    ) -> None:
        rt, clock = world
        case = start_management(rt, clock, date(2026, 8, 4))
        case.step("record_violation", "commune_police", days=20)
        case.step("request_determination", "commune_police", days=1)

        assert case.row.state == "determination_requested" and case.row.data["violation_on"] == "2026-08-24"
        assert verify_chain(rt.db).ok


def to_supervision(case: Case) -> None:
    to_session(case)
    case.step("decide", "regional_court", {"outcome": "apply", "term_months": 24}, days=5)
    case.step("end_complaint_period", "regional_court", days=10)
    case.step("record_escort", "provincial_police", FACILITY, days=2)
    case.step("record_completion", "facility", days=740)
    case.step("report_return", "commune_police", days=3)
    case.step("propose_post_rehab", "commune_police", days=1)
    case.step("decide_post_rehab", "commune_committee", days=1)


class TestElectronicMonitoring:
    def test_an_order_has_its_own_deadline_and_keeps_supervision_running(self, world: tuple[Runtime, Clock]) -> None:
        rt, clock = world
        case = open_case(rt, clock, date(2026, 8, 4))
        to_supervision(case)
        with pytest.raises(StepRefused, match="monitoring.length_out_of_range"):
            case.step("order_electronic_monitoring", "commune_police", {"monitoring_months": 30}, days=10)
        case.step("order_electronic_monitoring", "commune_police", {"monitoring_months": 12})
        first = case.deadline("monitoring")
        case.step("order_electronic_monitoring", "commune_police", {"monitoring_months": 18}, days=30)

        assert case.row.state == "post_rehab_supervision"
        assert first.due_on == rt.calendar.period_end(first.starts_on, 12, Unit.MONTHS)
        assert case.deadline("monitoring").id != first.id
        assert open_deadlines(rt, case) == {"supervision_end", "monitoring"}
        assert case.deadline("supervision_end").rule_id == "post_rehab.duration"


class TestMinors:
    def escorted(self, rt: Runtime, clock: Clock) -> Case:
        case = open_case(rt, clock, date(2026, 8, 4), person=MINOR)
        to_session(case)
        case.step("decide", "regional_court", {"outcome": "apply", "term_months": 12}, days=5)
        case.step("end_complaint_period", "regional_court", days=10)
        with pytest.raises(StepRefused, match="placement.not_for_age"):
            case.step("record_escort", "provincial_police", {**FACILITY, "facility_kind": "rehab_facility"}, days=2)
        case.step("record_escort", "provincial_police", {**FACILITY, "facility_kind": "reform_school"})
        return case

    def test_goes_to_a_reform_school_and_moves_to_an_adult_facility_at_18(self, world: tuple[Runtime, Clock]) -> None:
        rt, clock = world
        case = self.escorted(rt, clock)
        clock.now = datetime(2027, 3, 9, 2, tzinfo=UTC)
        with pytest.raises(StepRefused, match="transfer.not_yet_18"):
            case.step("transfer_to_adult_facility", "facility", {"facility_name": "Cơ sở số 1"})
        case.step("transfer_to_adult_facility", "facility", {"facility_name": "Cơ sở số 1"}, days=1)

        assert (case.row.track, case.row.state) == ("minor", "in_facility")
        assert open_deadlines(rt, case) == {"term", "periodic_review"}  # the 3-monthly review (NĐ 116 art. 58(5))

    def test_is_not_moved_with_less_than_three_months_left(self, world: tuple[Runtime, Clock]) -> None:
        rt, clock = world
        case = self.escorted(rt, clock)
        clock.now = datetime(2027, 6, 10, 2, tzinfo=UTC)  # the term ends 04/09/2027

        with pytest.raises(StepRefused, match="transfer.too_little_time_left"):
            case.step("transfer_to_adult_facility", "facility", {"facility_name": "Cơ sở số 1"})


class TestUnconfirmedAlerts:
    def test_an_alert_on_a_reused_limit_says_the_value_is_unconfirmed(self, world: tuple[Runtime, Clock]) -> None:
        rt, clock = world
        case = open_case(rt, clock, date(2026, 8, 4))
        to_session(case)
        due_on = case.deadline("session").due_on
        clock.now = datetime.combine(due_on + timedelta(days=1), datetime.min.time(), tzinfo=UTC) + timedelta(hours=5)
        sweep(rt.db, rt.calendar, rt.settings, clock.now)
        with rt.db.connect() as conn:
            contexts = (
                conn.execute(select(OUTBOX.c.context).where(OUTBOX.c.kind == "overdue", OUTBOX.c.dossier_id == case.id))
                .scalars()
                .all()
            )

        overdue = [c for c in contexts if c["rule_id"] == "court.session"]
        assert overdue and overdue[0]["status_mark"] == "unconfirmed"
        assert "chưa được xác nhận" in render("overdue", overdue[0]).body


class TestMoveReport:
    def test_audit_4_vn2026_move_report_within_24_hours(self, world: tuple[Runtime, Clock]) -> None:
        # the police learn of the move before the person reports: the person's 24 hours are watched
        rt, clock = world
        case = start_management(rt, clock, date(2026, 8, 4))
        case.step(
            "record_move",
            "commune_police",
            {"moved_on": "2026-08-31", "new_commune": "dien-bien.tuan-giao.chieng-sinh"},
            days=28,
        )
        report = case.deadline("move_report")
        case.step("record_move_report", "commune_police", days=1)

        assert report.rule_id == "user_management.move_report" and report.due_on == date(2026, 9, 1)
        assert report.status_mark == "to_verify"
        assert open_deadlines(rt, case) == {"user_management_end", "move_notice"}
