"""Compulsory rehabilitation, adult and minor tracks, as in force 1/1/2022 – 28/2/2025 (regime vn-2021).

Source: LEGAL-PROCESS.md §2–5. Durations live in `rules_vn_2021.py`; this file says who acts,
in which order, under which conditions, producing which document.
"""

from __future__ import annotations

from datetime import date

from handlers import clocks, enforcement, minors, periods
from handlers import documents as docs
from handlers.eligibility import NOT_EXCLUDED
from states.model import AgencyType as A
from states.model import ClosingReason as R
from states.model import DeadlineSpec as DL
from states.model import Doc, Regime, Step, Track
from states.model import Event as E
from states.model import State as S
from states.rules_exclusions import EXCLUSION_RULES
from states.rules_steps import PROTEST_RULES
from states.rules_vn_2021 import RULES
from states.vn_2021_enforcement import ENFORCEMENT_STEPS
from states.vn_2021_side_steps import side_steps
from states.vn_2021_stages import (
    COMPILERS,
    COURTS,
    DOSSIER_DOCUMENTS,
    STAGES,
    TAKES_EFFECT,
)
from states.vn_2021_stages import step as _step

CLARIFYING = (S.COURT_ACCEPTED, S.SESSION_SCHEDULED)
CLARIFY = DL("clarification", "court.clarification", agency=A.LABOUR_OFFICE, spans=CLARIFYING)


def _clarification_steps() -> tuple[Step, ...]:
    """The court asks, the labour office answers within 2 working days (NĐ 116/2021 art. 43(3)): in either
    court state, the case staying where it is."""
    steps: list[Step] = []
    for state in CLARIFYING:
        suffix = "" if state is S.COURT_ACCEPTED else "__session"
        steps += [
            _step(
                E.REQUEST_CLARIFICATION,
                state,
                state,
                COURTS,
                "Tòa án yêu cầu giải thích, bổ sung tài liệu",
                "The court asks to clarify the dossier",
                fields={"reasons": str},
                opens=(CLARIFY,),
                restarts=("clarification",),
                key=f"request_clarification{suffix}",
                basis="Nghị định 116/2021/NĐ-CP, Điều 43 khoản 3; Pháp lệnh 03/2022/UBTVQH15",
            ),
            _step(
                E.ANSWER_CLARIFICATION,
                state,
                state,
                (A.LABOUR_OFFICE, *COMPILERS),
                "Phòng LĐTBXH (cùng cơ quan lập hồ sơ) giải thích, bổ sung theo yêu cầu",
                "The labour office (with the compiler) answers the request",
                fields={"clarified_on": date},
                stamps=("clarified_on",),
                restarts=("clarification",),
                key=f"answer_clarification{suffix}",
                basis="Nghị định 116/2021/NĐ-CP, Điều 43 khoản 3",
            ),
        ]
    return tuple(steps)


STEPS: tuple[Step, ...] = (
    _step(
        E.REQUEST_DETERMINATION,
        S.VIOLATION_RECORDED,
        S.DETERMINATION_REQUESTED,
        (A.COMMUNE_POLICE, A.DISTRICT_POLICE, A.PROVINCIAL_POLICE),
        "Đề nghị xác định tình trạng nghiện",
        "Request the addiction determination",
        produces=Doc.DETERMINATION_REQUEST,
        guards=(*NOT_EXCLUDED, docs.documents_present(Doc.VIOLATION_RECORD)),
        basis="Luật PCMT 73/2021/QH14, Điều 27 khoản 2–3",
    ),
    _step(
        E.RECEIVE_FOR_DETERMINATION,
        S.DETERMINATION_REQUESTED,
        S.DETERMINATION_REQUESTED,
        A.HEALTH_FACILITY,
        "Cử người xác định, tiếp nhận người cần xác định",
        "Send staff and receive the person to be assessed",
        fields={"person_received_on": date},
        stamps=("person_received_on",),
        restarts=("determination_staff", "determination_result"),
        basis=clocks.ND109,
    ),
    _step(
        E.CLOSE_NOT_ELIGIBLE,
        (S.VIOLATION_RECORDED, S.DETERMINATION_REQUESTED, S.DOSSIER_COMPILING),
        S.CLOSED,
        COMPILERS,
        "Kết thúc: không thuộc đối tượng",
        "Close: not eligible",
        closing_reason=R.NOT_ELIGIBLE,
        fields={"reason": str},
        basis="Luật PCMT 73/2021/QH14, Điều 32–33, 37",
    ),
    _step(
        E.RECORD_DETERMINATION,
        S.DETERMINATION_REQUESTED,
        S.DOSSIER_COMPILING,
        A.HEALTH_FACILITY,
        "Ghi nhận kết quả: nghiện",
        "Record the result: addicted",
        produces=Doc.DETERMINATION_RESULT,
        fields={"determination_outcome": str},
        when=("determination_outcome", "addicted"),
        basis="Thông tư 18/2021/TT-BYT, Điều 5",
    ),
    _step(
        E.RECORD_DETERMINATION,
        S.DETERMINATION_REQUESTED,
        S.CLOSED,
        A.HEALTH_FACILITY,
        "Ghi nhận kết quả: không nghiện",
        "Record the result: not addicted",
        produces=Doc.DETERMINATION_RESULT,
        fields={"determination_outcome": str},
        when=("determination_outcome", "not_addicted"),
        closing_reason=R.NOT_ADDICTED,
        basis="Thông tư 18/2021/TT-BYT, Điều 5",
    ),
    _step(
        E.NOTIFY_PERSON,
        S.DOSSIER_COMPILING,
        S.PERSON_READING,
        COMPILERS,
        "Thông báo lập hồ sơ cho người bị đề nghị",
        "Notify the person of the dossier",
        produces=Doc.READING_NOTICE,
        fields={"grounds": str, "notice_received_on": date, "guardian_notice_received_on": date},
        guards=(
            *NOT_EXCLUDED,
            docs.addiction_confirmed,
            DOSSIER_DOCUMENTS,
            docs.residence_document_if_no_stable_residence,
            docs.grounds_stated,
            minors.guardian_notified_if_minor,
        ),
        basis="Nghị định 116/2021/NĐ-CP, Điều 42; Luật PCMT 73/2021/QH14, Điều 34 khoản 2 (người chưa thành niên)",
    ),
    _step(
        E.SEND_TO_LABOUR,
        S.PERSON_READING,
        S.LABOUR_REVIEW,
        COMPILERS,
        "Chuyển hồ sơ cho Phòng LĐTBXH",
        "Send the dossier to the labour office",
        produces=Doc.TRANSFER_LETTER,
        guards=(periods.reading_period_respected, minors.guardian_reading_period_respected, DOSSIER_DOCUMENTS),
        basis="Nghị định 116/2021/NĐ-CP, Điều 42 khoản 3–4",
    ),
    _step(
        E.RETURN_FOR_SUPPLEMENTATION,
        S.LABOUR_REVIEW,
        S.SUPPLEMENTING,
        A.LABOUR_OFFICE,
        "Trả hồ sơ để bổ sung",
        "Return the dossier for supplementation",
        produces=Doc.RETURN_LETTER,
        fields={"reasons": str},
        basis="Nghị định 116/2021/NĐ-CP, Điều 43 khoản 1 (Mẫu 33)",
    ),
    _step(
        E.RESUBMIT,
        S.SUPPLEMENTING,
        S.LABOUR_REVIEW,
        COMPILERS,
        "Gửi lại hồ sơ đã bổ sung",
        "Resubmit the supplemented dossier",
        produces=Doc.TRANSFER_LETTER,
        guards=(DOSSIER_DOCUMENTS,),
        basis="Nghị định 116/2021/NĐ-CP, Điều 43 khoản 1",
    ),
    _step(
        E.PROPOSE_TO_COURT,
        S.LABOUR_REVIEW,
        S.COURT_RECEIVED,
        A.LABOUR_OFFICE,
        "Đề nghị Tòa án xem xét quyết định",
        "Propose to the court",
        produces=Doc.LABOUR_PROPOSAL,
        fields={"facility_name": str, **dict.fromkeys(minors.MAU_39_FIELDS, bool)},
        guards=(
            *NOT_EXCLUDED,
            DOSSIER_DOCUMENTS,
            periods.within_application_limitation,
            minors.minor_proposal_complete,
        ),
        basis="Nghị định 116/2021/NĐ-CP, Điều 43 (Mẫu 34; Mẫu 39 cho người chưa thành niên)",
    ),
    _step(
        E.RETURN_INCOMPLETE,
        S.COURT_RECEIVED,
        S.LABOUR_REVIEW,
        COURTS,
        "Tòa án trả hồ sơ chưa đầy đủ",
        "Court returns an incomplete dossier",
        produces=Doc.RETURN_LETTER,
        fields={"reasons": str},
        opens=(DL("labour_review", "labour.review", Doc.RETURN_LETTER),),  # a fresh review of the returned dossier
        basis="Pháp lệnh 03/2022/UBTVQH15, Điều 9 khoản 1; Nghị định 116/2021/NĐ-CP, Điều 43 khoản 3",
    ),
    _step(
        E.ACCEPT,
        S.COURT_RECEIVED,
        S.COURT_ACCEPTED,
        COURTS,
        "Thụ lý hồ sơ",
        "Accept the dossier",
        produces=Doc.ACCEPTANCE_NOTICE,
        fields={"complicated": bool, "complicated_reason": str, "accepted_on": date},
        guards=(clocks.complicated_case_has_reason,),
        basis="Pháp lệnh 03/2022/UBTVQH15, Điều 8, Điều 12",
    ),
    _step(
        E.OPEN_SESSION,
        S.COURT_ACCEPTED,
        S.SESSION_SCHEDULED,
        COURTS,
        "Quyết định mở phiên họp",
        "Decide to open the session",
        produces=Doc.SESSION_DECISION,
        fields={"session_on": date},
        basis="Pháp lệnh 03/2022/UBTVQH15, Điều 17",
    ),
    _step(
        E.DECIDE,
        S.SESSION_SCHEDULED,
        S.COMPLAINT_PERIOD,
        COURTS,
        "Quyết định áp dụng biện pháp",
        "Decide to apply the measure",
        produces=Doc.COURT_DECISION,
        when=("outcome", "apply"),
        fields={"outcome": str, "term_months": int, "decision_received_on": date},
        guards=(*NOT_EXCLUDED, periods.term_within_range),
        basis="Pháp lệnh 03/2022/UBTVQH15, Điều 22–25",
    ),
    *_clarification_steps(),
    _step(
        E.SEND_DECISION,
        S.COMPLAINT_PERIOD,
        S.COMPLAINT_PERIOD,
        COURTS,
        "Gửi quyết định cho người bị đề nghị, cơ quan đề nghị và Viện kiểm sát",
        "Send the decision to the person, the proposing agency and the procuracy",
        fields={"decision_sent_on": date},
        stamps=("decision_sent_on",),
        restarts=("send_decision",),
        basis="Pháp lệnh 03/2022/UBTVQH15, Điều 25 khoản 1",
    ),
    _step(
        E.DECIDE,
        S.SESSION_SCHEDULED,
        S.CLOSED,
        COURTS,
        "Quyết định không áp dụng",
        "Decide not to apply",
        produces=Doc.COURT_DECISION,
        when=("outcome", "reject"),
        fields={"outcome": str},
        closing_reason=R.COURT_REJECTED,
        basis="Pháp lệnh 03/2022/UBTVQH15, Điều 22",
    ),
    _step(
        E.DECIDE,
        (S.COURT_ACCEPTED, S.SESSION_SCHEDULED),
        S.CLOSED,
        COURTS,
        "Đình chỉ việc xem xét",
        "Discontinue the case",
        produces=Doc.COURT_DECISION,
        when=("outcome", "discontinue"),
        fields={"outcome": str, "reason": str},
        closing_reason=R.DISCONTINUED,
        basis="Pháp lệnh 03/2022/UBTVQH15, Điều 13",
    ),
    _step(
        E.DECIDE,
        (S.COURT_ACCEPTED, S.SESSION_SCHEDULED),
        S.COURT_SUSPENDED,
        COURTS,
        "Tạm đình chỉ việc xem xét",
        "Suspend the case",
        produces=Doc.SUSPENSION_DECISION,
        when=("outcome", "suspend"),
        fields={"outcome": str, "reason": str},
        basis="Pháp lệnh 03/2022/UBTVQH15 (tạm đình chỉ; ◻ điều khoản cần đối chiếu)",
    ),
    _step(
        E.RESUME_CASE,
        S.COURT_SUSPENDED,
        S.COURT_ACCEPTED,
        COURTS,
        "Tiếp tục xem xét khi lý do tạm đình chỉ không còn",
        "Resume the case",
        produces=Doc.RESUMPTION_DECISION,
        basis="Pháp lệnh 03/2022/UBTVQH15 (tiếp tục xem xét; ◻ điều khoản cần đối chiếu)",
    ),
    _step(
        E.LODGE_COMPLAINT,
        S.COMPLAINT_PERIOD,
        S.COMPLAINT_REVIEW,
        (A.PERSON, A.PROCURACY, *COMPILERS, A.LABOUR_OFFICE, A.DISTRICT_COURT),
        "Khiếu nại, kiến nghị, kháng nghị",
        "Lodge a complaint or protest",
        produces=Doc.COMPLAINT,
        fields={"complainant": str},
        guards=(enforcement.complaint_or_protest_within_period,),
        basis="Pháp lệnh 03/2022/UBTVQH15, Điều 32–34",
    ),
    _step(
        E.FORWARD_COMPLAINT,
        S.COMPLAINT_REVIEW,
        S.COMPLAINT_REVIEW,
        COURTS,
        "Chuyển hồ sơ khiếu nại, kiến nghị, kháng nghị lên Tòa án cấp tỉnh",
        "Forward the complaint file to the provincial court",
        fields={"complaint_forwarded_on": date},
        stamps=("complaint_forwarded_on",),
        restarts=("forward_complaint", "complaint_review"),
        basis="Pháp lệnh 03/2022/UBTVQH15, Điều 34 khoản 1",
    ),
    _step(
        E.END_COMPLAINT_PERIOD,
        S.COMPLAINT_PERIOD,
        S.AWAITING_ESCORT,
        COURTS,
        "Hết thời hạn khiếu nại, quyết định có hiệu lực",
        "Complaint period over: decision in effect",
        guards=(periods.complaint_period_over, enforcement.protest_period_over),
        stamps=("decision_effective_on",),
        opens=TAKES_EFFECT,
        basis="Pháp lệnh 03/2022/UBTVQH15, Điều 24 khoản 1",
    ),
    _step(
        E.RESOLVE_COMPLAINT,
        S.COMPLAINT_REVIEW,
        S.AWAITING_ESCORT,
        A.PROVINCIAL_COURT,
        "Giữ nguyên quyết định",
        "Uphold the decision",
        produces=Doc.COMPLAINT_DECISION,
        when=("outcome", "uphold"),
        fields={"outcome": str},
        stamps=("decision_effective_on",),
        opens=TAKES_EFFECT,
        basis="Pháp lệnh 03/2022/UBTVQH15, Điều 35–37",
    ),
    _step(
        E.RESOLVE_COMPLAINT,
        S.COMPLAINT_REVIEW,
        S.AWAITING_ESCORT,
        A.PROVINCIAL_COURT,
        "Sửa quyết định",
        "Amend the decision",
        produces=Doc.COMPLAINT_DECISION,
        when=("outcome", "amend"),
        fields={"outcome": str, "term_months": int},
        guards=(periods.term_within_range,),
        stamps=("decision_effective_on",),
        opens=TAKES_EFFECT,
        basis="Pháp lệnh 03/2022/UBTVQH15, Điều 35–37",
    ),
    _step(
        E.RESOLVE_COMPLAINT,
        S.COMPLAINT_REVIEW,
        S.CLOSED,
        A.PROVINCIAL_COURT,
        "Hủy quyết định",
        "Annul the decision",
        produces=Doc.COMPLAINT_DECISION,
        when=("outcome", "annul"),
        fields={"outcome": str},
        closing_reason=R.DECISION_ANNULLED,
        basis="Pháp lệnh 03/2022/UBTVQH15, Điều 35–37",
    ),
)

STEPS = STEPS + ENFORCEMENT_STEPS + side_steps(COMPILERS, COURTS)

REGIME = Regime(
    id="vn-2021",
    label_vi="Luật PCMT 2021, Nghị định 116/2021 (cấp huyện)",
    label_en="Drug Law 2021, Decree 116/2021 (district level)",
    in_force_from=date(2022, 1, 1),
    in_force_to=date(2025, 2, 28),
    basis="Luật PCMT 73/2021/QH14; Luật XLVPHC 2012 sửa đổi 2020; Nghị định 116/2021/NĐ-CP; "
    "Pháp lệnh 03/2022/UBTVQH15; Pháp lệnh 01/2022/UBTVQH15",
    initial_states=(S.VIOLATION_RECORDED,),
    stages=STAGES,
    steps=STEPS,
    rules={**RULES, **EXCLUSION_RULES, **PROTEST_RULES},
    notes=(
        "Nhắc ra quyết định truy tìm trong 1 ngày làm việc (quy ước sản phẩm ◻, LEGAL-PROCESS.md trạng thái 11): "
        "không áp dụng — việc bỏ trốn được ghi nhận cùng lúc với quyết định truy tìm (Mẫu 41); "
        "sau đó nhắc hằng tháng (`search.review`).",
        "Hoãn chấp hành không làm dừng thời hiệu thi hành 1 năm (Luật XLVPHC Điều 108 chỉ tính lại khi "
        "trốn tránh; ◻ chưa thấy quy định khác); thời gian bỏ trốn không tính, thời hiệu tính lại từ khi tìm thấy.",
    ),
)

__all__ = ["REGIME", "RULES", "STAGES", "STEPS", "Track"]

STEPS_BY_NAME = {s.name: s for s in STEPS}
