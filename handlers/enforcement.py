"""Steps around the decision the audit found missing: an exclusion learned late, the procuracy's protest,
force majeure before the escort, management while the dossier is pending, and the rest of a term
suspended or exempted (NĐ 116/2021 arts. 44–48, 54(3), 58; XLVPHC art. 96(2))."""

from __future__ import annotations

from datetime import date

from handlers.eligibility import person_has_capacity, person_is_not_pregnant, person_is_not_raising_an_infant
from handlers.facts import DossierFacts
from handlers.periods import _end, _refused, complaint_within_period
from handlers.verdict import ALLOWED, Refused, Verdict

ND116 = "Nghị định 116/2021/NĐ-CP"
ND116_45_48 = f"{ND116}, Điều 44–48 (Mẫu 35, 36)"
ND116_54_3 = f"{ND116}, Điều 54 khoản 3"
ND116_57 = f"{ND116}, Điều 57 khoản 3"
ND116_58 = f"{ND116}, Điều 58 (điểm b, c; ◻ các trường hợp khác chưa đối chiếu)"
LATE_EXCLUSIONS = (person_is_not_pregnant, person_is_not_raising_an_infant, person_has_capacity)
# NĐ 116/2021 art. 58 (law notes R8): a long-term serious illness (b), pregnancy (c); clause (a) not seen.
TERM_SUSPENSION_GROUNDS = {"pregnant": "Phụ nữ mang thai", "long_term_illness": "Bệnh hiểm nghèo điều trị ≥ 6 tháng"}
FACILITY_REASONS = {
    "no_stable_residence": "Không có nơi cư trú ổn định",
    "family_refused": "Gia đình không nhận quản lý",
    "absconded_from_home": "Bỏ trốn khỏi nơi quản lý tại gia đình",
}


def exclusion_established(facts: DossierFacts, today: date) -> Verdict:
    """The facts the step records (with the confirmation) do exclude the person today."""
    if any(isinstance(guard(facts, today), Refused) for guard in LATE_EXCLUSIONS):
        return ALLOWED
    return Refused(
        "exclusion.not_established",
        "Thông tin ghi nhận không thuộc trường hợp không áp dụng (mang thai; phụ nữ hoặc người duy nhất nuôi con "
        "dưới 36 tháng tuổi; mất năng lực hành vi dân sự), hoặc điều kiện đó đã được tắt trong cấu hình.",
        "The recorded facts exclude no one (pregnancy; a woman or sole carer of a child under 36 months; lack of "
        "capacity), or that exclusion is switched off in config.",
        facts.rule("exclusion.pregnant").basis,
        unconfirmed=True,
    )


def not_pregnant_at_escort(facts: DossierFacts, today: date) -> Verdict:
    """A pregnancy learned after the decision is a ground for exemption, not for an escort (art. 57(3)(c))."""
    if not facts.fact("pregnant", False):
        return ALLOWED
    return Refused(
        "escort.pregnant",
        "Người phải chấp hành đang mang thai: không đưa vào cơ sở; Tòa án xem xét miễn chấp hành.",
        "The person is pregnant: no escort; the court considers exemption.",
        ND116_57,
    )


def complaint_or_protest_within_period(facts: DossierFacts, today: date) -> Verdict:
    """A complaint in its ✔ period; the procuracy's protest in its own ◻ period (PL 03/2022 art. 32(2)–(3) unseen)."""
    if facts.fact("complainant") != "procuracy":
        return complaint_within_period(facts, today)
    rule = facts.rule("protest.period")
    announced = facts.fact_date("decision_received_on") or facts.doc_date("court_decision")
    lodged = facts.incoming.date if facts.incoming else today
    if announced is not None and lodged > (ends := _end(facts, announced, rule)):
        return _refused(
            "protest.out_of_time",
            f"Kháng nghị quá hạn: thời hạn đã hết ngày {ends:%d/%m/%Y}.",
            f"The protest is out of time: the period ended on {ends:%d/%m/%Y}.",
            rule,
        )
    return ALLOWED


def protest_period_over(facts: DossierFacts, today: date) -> Verdict:
    """The decision takes effect only once the procuracy's protest period is over too (said only when it runs
    past the complaint period, which `complaint_period_over` reports)."""
    rule, complaint = facts.rule("protest.period"), facts.rule("complaint.period")
    announced = facts.doc_date("court_decision")
    received = facts.fact_date("decision_received_on") or announced
    if announced is None or received is None or today <= _end(facts, received, complaint):
        return ALLOWED
    if today <= (ends := _end(facts, announced, rule)):
        return _refused(
            "decision.protest_period_running",
            f"Chưa hết thời hạn kháng nghị của Viện kiểm sát (đến hết ngày {ends:%d/%m/%Y}).",
            f"The procuracy's protest period runs until {ends:%d/%m/%Y}.",
            rule,
        )
    return ALLOWED


def force_majeure_over(facts: DossierFacts, today: date) -> Verdict:
    """The escort period runs again from the day the force majeure ended, which follows the day it began."""
    began = facts.fact_date("force_majeure_from")
    ended = facts.incoming.date if facts.incoming else today
    if began is not None and began <= ended:
        return ALLOWED
    return Refused(
        "escort.force_majeure_dates",
        "Cần ngày bắt đầu sự kiện bất khả kháng, không sau ngày văn bản xác định sự kiện đã chấm dứt.",
        "The force majeure needs its start date, not after the record that it ended.",
        ND116_54_3,
    )


def pending_management_fits(facts: DossierFacts, today: date) -> Verdict:
    """At home only with a stable residence and the family's commitment (Mẫu 35); at a facility otherwise,
    or after absconding from home management (art. 48(4))."""
    place, reason = facts.fact("management_place"), facts.fact("facility_reason")
    stable = facts.fact("stable_residence", True)
    if place == "home" and stable and facts.doc("family_commitment") is not None:
        return ALLOWED
    if place == "facility" and reason in FACILITY_REASONS and _reason_holds(facts, str(reason), stable):
        return ALLOWED
    return Refused(
        "pending_management.not_fitting",
        "Quản lý tại gia đình cần nơi cư trú ổn định và bản cam kết của gia đình (Mẫu 35); quản lý tại cơ sở cần lý "
        "do: không có nơi cư trú ổn định, gia đình không nhận, hoặc bỏ trốn khỏi nơi quản lý tại gia đình.",
        "Home management needs a stable residence and the family's commitment (form 35); facility management "
        "needs a reason: no stable residence, the family refused, or absconding from home management.",
        ND116_45_48,
    )


def _reason_holds(facts: DossierFacts, reason: str, stable: bool) -> bool:
    if reason == "no_stable_residence":
        return not stable
    if reason == "absconded_from_home":
        return facts.data.get("management_place") == "home"
    return True


def term_suspension_ground_valid(facts: DossierFacts, today: date) -> Verdict:
    """The court suspends the rest of a term for pregnancy or a long-term serious illness (art. 58)."""
    if facts.fact("ground") in TERM_SUSPENSION_GROUNDS:
        return ALLOWED
    return Refused(
        "term_suspension.ground_invalid",
        "Lý do tạm đình chỉ phải là: " + "; ".join(TERM_SUSPENSION_GROUNDS.values()) + ".",
        "A suspension needs one of: " + ", ".join(sorted(TERM_SUSPENSION_GROUNDS)) + ".",
        ND116_58,
        unconfirmed=True,
    )
