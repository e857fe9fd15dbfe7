"""Regime vn-2021, part 1: the stages (who holds the dossier, which deadlines run) and the building blocks its
steps share. Steps are in `vn_2021.py` (to the court's decision) and `vn_2021_enforcement.py` (after it)."""

from __future__ import annotations

from handlers import clocks, periods
from handlers import documents as docs
from states.model import AgencyType as A
from states.model import DeadlineSpec as DL
from states.model import Doc, Stage, Step
from states.model import Event as E
from states.model import State as S

COMPILERS = (A.COMMUNE_COMMITTEE, A.COMMUNE_POLICE, A.DISTRICT_POLICE, A.PROVINCIAL_POLICE)
DOSSIER_DOCUMENTS = docs.documents_present(
    Doc.VIOLATION_RECORD, Doc.CV, Doc.DETERMINATION_RESULT, Doc.STATEMENT, Doc.COMPILER_PROPOSAL
)
# The time to decide runs from acceptance through the session, and stops while the case is suspended.
DECIDE_IN_TIME = DL(
    "decide",
    "court.decide",
    Doc.ACCEPTANCE_NOTICE,
    spans=(S.SESSION_SCHEDULED, S.COURT_SUSPENDED),
    rule_if=("complicated", "court.decide_complicated"),
    from_fact="accepted_on",
)
# The court sends an effective decision for execution within 3 days (XLVPHC art. 107); the escort's 5 days
# run from its receipt (computed by clocks.escort_due, as the guards read it).
SEND_FOR_EXECUTION = DL(
    "send_for_execution",
    "court.send_for_execution",
    agency=A.DISTRICT_COURT,
    escalate_to=(A.PROCURACY,),
    unless_fact="execution_received_on",
)
TAKES_EFFECT = (SEND_FOR_EXECUTION,)
MOVE_NOTICE = DL("move_notice", "post_rehab.move_notice", agency=A.COMMUNE_POLICE, escalate_to=(A.DISTRICT_COMMITTEE,))
ENFORCEMENT_SPAN = (S.AWAITING_ESCORT, S.POSTPONED, S.ABSCONDED_BEFORE_ADMISSION)


def _stage(
    state: S,
    vi: str,
    en: str,
    agency: A | None,
    *deadlines: DL,
    reason: str = "",
    final: bool = False,
    paused: bool = False,
) -> Stage:
    return Stage(state, vi, en, agency, tuple(deadlines), reason, final, paused)


STAGES: dict[S, Stage] = {
    s.state: s
    for s in (
        _stage(
            S.VIOLATION_RECORDED,
            "Đã lập biên bản vi phạm",
            "Violation recorded",
            A.COMMUNE_POLICE,
            DL("request_determination", "violation.next_step", Doc.VIOLATION_RECORD),
        ),
        _stage(
            S.DETERMINATION_REQUESTED,
            "Đang xác định tình trạng nghiện",
            "Addiction determination",
            A.HEALTH_FACILITY,
            DL("determination_staff", "determination.staff", unless_fact="person_received_on"),
            DL(
                "determination_result",
                "determination.result",
                Doc.DETERMINATION_REQUEST,
                ends=clocks.determination_result_due,
            ),
        ),
        _stage(
            S.DOSSIER_COMPILING,
            "Lập hồ sơ đề nghị",
            "Compiling the dossier",
            A.COMMUNE_COMMITTEE,
            DL("compile", "compile.detect", Doc.DETERMINATION_RESULT),
        ),
        _stage(
            S.PERSON_READING,
            "Thông báo, người bị đề nghị đọc hồ sơ",
            "Person reads the dossier",
            A.COMMUNE_COMMITTEE,
            DL(
                "send_to_labour",
                "reading.period",
                Doc.READING_NOTICE,
                plus_rule="reading.send",
                from_fact="notice_received_on",
            ),
        ),
        _stage(
            S.LABOUR_REVIEW,
            "Phòng LĐTBXH kiểm tra hồ sơ, chuyển Tòa án",
            "Labour office review",
            A.LABOUR_OFFICE,
            DL("labour_review", "labour.review", Doc.TRANSFER_LETTER),
        ),
        _stage(
            S.SUPPLEMENTING,
            "Bổ sung hồ sơ bị trả lại",
            "Supplementing a returned dossier",
            A.COMMUNE_COMMITTEE,
            DL("supplement", "supplement.compiler", Doc.RETURN_LETTER),
        ),
        _stage(
            S.COURT_RECEIVED,
            "Tòa án nhận hồ sơ",
            "Court received the dossier",
            A.DISTRICT_COURT,
            DL("check_dossier", "court.return_incomplete", Doc.LABOUR_PROPOSAL),
        ),
        _stage(
            S.COURT_ACCEPTED,
            "Tòa án đã thụ lý",
            "Court accepted the dossier",
            A.DISTRICT_COURT,
            DECIDE_IN_TIME,
        ),
        _stage(
            S.SESSION_SCHEDULED,
            "Đã quyết định mở phiên họp",
            "Session scheduled",
            A.DISTRICT_COURT,
            DL("session", "court.session", Doc.SESSION_DECISION),
            DECIDE_IN_TIME,
        ),
        _stage(
            S.COURT_SUSPENDED,
            "Tòa án tạm đình chỉ việc xem xét",
            "Case suspended by the court",
            A.DISTRICT_COURT,
            reason="Tạm đình chỉ đến khi lý do không còn; thời hạn ra quyết định tạm dừng (◻ Pháp lệnh 03/2022)",
            paused=True,
        ),
        _stage(
            S.COMPLAINT_PERIOD,
            "Thời hạn khiếu nại, kiến nghị, kháng nghị",
            "Complaint period",
            A.DISTRICT_COURT,
            DL("complaint_period", "complaint.period", Doc.COURT_DECISION, escalate_to=(A.PROCURACY,)),
            DL(
                "send_decision",
                "court.send_decision",
                Doc.COURT_DECISION,
                escalate_to=(A.PROCURACY,),
                unless_fact="decision_sent_on",
            ),
        ),
        _stage(
            S.COMPLAINT_REVIEW,
            "Tòa án cấp tỉnh xem xét khiếu nại",
            "Provincial court reviews the complaint",
            A.PROVINCIAL_COURT,
            DL("complaint_review", "complaint.review", Doc.COMPLAINT, from_fact="complaint_forwarded_on"),
            DL(
                "forward_complaint",
                "complaint.forward",
                Doc.COMPLAINT,
                agency=A.DISTRICT_COURT,
                escalate_to=(A.PROCURACY,),
                unless_fact="complaint_forwarded_on",
            ),
        ),
        _stage(
            S.AWAITING_ESCORT,
            "Quyết định có hiệu lực, chờ đưa vào cơ sở",
            "Awaiting escort",
            A.DISTRICT_POLICE,
            DL("escort", "escort.period", ends=clocks.escort_due),
            DL("enforcement_limitation", "limitation.enforcement", spans=ENFORCEMENT_SPAN),
        ),
        _stage(
            S.POSTPONED,
            "Hoãn chấp hành",
            "Enforcement postponed",
            A.DISTRICT_POLICE,
            reason="Hoãn đến khi hết lý do hoãn (NĐ 116/2021 Điều 57); thời hiệu thi hành vẫn chạy: "
            "Luật XLVPHC Điều 108 chỉ tính lại khi trốn tránh (◻ chưa thấy quy định tạm dừng khi hoãn)",
        ),
        _stage(
            S.ABSCONDED_BEFORE_ADMISSION,
            "Bỏ trốn trước khi vào cơ sở, truy tìm",
            "Absconded before admission",
            A.DISTRICT_POLICE,
            DL("search_review", "search.review", Doc.SEARCH_DECISION),
            paused=True,  # the enforcement limitation does not run while the person evades (XLVPHC art. 108(3))
        ),
        _stage(
            S.IN_FACILITY,
            "Chấp hành tại cơ sở cai nghiện",
            "In the facility",
            A.FACILITY,
            DL(
                "term",
                "term.max",
                Doc.HANDOVER_RECORD,
                length_fact="term_months",
                remind_before_rule="facility.notice_before_end",
                escalate_to=(A.PROCURACY,),
                ends=periods.term_end,
            ),
            DL(
                "periodic_review",
                "facility.review",
                Doc.HANDOVER_RECORD,
                from_fact="reviewed_on",
                remind_before_rule="facility.review_list",
                escalate_to=(A.PROCURACY,),
            ),
        ),
        _stage(
            S.ABSCONDED_FROM_FACILITY,
            "Bỏ trốn khỏi cơ sở, truy tìm",
            "Absconded from the facility",
            A.FACILITY,
            DL("search_review", "search.review", Doc.SEARCH_DECISION),
        ),
        _stage(
            S.TERM_SUSPENDED,
            "Tạm đình chỉ chấp hành tại cơ sở",
            "Rest of the term suspended",
            A.FACILITY,
            reason="Đến khi hết lý do tạm đình chỉ (Nghị định 116/2021/NĐ-CP, Điều 58); thời gian tạm đình chỉ "
            "không tính vào thời hạn chấp hành (◻)",
        ),
        _stage(
            S.COMPLETION_CERTIFIED,
            "Đã chấp hành xong, chờ trình diện",
            "Completed, awaiting return report",
            A.COMMUNE_POLICE,
            DL("return_report", "return.report", Doc.COMPLETION_CERTIFICATE, from_fact="returned_home_on"),
        ),
        _stage(
            S.RETURN_REPORTED,
            "Đã trình diện, lập hồ sơ quản lý sau cai",
            "Returned, compiling supervision",
            A.COMMUNE_POLICE,
            DL("propose_post_rehab", "post_rehab.propose", Doc.RETURN_REPORT),
        ),
        _stage(
            S.POST_REHAB_PROPOSED,
            "Chờ quyết định quản lý sau cai",
            "Awaiting supervision decision",
            A.COMMUNE_COMMITTEE,
            DL("decide_post_rehab", "post_rehab.decide", Doc.POST_REHAB_PROPOSAL),
        ),
        _stage(
            S.POST_REHAB_SUPERVISION,
            "Quản lý sau cai nghiện",
            "Post-rehab supervision",
            A.COMMUNE_COMMITTEE,
            DL(
                "supervision_end",
                "post_rehab.duration",
                Doc.COMPLETION_CERTIFICATE,
                escalate_to=(),
                ends=clocks.supervision_end,
            ),
        ),
        _stage(S.CLOSED, "Kết thúc hồ sơ", "Closed", None, reason="trạng thái cuối", final=True),
    )
}


def step(
    event: E, sources: tuple[S, ...] | S, dest: S, actors: tuple[A, ...] | A, vi: str, en: str, **kw: object
) -> Step:
    src = sources if isinstance(sources, tuple) else (sources,)
    act = actors if isinstance(actors, tuple) else (actors,)
    return Step(event, src, dest, act, vi, en, **kw)  # type: ignore[arg-type]


BEFORE_EFFECT: tuple[S, ...] = (
    S.VIOLATION_RECORDED,
    S.DETERMINATION_REQUESTED,
    S.DOSSIER_COMPILING,
    S.PERSON_READING,
    S.LABOUR_REVIEW,
    S.SUPPLEMENTING,
    S.COURT_RECEIVED,
    S.COURT_ACCEPTED,
    S.SESSION_SCHEDULED,
    S.COURT_SUSPENDED,
)
NOT_FINAL = tuple(s for s in STAGES if s is not S.CLOSED)
COURTS = (A.DISTRICT_COURT,)
