"""Who may be sent to compulsory rehabilitation at all (LEGAL-PROCESS.md §3).

Each exclusion reads its rule (`exclusion.*`) from the dossier's regime: its citation, whether it is
confirmed, and whether a deployment switched a ◻ one off (value 0).
"""

from __future__ import annotations

from datetime import date

from handlers.calendar import add_months
from handlers.facts import DossierFacts
from handlers.verdict import ALLOWED, Refused, Verdict
from vocabulary import Rule, Status

# The citations and values live in each regime's `exclusion.*` rules (states/rules_exclusions.py).
NOT_VERIFIED = " (◻ cần xác minh)"


def age_on(birth: date, on: date) -> int:
    """Completed years on a day: a person turns N on their birthday (29/02 birthdays on 01/03)."""
    years = on.year - birth.year
    before_birthday = (on.month, on.day) < (birth.month, birth.day)
    return years - 1 if before_birthday else years


def _age_at_violation(facts: DossierFacts) -> int | None:
    birth = facts.fact_date("birth_date")
    on = facts.doc_date("violation_record") or facts.fact_date("violation_on")
    if birth is None or on is None:
        return None
    return age_on(birth, on)


def _exclusion(facts: DossierFacts, rule_id: str) -> Rule | None:
    """The exclusion's rule when the regime applies it (value 0: a deployment switched a ◻ exclusion off)."""
    rule = facts.rule(rule_id)
    return rule if rule.value else None


def _excluded(code: str, vi: str, en: str, rule: Rule) -> Refused:
    """A refusal on an exclusion: a ◻/? one says, in both languages and in `unconfirmed`, it is not confirmed."""
    unconfirmed = rule.status is not Status.CONFIRMED
    if unconfirmed:
        vi += " (Điều kiện loại trừ này chưa được xác nhận nguyên văn, áp dụng theo cấu hình.)"
        en += " (This exclusion is not confirmed verbatim; applied as configured.)"
    basis = rule.basis + (NOT_VERIFIED if unconfirmed else "")
    return Refused(code, vi, en, basis, unconfirmed=unconfirmed)


def person_is_old_enough(facts: DossierFacts, today: date) -> Verdict:
    """No compulsory rehabilitation under the regime's minimum age (12; 18 before 2022); age on the violation day."""
    rule = facts.rule("exclusion.min_age")
    age = _age_at_violation(facts)
    if age is None:
        return _excluded(
            "eligibility.age_unknown",
            "Chưa có ngày sinh hoặc ngày vi phạm để tính tuổi.",
            "The birth date or the violation date is missing, so the age cannot be computed.",
            rule,
        )
    if age < rule.value:
        return _excluded(
            f"eligibility.under_{rule.value}",
            f"Người dưới {rule.value} tuổi ({age} tuổi khi vi phạm) không bị áp dụng cai nghiện bắt buộc "
            "theo chế độ pháp lý của hồ sơ.",
            f"A person under {rule.value} ({age} at the violation) cannot be sent to compulsory rehab "
            "under the dossier's regime.",
            rule,
        )
    return ALLOWED


person_is_at_least_12 = person_is_old_enough  # the name used before minimum ages became per-regime rules


def track_matches_age(facts: DossierFacts, today: date) -> Verdict:
    """Adults (from 18) and minors (12 to under 18) follow different tracks; the track must fit the age."""
    age = _age_at_violation(facts)
    if age is None or age < 12:
        return ALLOWED  # person_is_old_enough reports it
    expected = "adult" if age >= 18 else "minor"
    if facts.track.value != expected:
        return Refused(
            "eligibility.wrong_track",
            f"Người {age} tuổi khi vi phạm phải theo trình tự dành cho "
            f"{'người thành niên' if expected == 'adult' else 'người chưa thành niên'}.",
            f"A person aged {age} at the violation belongs to the {expected} track.",
            facts.rule("exclusion.min_age").basis,
        )
    return ALLOWED


def person_is_not_foreign(facts: DossierFacts, today: date) -> Verdict:
    """Foreigners have no compulsory route; they register for voluntary rehab at their own cost."""
    rule = _exclusion(facts, "exclusion.foreigner")
    nationality = str(facts.fact("nationality", "VN")).upper()
    if rule is not None and nationality not in ("VN", "VNM"):
        return _excluded(
            "eligibility.foreigner",
            "Người nước ngoài không bị đưa vào cơ sở cai nghiện bắt buộc; phải đăng ký cai nghiện tự nguyện.",
            "A foreigner cannot be sent to compulsory rehab; they must register for voluntary rehab.",
            rule,
        )
    return ALLOWED


def person_is_not_pregnant(facts: DossierFacts, today: date) -> Verdict:
    """Pregnant women, confirmed by a hospital, are not sent."""
    rule = _exclusion(facts, "exclusion.pregnant")
    if rule is not None and facts.fact("pregnant", False):
        return _excluded(
            "eligibility.pregnant",
            "Phụ nữ đang mang thai (có xác nhận của bệnh viện) không bị áp dụng biện pháp này.",
            "A pregnant woman (confirmed by a hospital) cannot be sent.",
            rule,
        )
    return ALLOWED


def child_turns_limit_on(facts: DossierFacts) -> date | None:
    """The day the youngest child being raised reaches the exclusion's age (36 months), if a child is recorded."""
    born = facts.fact_date("child_birth_date")
    rule = facts.rule("exclusion.child_under")
    return add_months(born, rule.value) if born is not None and rule.value else None


def person_is_not_raising_an_infant(facts: DossierFacts, today: date) -> Verdict:
    """A woman, or the only person, raising a child under 36 months (from the child's birth date) is not sent."""
    limit = child_turns_limit_on(facts)
    carer = facts.fact("sex") == "female" or bool(facts.fact("sole_carer", False))
    if limit is None or not carer or today >= limit:
        return ALLOWED
    rule = facts.rule("exclusion.child_under")
    who_vi = "Phụ nữ" if facts.fact("sex") == "female" else "Người duy nhất"
    return _excluded(
        "eligibility.sole_carer_of_infant",
        f"{who_vi} đang nuôi con dưới {rule.value} tháng tuổi (UBND cấp xã xác nhận) không bị áp dụng; "
        f"con đủ {rule.value} tháng tuổi ngày {limit:%d/%m/%Y}.",
        f"A {'woman' if facts.fact('sex') == 'female' else 'sole carer'} raising a child under {rule.value} "
        f"months (confirmed by the commune) cannot be sent; the child reaches {rule.value} months on "
        f"{limit:%d/%m/%Y}.",
        rule,
    )


person_is_not_sole_carer_of_infant = person_is_not_raising_an_infant  # the earlier, narrower name


def person_has_capacity(facts: DossierFacts, today: date) -> Verdict:
    """A person without capacity for administrative responsibility is not sent."""
    rule = _exclusion(facts, "exclusion.lacks_capacity")
    if rule is not None and facts.fact("lacks_capacity", False):
        return _excluded(
            "eligibility.lacks_capacity",
            "Người mất năng lực hành vi dân sự không bị áp dụng biện pháp này.",
            "A person without legal capacity cannot be sent.",
            rule,
        )
    return ALLOWED


NOT_EXCLUDED = (
    person_is_old_enough,
    track_matches_age,
    person_is_not_foreign,
    person_is_not_pregnant,
    person_is_not_raising_an_infant,
    person_has_capacity,
)
