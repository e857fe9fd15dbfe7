"""The words `states/` and `handlers/` share: states, events, agencies, documents, units, rules.

Both packages import this module; it imports neither. Everything here is plain data.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Protocol


class Unit(StrEnum):
    CALENDAR_DAYS = "days"
    WORKING_DAYS = "working_days"
    HOURS = "hours"
    MONTHS = "months"
    YEARS = "years"


class Status(StrEnum):
    """How sure we are of a rule (marks of LEGAL-PROCESS.md)."""

    CONFIRMED = "confirmed"  # ✔ checked against the published text
    TO_VERIFY = "to_verify"  # ◻ best available reading; overridable default
    UNCONFIRMED = "unconfirmed"  # ? not known yet; a configured value the deployment must accept


STATUS_MARK = {Status.CONFIRMED: "✔", Status.TO_VERIFY: "◻", Status.UNCONFIRMED: "?"}


class Track(StrEnum):
    ADULT = "adult"  # from 18
    MINOR = "minor"  # 12 to under 18


class State(StrEnum):
    DRUG_USER_MANAGEMENT = "drug_user_management"  # vn-2026 only
    VIOLATION_RECORDED = "violation_recorded"
    DETERMINATION_REQUESTED = "determination_requested"
    DOSSIER_COMPILING = "dossier_compiling"
    PERSON_READING = "person_reading"
    LEGAL_CHECK = "legal_check"  # vn-2014 only
    LABOUR_REVIEW = "labour_review"
    SUPPLEMENTING = "supplementing"
    COURT_RECEIVED = "court_received"
    COURT_ACCEPTED = "court_accepted"
    SESSION_SCHEDULED = "session_scheduled"
    COURT_SUSPENDED = "court_suspended"
    COMPLAINT_PERIOD = "complaint_period"
    COMPLAINT_REVIEW = "complaint_review"
    AWAITING_ESCORT = "awaiting_escort"
    POSTPONED = "postponed"
    ABSCONDED_BEFORE_ADMISSION = "absconded_before_admission"
    IN_FACILITY = "in_facility"
    TERM_SUSPENDED = "term_suspended"  # the court suspended the rest of the term (NĐ 116/2021 art. 58)
    ABSCONDED_FROM_FACILITY = "absconded_from_facility"
    COMPLETION_CERTIFIED = "completion_certified"
    RETURN_REPORTED = "return_reported"
    POST_REHAB_PROPOSED = "post_rehab_proposed"
    POST_REHAB_SUPERVISION = "post_rehab_supervision"
    CLOSED = "closed"


class Event(StrEnum):
    RECORD_VIOLATION = "record_violation"
    END_USER_MANAGEMENT = "end_user_management"
    RECORD_MOVE = "record_move"  # vn-2026: a managed person moves house
    NOTIFY_MOVE = "notify_move"  # vn-2026: the old commune police notify the new one
    REQUEST_DETERMINATION = "request_determination"
    RECEIVE_FOR_DETERMINATION = "receive_for_determination"
    RECORD_DETERMINATION = "record_determination"
    RECORD_EXCLUSION = "record_exclusion"  # an exclusion learned after opening (pregnancy, a young child)
    DECIDE_PENDING_MANAGEMENT = "decide_pending_management"  # Mẫu 36: at home (Mẫu 35) or at a facility
    CLOSE_NOT_ELIGIBLE = "close_not_eligible"
    NOTIFY_PERSON = "notify_person"
    SEND_TO_LABOUR = "send_to_labour"
    SEND_TO_LEGAL_CHECK = "send_to_legal_check"
    PASS_LEGAL_CHECK = "pass_legal_check"
    RETURN_FOR_SUPPLEMENTATION = "return_for_supplementation"
    RESUBMIT = "resubmit"
    PROPOSE_TO_COURT = "propose_to_court"
    RETURN_INCOMPLETE = "return_incomplete"
    ACCEPT = "accept"
    OPEN_SESSION = "open_session"
    DECIDE = "decide"
    SEND_DECISION = "send_decision"
    REQUEST_CLARIFICATION = "request_clarification"  # the court asks the labour office to clarify the dossier
    ANSWER_CLARIFICATION = "answer_clarification"
    FORWARD_COMPLAINT = "forward_complaint"
    RECEIVE_DECISION = "receive_decision"  # the police receive the decision for execution
    RECORD_PERIODIC_REVIEW = "record_periodic_review"
    RECORD_RETURN_HOME = "record_return_home"
    RECORD_ABSENCE = "record_absence"
    RECORD_MOVE_REPORT = "record_move_report"  # vn-2026: the managed person reports at the new place
    RESUME_CASE = "resume_case"
    LODGE_COMPLAINT = "lodge_complaint"
    END_COMPLAINT_PERIOD = "end_complaint_period"
    RESOLVE_COMPLAINT = "resolve_complaint"
    RECORD_ESCORT = "record_escort"
    POSTPONE = "postpone"
    EXTEND_ESCORT = "extend_escort"
    RESTART_ESCORT = "restart_escort"  # force majeure over: the escort period runs again (art. 54(3))
    RESUME = "resume"
    EXEMPT = "exempt"
    REPORT_ABSCONDING = "report_absconding"
    RECORD_FOUND = "record_found"
    EXPIRE_LIMITATION = "expire_limitation"
    TRANSFER_TO_ADULT_FACILITY = "transfer_to_adult_facility"
    REDUCE_TERM = "reduce_term"
    SUSPEND_TERM = "suspend_term"
    RESUME_TERM = "resume_term"
    EXEMPT_REMAINDER = "exempt_remainder"
    ESCORT_TO_DRUG_TEST = "escort_to_drug_test"  # vn-2026: a managed person refusing a test (art. 23)
    RECORD_COMPLETION = "record_completion"
    REPORT_RETURN = "report_return"
    PROPOSE_POST_REHAB = "propose_post_rehab"
    DECIDE_POST_REHAB = "decide_post_rehab"
    ORDER_ELECTRONIC_MONITORING = "order_electronic_monitoring"
    END_SUPERVISION = "end_supervision"
    REPORT_RELAPSE = "report_relapse"
    DISCONTINUE = "discontinue"
    RECORD_DEATH = "record_death"
    TRANSFER_TO_CRIMINAL_PROCEEDINGS = "transfer_to_criminal_proceedings"


class AgencyType(StrEnum):
    COMMUNE_POLICE = "commune_police"
    COMMUNE_COMMITTEE = "commune_committee"
    HEALTH_FACILITY = "health_facility"
    JUSTICE_OFFICE = "justice_office"
    LABOUR_OFFICE = "labour_office"
    DISTRICT_COURT = "district_court"
    REGIONAL_COURT = "regional_court"
    PROVINCIAL_COURT = "provincial_court"
    PROCURACY = "procuracy"
    DISTRICT_POLICE = "district_police"
    PROVINCIAL_POLICE = "provincial_police"
    FACILITY = "facility"
    DISTRICT_COMMITTEE = "district_committee"
    PROVINCIAL_COMMITTEE = "provincial_committee"
    PERSON = "person"  # the person or their representative: acts, but is not an agency with an inbox


class Doc(StrEnum):
    """Documents a step produces; each is stored with number, date, issuer and signer."""

    USER_MANAGEMENT_DECISION = "user_management_decision"
    VIOLATION_RECORD = "violation_record"  # Mẫu 27
    DETERMINATION_REQUEST = "determination_request"
    DETERMINATION_RESULT = "determination_result"
    CV = "cv"  # Mẫu 30
    STATEMENT = "statement"  # Mẫu 31
    COMPILER_PROPOSAL = "compiler_proposal"  # Mẫu 29
    RESIDENCE_CONFIRMATION = "residence_confirmation"  # no stable residence
    EXCLUSION_CONFIRMATION = "exclusion_confirmation"  # hospital / commune confirmation of an exclusion
    PENDING_MANAGEMENT_DECISION = "pending_management_decision"  # Mẫu 36
    FAMILY_COMMITMENT = "family_commitment"  # Mẫu 35
    FORCE_MAJEURE_RECORD = "force_majeure_record"
    TERM_SUSPENSION_DECISION = "term_suspension_decision"
    TERM_RESUMPTION_DECISION = "term_resumption_decision"
    REMAINDER_EXEMPTION_DECISION = "remainder_exemption_decision"
    TEST_ESCORT_RECORD = "test_escort_record"
    READING_NOTICE = "reading_notice"  # Mẫu 32
    TRANSFER_LETTER = "transfer_letter"
    LEGAL_CHECK_OPINION = "legal_check_opinion"
    RETURN_LETTER = "return_letter"  # Mẫu 33
    LABOUR_PROPOSAL = "labour_proposal"  # Mẫu 34 / 39
    ACCEPTANCE_NOTICE = "acceptance_notice"
    SESSION_DECISION = "session_decision"
    COURT_DECISION = "court_decision"
    SUSPENSION_DECISION = "suspension_decision"
    RESUMPTION_DECISION = "resumption_decision"
    COMPLAINT = "complaint"
    COMPLAINT_DECISION = "complaint_decision"
    POSTPONEMENT_DECISION = "postponement_decision"
    FACILITY_FULL_NOTICE = "facility_full_notice"
    EXEMPTION_DECISION = "exemption_decision"
    HANDOVER_RECORD = "handover_record"  # Mẫu 40
    SEARCH_DECISION = "search_decision"  # Mẫu 41
    FOUND_RECORD = "found_record"
    TRANSFER_DECISION = "transfer_decision"
    TERM_REDUCTION_DECISION = "term_reduction_decision"
    COMPLETION_CERTIFICATE = "completion_certificate"  # Mẫu 46
    RETURN_REPORT = "return_report"
    POST_REHAB_PROPOSAL = "post_rehab_proposal"  # Mẫu 50
    POST_REHAB_DECISION = "post_rehab_decision"  # Mẫu 51
    MONITORING_ORDER = "monitoring_order"
    MOVE_NOTICE = "move_notice"  # vn-2026: old commune police to the new one
    SUPERVISION_CERTIFICATE = "supervision_certificate"  # Mẫu 54
    RELAPSE_RECORD = "relapse_record"
    DISCONTINUATION_DECISION = "discontinuation_decision"
    DEATH_RECORD = "death_record"
    CRIMINAL_TRANSFER = "criminal_transfer"


class ClosingReason(StrEnum):
    NOT_ADDICTED = "not_addicted"
    NOT_ELIGIBLE = "not_eligible"
    COURT_REJECTED = "court_rejected"
    DISCONTINUED = "discontinued"
    DECISION_ANNULLED = "decision_annulled"
    EXEMPTED = "exempted"
    LIMITATION_EXPIRED = "limitation_expired"
    SUPERVISION_COMPLETED = "supervision_completed"
    RELAPSED = "relapsed"
    TRANSFERRED_TO_CRIMINAL_PROCEEDINGS = "transferred_to_criminal_proceedings"
    DECEASED = "deceased"
    MANAGEMENT_COMPLETED = "management_completed"


@dataclass(frozen=True, slots=True)
class Rule:
    """A legal value (a duration or a limit) with its citation and how sure we are of it."""

    id: str
    value: int
    unit: Unit | None
    basis: str
    status: Status
    label_vi: str
    label_en: str
    note: str = ""

    def describe_vi(self) -> str:
        return f"{self.label_vi}: {self.value} {UNIT_VI.get(self.unit, '')}".strip()


UNIT_VI: Mapping[Unit | None, str] = {
    Unit.CALENDAR_DAYS: "ngày",
    Unit.WORKING_DAYS: "ngày làm việc",
    Unit.HOURS: "giờ",
    Unit.MONTHS: "tháng",
    Unit.YEARS: "năm",
    None: "",
}
UNIT_EN: Mapping[Unit | None, str] = {
    Unit.CALENDAR_DAYS: "days",
    Unit.WORKING_DAYS: "working days",
    Unit.HOURS: "hours",
    Unit.MONTHS: "months",
    Unit.YEARS: "years",
    None: "",
}


class RuleBook(Protocol):
    """What a guard may ask of a regime: its rules by id, the grounds it admits and their citation."""

    @property
    def grounds(self) -> tuple[str, ...]: ...

    @property
    def grounds_basis(self) -> str: ...

    @property
    def adult_only_grounds(self) -> tuple[str, ...]: ...

    def rule(self, rule_id: str, track: Track | None = None, dates: Mapping[str, date] | None = None) -> Rule: ...


# ----------------------------------------------------------------------------- names people read
# The one place for the Vietnamese (and English) names of the codes above: pages, the API's
# `*_label_vi` fields and notifications all read them through `states.labels`. A code is never shown
# to a user without its name; a test checks every member has one.

STATE_LABELS: Mapping[State, tuple[str, str]] = {
    # regime-neutral names; a regime's own stage label (Stage.label_vi) wins where a dossier is known
    State.DRUG_USER_MANAGEMENT: ("Quản lý người sử dụng trái phép chất ma túy", "Drug-user management"),
    State.VIOLATION_RECORDED: ("Đã lập biên bản vi phạm", "Violation recorded"),
    State.DETERMINATION_REQUESTED: ("Đang xác định tình trạng nghiện", "Addiction determination"),
    State.DOSSIER_COMPILING: ("Lập hồ sơ đề nghị", "Compiling the dossier"),
    State.PERSON_READING: ("Thông báo, người bị đề nghị đọc hồ sơ", "Person reads the dossier"),
    State.LEGAL_CHECK: ("Phòng Tư pháp kiểm tra tính pháp lý", "Legal check"),
    State.LABOUR_REVIEW: ("Kiểm tra hồ sơ, chuyển Tòa án", "Review before the court"),
    State.SUPPLEMENTING: ("Bổ sung hồ sơ bị trả lại", "Supplementing a returned dossier"),
    State.COURT_RECEIVED: ("Tòa án nhận hồ sơ", "Court received the dossier"),
    State.COURT_ACCEPTED: ("Tòa án đã thụ lý", "Court accepted the case"),
    State.SESSION_SCHEDULED: ("Đã quyết định mở phiên họp", "Session scheduled"),
    State.COURT_SUSPENDED: ("Tòa án tạm đình chỉ việc xem xét", "Case suspended by the court"),
    State.COMPLAINT_PERIOD: ("Thời hạn khiếu nại, kiến nghị, kháng nghị", "Complaint period"),
    State.COMPLAINT_REVIEW: ("Tòa án cấp trên xem xét khiếu nại", "Complaint under review"),
    State.AWAITING_ESCORT: ("Quyết định có hiệu lực, chờ đưa vào cơ sở", "Awaiting escort to the facility"),
    State.POSTPONED: ("Hoãn chấp hành", "Postponed"),
    State.ABSCONDED_BEFORE_ADMISSION: ("Bỏ trốn trước khi vào cơ sở, truy tìm", "Absconded before admission"),
    State.IN_FACILITY: ("Chấp hành tại cơ sở cai nghiện", "In the facility"),
    State.ABSCONDED_FROM_FACILITY: ("Bỏ trốn khỏi cơ sở, truy tìm", "Absconded from the facility"),
    State.TERM_SUSPENDED: ("Tạm đình chỉ chấp hành tại cơ sở", "Rest of the term suspended"),
    State.COMPLETION_CERTIFIED: ("Đã chấp hành xong, chờ trình diện", "Completed, awaiting the return report"),
    State.RETURN_REPORTED: ("Đã trình diện, lập hồ sơ quản lý sau cai", "Returned home"),
    State.POST_REHAB_PROPOSED: ("Chờ quyết định quản lý sau cai", "Post-rehab supervision proposed"),
    State.POST_REHAB_SUPERVISION: ("Quản lý sau cai nghiện", "Post-rehab supervision"),
    State.CLOSED: ("Kết thúc hồ sơ", "Closed"),
}

TRACK_LABELS: Mapping[Track, tuple[str, str]] = {
    Track.ADULT: ("Người từ đủ 18 tuổi trở lên", "adult (18 or older)"),
    Track.MINOR: ("Người từ đủ 12 đến dưới 18 tuổi", "minor (12 to under 18)"),
}

CLOSING_REASON_LABELS: Mapping[ClosingReason, tuple[str, str]] = {
    ClosingReason.NOT_ADDICTED: ("Kết quả xác định: không nghiện", "not addicted"),
    ClosingReason.NOT_ELIGIBLE: ("Không thuộc đối tượng áp dụng biện pháp", "not eligible for the measure"),
    ClosingReason.COURT_REJECTED: ("Tòa án quyết định không áp dụng biện pháp", "the court did not apply the measure"),
    ClosingReason.DISCONTINUED: ("Đình chỉ", "discontinued"),
    ClosingReason.DECISION_ANNULLED: ("Quyết định bị hủy khi giải quyết khiếu nại", "decision annulled on complaint"),
    ClosingReason.EXEMPTED: ("Miễn chấp hành quyết định", "exempted from enforcement"),
    ClosingReason.LIMITATION_EXPIRED: ("Hết thời hiệu thi hành quyết định", "enforcement limitation expired"),
    ClosingReason.SUPERVISION_COMPLETED: ("Đã chấp hành xong quản lý sau cai", "post-rehab supervision completed"),
    ClosingReason.RELAPSED: ("Tái nghiện trong thời gian quản lý sau cai", "relapsed during supervision"),
    ClosingReason.TRANSFERRED_TO_CRIMINAL_PROCEEDINGS: (
        "Chuyển cơ quan tiến hành tố tụng hình sự",
        "transferred to criminal proceedings",
    ),
    ClosingReason.DECEASED: ("Người bị đề nghị đã chết", "the person died"),
    ClosingReason.MANAGEMENT_COMPLETED: ("Kết thúc quản lý người sử dụng ma túy", "drug-user management ended"),
}

AGENCY_TYPE_LABELS: Mapping[AgencyType, tuple[str, str]] = {
    AgencyType.COMMUNE_POLICE: ("Công an cấp xã", "commune police"),
    AgencyType.COMMUNE_COMMITTEE: ("Ủy ban nhân dân cấp xã", "commune people's committee"),
    AgencyType.HEALTH_FACILITY: ("Cơ sở y tế xác định tình trạng nghiện", "health facility"),
    AgencyType.JUSTICE_OFFICE: ("Phòng Tư pháp cấp huyện", "district justice office"),
    AgencyType.LABOUR_OFFICE: ("Phòng Lao động - Thương binh và Xã hội", "district labour office"),
    AgencyType.DISTRICT_COURT: ("Tòa án nhân dân cấp huyện", "district court"),
    AgencyType.REGIONAL_COURT: ("Tòa án nhân dân khu vực", "regional court"),
    AgencyType.PROVINCIAL_COURT: ("Tòa án nhân dân cấp tỉnh", "provincial court"),
    AgencyType.PROCURACY: ("Viện kiểm sát nhân dân", "procuracy"),
    AgencyType.DISTRICT_POLICE: ("Công an cấp huyện", "district police"),
    AgencyType.PROVINCIAL_POLICE: ("Công an cấp tỉnh", "provincial police"),
    AgencyType.FACILITY: ("Cơ sở cai nghiện bắt buộc", "compulsory rehabilitation facility"),
    AgencyType.DISTRICT_COMMITTEE: ("Ủy ban nhân dân cấp huyện", "district people's committee"),
    AgencyType.PROVINCIAL_COMMITTEE: ("Ủy ban nhân dân cấp tỉnh", "provincial people's committee"),
    AgencyType.PERSON: ("Người bị đề nghị hoặc người đại diện", "the person or their representative"),
}

STATUS_LABELS: Mapping[Status, tuple[str, str]] = {
    Status.CONFIRMED: ("✔ đã xác nhận", "✔ confirmed"),
    Status.TO_VERIFY: ("◻ cần kiểm tra", "◻ to verify"),
    Status.UNCONFIRMED: ("? chưa xác nhận", "? unconfirmed"),
}
