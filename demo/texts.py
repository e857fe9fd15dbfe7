"""The demo's words: document number suffixes, grounds, return reasons and closing reasons, in Vietnamese."""

from __future__ import annotations

import random

from handlers.periods import EXEMPTION_GROUNDS, POSTPONEMENT_GROUNDS
from states.model import ClosingReason, Event, Step

DOC_SUFFIX = {
    "violation_record": "BB-VPHC",
    "determination_request": "CV-CA",
    "determination_result": "PKQ-TTYT",
    "cv": "SYLL",
    "statement": "BTT",
    "compiler_proposal": "ĐN-UBND",
    "residence_confirmation": "XN-CA",
    "reading_notice": "TB-UBND",
    "transfer_letter": "CV-UBND",
    "legal_check_opinion": "YK-TP",
    "return_letter": "CV-TL",
    "labour_proposal": "ĐN-LĐTBXH",
    "acceptance_notice": "TB-TA",
    "session_decision": "QĐMPH-TA",
    "court_decision": "QĐ-TA",
    "complaint": "ĐKN",
    "complaint_decision": "QĐ-TA",
    "postponement_decision": "QĐ-TA",
    "exemption_decision": "QĐ-TA",
    "handover_record": "BB-BG",
    "search_decision": "QĐ-TN",
    "found_record": "BB-CA",
    "transfer_decision": "QĐ-CSCN",
    "completion_certificate": "GCN",
    "return_report": "BB-TD",
    "post_rehab_proposal": "ĐN-CAX",
    "post_rehab_decision": "QĐ-UBND",
    "monitoring_order": "QĐ-CAX",
    "supervision_certificate": "GCN-UBND",
    "relapse_record": "BB-CA",
    "discontinuation_decision": "QĐ-ĐC",
    "death_record": "TB-UBND",
    "criminal_transfer": "QĐ-CA",
    "user_management_decision": "QĐ-CAX",
    "move_notice": "TB-CA",
}
GROUNDS = (("no_voluntary_rehab", 6), ("used_during_voluntary", 2), ("substitution_breach", 2))
RELAPSE_GROUND = "relapse_in_post_rehab"
RETURN_REASONS = (
    "Thiếu bản tường trình của người bị đề nghị (Mẫu 31).",
    "Bản tóm tắt lý lịch chưa có xác nhận của UBND cấp xã.",
    "Kết quả xác định tình trạng nghiện là bản sao không chứng thực.",
    "Văn bản đề nghị chưa ghi rõ căn cứ áp dụng theo Điều 32 Luật PCMT.",
    "Chưa có tài liệu chứng minh đã thông báo cho người bị đề nghị đọc hồ sơ.",
)
REASONS = {
    ClosingReason.NOT_ELIGIBLE: (
        "Người bị đề nghị mất năng lực hành vi dân sự (kết luận giám định).",
        "Người bị đề nghị một mình nuôi con dưới 36 tháng tuổi (UBND xã xác nhận).",
    ),
    ClosingReason.DISCONTINUED: (
        "Người bị đề nghị tự nguyện đăng ký cai nghiện và được chấp thuận.",
        "Cơ quan lập hồ sơ rút văn bản đề nghị.",
        "Người bị đề nghị bị khởi tố trong một vụ án khác.",
    ),
}
PREGNANT = "Người bị đề nghị đang mang thai (Bệnh viện đa khoa huyện Tuần Giáo xác nhận)."


def doc_suffix(doc_type: str) -> str:
    return DOC_SUFFIX.get(doc_type, "VB")


def grounds(relapse: bool, rng: random.Random) -> str:
    """The ground for compulsory rehab: a relapse under post-rehab supervision, or one of the usual ones."""
    if relapse:
        return RELAPSE_GROUND
    return rng.choices([g for g, _ in GROUNDS], [w for _, w in GROUNDS])[0]


def text(name: str, step: Step, sex: str, rng: random.Random) -> str:
    """A ground (postpone/exempt), a closing reason, or the reasons for returning a dossier."""
    if name == "reasons":
        return rng.choice(RETURN_REASONS)
    if name == "ground":
        if step.event is Event.POSTPONE:
            return rng.choice(sorted(POSTPONEMENT_GROUNDS))
        if step.event is Event.SUSPEND_TERM:
            return "pregnant" if sex == "female" else "long_term_illness"
        return rng.choice(sorted(EXEMPTION_GROUNDS - ({"pregnant"} if sex == "male" else set())))
    if step.closing_reason is ClosingReason.NOT_ELIGIBLE and sex == "female":
        return PREGNANT
    return rng.choice(
        REASONS.get(step.closing_reason or ClosingReason.DISCONTINUED, REASONS[ClosingReason.DISCONTINUED])
    )
