"""The audit's clock findings through the engine, on SQLite and PostgreSQL (legal-audit-2026-12-01.md)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from handlers.calendar import Unit
from tests.journeys import Journey, open_adult, to_court_decision
from workflow.errors import StepRefused
from workflow.tables import Deadline

DEADLINE = Deadline.__table__  # type: ignore[attr-defined]
FACILITY = {"facility_name": "Cơ sở cai nghiện ma túy tỉnh Điện Biên"}


def _open(rt: Any, clock: Any, **kw: Any) -> Journey:
    return Journey(rt, clock, open_adult(rt, clock, **kw).dossier_id)


def _open_deadline(rt: Any, dossier_id: int, key: str) -> Any:
    with rt.db.connect() as conn:
        rows = conn.execute(
            select(DEADLINE).where(
                DEADLINE.c.dossier_id == dossier_id, DEADLINE.c.closed_at.is_(None), DEADLINE.c.key == key
            )
        ).all()
    return rows[0] if rows else None


def _in_facility(j: Journey, payload: dict[str, Any] | None = None) -> None:
    to_court_decision(j, term=12)
    j.step("end_complaint_period", "district_court", days=10)
    j.step("record_escort", "district_police", {**FACILITY, **(payload or {})}, days=2)


class TestTermEndThroughTheEngine:
    def test_audit_1_2_term_end_counts_every_absconding(self, journey_runtime: Any) -> None:
        rt, clock = journey_runtime
        j = _open(rt, clock)
        _in_facility(j)
        first = _open_deadline(rt, j.dossier_id, "term")

        j.step("report_absconding", "facility", days=30)
        j.step("record_found", "facility", days=10)
        j.step("report_absconding", "facility", days=30)
        j.step("record_found", "facility", days=20)
        after = _open_deadline(rt, j.dossier_id, "term")

        assert (after.due_on - first.due_on).days == 30  # 10 + 20 days: the second escape keeps the first
        clock.advance(days=(first.due_on - clock.today).days + 1)
        with pytest.raises(StepRefused) as early:
            j.step("record_completion", "facility")
        assert [r["code"] for r in early.value.result.refusals] == ["term.not_served"]
        clock.advance(days=(after.due_on - clock.today).days)
        j.step("record_completion", "facility")
        assert j.state == "completion_certified"

    def test_audit_1_2_term_deadline_deducts_days_pending_and_reminds_15_days_before(
        self, journey_runtime: Any
    ) -> None:
        rt, clock = journey_runtime
        j = _open(rt, clock)
        _effective(j)
        # managed at a facility while pending (Mẫu 36, NĐ 116/2021 art. 44(3)) for the 30 days before the escort
        j.step(
            "decide_pending_management",
            "commune_committee",
            {"management_place": "facility", "facility_reason": "family_refused"},
        )
        j.step("record_escort", "district_police", FACILITY, days=30)
        admitted = clock.today

        term = _open_deadline(rt, j.dossier_id, "term")

        expected = admitted.replace(year=admitted.year + 1) - timedelta(days=30)
        assert term.due_on == expected
        assert term.remind_on == expected - timedelta(days=15)

    def test_audit_1_2_a_return_dated_before_the_absconding_is_refused(self, journey_runtime: Any) -> None:
        rt, clock = journey_runtime
        j = _open(rt, clock)
        _in_facility(j)
        j.step("report_absconding", "facility", days=30)

        with pytest.raises(StepRefused) as err:
            j.step("record_found", "facility", {"returned_on": (clock.today - timedelta(days=3)).isoformat()})

        assert [r["code"] for r in err.value.result.refusals] == ["absconding.return_before_absconding"]


def _effective(j: Journey) -> None:
    to_court_decision(j, term=12)
    j.step("end_complaint_period", "district_court", days=10)


class TestEnforcementClocks:
    def test_audit_1_2_a_never_found_absconder_stays_open_after_400_days(self, journey_runtime: Any) -> None:
        rt, clock = journey_runtime
        j = _open(rt, clock)
        _effective(j)
        limitation = _open_deadline(rt, j.dossier_id, "enforcement_limitation")
        j.step("report_absconding", "district_police", days=3)

        paused = _open_deadline(rt, j.dossier_id, "enforcement_limitation")
        clock.advance(days=400)
        with pytest.raises(StepRefused) as refused:
            j.step("expire_limitation", "district_police")

        assert paused.id == limitation.id and paused.paused_at is not None  # the alert does not run either
        assert [r["code"] for r in refused.value.result.refusals] == ["limitation.enforcement_evaded"]
        assert j.state == "absconded_before_admission"
        j.step("record_found", "district_police")
        restarted = _open_deadline(rt, j.dossier_id, "enforcement_limitation")
        assert restarted.starts_on == clock.today and restarted.paused_at is None
        assert restarted.due_on >= clock.today.replace(year=clock.today.year + 1)

    def test_audit_1_2_escort_runs_from_receipt_and_the_court_has_3_days_to_send(self, journey_runtime: Any) -> None:
        rt, clock = journey_runtime
        j = _open(rt, clock)
        _effective(j)
        effective = clock.today
        send = _open_deadline(rt, j.dossier_id, "send_for_execution")
        before = _open_deadline(rt, j.dossier_id, "escort")

        received = {"execution_received_on": (effective + timedelta(days=2)).isoformat()}
        j.step("receive_decision", "district_police", received, days=3)
        after = _open_deadline(rt, j.dossier_id, "escort")

        assert send.rule_id == "court.send_for_execution" and send.agency_id.endswith("district_court")
        assert send.due_on == rt.calendar.period_end(effective, 3, Unit.CALENDAR_DAYS)
        assert before.due_on == rt.calendar.period_end(send.due_on, 5, Unit.CALENDAR_DAYS)
        assert _open_deadline(rt, j.dossier_id, "send_for_execution") is None
        assert after.due_on == rt.calendar.period_end(effective + timedelta(days=2), 5, Unit.CALENDAR_DAYS)


class TestCourtClarification:
    def test_audit_1_2_labour_office_answers_the_courts_request_to_clarify_within_2_working_days(
        self, journey_runtime: Any
    ) -> None:
        from tests.journeys import to_court_acceptance

        rt, clock = journey_runtime
        j = _open(rt, clock)
        to_court_acceptance(j)

        j.step("request_clarification", "district_court", {"reasons": "Thiếu xác nhận nơi cư trú"}, days=1)
        asked = _open_deadline(rt, j.dossier_id, "clarification")
        j.step("open_session", "district_court", {"session_on": (clock.today + timedelta(days=5)).isoformat()}, days=1)
        still = _open_deadline(rt, j.dossier_id, "clarification")
        j.step("answer_clarification", "labour_office", days=1)

        assert asked.rule_id == "court.clarification" and asked.agency_id.endswith("labour_office")
        assert asked.due_on == rt.calendar.period_end(asked.starts_on, 2, Unit.WORKING_DAYS)
        assert still is not None and still.id == asked.id  # it runs on after the session is scheduled
        assert _open_deadline(rt, j.dossier_id, "clarification") is None
        assert j.state == "session_scheduled"
