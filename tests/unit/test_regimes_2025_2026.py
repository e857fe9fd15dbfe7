"""Regimes vn-2025 and vn-2026: who acts after the reform, what Law 120/2025 adds, what is unconfirmed."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from demo.reference import (
    DISTRICT,
    PROVINCE,
    REGIONAL_COURT,
    REGIONAL_PROCURACY,
    commune_code,
    demo_directory,
)
from handlers.calendar import DEFAULT_CALENDAR_CONFIG, WorkingCalendar
from handlers.facts import DocumentRef, DossierFacts
from handlers.history import term_follows_history
from handlers.periods import complaint_period_over
from handlers.verdict import Refused
from handlers.vn2026 import (
    management_decided_in_time,
    monitoring_length_allowed,
    placement_fits_age,
    turned_18_with_time_left,
)
from states.configurable import with_unconfirmed
from states.model import AgencyType, Regime, State, Status, Track
from states.registry import CONFIGURABLE, NoRegimeForDate, regime_for, regimes_by_id
from workflow.directory import Directory
from workflow.runtime import configured_regimes
from workflow.settings import Settings

REGIMES = regimes_by_id()
VN_2025, VN_2026 = REGIMES["vn-2025"], REGIMES["vn-2026"]
CALENDAR = WorkingCalendar(DEFAULT_CALENDAR_CONFIG)
COURT_STAGES = (State.COURT_RECEIVED, State.COURT_ACCEPTED, State.SESSION_SCHEDULED, State.COMPLAINT_PERIOD)


def facts(
    regime: Regime = VN_2026,
    track: Track = Track.ADULT,
    *,
    docs: dict[str, date] | None = None,
    incoming: tuple[str, date] | None = None,
    **data: Any,
) -> DossierFacts:
    documents = {t: DocumentRef(t, "1/X", d) for t, d in (docs or {}).items()}
    new = DocumentRef(incoming[0], "2/X", incoming[1]) if incoming else None
    payload = data.pop("payload", {})
    return DossierFacts(regime, track, "session_scheduled", CALENDAR, data, documents, payload, new)


def reference_directory() -> Directory:
    return demo_directory()


class TestChoosingTheRegime:
    @pytest.mark.parametrize(
        ("violation_on", "expected"),
        [
            (date(2025, 2, 28), "vn-2021"),
            (date(2025, 3, 1), "vn-2025"),
            (date(2026, 6, 30), "vn-2025"),
            (date(2026, 7, 1), "vn-2026"),
            (date(2030, 1, 1), "vn-2026"),
        ],
        ids=[
            "last-day-of-district-police",
            "first-day-police-compile",
            "day-before-new-law",
            "first-day-of-new-law",
            "years-later",
        ],
    )
    def test_takes_the_regime_in_force_on_the_violation_date(self, violation_on: date, expected: str) -> None:
        assert regime_for(violation_on, REGIMES).id == expected

    def test_refuses_a_date_before_every_regime_in_one_line(self) -> None:
        with pytest.raises(NoRegimeForDate, match=r"^no legal regime .* 01/01/2010 .*15/02/2014\)$"):
            regime_for(date(2010, 1, 1), REGIMES)

    def test_configured_boundaries_move_the_new_law(self) -> None:
        regimes = configured_regimes(Settings(regime_starts={"vn-2026": "2026-08-01"}))

        assert regime_for(date(2026, 7, 15), regimes).id == "vn-2025"
        assert regimes["vn-2025"].switches[0].from_date == date(2026, 8, 1)


class TestVn2025Agencies:
    def test_commune_police_compile_and_the_police_check_before_the_court(self) -> None:
        stages = VN_2025.stages

        assert stages[State.DOSSIER_COMPILING].agency is AgencyType.COMMUNE_POLICE
        assert stages[State.LABOUR_REVIEW].agency is AgencyType.PROVINCIAL_POLICE
        assert "?" in stages[State.LABOUR_REVIEW].label_vi
        assert {stages[s].agency for s in COURT_STAGES} == {AgencyType.REGIONAL_COURT}

    def test_court_steps_accept_the_district_court_until_the_regional_court_takes_over(self) -> None:
        decide = next(s for s in VN_2025.steps if s.name == "decide__apply")

        assert set(decide.actors) == {AgencyType.DISTRICT_COURT, AgencyType.REGIONAL_COURT}

    def test_no_step_needs_an_agency_abolished_before_the_regime_started(self) -> None:
        gone = {AgencyType.LABOUR_OFFICE, AgencyType.DISTRICT_POLICE, AgencyType.JUSTICE_OFFICE}

        assert [s.name for r in (VN_2025, VN_2026) for s in r.steps if gone & set(s.actors)] == []

    def test_the_checking_unit_is_an_unconfirmed_rule_and_a_note(self) -> None:
        rule = VN_2025.rules["labour.review"]

        assert rule.status is Status.UNCONFIRMED and "**?**" in rule.basis
        assert any("actor.labour_review" in note for note in VN_2025.notes)


class TestUnconfirmedActors:
    def test_the_deployment_can_name_the_checking_unit(self) -> None:
        regime = with_unconfirmed(VN_2025, CONFIGURABLE["vn-2025"], {"actor.labour_review": "commune_police"})

        assert regime.stages[State.LABOUR_REVIEW].agency is AgencyType.COMMUNE_POLICE
        assert next(s for s in regime.steps if s.name == "propose_to_court").actors == (AgencyType.COMMUNE_POLICE,)
        assert "giá trị cấu hình" in regime.notes[-1]

    @pytest.mark.parametrize(
        ("values", "message"),
        [
            ({"actor.labour_reviw": "commune_police"}, r"unknown unconfirmed entry 'actor.labour_reviw'"),
            ({"actor.labour_review": "regional_court"}, r"'regional_court' is not one of provincial_police"),
        ],
        ids=["unknown-key", "wrong-agency-type"],
    )
    def test_refuses_a_bad_entry_in_one_line(self, values: dict[str, str], message: str) -> None:
        with pytest.raises(ValueError, match=message):
            configured_regimes(Settings(unconfirmed={"vn-2025": values}))

    def test_who_decides_under_the_new_law_is_configurable(self) -> None:
        regimes = configured_regimes(Settings(unconfirmed={"vn-2026": {"actor.court": "provincial_court"}}))

        assert regimes["vn-2026"].stages[State.COURT_ACCEPTED].agency is AgencyType.PROVINCIAL_COURT


class TestVn2026Definition:
    def test_a_dossier_may_start_with_drug_user_management(self) -> None:
        assert VN_2026.initial_states == (State.VIOLATION_RECORDED, State.DRUG_USER_MANAGEMENT)
        assert {s.trigger for s in VN_2026.steps_from(State.DRUG_USER_MANAGEMENT)} >= {
            "record_violation",
            "end_user_management",
            "record_move",
            "notify_move",
        }

    def test_steps_and_limits_reused_from_vn_2025_are_marked_unconfirmed(self) -> None:
        assert VN_2026.rules["court.decide"].status is Status.UNCONFIRMED
        assert VN_2026.rules["term.first"].value == 24 and VN_2026.rules["term.repeat"].value == 36

    def test_monitoring_keeps_the_supervision_deadline_open(self) -> None:
        order = next(s for s in VN_2026.steps if s.name == "order_electronic_monitoring")

        assert order.sources == (State.POST_REHAB_SUPERVISION,) == (order.dest,)
        assert "supervision_end" not in order.restarts


class TestTermFollowsHistory:
    @pytest.mark.parametrize(
        ("history", "term"),
        [
            ({}, 24),
            ({"prior_episodes": 1}, 36),
            ({"prior_voluntary_episodes": 1}, 36),
            ({"prior_episodes": 2, "prior_voluntary_episodes": 1}, 36),
        ],
        ids=["first-time", "second-compulsory", "after-voluntary", "fourth-time"],
    )
    def test_allows_the_term_the_history_sets(self, history: dict[str, int], term: int) -> None:
        assert term_follows_history(facts(**history, payload={"term_months": term}), date(2026, 9, 1))

    def test_refuses_another_term_and_says_which_and_that_it_is_unconfirmed(self) -> None:
        verdict = term_follows_history(facts(prior_episodes=1, payload={"term_months": 24}), date(2026, 9, 1))

        assert isinstance(verdict, Refused) and verdict.code == "decision.term_not_per_history"
        assert "36 tháng" in verdict.reason_vi and verdict.unconfirmed
        assert "not confirmed" in verdict.reason_en

    def test_a_minor_keeps_a_range_marked_unconfirmed(self) -> None:
        verdict = term_follows_history(facts(track=Track.MINOR, payload={"term_months": 24}), date(2026, 9, 1))

        assert isinstance(verdict, Refused) and "6 đến 12" in verdict.reason_vi
        assert "chưa được xác nhận" in verdict.reason_vi


class TestAnUnconfirmedRuleStillWorks:
    def test_uses_the_configured_value_and_says_it_is_unconfirmed(self) -> None:
        regime = VN_2026.with_rule_values({"complaint.period": 7})  # default 5 working days would end 13/10
        announced = facts(regime, decision_received_on="2026-10-06")  # Tue; 7 working days end Thu 15/10/2026

        verdict = complaint_period_over(announced, date(2026, 10, 14))

        assert isinstance(verdict, Refused) and verdict.unconfirmed
        assert "15/10/2026" in verdict.reason_vi and "Giá trị 7 chưa được xác nhận" in verdict.reason_vi


class TestVn2026Guards:
    @pytest.mark.parametrize(
        ("decided", "ok"),
        [(date(2026, 8, 3), True), (date(2026, 8, 4), True), (date(2026, 8, 5), False), (date(2026, 8, 2), False)],
        ids=["same-day", "next-day", "two-days-later", "before-the-test"],
    )
    def test_management_is_decided_within_24_hours_of_the_positive_test(self, decided: date, ok: bool) -> None:
        verdict = management_decided_in_time(
            facts(positive_test_on="2026-08-03", docs={"user_management_decision": decided}), date(2026, 8, 10)
        )

        assert bool(verdict) is ok

    @pytest.mark.parametrize(("months", "ok"), [(12, True), (24, True), (11, False), (30, False)])
    def test_monitoring_lasts_one_to_two_years(self, months: int, ok: bool) -> None:
        assert bool(monitoring_length_allowed(facts(payload={"monitoring_months": months}), date(2027, 1, 1))) is ok

    @pytest.mark.parametrize(
        ("track", "kind", "ok"),
        [
            (Track.MINOR, "reform_school", True),
            (Track.MINOR, "rehab_facility", False),
            (Track.ADULT, "reform_school", False),
            (Track.ADULT, None, True),
        ],
    )
    def test_minors_go_to_a_reform_school_or_qualifying_public_facility(
        self, track: Track, kind: str | None, ok: bool
    ) -> None:
        payload = {"facility_kind": kind} if kind else {}
        assert bool(placement_fits_age(facts(track=track, payload=payload), date(2027, 1, 1))) is ok

    @pytest.mark.parametrize(
        ("on", "code"),
        [
            (date(2027, 3, 9), "transfer.not_yet_18"),
            (date(2027, 3, 10), None),
            (date(2028, 5, 2), "transfer.too_little_time_left"),
        ],
        ids=["day-before-18th-birthday", "18th-birthday", "two-months-left"],
    )
    def test_transfer_to_an_adult_facility_at_18_with_three_months_left(self, on: date, code: str | None) -> None:
        person = facts(
            track=Track.MINOR,
            birth_date="2009-03-10",
            admitted_on="2026-07-01",
            term_months=24,
            incoming=("transfer_decision", on),
        )
        verdict = turned_18_with_time_left(person, on)

        assert (verdict.code if isinstance(verdict, Refused) else None) == code


class TestTransitionalPostRehab:
    @pytest.mark.parametrize("regime_id", ["vn-2021", "vn-2025"])
    def test_completion_from_the_new_laws_first_day_reads_the_new_duration(self, regime_id: str) -> None:
        regime = REGIMES[regime_id]
        before = regime.rule("post_rehab.duration", Track.ADULT, {"completion_certificate": date(2026, 6, 30)})
        after = regime.rule("post_rehab.duration", Track.MINOR, {"completion_certificate": date(2026, 7, 1)})

        assert before.id == "post_rehab.duration"
        assert after.id == "post_rehab.duration_2026.minor" and "120/2025" in after.basis

    def test_a_value_corrected_for_the_new_law_reaches_old_dossiers(self) -> None:
        regimes = configured_regimes(Settings(rules={"vn-2026": {"post_rehab.duration": 3}}))
        rule = regimes["vn-2025"].rule("post_rehab.duration", Track.ADULT, {"completion_certificate": date(2027, 1, 1)})

        assert rule.value == 3


class TestReferenceAgenciesResolve:
    """Every agency a vn-2025 / vn-2026 dossier needs exists for every Tuần Giáo commune in the regime's period."""

    DAYS = {
        "vn-2025": (date(2025, 3, 1), date(2025, 6, 30), date(2025, 7, 1), date(2026, 6, 30)),
        "vn-2026": (date(2026, 7, 1), date(2027, 7, 1)),
    }

    @pytest.mark.parametrize("regime_id", ["vn-2025", "vn-2026"])
    def test_every_stage_deadline_and_escalation_agency_resolves(self, regime_id: str) -> None:
        regime, directory = REGIMES[regime_id], reference_directory()
        types = {st.agency for st in regime.stages.values() if st.agency}
        types |= {a for st in regime.stages.values() for spec in st.deadlines for a in (spec.agency, *spec.escalate_to)}
        communes = [code for code, area in directory.areas.items() if area.level == "commune"]
        missing = [
            (t, c, d)
            for t in types
            if t
            for c in communes
            for d in self.DAYS[regime_id]
            if directory.areas[c].valid_on(d) and directory.resolve(t.value, c, d) is None
        ]

        assert len(communes) == 19 + 8 and missing == []

    def test_the_court_is_the_district_court_until_30_june_2025_then_the_regional_court(self) -> None:
        directory, commune = reference_directory(), commune_code("Xã Quài Cang")

        assert directory.resolve("regional_court", commune, date(2025, 6, 30)) == f"{DISTRICT[0]}.district_court"
        assert directory.resolve("regional_court", commune, date(2025, 7, 1)) == REGIONAL_COURT
        assert directory.resolve("district_court", commune, date(2025, 7, 1)) == REGIONAL_COURT
        assert directory.resolve("procuracy", commune, date(2025, 7, 1)) == REGIONAL_PROCURACY

    def test_a_successor_acts_for_the_agency_it_replaced(self) -> None:
        directory = reference_directory()
        police = f"{PROVINCE[0]}.provincial_police"

        assert {"labour_office", "district_police"} <= directory.acts_for(police, date(2025, 3, 1))
        assert directory.acts_for(police, date(2025, 2, 28)) == {"provincial_police"}
