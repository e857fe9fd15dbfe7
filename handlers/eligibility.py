"""Who may be sent to compulsory rehabilitation at all (LEGAL-PROCESS.md §3)."""

from __future__ import annotations

from datetime import date

from handlers.facts import DossierFacts
from handlers.verdict import ALLOWED, Refused, Verdict

PCMT_32_33 = "Luật PCMT 73/2021/QH14, Điều 32–33"
PCMT_37 = "Luật PCMT 73/2021/QH14, Điều 37 khoản 2"
XLVPHC_96 = "Luật XLVPHC 2012 (sửa đổi 2020), Điều 96 khoản 2"
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


def person_is_at_least_12(facts: DossierFacts, today: date) -> Verdict:
    """No compulsory rehabilitation under 12; age counts on the day of the violation."""
    age = _age_at_violation(facts)
    if age is None:
        return Refused(
            "eligibility.age_unknown",
            "Chưa có ngày sinh hoặc ngày vi phạm để tính tuổi.",
            "The birth date or the violation date is missing, so the age cannot be computed.",
            PCMT_32_33,
        )
    if age < 12:
        return Refused(
            "eligibility.under_12",
            f"Người dưới 12 tuổi ({age} tuổi khi vi phạm) không bị áp dụng cai nghiện bắt buộc.",
            f"A person under 12 ({age} at the violation) cannot be sent to compulsory rehab.",
            PCMT_32_33,
        )
    return ALLOWED


def track_matches_age(facts: DossierFacts, today: date) -> Verdict:
    """Adults (from 18) and minors (12 to under 18) follow different tracks; the track must fit the age."""
    age = _age_at_violation(facts)
    if age is None or age < 12:
        return ALLOWED  # person_is_at_least_12 reports it
    expected = "adult" if age >= 18 else "minor"
    if facts.track.value != expected:
        return Refused(
            "eligibility.wrong_track",
            f"Người {age} tuổi khi vi phạm phải theo trình tự dành cho "
            f"{'người thành niên' if expected == 'adult' else 'người chưa thành niên'}.",
            f"A person aged {age} at the violation belongs to the {expected} track.",
            PCMT_32_33,
        )
    return ALLOWED


def person_is_not_foreign(facts: DossierFacts, today: date) -> Verdict:
    """Foreigners have no compulsory route; they register for voluntary rehab at their own cost."""
    nationality = str(facts.fact("nationality", "VN")).upper()
    if nationality not in ("VN", "VNM"):
        return Refused(
            "eligibility.foreigner",
            "Người nước ngoài không bị đưa vào cơ sở cai nghiện bắt buộc; phải đăng ký cai nghiện tự nguyện.",
            "A foreigner cannot be sent to compulsory rehab; they must register for voluntary rehab.",
            PCMT_37,
        )
    return ALLOWED


def person_is_not_pregnant(facts: DossierFacts, today: date) -> Verdict:
    """Pregnant women, confirmed by a hospital, are not sent."""
    if facts.fact("pregnant", False):
        return Refused(
            "eligibility.pregnant",
            "Phụ nữ đang mang thai (có xác nhận của bệnh viện) không bị áp dụng biện pháp này.",
            "A pregnant woman (confirmed by a hospital) cannot be sent.",
            XLVPHC_96 + NOT_VERIFIED,
        )
    return ALLOWED


def person_is_not_sole_carer_of_infant(facts: DossierFacts, today: date) -> Verdict:
    """A woman, or the only person, raising a child under 36 months is not sent (confirmed by the commune)."""
    if facts.fact("sole_carer_child_under_36_months", False):
        return Refused(
            "eligibility.sole_carer_of_infant",
            "Người đang nuôi con nhỏ dưới 36 tháng tuổi (được UBND cấp xã xác nhận) không bị áp dụng.",
            "A person raising a child under 36 months alone (confirmed by the commune) cannot be sent.",
            XLVPHC_96 + NOT_VERIFIED,
        )
    return ALLOWED


def person_has_capacity(facts: DossierFacts, today: date) -> Verdict:
    """A person without capacity for administrative responsibility is not sent."""
    if facts.fact("lacks_capacity", False):
        return Refused(
            "eligibility.lacks_capacity",
            "Người mất năng lực hành vi dân sự không bị áp dụng biện pháp này.",
            "A person without legal capacity cannot be sent.",
            XLVPHC_96 + NOT_VERIFIED,
        )
    return ALLOWED


NOT_EXCLUDED = (
    person_is_at_least_12,
    track_matches_age,
    person_is_not_foreign,
    person_is_not_pregnant,
    person_is_not_sole_carer_of_infant,
    person_has_capacity,
)
