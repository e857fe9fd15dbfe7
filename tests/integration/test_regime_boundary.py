"""Dossiers across the 1 July 2026 boundary: each keeps the regime of its violation date, for life."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select

from demo.reference import REGIONAL_COURT
from handlers.calendar import add_months
from tests.journeys import Clock, attachments, make_runtime
from tests.regime_cases import (
    DEADLINE,
    DOSSIER,
    FACILITY,
    LOG,
    PERSON,
    D,
    P,
    open_case,
    to_facility,
    to_session,
)
from workflow.audit import verify_chain
from workflow.errors import InvalidInput, StepRefused
from workflow.runtime import Runtime


@pytest.fixture
def world(tmp_path: Path) -> Iterator[tuple[Runtime, Clock]]:
    rt, clock = make_runtime(f"sqlite:///{tmp_path}/t.db", datetime(2026, 7, 2, 2, tzinfo=UTC))
    yield rt, clock
    rt.db.dispose()


class TestTheSamePersonOnEitherSideOfTheNewLaw:
    @pytest.mark.parametrize(
        ("violation_on", "regime", "term", "wrong_term", "term_rule", "status"),
        [
            # vn-2025: the court's limits after 01/07/2025 are PL 08/2025's, content unknown (audit §3.2): ?
            (date(2026, 6, 30), "vn-2025", 18, 30, "decision.term_out_of_range", "unconfirmed"),
            (date(2026, 7, 1), "vn-2026", 24, 18, "decision.term_not_per_history", "unconfirmed"),
        ],
        ids=["30-june-2026", "1-july-2026"],
    )
    def test_gets_the_regime_agencies_term_and_deadlines_of_the_violation_date(
        self,
        world: tuple[Runtime, Clock],
        violation_on: date,
        regime: str,
        term: int,
        wrong_term: int,
        term_rule: str,
        status: str,
    ) -> None:
        rt, clock = world
        case = open_case(rt, clock, violation_on)
        to_session(case)
        with pytest.raises(StepRefused) as refused:
            case.step("decide", "regional_court", {"outcome": "apply", "term_months": wrong_term}, days=5)
        case.step("decide", "regional_court", {"outcome": "apply", "term_months": term})
        case.step("end_complaint_period", "regional_court", days=10)
        case.step("record_escort", "provincial_police", FACILITY, days=2)

        assert case.row.regime == regime and case.row.agency_id == f"{P}.facility"
        assert [r["code"] for r in refused.value.result.refusals] == [term_rule]
        assert case.deadline("labour_review").agency_id == f"{P}.provincial_police"
        assert case.deadline("decide").agency_id == REGIONAL_COURT
        assert case.deadline("decide").status_mark == status
        admitted = date.fromisoformat(case.row.data["admitted_on"])
        assert case.deadline("term").due_on == add_months(admitted, term)  # the term's own last day, not moved
        assert verify_chain(rt.db).ok

    def test_an_old_dossier_keeps_its_regime_and_successors_act_for_abolished_offices(
        self, world: tuple[Runtime, Clock]
    ) -> None:
        rt, clock = world
        clock.now = datetime(2025, 2, 10, 2, tzinfo=UTC)
        case = open_case(rt, clock, date(2025, 2, 10))
        case.step("request_determination", "commune_police")
        case.step("record_determination", "health_facility", {"determination_outcome": "addicted"}, days=2)
        case.step(
            "notify_person",
            "commune_committee",
            {"grounds": "no_voluntary_rehab", "attachments": attachments(clock.today)},
            days=1,
        )
        case.step("send_to_labour", "commune_committee", days=7)
        assert case.row.agency_id == f"{D}.labour_office"

        case.step("propose_to_court", "provincial_police", FACILITY, days=14)  # 05/03/2025: labour office gone
        assert case.row.agency_id == f"{D}.district_court"
        case.step("accept", "district_court", days=1)
        case.step("open_session", "district_court", {"session_on": "2025-03-14"}, days=1)
        case.step("decide", "district_court", {"outcome": "apply", "term_months": 18}, days=5)
        case.step("end_complaint_period", "district_court", days=10)
        case.step("record_escort", "provincial_police", FACILITY, days=2)  # the district police are gone too
        clock.now = datetime(2026, 10, 12, 2, tzinfo=UTC)
        case.step("record_completion", "facility")

        assert case.row.regime == "vn-2021" and case.row.state == "completion_certified"
        assert case.deadline("term").rule_id == "term.max" and verify_chain(rt.db).ok


class TestHistory:
    def test_a_second_compulsory_episode_gets_36_months_and_a_first_24(self, world: tuple[Runtime, Clock]) -> None:
        rt, clock = world
        first = open_case(rt, clock, date(2026, 7, 1))
        to_facility(first, 24)
        clock.advance(days=3)
        second = open_case(rt, clock, clock.today)
        other = open_case(rt, clock, clock.today, person={**PERSON, "id_number": "011090009999"})
        to_session(second)
        with pytest.raises(StepRefused, match="decision.term_not_per_history"):
            second.step("decide", "regional_court", {"outcome": "apply", "term_months": 24}, days=5)
        second.step("decide", "regional_court", {"outcome": "apply", "term_months": 36})

        assert (first.row.data["prior_episodes"], second.row.data["prior_episodes"]) == (0, 1)
        assert other.row.data["prior_episodes"] == 0
        assert second.row.state == "complaint_period"

    def test_an_earlier_voluntary_episode_counts_too(self, world: tuple[Runtime, Clock]) -> None:
        rt, clock = world
        case = open_case(rt, clock, date(2026, 7, 1), prior_voluntary_episodes=1)
        to_session(case)
        case.step("decide", "regional_court", {"outcome": "apply", "term_months": 36}, days=5)

        assert case.row.state == "complaint_period"

    def test_no_id_number_reaches_the_log(self, world: tuple[Runtime, Clock]) -> None:
        rt, clock = world
        open_case(rt, clock, date(2026, 7, 1))
        with rt.db.connect() as conn:
            payloads = [str(p) for p in conn.execute(select(LOG.c.payload)).scalars()]

        assert payloads and not any(PERSON["id_number"] in p for p in payloads)


class TestTransitionalPostRehab:
    def test_a_vn_2025_person_in_the_facility_on_1_july_2026_gets_the_new_laws_supervision(
        self, world: tuple[Runtime, Clock]
    ) -> None:
        rt, clock = world
        clock.now = datetime(2025, 9, 1, 2, tzinfo=UTC)
        case = open_case(rt, clock, date(2025, 9, 1))
        to_facility(case, 12)
        case.step("record_completion", "facility", days=380)
        case.step("report_return", "commune_police", days=3)
        case.step("propose_post_rehab", "commune_police", days=1)
        case.step("decide_post_rehab", "commune_committee", days=1)

        supervision = case.deadline("supervision_end")
        assert case.row.regime == "vn-2025" and supervision.rule_id == "post_rehab.duration_2026"
        assert "120/2025" in supervision.basis


class TestBadInput:
    @pytest.mark.parametrize(
        ("violation_on", "message"),
        [
            (date(2010, 1, 1), r"^violation.date: no legal regime is configured for a violation on 01/01/2010"),
            (date(2026, 7, 3), r"^violation.date: 03/07/2026 is in the future$"),
        ],
        ids=["before-every-regime", "in-the-future"],
    )
    def test_opening_refuses_in_one_line_and_changes_nothing(
        self, world: tuple[Runtime, Clock], violation_on: date, message: str
    ) -> None:
        rt, clock = world
        with pytest.raises(InvalidInput, match=message) as raised:
            open_case(rt, clock, violation_on)
        with rt.db.connect() as conn:
            counts = [conn.execute(select(func.count()).select_from(t)).scalar_one() for t in (DOSSIER, LOG, DEADLINE)]

        assert "\n" not in str(raised.value) and counts == [0, 0, 0]
