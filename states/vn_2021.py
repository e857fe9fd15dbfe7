"""Compulsory rehabilitation, adult and minor tracks, as in force 1/1/2022 – 28/2/2025 (regime vn-2021).

Source: LEGAL-PROCESS.md §2–5. Durations live in `rules_vn_2021.py`; this file says who acts,
in which order, under which conditions, producing which document.
"""

from __future__ import annotations

from datetime import date

from handlers import documents as docs
from handlers import periods
from handlers.eligibility import NOT_EXCLUDED
from states.model import AgencyType as A
from states.model import ClosingReason as R
from states.model import DeadlineSpec as DL
from states.model import Doc, Regime, Stage, Step, Track
from states.model import Event as E
from states.model import State as S
from states.rules_vn_2021 import RULES

COMPILERS = (A.COMMUNE_COMMITTEE, A.COMMUNE_POLICE, A.DISTRICT_POLICE, A.PROVINCIAL_POLICE)
DOSSIER_DOCUMENTS = docs.documents_present(
    Doc.VIOLATION_RECORD, Doc.CV, Doc.DETERMINATION_RESULT, Doc.STATEMENT, Doc.COMPILER_PROPOSAL
)
ENFORCEMENT_SPAN = (S.AWAITING_ESCORT, S.POSTPONED, S.ABSCONDED_BEFORE_ADMISSION)


def _stage(state: S, vi: str, en: str, agency: A | None, *deadlines: DL, reason: str = "",
           final: bool = False, paused: bool = False) -> Stage:
    return Stage(state, vi, en, agency, tuple(deadlines), reason, final, paused)


STAGES: dict[S, Stage] = {s.state: s for s in (
    _stage(S.VIOLATION_RECORDED, "Đã lập biên bản vi phạm", "Violation recorded", A.COMMUNE_POLICE,
           DL("request_determination", "violation.next_step", Doc.VIOLATION_RECORD)),
    _stage(S.DETERMINATION_REQUESTED, "Đang xác định tình trạng nghiện", "Addiction determination",
           A.HEALTH_FACILITY, DL("determination_result", "determination.result", Doc.DETERMINATION_REQUEST)),
    _stage(S.DOSSIER_COMPILING, "Lập hồ sơ đề nghị", "Compiling the dossier", A.COMMUNE_COMMITTEE,
           DL("compile", "compile.detect", Doc.DETERMINATION_RESULT)),
    _stage(S.PERSON_READING, "Thông báo, người bị đề nghị đọc hồ sơ", "Person reads the dossier",
           A.COMMUNE_COMMITTEE, DL("send_to_labour", "reading.period", Doc.READING_NOTICE, plus_rule="reading.send")),
    _stage(S.LABOUR_REVIEW, "Phòng LĐTBXH kiểm tra hồ sơ, chuyển Tòa án", "Labour office review",
           A.LABOUR_OFFICE, DL("labour_review", "labour.review", Doc.TRANSFER_LETTER)),
    _stage(S.SUPPLEMENTING, "Bổ sung hồ sơ bị trả lại", "Supplementing a returned dossier", A.COMMUNE_COMMITTEE,
           DL("supplement", "supplement.compiler", Doc.RETURN_LETTER)),
    _stage(S.COURT_RECEIVED, "Tòa án nhận hồ sơ", "Court received the dossier", A.DISTRICT_COURT,
           DL("accept", "court.accept", Doc.LABOUR_PROPOSAL)),
    _stage(S.COURT_ACCEPTED, "Tòa án đã thụ lý", "Court accepted the dossier", A.DISTRICT_COURT,
           DL("decide", "court.decide", Doc.ACCEPTANCE_NOTICE)),
    _stage(S.SESSION_SCHEDULED, "Đã quyết định mở phiên họp", "Session scheduled", A.DISTRICT_COURT,
           DL("session", "court.session", Doc.SESSION_DECISION), DL("decide", "court.decide", Doc.ACCEPTANCE_NOTICE)),
    _stage(S.COMPLAINT_PERIOD, "Thời hạn khiếu nại, kiến nghị, kháng nghị", "Complaint period", A.DISTRICT_COURT,
           DL("complaint_period", "complaint.period", Doc.COURT_DECISION, escalate_to=(A.PROCURACY,))),
    _stage(S.COMPLAINT_REVIEW, "Tòa án cấp tỉnh xem xét khiếu nại", "Provincial court reviews the complaint",
           A.PROVINCIAL_COURT, DL("complaint_review", "complaint.review", Doc.COMPLAINT)),
    _stage(S.AWAITING_ESCORT, "Quyết định có hiệu lực, chờ đưa vào cơ sở", "Awaiting escort", A.DISTRICT_POLICE,
           DL("escort", "escort.period"),
           DL("enforcement_limitation", "limitation.enforcement", spans=ENFORCEMENT_SPAN)),
    _stage(S.POSTPONED, "Hoãn chấp hành", "Enforcement postponed", A.DISTRICT_POLICE,
           reason="Hoãn đến khi hết lý do hoãn (NĐ 116/2021 Điều 57); thời hạn tạm dừng", paused=True),
    _stage(S.ABSCONDED_BEFORE_ADMISSION, "Bỏ trốn trước khi vào cơ sở, truy tìm", "Absconded before admission",
           A.DISTRICT_POLICE, DL("search_decision", "search.decision")),
    _stage(S.IN_FACILITY, "Chấp hành tại cơ sở cai nghiện", "In the facility", A.FACILITY,
           DL("term", "term.max", Doc.HANDOVER_RECORD, length_fact="term_months",
              remind_before_rule="facility.notice_before_end", escalate_to=(A.PROCURACY,))),
    _stage(S.ABSCONDED_FROM_FACILITY, "Bỏ trốn khỏi cơ sở, truy tìm", "Absconded from the facility", A.FACILITY,
           DL("search_decision", "search.decision")),
    _stage(S.COMPLETION_CERTIFIED, "Đã chấp hành xong, chờ trình diện", "Completed, awaiting return report",
           A.COMMUNE_POLICE, DL("return_report", "return.report", Doc.COMPLETION_CERTIFICATE)),
    _stage(S.RETURN_REPORTED, "Đã trình diện, lập hồ sơ quản lý sau cai", "Returned, compiling supervision",
           A.COMMUNE_POLICE, DL("propose_post_rehab", "post_rehab.propose", Doc.RETURN_REPORT)),
    _stage(S.POST_REHAB_PROPOSED, "Chờ quyết định quản lý sau cai", "Awaiting supervision decision",
           A.COMMUNE_COMMITTEE, DL("decide_post_rehab", "post_rehab.decide", Doc.POST_REHAB_PROPOSAL)),
    _stage(S.POST_REHAB_SUPERVISION, "Quản lý sau cai nghiện", "Post-rehab supervision", A.COMMUNE_COMMITTEE,
           DL("supervision_end", "post_rehab.duration", Doc.COMPLETION_CERTIFICATE, escalate_to=())),
    _stage(S.CLOSED, "Kết thúc hồ sơ", "Closed", None, reason="trạng thái cuối", final=True),
)}


def _step(event: E, sources: tuple[S, ...] | S, dest: S, actors: tuple[A, ...] | A, vi: str, en: str,
          **kw: object) -> Step:
    src = sources if isinstance(sources, tuple) else (sources,)
    act = actors if isinstance(actors, tuple) else (actors,)
    return Step(event, src, dest, act, vi, en, **kw)  # type: ignore[arg-type]


BEFORE_EFFECT = (S.VIOLATION_RECORDED, S.DETERMINATION_REQUESTED, S.DOSSIER_COMPILING, S.PERSON_READING,
                 S.LABOUR_REVIEW, S.SUPPLEMENTING, S.COURT_RECEIVED, S.COURT_ACCEPTED, S.SESSION_SCHEDULED)
NOT_FINAL = tuple(s for s in STAGES if s is not S.CLOSED)
COURTS = (A.DISTRICT_COURT,)

STEPS: tuple[Step, ...] = (
    _step(E.REQUEST_DETERMINATION, S.VIOLATION_RECORDED, S.DETERMINATION_REQUESTED, (A.COMMUNE_POLICE,
          A.DISTRICT_POLICE, A.PROVINCIAL_POLICE), "Đề nghị xác định tình trạng nghiện",
          "Request the addiction determination", produces=Doc.DETERMINATION_REQUEST,
          guards=(*NOT_EXCLUDED, docs.documents_present(Doc.VIOLATION_RECORD)),
          basis="Luật PCMT 73/2021/QH14, Điều 27 khoản 2–3"),
    _step(E.CLOSE_NOT_ELIGIBLE, (S.VIOLATION_RECORDED, S.DETERMINATION_REQUESTED, S.DOSSIER_COMPILING),
          S.CLOSED, COMPILERS, "Kết thúc: không thuộc đối tượng", "Close: not eligible",
          closing_reason=R.NOT_ELIGIBLE, fields={"reason": str}, basis="Luật PCMT 73/2021/QH14, Điều 32–33, 37"),
    _step(E.RECORD_DETERMINATION, S.DETERMINATION_REQUESTED, S.DOSSIER_COMPILING, A.HEALTH_FACILITY,
          "Ghi nhận kết quả: nghiện", "Record the result: addicted", produces=Doc.DETERMINATION_RESULT,
          fields={"determination_outcome": str}, when=("determination_outcome", "addicted"),
          basis="Thông tư 18/2021/TT-BYT, Điều 5"),
    _step(E.RECORD_DETERMINATION, S.DETERMINATION_REQUESTED, S.CLOSED, A.HEALTH_FACILITY,
          "Ghi nhận kết quả: không nghiện", "Record the result: not addicted", produces=Doc.DETERMINATION_RESULT,
          fields={"determination_outcome": str}, when=("determination_outcome", "not_addicted"),
          closing_reason=R.NOT_ADDICTED, basis="Thông tư 18/2021/TT-BYT, Điều 5"),
    _step(E.NOTIFY_PERSON, S.DOSSIER_COMPILING, S.PERSON_READING, COMPILERS,
          "Thông báo lập hồ sơ cho người bị đề nghị", "Notify the person of the dossier",
          produces=Doc.READING_NOTICE, fields={"grounds": str, "notice_received_on": date},
          guards=(*NOT_EXCLUDED, docs.addiction_confirmed, DOSSIER_DOCUMENTS,
                  docs.residence_document_if_no_stable_residence, docs.grounds_stated),
          basis="Nghị định 116/2021/NĐ-CP, Điều 42"),
    _step(E.SEND_TO_LABOUR, S.PERSON_READING, S.LABOUR_REVIEW, COMPILERS,
          "Chuyển hồ sơ cho Phòng LĐTBXH", "Send the dossier to the labour office", produces=Doc.TRANSFER_LETTER,
          guards=(periods.reading_period_respected, DOSSIER_DOCUMENTS),
          basis="Nghị định 116/2021/NĐ-CP, Điều 42 khoản 3–4"),
    _step(E.RETURN_FOR_SUPPLEMENTATION, S.LABOUR_REVIEW, S.SUPPLEMENTING, A.LABOUR_OFFICE,
          "Trả hồ sơ để bổ sung", "Return the dossier for supplementation", produces=Doc.RETURN_LETTER,
          fields={"reasons": str}, basis="Nghị định 116/2021/NĐ-CP, Điều 43 khoản 1 (Mẫu 33)"),
    _step(E.RESUBMIT, S.SUPPLEMENTING, S.LABOUR_REVIEW, COMPILERS, "Gửi lại hồ sơ đã bổ sung",
          "Resubmit the supplemented dossier", produces=Doc.TRANSFER_LETTER, guards=(DOSSIER_DOCUMENTS,),
          basis="Nghị định 116/2021/NĐ-CP, Điều 43 khoản 1"),
    _step(E.PROPOSE_TO_COURT, S.LABOUR_REVIEW, S.COURT_RECEIVED, A.LABOUR_OFFICE,
          "Đề nghị Tòa án xem xét quyết định", "Propose to the court", produces=Doc.LABOUR_PROPOSAL,
          fields={"facility_name": str}, guards=(*NOT_EXCLUDED, DOSSIER_DOCUMENTS,
                                                 periods.within_application_limitation),
          basis="Nghị định 116/2021/NĐ-CP, Điều 43 (Mẫu 34; Mẫu 39 cho người chưa thành niên)"),
    _step(E.RETURN_INCOMPLETE, S.COURT_RECEIVED, S.LABOUR_REVIEW, COURTS, "Tòa án trả hồ sơ chưa đầy đủ",
          "Court returns an incomplete dossier", produces=Doc.RETURN_LETTER, fields={"reasons": str},
          basis="Pháp lệnh 03/2022/UBTVQH15, Điều 9 khoản 1"),
    _step(E.ACCEPT, S.COURT_RECEIVED, S.COURT_ACCEPTED, COURTS, "Thụ lý hồ sơ", "Accept the dossier",
          produces=Doc.ACCEPTANCE_NOTICE, fields={"complicated": bool},
          basis="Pháp lệnh 03/2022/UBTVQH15, Điều 12"),
    _step(E.OPEN_SESSION, S.COURT_ACCEPTED, S.SESSION_SCHEDULED, COURTS, "Quyết định mở phiên họp",
          "Decide to open the session", produces=Doc.SESSION_DECISION, fields={"session_on": date},
          basis="Pháp lệnh 03/2022/UBTVQH15, Điều 17"),
    _step(E.DECIDE, S.SESSION_SCHEDULED, S.COMPLAINT_PERIOD, COURTS, "Quyết định áp dụng biện pháp",
          "Decide to apply the measure", produces=Doc.COURT_DECISION, when=("outcome", "apply"),
          fields={"outcome": str, "term_months": int, "decision_received_on": date},
          guards=(*NOT_EXCLUDED, periods.term_within_range), basis="Pháp lệnh 03/2022/UBTVQH15, Điều 22–25"),
    _step(E.DECIDE, S.SESSION_SCHEDULED, S.CLOSED, COURTS, "Quyết định không áp dụng", "Decide not to apply",
          produces=Doc.COURT_DECISION, when=("outcome", "reject"), fields={"outcome": str},
          closing_reason=R.COURT_REJECTED, basis="Pháp lệnh 03/2022/UBTVQH15, Điều 22"),
    _step(E.DECIDE, (S.COURT_ACCEPTED, S.SESSION_SCHEDULED), S.CLOSED, COURTS, "Đình chỉ việc xem xét",
          "Discontinue the case", produces=Doc.COURT_DECISION, when=("outcome", "discontinue"),
          fields={"outcome": str, "reason": str}, closing_reason=R.DISCONTINUED,
          basis="Pháp lệnh 03/2022/UBTVQH15, Điều 13"),
    _step(E.LODGE_COMPLAINT, S.COMPLAINT_PERIOD, S.COMPLAINT_REVIEW, (A.PERSON, A.PROCURACY, *COMPILERS,
          A.LABOUR_OFFICE, A.DISTRICT_COURT), "Khiếu nại, kiến nghị, kháng nghị", "Lodge a complaint or protest",
          produces=Doc.COMPLAINT, fields={"complainant": str}, guards=(periods.complaint_within_period,),
          basis="Pháp lệnh 03/2022/UBTVQH15, Điều 32–34"),
    _step(E.END_COMPLAINT_PERIOD, S.COMPLAINT_PERIOD, S.AWAITING_ESCORT, COURTS,
          "Hết thời hạn khiếu nại, quyết định có hiệu lực", "Complaint period over: decision in effect",
          guards=(periods.complaint_period_over,), stamps=("decision_effective_on",),
          basis="Pháp lệnh 03/2022/UBTVQH15, Điều 24 khoản 1"),
    _step(E.RESOLVE_COMPLAINT, S.COMPLAINT_REVIEW, S.AWAITING_ESCORT, A.PROVINCIAL_COURT,
          "Giữ nguyên quyết định", "Uphold the decision", produces=Doc.COMPLAINT_DECISION,
          when=("outcome", "uphold"), fields={"outcome": str}, stamps=("decision_effective_on",),
          basis="Pháp lệnh 03/2022/UBTVQH15, Điều 35–37"),
    _step(E.RESOLVE_COMPLAINT, S.COMPLAINT_REVIEW, S.AWAITING_ESCORT, A.PROVINCIAL_COURT,
          "Sửa quyết định", "Amend the decision", produces=Doc.COMPLAINT_DECISION, when=("outcome", "amend"),
          fields={"outcome": str, "term_months": int}, guards=(periods.term_within_range,),
          stamps=("decision_effective_on",), basis="Pháp lệnh 03/2022/UBTVQH15, Điều 35–37"),
    _step(E.RESOLVE_COMPLAINT, S.COMPLAINT_REVIEW, S.CLOSED, A.PROVINCIAL_COURT, "Hủy quyết định",
          "Annul the decision", produces=Doc.COMPLAINT_DECISION, when=("outcome", "annul"),
          fields={"outcome": str}, closing_reason=R.DECISION_ANNULLED,
          basis="Pháp lệnh 03/2022/UBTVQH15, Điều 35–37"),
    _step(E.RECORD_ESCORT, S.AWAITING_ESCORT, S.IN_FACILITY, (A.DISTRICT_POLICE, A.FACILITY),
          "Bàn giao người vào cơ sở", "Hand the person over to the facility", produces=Doc.HANDOVER_RECORD,
          fields={"facility_name": str, "days_held_pending": int}, stamps=("admitted_on",),
          guards=(periods.decision_in_effect, periods.within_enforcement_limitation),
          basis="Nghị định 116/2021/NĐ-CP, Điều 54 (Mẫu 40)"),
    _step(E.POSTPONE, S.AWAITING_ESCORT, S.POSTPONED, COURTS, "Hoãn chấp hành quyết định",
          "Postpone enforcement", produces=Doc.POSTPONEMENT_DECISION, fields={"ground": str},
          guards=(periods.postponement_ground_valid,), basis="Nghị định 116/2021/NĐ-CP, Điều 57"),
    _step(E.RESUME, S.POSTPONED, S.AWAITING_ESCORT, (A.DISTRICT_POLICE, *COURTS), "Hết lý do hoãn, tiếp tục",
          "Postponement over: resume", basis="Nghị định 116/2021/NĐ-CP, Điều 57"),
    _step(E.EXEMPT, (S.AWAITING_ESCORT, S.POSTPONED), S.CLOSED, COURTS, "Miễn chấp hành quyết định",
          "Exempt from enforcement", produces=Doc.EXEMPTION_DECISION, fields={"ground": str},
          guards=(periods.exemption_ground_valid,), closing_reason=R.EXEMPTED,
          basis="Nghị định 116/2021/NĐ-CP, Điều 57"),
    _step(E.REPORT_ABSCONDING, S.AWAITING_ESCORT, S.ABSCONDED_BEFORE_ADMISSION, (A.DISTRICT_POLICE,
          A.COMMUNE_POLICE), "Báo người bỏ trốn trước khi đưa đi", "Report absconding before admission",
          produces=Doc.SEARCH_DECISION, basis="Nghị định 116/2021/NĐ-CP, Điều 56 (Mẫu 41)"),
    _step(E.REPORT_ABSCONDING, S.IN_FACILITY, S.ABSCONDED_FROM_FACILITY, A.FACILITY,
          "Báo người bỏ trốn khỏi cơ sở", "Report absconding from the facility", produces=Doc.SEARCH_DECISION,
          key="report_absconding__from_facility",
          basis="Nghị định 116/2021/NĐ-CP, Điều 56"),
    _step(E.RECORD_FOUND, S.ABSCONDED_BEFORE_ADMISSION, S.AWAITING_ESCORT, (A.DISTRICT_POLICE, A.COMMUNE_POLICE),
          "Đã tìm thấy, tiếp tục đưa đi", "Found: resume the escort", produces=Doc.FOUND_RECORD,
          stamps=("evasion_ended_on",), restarts=("enforcement_limitation",),
          basis="Luật XLVPHC 2012, Điều 108 khoản 3"),
    _step(E.RECORD_FOUND, S.ABSCONDED_FROM_FACILITY, S.IN_FACILITY, (A.FACILITY, A.DISTRICT_POLICE),
          "Đã tìm thấy, tiếp tục chấp hành", "Found: back in the facility", produces=Doc.FOUND_RECORD,
          key="record_found__in_facility",
          fields={"days_absconded": int}, basis="Nghị định 116/2021/NĐ-CP, Điều 56 khoản 4"),
    _step(E.EXPIRE_LIMITATION, (S.AWAITING_ESCORT, S.ABSCONDED_BEFORE_ADMISSION), S.CLOSED,
          (A.DISTRICT_POLICE, *COURTS), "Hết thời hiệu thi hành", "Enforcement limitation expired",
          guards=(periods.enforcement_limitation_expired,), closing_reason=R.LIMITATION_EXPIRED,
          basis="Luật XLVPHC 2012, Điều 108 khoản 2"),
    _step(E.RECORD_COMPLETION, S.IN_FACILITY, S.COMPLETION_CERTIFIED, A.FACILITY,
          "Cấp giấy chứng nhận chấp hành xong", "Certify completion", produces=Doc.COMPLETION_CERTIFICATE,
          fields={"term_reduced_by_court": bool}, guards=(periods.term_served,),
          basis="Nghị định 116/2021/NĐ-CP, Điều 62 (Mẫu 46)"),
    _step(E.REPORT_RETURN, S.COMPLETION_CERTIFIED, S.RETURN_REPORTED, (A.COMMUNE_POLICE, A.COMMUNE_COMMITTEE),
          "Ghi nhận trình diện tại nơi cư trú", "Record the return report", produces=Doc.RETURN_REPORT,
          basis="Nghị định 116/2021/NĐ-CP, Điều 62 khoản 5"),
    _step(E.PROPOSE_POST_REHAB, S.RETURN_REPORTED, S.POST_REHAB_PROPOSED, A.COMMUNE_POLICE,
          "Đề nghị quản lý sau cai", "Propose post-rehab supervision", produces=Doc.POST_REHAB_PROPOSAL,
          basis="Nghị định 116/2021/NĐ-CP, Điều 77 (Mẫu 50)"),
    _step(E.DECIDE_POST_REHAB, S.POST_REHAB_PROPOSED, S.POST_REHAB_SUPERVISION, A.COMMUNE_COMMITTEE,
          "Quyết định quản lý sau cai", "Decide post-rehab supervision", produces=Doc.POST_REHAB_DECISION,
          guards=(docs.documents_present(Doc.COMPLETION_CERTIFICATE),),
          basis="Nghị định 116/2021/NĐ-CP, Điều 78 (Mẫu 51)"),
    _step(E.END_SUPERVISION, S.POST_REHAB_SUPERVISION, S.CLOSED, A.COMMUNE_COMMITTEE,
          "Cấp giấy chứng nhận hoàn thành quản lý sau cai", "Certify the end of supervision",
          produces=Doc.SUPERVISION_CERTIFICATE, guards=(periods.supervision_period_served,),
          closing_reason=R.SUPERVISION_COMPLETED, basis="Luật PCMT 73/2021/QH14, Điều 40 (Mẫu 54)"),
    _step(E.REPORT_RELAPSE, S.POST_REHAB_SUPERVISION, S.CLOSED, (A.COMMUNE_POLICE, A.COMMUNE_COMMITTEE),
          "Tái nghiện trong thời gian quản lý sau cai (lập hồ sơ mới)", "Relapse during supervision (new dossier)",
          produces=Doc.RELAPSE_RECORD, closing_reason=R.RELAPSED, basis="Luật PCMT 73/2021/QH14, Điều 32 khoản 4"),
    _step(E.DISCONTINUE, BEFORE_EFFECT, S.CLOSED, (*COMPILERS, A.LABOUR_OFFICE, *COURTS),
          "Đình chỉ hồ sơ", "Discontinue the dossier", produces=Doc.DISCONTINUATION_DECISION,
          fields={"reason": str}, closing_reason=R.DISCONTINUED, basis="Luật XLVPHC 2012, Điều 103–105"),
    _step(E.RECORD_DEATH, NOT_FINAL, S.CLOSED, (*COMPILERS, A.FACILITY, *COURTS),
          "Người bị đề nghị chết", "The person died", produces=Doc.DEATH_RECORD, closing_reason=R.DECEASED,
          basis="Luật XLVPHC 2012, Điều 65"),
    _step(E.TRANSFER_TO_CRIMINAL_PROCEEDINGS, BEFORE_EFFECT, S.CLOSED, (*COMPILERS, *COURTS),
          "Chuyển cơ quan tiến hành tố tụng hình sự", "Transfer to criminal proceedings",
          produces=Doc.CRIMINAL_TRANSFER, closing_reason=R.TRANSFERRED_TO_CRIMINAL_PROCEEDINGS,
          basis="Luật XLVPHC 2012, Điều 62"),
)

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
    rules=RULES,
)

__all__ = ["REGIME", "STAGES", "STEPS", "Track"]

STEPS_BY_NAME = {s.name: s for s in STEPS}
