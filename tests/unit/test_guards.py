"""Every guard's boundaries, and every refusal's stable code and citation (LEGAL-PROCESS.md §2–5)."""

from __future__ import annotations

from datetime import date

import pytest

from handlers.documents import addiction_confirmed, grounds_stated, residence_document_if_no_stable_residence
from handlers.eligibility import (
    NOT_EXCLUDED,
    person_has_capacity,
    person_is_at_least_12,
    person_is_not_foreign,
    person_is_not_pregnant,
    person_is_not_sole_carer_of_infant,
    track_matches_age,
)
from handlers.facts import DossierFacts
from handlers.periods import (
    complaint_period_over,
    complaint_within_period,
    decision_in_effect,
    enforcement_limitation_expired,
    exemption_ground_valid,
    postponement_ground_valid,
    reading_period_respected,
    supervision_period_served,
    term_served,
    term_within_range,
    within_application_limitation,
    within_enforcement_limitation,
)
from handlers.verdict import Allowed, Refused, Verdict
from states.model import Doc, Guard, Track
from states.registry import regimes_by_id
from states.vn_2021 import STEPS_BY_NAME
from states.vn_2021_stages import DOSSIER_DOCUMENTS
from tests.factories import document, facts

D = date
VN_2014 = regimes_by_id()["vn-2014"]
PCMT_32_33 = "Luật PCMT 73/2021/QH14, Điều 32–33"
XLVPHC_96 = "Luật XLVPHC 2012 (sửa đổi 2020), Điều 96 khoản 2 (◻ cần xác minh)"
ND116_41 = "Nghị định 116/2021/NĐ-CP, Điều 41"
PCMT_27 = "Luật PCMT 73/2021/QH14, Điều 27; Thông tư 18/2021/TT-BYT, Điều 5"
PL03_32 = "Pháp lệnh 03/2022/UBTVQH15, Điều 32 khoản 1"
XLVPHC_108 = "Luật XLVPHC 2012 (sửa đổi bởi Luật 67/2020/QH14), Điều 108 khoản 2–3"
TODAY = D(2024, 3, 20)


def refused(verdict: Verdict) -> Refused:
    assert isinstance(verdict, Refused), f"expected a refusal, got {verdict!r}"
    return verdict


def allowed(verdict: Verdict) -> bool:
    return isinstance(verdict, Allowed)


def violation_on(day: date) -> dict[str, object]:
    return {"documents": {"violation_record": document(Doc.VIOLATION_RECORD, "12/BB-VPHC", day)}}


class TestTheFactoryDossier:
    @pytest.mark.parametrize("step_name", ["notify_person", "propose_to_court"])
    def test_meets_every_precondition_of_compiling_and_proposing(self, step_name: str) -> None:
        step = STEPS_BY_NAME[step_name]

        verdicts = [guard(facts(), TODAY) for guard in step.guards]

        assert [v for v in verdicts if not v] == []


class TestAge:
    # The factory's violation record is dated Mon 04/03/2024.
    @pytest.mark.parametrize(
        ("birth", "expected"),
        [
            pytest.param("2012-03-04", True, id="12th-birthday-on-the-violation-day"),
            pytest.param("2012-03-05", False, id="violation-the-day-before-the-12th-birthday"),
            pytest.param("1990-05-01", True, id="adult"),
        ],
    )
    def test_sends_nobody_under_12_counting_age_on_the_violation_day(self, birth: str, expected: bool) -> None:
        verdict = person_is_at_least_12(facts(birth_date=birth, track=Track.MINOR), today=D(2030, 1, 1))

        assert allowed(verdict) is expected

    def test_refusal_under_12_gives_the_age_and_cites_the_drug_law(self) -> None:
        verdict = refused(person_is_at_least_12(facts(birth_date="2012-03-05", track=Track.MINOR), TODAY))

        assert verdict.code == "eligibility.under_12"
        assert "11 tuổi" in verdict.reason_vi
        assert verdict.basis == PCMT_32_33

    def test_refuses_when_the_birth_date_is_unknown(self) -> None:
        verdict = refused(person_is_at_least_12(facts(birth_date=None), TODAY))

        assert verdict.code == "eligibility.age_unknown"
        assert verdict.basis == PCMT_32_33

    @pytest.mark.parametrize(
        ("birth", "track", "expected"),
        [
            pytest.param("2006-03-04", Track.ADULT, True, id="18th-birthday-on-the-violation-day-adult"),
            pytest.param("2006-03-04", Track.MINOR, False, id="18th-birthday-on-the-violation-day-not-minor"),
            pytest.param("2006-03-05", Track.MINOR, True, id="day-before-18th-birthday-minor"),
            pytest.param("2006-03-05", Track.ADULT, False, id="day-before-18th-birthday-not-adult"),
        ],
    )
    def test_puts_a_person_on_the_adult_track_from_their_18th_birthday(
        self, birth: str, track: Track, expected: bool
    ) -> None:
        verdict = track_matches_age(facts(birth_date=birth, track=track), TODAY)

        assert allowed(verdict) is expected

    def test_wrong_track_refusal_names_the_track_and_cites_the_drug_law(self) -> None:
        verdict = refused(track_matches_age(facts(birth_date="2006-03-05", track=Track.ADULT), TODAY))

        assert verdict.code == "eligibility.wrong_track"
        assert "người chưa thành niên" in verdict.reason_vi
        assert verdict.basis == PCMT_32_33

    @pytest.mark.parametrize(
        ("violation", "track"),
        [
            pytest.param(D(2022, 2, 28), Track.MINOR, id="28-feb-non-leap-year-still-17"),
            pytest.param(D(2022, 3, 1), Track.ADULT, id="1-mar-non-leap-year-18"),
            pytest.param(D(2024, 2, 28), Track.ADULT, id="later-leap-year-adult"),
        ],
    )
    def test_a_29_february_birthday_counts_from_1_march_in_other_years(self, violation: date, track: Track) -> None:
        dossier = facts(birth_date="2004-02-29", track=track, **violation_on(violation))

        assert allowed(track_matches_age(dossier, violation))

    def test_a_29_february_birthday_counts_on_29_february_in_a_leap_year(self) -> None:
        dossier = facts(birth_date="2004-02-29", track=Track.MINOR, **violation_on(D(2016, 2, 29)))

        assert allowed(person_is_at_least_12(dossier, D(2016, 2, 29)))


class TestExclusions:
    @pytest.mark.parametrize("nationality", ["VN", "vn", "VNM"], ids=["vn", "lower-case-vn", "three-letter-vnm"])
    def test_allows_a_vietnamese_citizen(self, nationality: str) -> None:
        assert allowed(person_is_not_foreign(facts(nationality=nationality), TODAY))

    @pytest.mark.parametrize("nationality", ["LA", "CN"], ids=["laos", "china"])
    def test_refuses_a_foreigner_and_points_to_voluntary_rehab(self, nationality: str) -> None:
        verdict = refused(person_is_not_foreign(facts(nationality=nationality), TODAY))

        assert verdict.code == "eligibility.foreigner"
        assert "tự nguyện" in verdict.reason_vi
        assert verdict.basis == "Luật PCMT 73/2021/QH14, Điều 37 khoản 2"

    @pytest.mark.parametrize(
        ("guard", "fact", "code"),
        [
            pytest.param(person_is_not_pregnant, "pregnant", "eligibility.pregnant", id="pregnant"),
            pytest.param(person_has_capacity, "lacks_capacity", "eligibility.lacks_capacity", id="lacks-capacity"),
        ],
    )
    def test_refuses_an_excluded_person_citing_the_clause_still_to_verify(
        self, guard: Guard, fact: str, code: str
    ) -> None:
        verdict = refused(guard(facts(**{fact: True}), TODAY))

        assert verdict.code == code
        assert verdict.basis == XLVPHC_96
        assert verdict.unconfirmed is True
        assert allowed(guard(facts(**{fact: False}), TODAY))

    def test_refuses_the_sole_carer_of_a_child_under_36_months_counted_from_its_birth_date(self) -> None:
        young = facts(child_birth_date="2021-03-21", sole_carer=True)

        verdict = refused(person_is_not_sole_carer_of_infant(young, TODAY))

        assert verdict.code == "eligibility.sole_carer_of_infant"
        assert verdict.basis == XLVPHC_96
        assert "21/03/2024" in verdict.reason_vi
        assert allowed(person_is_not_sole_carer_of_infant(young, D(2024, 3, 21)))

    def test_reports_every_exclusion_not_just_the_first(self) -> None:
        dossier = facts(nationality="LA", pregnant=True, lacks_capacity=True)

        codes = [v.code for v in (guard(dossier, TODAY) for guard in NOT_EXCLUDED) if isinstance(v, Refused)]

        assert codes == ["eligibility.foreigner", "eligibility.pregnant", "eligibility.lacks_capacity"]


class TestAddictionDetermination:
    @pytest.mark.parametrize(
        "overrides",
        [
            pytest.param({"determination_outcome": None}, id="no-outcome"),
            pytest.param({"documents": {"determination_result": None}}, id="no-result-document"),
        ],
    )
    def test_refuses_compiling_without_a_determination(self, overrides: dict[str, object]) -> None:
        verdict = refused(addiction_confirmed(facts(**overrides), TODAY))

        assert verdict.code == "determination.missing"
        assert verdict.basis == PCMT_27

    def test_refuses_compiling_for_a_person_found_not_addicted(self) -> None:
        verdict = refused(addiction_confirmed(facts(determination_outcome="not_addicted"), TODAY))

        assert verdict.code == "determination.not_addicted"
        assert verdict.basis == PCMT_27


class TestDocuments:
    def test_lists_every_missing_document_in_one_refusal(self) -> None:
        verdict = refused(DOSSIER_DOCUMENTS(facts(documents={"cv": None, "statement": None}), TODAY))

        assert verdict.code == "documents.missing"
        assert "Bản tóm tắt lý lịch (Mẫu 30)" in verdict.reason_vi
        assert "Bản tường trình của người bị đề nghị (Mẫu 31)" in verdict.reason_vi
        assert "summary CV (form 30)" in verdict.reason_en and "statement (form 31)" in verdict.reason_en
        assert verdict.basis == ND116_41

    def test_counts_the_document_the_step_itself_produces(self) -> None:
        dossier = facts(
            documents={"compiler_proposal": None},
            incoming=document(Doc.COMPILER_PROPOSAL, "21/ĐN-UBND", D(2024, 3, 13)),
        )

        assert allowed(DOSSIER_DOCUMENTS(dossier, TODAY))

    def test_refuses_a_person_without_stable_residence_until_the_police_document_is_filed(self) -> None:
        verdict = refused(residence_document_if_no_stable_residence(facts(stable_residence=False), TODAY))

        assert verdict.code == "documents.residence_confirmation_missing"
        assert verdict.basis == ND116_41

    @pytest.mark.parametrize(
        "overrides",
        [
            pytest.param({}, id="stable-residence"),
            pytest.param(
                {
                    "stable_residence": False,
                    "documents": {
                        "residence_confirmation": document(Doc.RESIDENCE_CONFIRMATION, "05/XN-CAX", D(2024, 3, 6))
                    },
                },
                id="no-stable-residence-with-police-document",
            ),
        ],
    )
    def test_allows_a_residence_that_is_stable_or_documented(self, overrides: dict[str, object]) -> None:
        assert allowed(residence_document_if_no_stable_residence(facts(**overrides), TODAY))


GROUNDS_BASIS = "Luật PCMT 73/2021/QH14, Điều 32 khoản 1–4; Điều 33 khoản 1"


class TestGrounds:
    @pytest.mark.parametrize(
        "ground", ["no_voluntary_rehab", "used_during_voluntary", "substitution_breach", "relapse_in_post_rehab"]
    )
    def test_allows_each_ground_of_article_32_for_an_adult(self, ground: str) -> None:
        assert allowed(grounds_stated(facts(grounds=ground), TODAY))

    @pytest.mark.parametrize(
        ("track", "ground"),
        [
            pytest.param(Track.MINOR, "relapse_in_post_rehab", id="relapse-ground-not-for-minors"),
            pytest.param(Track.ADULT, None, id="no-ground"),
            pytest.param(Track.ADULT, "drug_use", id="unknown-ground"),
        ],
    )
    def test_refuses_a_ground_missing_or_not_for_this_person(self, track: Track, ground: str | None) -> None:
        verdict = refused(grounds_stated(facts(track=track, birth_date="2008-01-01", grounds=ground), TODAY))

        assert verdict.code == "grounds.missing"
        assert verdict.basis == GROUNDS_BASIS

    def test_refuses_the_electronic_monitoring_ground_under_the_2021_law(self) -> None:
        verdict = grounds_stated(facts(grounds="monitoring_breach"), TODAY)

        assert refused(verdict).code == "grounds.missing"


class TestReadingPeriod:
    """3 working days from the notice (NĐ 116/2021 art. 42(3)); the dossier may leave the day after."""

    @pytest.mark.parametrize(
        ("notified", "last_day", "next_working_day"),
        [
            pytest.param(D(2024, 3, 11), D(2024, 3, 14), D(2024, 3, 15), id="mon-notice-thu-last-fri-next"),
            pytest.param(D(2024, 3, 14), D(2024, 3, 19), D(2024, 3, 20), id="across-a-weekend"),
            pytest.param(D(2026, 2, 12), D(2026, 2, 24), D(2026, 2, 25), id="across-tet-2026"),
        ],
    )
    def test_refuses_on_the_last_day_and_allows_the_next_working_day(
        self, notified: date, last_day: date, next_working_day: date
    ) -> None:
        dossier = facts(notice_received_on=notified.isoformat())

        verdict = refused(reading_period_respected(dossier, last_day))

        assert verdict.code == "reading.period_running"
        assert f"{last_day:%d/%m/%Y}" in verdict.reason_vi
        assert verdict.basis == "Nghị định 116/2021/NĐ-CP, Điều 42 khoản 3"
        assert verdict.unconfirmed is False
        assert allowed(reading_period_respected(dossier, next_working_day))

    def test_counts_from_the_reading_notice_document_when_no_receipt_date_is_given(self) -> None:
        dossier = facts(documents={"reading_notice": document(Doc.READING_NOTICE, "07/TB-UBND", D(2024, 3, 11))})

        assert not reading_period_respected(dossier, D(2024, 3, 14))
        assert allowed(reading_period_respected(dossier, D(2024, 3, 15)))

    def test_refuses_before_the_person_is_notified(self) -> None:
        verdict = refused(reading_period_respected(facts(), TODAY))

        assert verdict.code == "reading.notice_missing"
        assert verdict.basis == "Nghị định 116/2021/NĐ-CP, Điều 42 khoản 3"

    def test_vn_2014_reads_for_5_working_days_and_says_the_value_is_not_confirmed(self) -> None:
        dossier = facts(regime=VN_2014, notice_received_on="2021-03-08", **violation_on(D(2021, 3, 1)))

        verdict = refused(reading_period_respected(dossier, D(2021, 3, 15)))

        assert "15/03/2021" in verdict.reason_vi
        assert verdict.unconfirmed is True
        assert "chưa được xác nhận" in verdict.reason_vi
        assert verdict.basis == "Luật XLVPHC 2012, Điều 103 khoản 3"
        assert allowed(reading_period_respected(dossier, D(2021, 3, 16)))


class TestComplaintPeriod:
    """5 working days from the decision (PL 03/2022 art. 32(1)); it takes effect the day after."""

    @pytest.mark.parametrize(
        ("received", "last_day", "day_after"),
        [
            pytest.param(D(2024, 6, 3), D(2024, 6, 10), D(2024, 6, 11), id="across-a-weekend"),
            pytest.param(D(2026, 2, 10), D(2026, 2, 24), D(2026, 2, 25), id="across-tet-2026"),
        ],
    )
    def test_refuses_on_the_last_day_of_the_period_and_says_until_when(
        self, received: date, last_day: date, day_after: date
    ) -> None:
        dossier = facts(decision_received_on=received.isoformat())

        verdict = refused(complaint_period_over(dossier, last_day))

        assert verdict.code == "decision.complaint_period_running"
        assert f"{last_day:%d/%m/%Y}" in verdict.reason_vi
        assert f"{last_day:%d/%m/%Y}" in verdict.reason_en
        assert verdict.basis == PL03_32
        assert allowed(complaint_period_over(dossier, day_after))

    def test_counts_from_the_court_decision_document_when_no_receipt_date_is_given(self) -> None:
        dossier = facts(documents={"court_decision": document(Doc.COURT_DECISION, "12/QĐ-TA", D(2026, 2, 10))})

        assert "24/02/2026" in refused(complaint_period_over(dossier, D(2026, 2, 24))).reason_vi

    def test_refuses_to_end_the_period_without_a_decision(self) -> None:
        verdict = refused(complaint_period_over(facts(), TODAY))

        assert (verdict.code, verdict.basis) == ("decision.missing", PL03_32)

    @pytest.mark.parametrize(
        ("lodged", "expected"),
        [
            pytest.param(D(2026, 2, 24), True, id="lodged-on-the-last-day"),
            pytest.param(D(2026, 2, 25), False, id="lodged-the-day-after"),
        ],
    )
    def test_accepts_a_complaint_lodged_until_the_last_day(self, lodged: date, expected: bool) -> None:
        dossier = facts(decision_received_on="2026-02-10", incoming=document(Doc.COMPLAINT, "01/ĐKN", lodged))

        verdict = complaint_within_period(dossier, D(2026, 3, 2))

        assert allowed(verdict) is expected

    def test_refuses_a_late_complaint_saying_when_the_period_ended(self) -> None:
        verdict = refused(complaint_within_period(facts(decision_received_on="2026-02-10"), D(2026, 2, 25)))

        assert verdict.code == "complaint.out_of_time"
        assert "24/02/2026" in verdict.reason_vi
        assert verdict.basis == PL03_32


class TestDecisionInEffect:
    @pytest.mark.parametrize(
        ("effective", "today", "expected"),
        [
            pytest.param(None, D(2024, 6, 11), False, id="no-effective-date"),
            pytest.param("2024-06-11", D(2024, 6, 10), False, id="day-before-effect"),
            pytest.param("2024-06-11", D(2024, 6, 11), True, id="day-of-effect"),
        ],
    )
    def test_escorts_only_once_the_decision_is_in_effect(
        self, effective: str | None, today: date, expected: bool
    ) -> None:
        verdict = decision_in_effect(facts(decision_effective_on=effective), today)

        assert allowed(verdict) is expected

    def test_refusal_code_and_citation(self) -> None:
        verdict = refused(decision_in_effect(facts(), TODAY))

        assert verdict.code == "decision.not_in_effect"
        assert verdict.basis == PL03_32


class TestEnforcementLimitation:
    """One year from the decision's effect (XLVPHC art. 108(2)), restarting when an evasion ends (108(3))."""

    @pytest.mark.parametrize(
        ("effective", "last_day", "day_after"),
        [
            pytest.param("2024-03-13", D(2025, 3, 13), D(2025, 3, 14), id="anniversary-on-a-thursday"),
            pytest.param("2024-03-15", D(2025, 3, 17), D(2025, 3, 18), id="anniversary-on-a-saturday-moves-to-monday"),
        ],
    )
    def test_allows_the_escort_on_the_last_day_and_refuses_it_the_day_after(
        self, effective: str, last_day: date, day_after: date
    ) -> None:
        dossier = facts(decision_effective_on=effective)

        verdict = refused(within_enforcement_limitation(dossier, day_after))

        assert allowed(within_enforcement_limitation(dossier, last_day))
        assert verdict.code == "limitation.enforcement_expired"
        assert f"{last_day:%d/%m/%Y}" in verdict.reason_vi
        assert verdict.basis == XLVPHC_108

    @pytest.mark.parametrize(
        ("today", "expected"),
        [
            pytest.param(D(2025, 6, 2), True, id="after-the-first-year-but-within-the-restarted-one"),
            pytest.param(D(2026, 2, 3), True, id="last-day-of-the-restarted-year"),
            pytest.param(D(2026, 2, 4), False, id="day-after-the-restarted-year"),
        ],
    )
    def test_restarts_the_year_when_the_evasion_ends(self, today: date, expected: bool) -> None:
        dossier = facts(decision_effective_on="2024-03-13", evasion_ended_on="2025-02-03")

        assert allowed(within_enforcement_limitation(dossier, today)) is expected

    def test_closes_for_limitation_only_the_day_after_the_last_day(self) -> None:
        dossier = facts(decision_effective_on="2024-03-13")

        verdict = refused(enforcement_limitation_expired(dossier, D(2025, 3, 13)))

        assert verdict.code == "limitation.enforcement_running"
        assert "13/03/2025" in verdict.reason_vi
        assert verdict.basis == XLVPHC_108
        assert allowed(enforcement_limitation_expired(dossier, D(2025, 3, 14)))

    def test_does_not_close_for_limitation_a_decision_not_yet_in_effect(self) -> None:
        verdict = refused(enforcement_limitation_expired(facts(), D(2030, 1, 1)))

        assert verdict.code == "limitation.enforcement_running"


class TestApplicationLimitation:
    """3 months from the last violation (XLVPHC 2012 art. 6(2)(d)), a value still to verify (◻)."""

    def test_allows_proposing_on_the_last_day(self) -> None:
        assert allowed(within_application_limitation(facts(), D(2024, 6, 4)))

    def test_refuses_the_day_after_and_says_the_value_is_not_confirmed(self) -> None:
        verdict = refused(within_application_limitation(facts(), D(2024, 6, 5)))

        assert verdict.code == "limitation.application_expired"
        assert "04/06/2024" in verdict.reason_vi
        assert verdict.unconfirmed is True
        assert "chưa được xác nhận" in verdict.reason_vi
        assert "not confirmed" in verdict.reason_en
        assert verdict.basis == "Luật XLVPHC 2012, Điều 6 khoản 2 điểm d"

    def test_counts_from_the_last_violation_when_it_is_later_than_the_record(self) -> None:
        dossier = facts(last_violation_on="2024-04-10")

        assert allowed(within_application_limitation(dossier, D(2024, 7, 10)))
        assert not within_application_limitation(dossier, D(2024, 7, 11))

    def test_uses_the_value_a_legal_officer_configured(self) -> None:
        regime = regimes_by_id()["vn-2021"].with_rule_values({"limitation.application": 6})
        dossier = facts(regime=regime)

        verdict = refused(within_application_limitation(dossier, D(2024, 9, 5)))

        assert allowed(within_application_limitation(dossier, D(2024, 9, 4)))
        assert "Giá trị 6" in verdict.reason_vi


ADULT_TERM_BASIS = "Luật XLVPHC 2012 (sửa đổi bởi Luật 67/2020/QH14), Điều 95 khoản 2"
MINOR_TERM_BASIS = "Luật PCMT 73/2021/QH14, Điều 33 khoản 3"


class TestTermRange:
    @pytest.mark.parametrize(
        ("track", "months", "expected"),
        [
            pytest.param(Track.ADULT, 11, False, id="adult-11"),
            pytest.param(Track.ADULT, 12, True, id="adult-12"),
            pytest.param(Track.ADULT, 24, True, id="adult-24"),
            pytest.param(Track.ADULT, 25, False, id="adult-25"),
            pytest.param(Track.MINOR, 5, False, id="minor-5"),
            pytest.param(Track.MINOR, 6, True, id="minor-6"),
            pytest.param(Track.MINOR, 12, True, id="minor-12"),
            pytest.param(Track.MINOR, 13, False, id="minor-13"),
        ],
    )
    def test_accepts_a_term_within_the_tracks_range(self, track: Track, months: int, expected: bool) -> None:
        dossier = facts(track=track, birth_date="2008-01-01", payload={"term_months": months})

        assert allowed(term_within_range(dossier, TODAY)) is expected

    @pytest.mark.parametrize(
        ("track", "basis", "range_vi"),
        [
            pytest.param(Track.ADULT, ADULT_TERM_BASIS, "từ 12 đến 24 tháng", id="adult"),
            pytest.param(Track.MINOR, MINOR_TERM_BASIS, "từ 6 đến 12 tháng", id="minor"),
        ],
    )
    def test_refusal_states_the_range_and_cites_it(self, track: Track, basis: str, range_vi: str) -> None:
        verdict = refused(term_within_range(facts(track=track, payload={"term_months": 30}), TODAY))

        assert verdict.code == "decision.term_out_of_range"
        assert range_vi in verdict.reason_vi
        assert verdict.basis == basis

    @pytest.mark.parametrize("months", [None, "12"], ids=["missing", "text"])
    def test_refuses_a_term_that_is_not_a_whole_number_of_months(self, months: object) -> None:
        assert not term_within_range(facts(payload={"term_months": months}), TODAY)


TERM_SERVED_BASIS = "Luật XLVPHC 2012, Điều 95; Nghị định 116/2021/NĐ-CP, Điều 56 khoản 4, Điều 62"


class TestTermServed:
    @pytest.mark.parametrize(
        ("extra", "last_day"),
        [
            pytest.param({}, D(2025, 3, 15), id="twelve-months"),
            pytest.param({"days_absconded": 10}, D(2025, 3, 25), id="absconded-days-added"),
            pytest.param({"days_held_pending": 20}, D(2025, 2, 23), id="days-held-pending-deducted"),
        ],
    )
    def test_certifies_completion_from_the_day_the_term_ends(self, extra: dict[str, int], last_day: date) -> None:
        dossier = facts(admitted_on="2024-03-15", term_months=12, **extra)

        verdict = refused(term_served(dossier, D.fromordinal(last_day.toordinal() - 1)))

        assert verdict.code == "term.not_served"
        assert f"{last_day:%d/%m/%Y}" in verdict.reason_vi
        assert verdict.basis == TERM_SERVED_BASIS
        assert allowed(term_served(dossier, last_day))

    def test_certifies_early_when_the_court_reduced_the_term(self) -> None:
        dossier = facts(admitted_on="2024-03-15", term_months=12, payload={"term_reduced_by_court": True})

        assert allowed(term_served(dossier, D(2024, 9, 1)))

    def test_refuses_without_an_admission_date(self) -> None:
        verdict = refused(term_served(facts(term_months=12), TODAY))

        assert (verdict.code, verdict.basis) == ("term.not_served", TERM_SERVED_BASIS)


class TestSupervisionPeriod:
    """2 years for an adult (PCMT art. 40(2)), 1 year for a minor (art. 40(1))."""

    @staticmethod
    def supervised(track: Track, completed: date, decided: date) -> DossierFacts:
        return facts(
            track=track,
            birth_date="2008-01-01" if track is Track.MINOR else "1990-05-01",
            documents={
                "completion_certificate": document(Doc.COMPLETION_CERTIFICATE, "46/GCN-CSCN", completed),
                "post_rehab_decision": document(Doc.POST_REHAB_DECISION, "51/QĐ-UBND", decided),
            },
        )

    @pytest.mark.parametrize(
        ("track", "last_day", "basis"),
        [
            pytest.param(Track.ADULT, D(2026, 3, 13), "Luật PCMT 73/2021/QH14, Điều 40 khoản 2", id="adult-2-years"),
            pytest.param(Track.MINOR, D(2025, 3, 13), "Luật PCMT 73/2021/QH14, Điều 40 khoản 1", id="minor-1-year"),
        ],
    )
    def test_ends_supervision_only_from_the_last_day(self, track: Track, last_day: date, basis: str) -> None:
        dossier = self.supervised(track, completed=D(2024, 3, 13), decided=D(2024, 3, 13))

        verdict = refused(supervision_period_served(dossier, D.fromordinal(last_day.toordinal() - 1)))

        assert verdict.code == "supervision.period_running"
        assert f"{last_day:%d/%m/%Y}" in verdict.reason_vi
        assert verdict.basis == basis
        assert allowed(supervision_period_served(dossier, last_day))

    def test_counts_the_two_years_from_completing_the_measure_not_from_the_supervision_decision(self) -> None:
        dossier = self.supervised(Track.ADULT, completed=D(2024, 3, 13), decided=D(2024, 3, 27))

        assert allowed(supervision_period_served(dossier, D(2026, 3, 13)))

    def test_refuses_without_a_supervision_decision(self) -> None:
        verdict = refused(supervision_period_served(facts(), TODAY))

        assert (verdict.code, verdict.basis) == ("supervision.not_started", "Luật PCMT 73/2021/QH14, Điều 40 khoản 2")


ND116_57 = "Nghị định 116/2021/NĐ-CP, Điều 57"


class TestPostponementAndExemption:
    @pytest.mark.parametrize(
        ("guard", "ground", "expected"),
        [
            pytest.param(postponement_ground_valid, "serious_illness", True, id="postpone-serious-illness"),
            pytest.param(postponement_ground_valid, "family_hardship", True, id="postpone-family-hardship"),
            pytest.param(postponement_ground_valid, "pregnant", False, id="postpone-not-for-pregnancy"),
            pytest.param(exemption_ground_valid, "incurable_illness", True, id="exempt-incurable-illness"),
            pytest.param(exemption_ground_valid, "voluntary_rehab_not_addicted", True, id="exempt-after-voluntary"),
            pytest.param(exemption_ground_valid, "pregnant", True, id="exempt-pregnant"),
            pytest.param(exemption_ground_valid, "family_hardship", False, id="exempt-not-for-hardship"),
        ],
    )
    def test_accepts_only_the_grounds_of_article_57(self, guard: Guard, ground: str, expected: bool) -> None:
        verdict = guard(facts(payload={"ground": ground}), TODAY)

        assert allowed(verdict) is expected
        if not expected:
            assert refused(verdict).basis == ND116_57
            assert refused(verdict).code in ("postponement.ground_invalid", "exemption.ground_invalid")
