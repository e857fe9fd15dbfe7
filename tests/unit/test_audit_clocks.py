"""The time limits and date computations the legal audit of 01/12/2026 found WRONG or MISSING.

Each test is named after its audit row (legal-audit-2026-12-01.md: section, then the row's subject) and
uses the audit's own examples.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import holidays
import pytest

from handlers.calendar import DEFAULT_CALENDAR_CONFIG, Unit, WorkingCalendar
from handlers.periods import (
    complaint_period_over,
    complaint_within_period,
    reading_period_respected,
    term_end,
    term_served,
)
from handlers.verdict import Refused
from states.model import Doc, State, Track
from states.registry import regimes_by_id
from tests.factories import CALENDAR, document, facts
from workflow.deadlines import DeadlinePolicy, plan_deadline

REGIMES = regimes_by_id()
VN_2014, VN_2021 = REGIMES["vn-2014"], REGIMES["vn-2021"]
D = date
POLICY = DeadlinePolicy(CALENDAR, ZoneInfo("Asia/Ho_Chi_Minh"))
NOW = datetime(2024, 3, 1, 2, tzinfo=UTC)


def _court_case(accepted: date, announced: date, **kw: Any) -> Any:
    docs = {
        "acceptance_notice": document(Doc.ACCEPTANCE_NOTICE, "3/TB-TA", accepted),
        "court_decision": document(Doc.COURT_DECISION, "7/QĐ-TA", announced),
    }
    return facts(documents=docs, state=State.COMPLAINT_PERIOD, **kw)


def _deadline(regime: Any, state: State, key: str, data: dict[str, Any], legal_date: date) -> dict[str, Any]:
    stage = regime.stages[state]
    spec = next(s for s in stage.deadlines if s.key == key)
    return plan_deadline(POLICY, regime, stage, spec, track=Track.ADULT, data=data, legal_date=legal_date, now=NOW)


# --------------------------------------------------------------------------- §1.2 court ordinance by acceptance


class TestCourtOrdinanceByAcceptanceDate:
    def test_audit_1_2_adult_case_accepted_before_2023_follows_pl09_complaint_period(self) -> None:
        # announced Mon 10/10/2022, accepted in 2022: 3 working days (11, 12, 13/10) under PL 09/2014
        case = _court_case(D(2022, 10, 3), D(2022, 10, 10))

        running = complaint_period_over(case, D(2022, 10, 13))
        assert isinstance(running, Refused) and "13/10/2022" in running.reason_vi
        assert complaint_period_over(case, D(2022, 10, 14))
        assert not complaint_within_period(_court_case(D(2022, 10, 3), D(2022, 10, 10)), D(2022, 10, 14))

    def test_audit_1_2_adult_case_accepted_from_february_2023_follows_pl03(self) -> None:
        case = _court_case(D(2023, 2, 1), D(2023, 2, 6))  # 5 wd: 07, 08, 09, 10, 13/02

        assert not complaint_period_over(case, D(2023, 2, 13))
        assert complaint_period_over(case, D(2023, 2, 14))

    def test_audit_1_2_minor_case_in_2022_keeps_pl01_limits(self) -> None:
        case = _court_case(D(2022, 10, 3), D(2022, 10, 10), track=Track.MINOR)

        assert not complaint_period_over(case, D(2022, 10, 14))  # 5 wd, not PL 09/2014's 3

    def test_audit_1_2_provincial_court_has_7_working_days_for_a_2022_adult_case(self) -> None:
        dates = {"acceptance_notice": D(2022, 9, 1)}

        assert VN_2021.rule("complaint.review", Track.ADULT, dates).value == 7
        assert VN_2021.rule("complaint.review", Track.ADULT, dates).unit is Unit.WORKING_DAYS
        assert VN_2021.rule("complaint.review", Track.ADULT, {"acceptance_notice": D(2023, 3, 1)}).value == 15

    def test_audit_1_2_complaint_deadline_row_follows_the_acceptance_date(self) -> None:
        data = {
            "documents": {
                "acceptance_notice": document(Doc.ACCEPTANCE_NOTICE, "3/TB", D(2022, 10, 3)).as_json(),
                "court_decision": document(Doc.COURT_DECISION, "7/QĐ", D(2022, 10, 10)).as_json(),
            }
        }

        row = _deadline(VN_2021, State.COMPLAINT_PERIOD, "complaint_period", data, D(2022, 10, 10))

        assert row["rule_id"] == "complaint.period_pl09"
        assert row["due_on"] == D(2022, 10, 13)

    def test_audit_2_2_vn2014_case_accepted_from_february_2023_follows_pl03(self) -> None:
        case = _court_case(D(2023, 2, 1), D(2023, 2, 6), regime=VN_2014)
        earlier = _court_case(D(2021, 11, 1), D(2021, 11, 8), regime=VN_2014)

        assert VN_2014.rule("complaint.period", Track.ADULT, {"acceptance_notice": D(2023, 2, 1)}).value == 5
        assert not complaint_period_over(case, D(2023, 2, 9))  # PL 09/2014 would have ended on 09/02
        assert complaint_period_over(earlier, D(2021, 11, 12))  # 3 wd: 09, 10, 11/11


# --------------------------------------------------------------------------- §1.2 the term's end


class TestTermEnd:
    PENDING = {"admitted_on": "2024-03-01", "term_months": 12, "days_held_pending": 30}

    def test_audit_1_2_term_end_deducts_the_time_managed_at_a_facility_while_pending(self) -> None:
        assert term_end(facts(**self.PENDING)) == D(2025, 1, 30)
        managed = {**self.PENDING, "days_held_pending": None, "days_managed_at_facility_pending": 30}
        assert term_end(facts(**managed)) == D(2025, 1, 30)

    def test_audit_1_2_term_deadline_and_its_15_day_notice_use_the_computed_end(self) -> None:
        handover = document(Doc.HANDOVER_RECORD, "40/BB", D(2024, 3, 1)).as_json()
        data = {**self.PENDING, "documents": {"handover_record": handover}}

        row = _deadline(VN_2021, State.IN_FACILITY, "term", data, D(2024, 3, 1))

        assert row["due_on"] == D(2025, 1, 30)  # exact: Tết does not move the end of a term
        assert row["remind_on"] == D(2025, 1, 15)  # art. 62: notice at least 15 days before

    def test_audit_1_2_term_end_counts_every_absconding(self) -> None:
        episodes = [["2024-05-01", "2024-05-11"], ["2024-08-01", "2024-08-21"]]
        plain = facts(admitted_on="2024-03-01", term_months=12)
        absconded = facts(admitted_on="2024-03-01", term_months=12, absconding_periods=episodes)

        legacy = facts(admitted_on="2024-03-01", term_months=12, absconding_periods=episodes, days_absconded=5)

        assert (term_end(absconded) - term_end(plain)).days == 30  # type: ignore[operator]
        assert (term_end(legacy) - term_end(plain)).days == 35  # type: ignore[operator]  # typed before dates
        assert not term_served(absconded, D(2025, 3, 30))
        assert term_served(absconded, D(2025, 3, 31))


# --------------------------------------------------------------------------- §5 calendar history


class TestCalendarHistory:
    def test_audit_5_make_up_saturday_4_may_2024_is_a_working_day(self) -> None:
        calendar = WorkingCalendar(DEFAULT_CALENDAR_CONFIG)

        assert calendar.is_working_day(D(2024, 5, 4))
        assert calendar.period_end(D(2024, 4, 26), 5, Unit.WORKING_DAYS) == D(2024, 5, 7)
        assert "04/05/2024" not in (calendar.day_off_reason(D(2024, 5, 4)) or "")
        assert "29/04/2024" in DEFAULT_CALENDAR_CONFIG.notes[D(2024, 5, 4)]

    @pytest.mark.parametrize("year", range(2014, 2025))
    def test_audit_5_every_swapped_day_off_of_the_package_has_its_make_up_saturday(self, year: int) -> None:
        calendar = WorkingCalendar(DEFAULT_CALENDAR_CONFIG)
        for day, name in holidays.country_holidays("VN", years=year, language="vi").items():
            if "thay cho ngày" in name:
                make_up = datetime.strptime(name.split("thay cho ngày ")[1].rstrip(")"), "%d/%m/%Y").date()
                assert not calendar.is_working_day(day)
                assert calendar.is_working_day(make_up), f"{make_up} makes up for {day}"
                assert make_up in DEFAULT_CALENDAR_CONFIG.notes

    def test_audit_5_tet_2015_ran_to_24_february(self) -> None:
        calendar = WorkingCalendar(DEFAULT_CALENDAR_CONFIG)

        assert calendar.is_working_day(D(2015, 2, 14))
        assert not calendar.is_working_day(D(2015, 2, 24))
        assert calendar.next_working_day(D(2015, 2, 21)) == D(2015, 2, 25)


# --------------------------------------------------------------------------- §1.2 start events and unapplied rules


def _docs(**dated: date) -> dict[str, Any]:
    return {kind: document(Doc(kind), f"1/{kind}", on).as_json() for kind, on in dated.items()}


def _step(regime: Any, name: str) -> Any:
    return next(s for s in regime.steps if s.name == name)


class TestStartEvents:
    def test_audit_1_2_reading_deadline_counts_from_the_persons_receipt_of_the_notice(self) -> None:
        # notice dated Wed 01/03/2023, received Mon 06/03: reading to Thu 09/03, send by Fri 10/03
        data = {"notice_received_on": "2023-03-06", "documents": _docs(reading_notice=D(2023, 3, 1))}
        row = _deadline(VN_2021, State.PERSON_READING, "send_to_labour", data, D(2023, 3, 1))
        notice = {"reading_notice": document(Doc.READING_NOTICE, "32/TB", D(2023, 3, 1))}
        reading = facts(notice_received_on="2023-03-06", documents=notice, state=State.PERSON_READING)

        assert row["starts_on"] == D(2023, 3, 6)
        assert row["due_on"] == D(2023, 3, 10)
        assert not reading_period_respected(reading, D(2023, 3, 9))  # the guard agrees: reading runs to 09/03
        assert reading_period_respected(reading, row["due_on"])

    def test_audit_1_2_determination_result_counts_from_receiving_the_person(self) -> None:
        requested = {"documents": _docs(determination_request=D(2024, 3, 4))}
        received = {**requested, "person_received_on": "2024-03-07"}

        before = _deadline(VN_2021, State.DETERMINATION_REQUESTED, "determination_result", requested, D(2024, 3, 4))
        after = _deadline(VN_2021, State.DETERMINATION_REQUESTED, "determination_result", received, D(2024, 3, 7))
        staff = _deadline(VN_2021, State.DETERMINATION_REQUESTED, "determination_staff", requested, D(2024, 3, 4))

        assert before["due_on"] == D(2024, 3, 11)  # staff by 05/03, then 5 days: Sun 10/03 → Mon 11/03
        assert after["due_on"] == D(2024, 3, 12)  # 5 days from receiving the person on 07/03
        assert staff["rule_id"] == "determination.staff" and staff["due_at"] == NOW.replace(day=2)
        assert _step(VN_2021, "receive_for_determination").restarts == ("determination_staff", "determination_result")

    def test_audit_1_2_court_return_reopens_the_labour_review_with_a_fresh_two_working_days(self) -> None:
        step = _step(VN_2021, "return_incomplete")
        data = {"documents": _docs(transfer_letter=D(2023, 3, 10), return_letter=D(2023, 3, 16))}
        stage = VN_2021.stages[State.LABOUR_REVIEW]

        row = plan_deadline(
            POLICY, VN_2021, stage, step.opens[0], track=Track.ADULT, data=data, legal_date=D(2023, 3, 16), now=NOW
        )

        assert row["key"] == "labour_review" and row["due_on"] == D(2023, 3, 20)  # 17/03, 20/03: not overdue

    def test_audit_1_2_return_report_counts_from_returning_home(self) -> None:
        data = {"returned_home_on": "2025-02-10", "documents": _docs(completion_certificate=D(2025, 2, 3))}

        row = _deadline(VN_2021, State.COMPLETION_CERTIFIED, "return_report", data, D(2025, 2, 3))

        assert row["starts_on"] == D(2025, 2, 10) and row["due_on"] == D(2025, 2, 17)
        assert _step(VN_2021, "record_return_home").stamps == ("returned_home_on",)


class TestRulesNowApplied:
    def test_audit_1_2_court_checks_the_dossier_and_returns_it_within_two_working_days(self) -> None:
        data = {"documents": _docs(labour_proposal=D(2023, 3, 16))}

        row = _deadline(VN_2021, State.COURT_RECEIVED, "check_dossier", data, D(2023, 3, 16))

        assert row["rule_id"] == "court.return_incomplete" and row["due_on"] == D(2023, 3, 20)

    def test_audit_1_2_court_sends_its_decision_within_two_working_days(self) -> None:
        data = {"documents": _docs(court_decision=D(2023, 3, 24))}

        row = _deadline(VN_2021, State.COMPLAINT_PERIOD, "send_decision", data, D(2023, 3, 24))

        assert row["rule_id"] == "court.send_decision" and row["due_on"] == D(2023, 3, 28)
        assert _step(VN_2021, "send_decision").stamps == ("decision_sent_on",)

    def test_audit_1_2_complaint_forwarded_to_the_provincial_court_within_two_working_days(self) -> None:
        data = {"documents": _docs(complaint=D(2023, 3, 27))}

        row = _deadline(VN_2021, State.COMPLAINT_REVIEW, "forward_complaint", data, D(2023, 3, 27))

        assert row["rule_id"] == "complaint.forward" and row["due_on"] == D(2023, 3, 29)
        assert row["agency_type"] == "district_court"

    @pytest.mark.parametrize(
        ("requested", "ok"), [(D(2023, 3, 28), True), (D(2023, 3, 29), False)], ids=["in-time", "late"]
    )
    def test_audit_1_2_postponement_request_within_two_working_days(self, requested: date, ok: bool) -> None:
        from handlers.clocks import postponement_requested_in_time

        docs = {"court_decision": document(Doc.COURT_DECISION, "7/QĐ", D(2023, 3, 24))}  # Fri: 27, 28/03
        case = facts(documents=docs, state=State.AWAITING_ESCORT, payload={"requested_on": requested.isoformat()})

        verdict = postponement_requested_in_time(case, D(2023, 4, 10))

        assert bool(verdict) is ok
        if not ok:
            assert isinstance(verdict, Refused) and verdict.code == "postponement.request_out_of_time"
            assert "28/03/2023" in verdict.reason_vi and "57 khoản 5" in verdict.basis
        missing = facts(documents=docs, state=State.AWAITING_ESCORT)
        assert not postponement_requested_in_time(missing, D(2023, 4, 10))

    def test_audit_1_2_periodic_review_every_three_months_list_posted_five_working_days_before(self) -> None:
        data = {"documents": _docs(handover_record=D(2024, 3, 1))}
        reviewed = {**data, "reviewed_on": "2024-06-03"}

        first = _deadline(VN_2021, State.IN_FACILITY, "periodic_review", data, D(2024, 3, 1))
        next_one = _deadline(VN_2021, State.IN_FACILITY, "periodic_review", reviewed, D(2024, 6, 3))

        assert first["due_on"] == D(2024, 6, 3)  # 01/06 is a Saturday
        assert first["remind_on"] == D(2024, 5, 27)  # the list is posted 5 working days before
        assert next_one["due_on"] == D(2024, 9, 4)  # 02–03/09 National Day

    def test_audit_1_2_complicated_case_needs_a_recorded_reason(self) -> None:
        from handlers.clocks import complicated_case_has_reason

        without = complicated_case_has_reason(facts(payload={"complicated": True}), D(2023, 3, 1))
        given = facts(payload={"complicated": True, "complicated_reason": "Nhiều người liên quan"})

        assert isinstance(without, Refused) and without.code == "court.complicated_reason_missing"
        assert complicated_case_has_reason(given, D(2023, 3, 1))
        assert complicated_case_has_reason(facts(payload={"complicated": False}), D(2023, 3, 1))

    def test_audit_1_2_post_rehab_absence_without_reporting_not_counted(self) -> None:
        from handlers.periods import supervision_period_served

        docs = {
            "completion_certificate": document(Doc.COMPLETION_CERTIFICATE, "46/GCN", D(2024, 3, 1)),
            "post_rehab_decision": document(Doc.POST_REHAB_DECISION, "51/QĐ", D(2024, 3, 12)),
        }
        plain = facts(documents=docs)
        absent = facts(documents=docs, unreported_absences=[["2024-05-01", "2024-05-21"]])

        assert supervision_period_served(plain, D(2026, 3, 2))  # 01/03/2026 is a Sunday
        assert not supervision_period_served(absent, D(2026, 3, 20))
        assert supervision_period_served(absent, D(2026, 3, 23))  # 20 days later (21/03 a Saturday)

    def test_audit_4_vn2026_move_report_within_24_hours(self) -> None:
        regime = REGIMES["vn-2026"]
        spec = next(s for s in _step(regime, "record_move").opens if s.key == "move_report")
        stage = regime.stages[State.DRUG_USER_MANAGEMENT]

        row = plan_deadline(
            POLICY,
            regime,
            stage,
            spec,
            track=Track.ADULT,
            data={"moved_on": "2026-09-01"},
            legal_date=D(2026, 9, 3),
            now=NOW,
        )

        assert row["rule_id"] == "user_management.move_report" and row["due_on"] == D(2026, 9, 2)
        assert spec.unless_fact == "move_reported_on"
        assert _step(regime, "record_move_report").restarts == ("move_report",)


class TestVn2014AndVn2025Marks:
    def test_audit_2_2_vn2014_post_rehab_one_to_two_years_as_decided(self) -> None:
        from handlers.clocks import post_rehab_years_allowed
        from handlers.periods import supervision_period_served

        docs = {
            "completion_certificate": document(Doc.COMPLETION_CERTIFICATE, "46/GCN", D(2019, 3, 1)),
            "post_rehab_decision": document(Doc.POST_REHAB_DECISION, "51/QĐ", D(2019, 3, 12)),
        }
        one_year = facts(regime=VN_2014, documents=docs, post_rehab_years=1)

        assert supervision_period_served(one_year, D(2020, 3, 2))  # 01/03/2020 is a Sunday
        assert post_rehab_years_allowed(facts(regime=VN_2014, payload={"post_rehab_years": 1}), D(2019, 3, 12))
        assert not post_rehab_years_allowed(facts(regime=VN_2014, payload={"post_rehab_years": 3}), D(2019, 3, 12))
        assert post_rehab_years_allowed in _step(VN_2014, "decide_post_rehab").guards

    def test_audit_2_2_vn2014_complicated_case_30_days_confirmed_under_pl09(self) -> None:
        rule = VN_2014.rule("court.decide_complicated", Track.ADULT)

        assert (rule.value, rule.unit, rule.status.value) == (30, Unit.CALENDAR_DAYS, "confirmed")
        assert "09/2014" in rule.basis and "03/2022" not in rule.basis

    def test_audit_2_2_vn2014_decision_issued_within_two_working_days(self) -> None:
        data = {"documents": _docs(court_decision=D(2019, 10, 4))}

        row = _deadline(VN_2014, State.COMPLAINT_PERIOD, "send_decision", data, D(2019, 10, 4))

        assert row["due_on"] == D(2019, 10, 8) and "09/2014" in row["basis"]

    @pytest.mark.parametrize("rule_id", ["court.decide", "complaint.period", "complaint.review", "reading.period"])
    def test_audit_3_2_vn2025_court_and_dossier_limits_amended_from_july_2025_are_unknown(self, rule_id: str) -> None:
        rule = REGIMES["vn-2025"].rules[rule_id]

        assert rule.status.value == "unconfirmed"
        assert "01/07/2025" in rule.note


class TestCourtAcceptance:
    def test_audit_1_2_court_acceptance_no_longer_a_deadline_to_accept_and_the_decision_counts_from_it(self) -> None:
        received = VN_2021.stages[State.COURT_RECEIVED]
        data = {"accepted_on": "2023-03-20", "documents": _docs(acceptance_notice=D(2023, 3, 22))}

        decide = _deadline(VN_2021, State.COURT_ACCEPTED, "decide", data, D(2023, 3, 22))

        assert [s.rule for s in received.deadlines] == ["court.return_incomplete"]
        assert decide["starts_on"] == D(2023, 3, 20) and decide["due_on"] == D(2023, 4, 4)  # 15 days: Tue 04/04


class TestForms:
    @pytest.mark.parametrize(
        ("state", "event", "date_field"),
        [
            (State.DETERMINATION_REQUESTED, "receive_for_determination", "person_received_on"),
            (State.PERSON_READING, "send_to_labour", None),
            (State.AWAITING_ESCORT, "receive_decision", "execution_received_on"),
            (State.COMPLETION_CERTIFIED, "record_return_home", "returned_home_on"),
            (State.IN_FACILITY, "record_periodic_review", "reviewed_on"),
            (State.ABSCONDED_FROM_FACILITY, "record_found", "returned_on"),
        ],
    )
    def test_audit_1_2_the_step_forms_ask_for_the_date_the_law_counts_from(
        self, state: State, event: str, date_field: str | None
    ) -> None:
        from admin.forms import step_forms
        from workflow.queries import available_steps

        forms = {f.event: f for f in step_forms(available_steps(VN_2021, state.value, "adult"), VN_2021.grounds)}
        inputs = {i.name: i for i in forms[event].inputs}

        if date_field is None:  # the reading period's start was typed when notifying the person
            notify = step_forms(available_steps(VN_2021, "dossier_compiling", "adult"), VN_2021.grounds)
            assert "notice_received_on" in {i.name for f in notify for i in f.inputs}
            return
        assert inputs[date_field].kind == "date" and not inputs[date_field].required
