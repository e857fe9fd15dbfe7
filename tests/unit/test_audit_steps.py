"""The legal audit of 2026-12-01, rows on steps, exclusions and regimes: one test per WRONG / MISSING row.

Each test is named after its audit row (`test_audit_<section>_...`) and failed on the code the audit read.
"""

from __future__ import annotations

from datetime import date as D

import pytest

from handlers.documents import grounds_stated
from handlers.eligibility import (
    NOT_EXCLUDED,
    person_has_capacity,
    person_is_not_pregnant,
    person_is_not_raising_an_infant,
    person_is_old_enough,
)
from handlers.verdict import Refused
from states.model import AgencyType, Regime, Status, Track
from states.registry import regimes_by_id
from tests.factories import facts

REGIMES = regimes_by_id()
VN_2014, VN_2021, VN_2025, VN_2026 = (REGIMES[r] for r in ("vn-2014", "vn-2021", "vn-2025", "vn-2026"))
TODAY = D(2024, 3, 20)


def codes(regime: Regime, today: D = TODAY, **overrides: object) -> list[str]:
    dossier = facts(regime=regime, **overrides)
    return [v.code for v in (g(dossier, today) for g in NOT_EXCLUDED) if isinstance(v, Refused)]


class TestExclusions:
    def test_audit_1_3_carer_exclusion_covers_a_woman_raising_a_child_under_36_months(self) -> None:
        """A mother who is not the only carer is excluded too (XLVPHC art. 96(2): "phụ nữ hoặc người duy nhất")."""
        mother = facts(sex="female", child_birth_date="2022-01-10", sole_carer=False)
        father = facts(sex="male", child_birth_date="2022-01-10", sole_carer=False)

        assert isinstance(person_is_not_raising_an_infant(mother, TODAY), Refused)
        assert not isinstance(person_is_not_raising_an_infant(father, TODAY), Refused)
        assert isinstance(
            person_is_not_raising_an_infant(facts(sex="male", child_birth_date="2022-01-10", sole_carer=True), TODAY),
            Refused,
        )

    def test_audit_1_3_child_age_is_computed_from_the_childs_birth_date(self) -> None:
        """Not a yes/no typed once: the exclusion lapses the day the child reaches 36 months."""
        mother = facts(sex="female", child_birth_date="2021-04-02")

        refused = person_is_not_raising_an_infant(mother, D(2024, 4, 1))
        assert isinstance(refused, Refused)
        assert "02/04/2024" in refused.reason_vi
        assert not isinstance(person_is_not_raising_an_infant(mother, D(2024, 4, 2)), Refused)

    def test_audit_1_3_unconfirmed_exclusions_are_overridable_in_config(self) -> None:
        """◻ exclusions are rules a deployment can switch off (0) or change; ✔ ones cannot be overridden."""
        configured = VN_2021.with_rule_values({"exclusion.pregnant": 0, "exclusion.child_under": 24})

        assert codes(VN_2021, pregnant=True) == ["eligibility.pregnant"]
        assert codes(configured, pregnant=True) == []
        assert codes(configured, sex="female", child_birth_date="2022-01-10") == []
        assert codes(configured, sex="female", child_birth_date="2022-06-10") == ["eligibility.sole_carer_of_infant"]
        with pytest.raises(ValueError, match="confirmed"):
            VN_2021.with_rule_values({"exclusion.min_age": 10})

    def test_audit_7_unconfirmed_exclusions_are_flagged_unconfirmed_in_their_refusals(self) -> None:
        for guard, fact in (
            (person_is_not_pregnant, {"pregnant": True}),
            (person_has_capacity, {"lacks_capacity": True}),
            (person_is_not_raising_an_infant, {"sex": "female", "child_birth_date": "2023-01-01"}),
        ):
            verdict = guard(facts(**fact), TODAY)
            assert isinstance(verdict, Refused)
            assert verdict.unconfirmed is True, guard.__name__
            assert "chưa được xác nhận" in verdict.reason_vi and "not confirmed" in verdict.reason_en

        foreigner = facts(nationality="LA")
        assert [v.unconfirmed for g in NOT_EXCLUDED if isinstance(v := g(foreigner, TODAY), Refused)] == [False]

    def test_audit_4_vn2026_exclusions_do_not_cite_a_repealed_law_as_in_force(self) -> None:
        verdict = person_is_not_pregnant(facts(regime=VN_2026, pregnant=True), D(2026, 8, 1))

        assert isinstance(verdict, Refused)
        assert verdict.basis.startswith("Luật PCMT 120/2025/QH15")
        assert "chưa tìm thấy" in verdict.basis
        assert verdict.unconfirmed is True


class TestVn2014:
    def test_audit_2_1_vn2014_refuses_a_minor(self) -> None:
        """XLVPHC 2012 art. 96(1): adults only; the minors' court track came with PCMT 73/2021 art. 33."""
        minor = {"birth_date": "2004-06-01", "violation_on": "2019-03-04", "track": Track.MINOR}  # 14
        no_record = {"documents": {"violation_record": None}}

        assert "eligibility.under_18" in codes(VN_2014, **minor, **no_record)
        assert codes(VN_2021, **{**minor, "violation_on": "2021-03-04"}, **no_record) == []  # 16, minors' track
        assert person_is_old_enough(facts(regime=VN_2014, **no_record, **minor), TODAY).basis.startswith(
            "Luật XLVPHC 2012, Điều 96 khoản 1"
        )
        assert not [rule_id for rule_id in VN_2014.rules if rule_id.endswith(".minor")]

    def test_audit_2_1_vn2014_grounds_are_those_of_decree_221_2013(self) -> None:
        """NĐ 221/2013 art. 3: commune education already given and still addicted, or no stable residence."""
        from handlers.documents import ground_fits_residence

        assert set(VN_2014.grounds) == {"commune_education_still_addicted", "no_stable_residence"}
        old_ground = grounds_stated(facts(regime=VN_2014, grounds="no_voluntary_rehab"), TODAY)
        assert isinstance(old_ground, Refused) and "221/2013" in old_ground.basis

        no_education = facts(regime=VN_2014, grounds="commune_education_still_addicted")
        educated = facts(regime=VN_2014, grounds="commune_education_still_addicted", commune_education_on="2018-05-02")
        assert isinstance(ground_fits_residence(no_education, TODAY), Refused)
        assert not isinstance(ground_fits_residence(educated, TODAY), Refused)
        assert isinstance(ground_fits_residence(facts(regime=VN_2014, grounds="no_stable_residence"), TODAY), Refused)
        notify = next(s for s in VN_2014.steps if s.name == "notify_person")
        assert ground_fits_residence in notify.guards and "commune_education_on" in notify.fields

    def test_audit_2_1_vn2014_compiler_is_the_commune_committee_chairman(self) -> None:
        by_name = {s.name: s for s in VN_2014.steps}
        for name in ("notify_person", "send_to_legal_check", "resubmit"):
            assert by_name[name].actors == (AgencyType.COMMUNE_COMMITTEE,), name

    def test_audit_2_1_decree_221_form_numbers_are_noted_as_not_found(self) -> None:
        assert any("221/2013" in note and "audit §2.1" in note for note in VN_2014.notes)


class TestVn2026Grounds:
    @pytest.mark.parametrize("ground", ["monitoring_breach", "management_breach"])
    def test_audit_4_vn2026_grounds_include_breaching_monitoring_or_the_management_rules(self, ground: str) -> None:
        adult = facts(regime=VN_2026, grounds=ground)

        assert not isinstance(grounds_stated(adult, D(2026, 8, 1)), Refused)
        assert isinstance(grounds_stated(facts(regime=VN_2021, grounds=ground), TODAY), Refused)
        assert "120/2025" in VN_2026.grounds_basis


class TestSearchDecision:
    def test_audit_1_4_search_decision_before_admission_is_issued_by_the_district_police(self) -> None:
        """NĐ 116/2021 art. 56(1): Mẫu 41 comes from the district police of the compiling place."""
        step = next(s for s in VN_2021.steps if s.name == "report_absconding")

        assert step.actors == (AgencyType.DISTRICT_POLICE,)
        assert next(s for s in VN_2014.steps if s.name == "report_absconding").actors == (AgencyType.DISTRICT_POLICE,)

    def test_audit_3_1_search_decision_is_issued_by_the_provincial_police_pc04(self) -> None:
        for regime in (VN_2025, VN_2026):
            step = next(s for s in regime.steps if s.name == "report_absconding")
            assert step.actors == (AgencyType.PROVINCIAL_POLICE,), regime.id


def test_exclusion_rules_carry_their_status_in_every_regime() -> None:
    for regime in (VN_2014, VN_2021, VN_2025):
        assert regime.rules["exclusion.pregnant"].status is Status.TO_VERIFY
    assert VN_2021.rules["exclusion.min_age"].status is Status.CONFIRMED
    assert VN_2026.rules["exclusion.min_age"].status is Status.UNCONFIRMED


class TestProtestPeriod:
    def test_audit_7_the_procuracys_protest_period_is_its_own_rule_not_the_confirmed_complaint_period(self) -> None:
        """PL 03/2022 art. 32(2)–(3) were not found: the protest period is ◻ and configurable, apart from the ✔ one."""
        from handlers.enforcement import complaint_or_protest_within_period
        from handlers.facts import DocumentRef

        rule = VN_2021.rules["protest.period"]
        assert rule.status is Status.TO_VERIFY and "không tìm thấy" not in rule.basis
        assert VN_2021.rules["complaint.period"].status is Status.CONFIRMED
        decided = DocumentRef("court_decision", "3/QĐ-TA", D(2024, 4, 1))
        lodged = DocumentRef("complaint", "1/KN-VKS", D(2024, 4, 12))  # the 9th working day
        base = {"documents": {"court_decision": decided}, "incoming": lodged}

        late = complaint_or_protest_within_period(facts(payload={"complainant": "procuracy"}, **base), TODAY)
        assert isinstance(late, Refused) and late.code == "protest.out_of_time" and late.unconfirmed
        longer = VN_2021.with_rule_values({"protest.period": 15})
        assert not isinstance(
            complaint_or_protest_within_period(
                facts(regime=longer, payload={"complainant": "procuracy"}, **base), TODAY
            ),
            Refused,
        )
        person = complaint_or_protest_within_period(
            facts(regime=longer, payload={"complainant": "person"}, **base), TODAY
        )
        assert isinstance(person, Refused) and person.code == "complaint.out_of_time"


class TestHonestDocs:
    def test_audit_7_legal_rules_say_where_each_rule_is_applied_and_list_unapplied_ones_apart(self) -> None:
        from dataclasses import replace

        from states.applied import applied
        from states.docs import legal_rules_markdown
        from states.model import Rule
        from vocabulary import Unit

        uses = applied(VN_2021)
        assert uses["reading.period"].kind == "both"  # the stage's deadline and send_to_labour's guard
        assert uses["labour.review"].kind == "deadline"
        assert uses["exclusion.pregnant"].kind == "guard" and "open_dossier" in uses["exclusion.pregnant"].guards
        assert uses["term.max.minor"].kind  # a track variant is applied where its rule is
        idle = Rule(
            "idle.value", 2, Unit.WORKING_DAYS, "Nghị định 116/2021/NĐ-CP", Status.CONFIRMED, "Chưa dùng", "Idle"
        )
        with_idle = replace(VN_2021, rules={**VN_2021.rules, "idle.value": idle})
        assert not applied(with_idle)["idle.value"].kind

        text = legal_rules_markdown([with_idle])
        rules, _, apart = text.partition("chưa áp dụng (not applied)")
        assert "`idle.value`" not in rules.split("### Quy tắc của `vn-2021`")[1]
        assert "`idle.value`" in apart.split("### Giai đoạn")[0]
        assert "**thời hạn và điều kiện**; thời hạn: `person_reading`" in rules

    def test_audit_7_vn2025_and_vn2026_texts_name_the_successor_agencies(self) -> None:
        from states.docs import legal_rules_markdown

        for regime in (VN_2025, VN_2026):
            section = legal_rules_markdown([regime]).split(f"## Chế độ `{regime.id}`")[1]
            assert "UBND cấp huyện" not in section and "LĐTBXH" not in section, regime.id
            assert "UBND cấp tỉnh (kế thừa" in section

    def test_audit_7_confirmed_citations_are_supported_by_the_law_notes(self) -> None:
        """'PL 09/2014 Điều 5/17/20/23' and 'PL 01/2022 Điều 8' are in no note: the PL 09/2014 values stay ✔ on the
        court's published table (R7) without an invented article; PL 01/2022's (a paraphrase, R11) become ◻."""
        for regime in (VN_2014, VN_2021):
            for rule in regime.rules.values():
                if rule.status is Status.CONFIRMED:
                    assert "09/2014/UBTVQH13, Điều" not in rule.basis, rule.id
                    assert "01/2022/UBTVQH15, Điều 8" not in rule.basis, rule.id
        complaint = VN_2014.rules["complaint.period"]
        assert complaint.status is Status.CONFIRMED and "R7" in complaint.basis
        minor = VN_2021.rules["court.decide.minor"]
        assert minor.status is Status.TO_VERIFY and "R11" in minor.note

    def test_audit_7_readme_names_pl_09_2014_and_what_vn2014_borrows(self) -> None:
        from pathlib import Path

        readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
        row = next(line for line in readme.splitlines() if line.startswith("| `vn-2014`"))
        assert "PL 09/2014" in row and "borrowed from vn-2021" in row
