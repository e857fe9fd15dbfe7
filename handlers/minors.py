"""What the minors' track adds (PCMT 73/2021 art. 34; NĐ 116/2021 art. 52–53): the parent or guardian is
notified and may read the dossier, and the labour office's proposal (Mẫu 39) covers the child's situation."""

from __future__ import annotations

from datetime import date

from handlers.facts import DossierFacts
from handlers.periods import _end, _refused
from handlers.verdict import ALLOWED, Refused, Verdict

PCMT_34_2 = "Luật PCMT 73/2021/QH14, Điều 34 khoản 2"
ND116_53_2 = "Nghị định 116/2021/NĐ-CP, Điều 53 khoản 2 (Mẫu 39)"
MAU_39_FIELDS = {
    "family_situation_stated": ("hoàn cảnh gia đình", "the family's situation"),
    "child_protection_plan_stated": (
        "phương án quản lý bảo đảm quyền trẻ em",
        "a management plan protecting the child's rights",
    ),
}


def _minor(facts: DossierFacts) -> bool:
    return facts.track.value == "minor"


def guardian_notified_if_minor(facts: DossierFacts, today: date) -> Verdict:
    """A minor's parent, guardian or legal representative is notified in writing too (the day they received it)."""
    if not _minor(facts) or facts.fact_date("guardian_notice_received_on") is not None:
        return ALLOWED
    return Refused(
        "minor.guardian_not_notified",
        "Người chưa thành niên: phải thông báo bằng văn bản cho cha, mẹ, người giám hộ hoặc người đại diện hợp pháp "
        "(ghi ngày họ nhận thông báo).",
        "A minor's parent, guardian or legal representative must be notified in writing (give the day they "
        "received the notice).",
        PCMT_34_2,
    )


def guardian_reading_period_respected(facts: DossierFacts, today: date) -> Verdict:
    """The parent or guardian may read the dossier for 3 working days from receiving the notice."""
    received = facts.fact_date("guardian_notice_received_on")
    if not _minor(facts) or received is None:
        return ALLOWED  # guardian_notified_if_minor refused notify_person without it
    rule = facts.rule("reading.period")
    ends = _end(facts, received, rule)
    if today <= ends:
        return _refused(
            "minor.guardian_reading_period_running",
            f"Cha, mẹ hoặc người giám hộ còn quyền đọc hồ sơ đến hết ngày {ends:%d/%m/%Y}.",
            f"The parent or guardian may read the dossier until {ends:%d/%m/%Y}.",
            rule,
        )
    return ALLOWED


def minor_proposal_complete(facts: DossierFacts, today: date) -> Verdict:
    """Mẫu 39 names the facility, the family's situation and a plan that protects the child's rights."""
    if not _minor(facts):
        return ALLOWED
    missing = [labels for name, labels in MAU_39_FIELDS.items() if facts.fact(name) is not True]
    if not facts.fact("facility_name"):
        missing.insert(0, ("cơ sở cai nghiện", "the facility"))
    if not missing:
        return ALLOWED
    return Refused(
        "minor.proposal_incomplete",
        "Văn bản đề nghị (Mẫu 39) đối với người chưa thành niên chưa nêu: " + "; ".join(m[0] for m in missing) + ".",
        "The proposal for a minor (form 39) does not state: " + "; ".join(m[1] for m in missing) + ".",
        ND116_53_2,
    )
