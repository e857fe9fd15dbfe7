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
from handlers.periods import complaint_period_over, complaint_within_period, term_end, term_served
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

        assert (term_end(absconded) - term_end(plain)).days == 30  # type: ignore[operator]
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
