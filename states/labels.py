"""The names people read for every code of the process: one lookup for pages, the API and notifications.

The tables live beside the codes they name (`vocabulary.STATE_LABELS`, `TRACK_LABELS`, ...,
`handlers.labels.DOC_LABELS`); a regime adds its own stage, step and rule labels. Every function
returns the code itself only for a code nobody has named, which a test forbids for built-in codes.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Any

from handlers.labels import DOC_LABELS
from states.model import Regime, State
from vocabulary import (
    AGENCY_TYPE_LABELS,
    CLOSING_REASON_LABELS,
    STATE_LABELS,
    STATUS_LABELS,
    TRACK_LABELS,
    AgencyType,
    ClosingReason,
    Status,
    Track,
)

VI, EN = 0, 1

# Payload fields of the steps (the same name means the same thing in every step that takes it).
FIELD_LABELS: Mapping[str, tuple[str, str]] = {
    "grounds": ("Căn cứ áp dụng", "grounds"),
    "notice_received_on": ("Ngày người bị đề nghị nhận thông báo", "date the person received the notice"),
    "reason": ("Lý do", "reason"),
    "reasons": ("Lý do trả lại hồ sơ (nội dung cần bổ sung)", "reasons for returning the dossier"),
    "facility_name": ("Cơ sở cai nghiện", "facility"),
    "facility_kind": ("Loại cơ sở", "kind of facility"),
    "session_on": ("Ngày mở phiên họp", "session date"),
    "term_months": ("Thời hạn (tháng)", "term (months)"),
    "outcome": ("Kết quả", "outcome"),
    "determination_outcome": ("Kết quả xác định", "determination result"),
    "complainant": ("Người khiếu nại, kiến nghị, kháng nghị", "complainant"),
    "complicated": ("Vụ việc phức tạp", "complicated case"),
    "person_received_on": ("Ngày tiếp nhận người cần xác định (để trống: hôm nay)", "day the person was received"),
    "decision_sent_on": ("Ngày gửi quyết định (để trống: hôm nay)", "day the decision was sent"),
    "complaint_forwarded_on": ("Ngày chuyển hồ sơ lên Tòa án cấp tỉnh (để trống: hôm nay)", "day forwarded"),
    "execution_received_on": (
        "Ngày cơ quan Công an nhận quyết định để thi hành (để trống: hôm nay)",
        "day the police received the decision",
    ),
    "reviewed_on": ("Ngày đánh giá định kỳ (để trống: hôm nay)", "day of the periodic review"),
    "returned_home_on": ("Ngày về đến nơi cư trú (để trống: hôm nay)", "day the person got home"),
    "clarified_on": ("Ngày giải thích, bổ sung (để trống: hôm nay)", "day the answer was sent"),
    "postponement_ended_on": ("Ngày hết lý do hoãn (để trống: hôm nay)", "day the postponement ended"),
    "complicated_reason": ("Lý do vụ việc phức tạp (bắt buộc khi chọn 30 ngày)", "why the case is complicated"),
    "accepted_on": ("Ngày thụ lý (để trống: ngày của thông báo thụ lý)", "day the court accepted the case"),
    "requested_on": ("Ngày người phải chấp hành gửi đề nghị hoãn, miễn", "day the person asked"),
    "absent_from": ("Vắng mặt không báo cáo từ ngày", "unreported absence from"),
    "absent_to": ("Vắng mặt không báo cáo đến ngày", "unreported absence until"),
    "post_rehab_years": ("Thời hạn quản lý sau cai (1 hoặc 2 năm)", "post-rehab management (1 or 2 years)"),
    "move_reported_on": (
        "Ngày người được quản lý trình báo tại nơi ở mới (nếu đã trình báo)",
        "day the person reported at the new place",
    ),
    "days_absconded": ("Số ngày bỏ trốn", "days absconded"),
    "absconded_on": ("Ngày bỏ trốn (để trống: ngày của quyết định truy tìm)", "day the person absconded"),
    "returned_on": ("Ngày trở lại cơ sở (để trống: ngày của biên bản)", "day the person was back"),
    "days_held_pending": (
        "Số ngày được quản lý tại cơ sở trong thời gian chờ (được trừ, NĐ 116/2021 Điều 44 khoản 3)",
        "days managed at a facility while the dossier was pending (deducted)",
    ),
    "decision_received_on": ("Ngày người bị đề nghị nhận quyết định", "date the person received the decision"),
    "ground": ("Lý do", "ground"),
    "monitoring_months": ("Thời hạn giám sát điện tử (tháng)", "electronic monitoring (months)"),
    "moved_on": ("Ngày chuyển đi", "date of the move"),
    "new_commune": ("Xã, phường nơi chuyển đến", "destination commune"),
    "term_reduced_by_court": ("Tòa án đã giảm thời hạn", "term reduced by the court"),
    "commune_education_on": (
        "Ngày quyết định giáo dục tại xã (nếu căn cứ là đã bị giáo dục tại xã)",
        "date of the commune-education decision",
    ),
    "guardian_notice_received_on": (
        "Ngày cha, mẹ hoặc người giám hộ nhận thông báo (người chưa thành niên)",
        "date the parent or guardian received the notice (minor)",
    ),
    "family_situation_stated": (
        "Văn bản (Mẫu 39) nêu hoàn cảnh gia đình (người chưa thành niên)",
        "form 39 states the family's situation (minor)",
    ),
    "child_protection_plan_stated": (
        "Văn bản (Mẫu 39) nêu phương án quản lý bảo đảm quyền trẻ em (người chưa thành niên)",
        "form 39 states a management plan protecting the child's rights (minor)",
    ),
    "pregnant": ("Đang mang thai (bệnh viện xác nhận)", "pregnant (hospital confirmation)"),
    "child_birth_date": ("Ngày sinh của con nhỏ nhất đang nuôi", "birth date of the youngest child raised"),
    "sole_carer": ("Là người duy nhất nuôi con", "the only person raising the child"),
    "lacks_capacity": ("Mất năng lực hành vi dân sự", "lacks legal capacity"),
    "management_place": ("Hình thức quản lý trong thời gian lập hồ sơ", "where the person is managed meanwhile"),
    "facility_reason": ("Lý do quản lý tại cơ sở", "why at a facility"),
    "force_majeure_from": ("Ngày bắt đầu sự kiện bất khả kháng", "date the force majeure began"),
    "document": ("Văn bản", "document"),
    "document.number": ("Số văn bản", "document number"),
    "document.date": ("Ngày ban hành văn bản", "document date"),
    "attachments": ("Tài liệu kèm theo", "attachments"),
    "on": ("Ngày thực hiện", "date"),
    "note": ("Ghi chú", "note"),
    "confirm": ("Xác nhận", "confirmation"),
}

# The values of fields that take a category (never free text).
VALUE_LABELS: Mapping[str, Mapping[str, tuple[str, str]]] = {
    "grounds": {
        "no_voluntary_rehab": ("Không đăng ký, không thực hiện cai nghiện tự nguyện", "no voluntary rehab"),
        "used_during_voluntary": ("Sử dụng ma túy trong thời gian cai nghiện tự nguyện", "used during voluntary rehab"),
        "substitution_breach": ("Vi phạm khi điều trị nghiện bằng thuốc thay thế", "breach during substitution"),
        "relapse_in_post_rehab": ("Sử dụng ma túy trong thời gian quản lý sau cai", "relapse in post-rehab"),
        "monitoring_breach": ("Vi phạm quy định về giám sát điện tử", "breach of electronic monitoring"),
        "management_breach": (
            "Vi phạm quy định quản lý người sử dụng trái phép chất ma túy",
            "breach of drug-user management",
        ),
        "commune_education_still_addicted": (
            "Đã bị giáo dục tại xã, phường, thị trấn mà vẫn còn nghiện",
            "still addicted after commune education",
        ),
        "no_stable_residence": ("Nghiện ma túy, không có nơi cư trú ổn định", "addicted, no stable residence"),
    },
    "complainant": {
        "person": ("Người bị đề nghị", "the person"),
        "representative": ("Người đại diện hợp pháp", "the legal representative"),
        "procuracy": ("Viện kiểm sát (kháng nghị)", "the procuracy (protest)"),
        "compiler": ("Cơ quan lập hồ sơ (kiến nghị)", "the compiling agency (petition)"),
        "labour_office": ("Cơ quan đề nghị (kiến nghị)", "the proposing agency (petition)"),
    },
    "postpone.ground": {
        "serious_illness": ("Đang ốm nặng", "serious illness"),
        "family_hardship": ("Gia đình có hoàn cảnh đặc biệt khó khăn", "special family hardship"),
    },
    "exempt.ground": {
        "incurable_illness": ("Mắc bệnh hiểm nghèo", "incurable illness"),
        "voluntary_rehab_not_addicted": ("Đã tự nguyện cai nghiện, không còn nghiện", "no longer addicted"),
        "pregnant": ("Đang mang thai", "pregnant"),
    },
    "suspend_term.ground": {
        "pregnant": ("Phụ nữ mang thai", "pregnant"),
        "long_term_illness": ("Bệnh hiểm nghèo phải điều trị từ 06 tháng trở lên", "long-term serious illness"),
    },
    "management_place": {
        "home": ("Tại gia đình (cam kết Mẫu 35)", "at home (form 35)"),
        "facility": ("Tại cơ sở cai nghiện / cơ sở trợ giúp xã hội", "at a facility"),
    },
    "facility_reason": {
        "no_stable_residence": ("Không có nơi cư trú ổn định", "no stable residence"),
        "family_refused": ("Gia đình không nhận quản lý", "the family refused"),
        "absconded_from_home": ("Bỏ trốn khỏi nơi quản lý tại gia đình", "absconded from home management"),
    },
    "facility_kind": {
        "reform_school": ("Trường giáo dưỡng", "reform school"),
        "rehab_facility": ("Cơ sở cai nghiện bắt buộc", "compulsory rehab facility"),
        "public_facility": ("Cơ sở cai nghiện công lập", "public rehab facility"),
    },
}


def _named(table: Mapping[Any, tuple[str, str]], code: str | None, lang: int) -> str:
    if not code:
        return ""
    for key, names in table.items():
        if key == code:
            return names[lang]
    return code


def state_label(state: str, regime: Regime | None = None, lang: int = VI) -> str:
    """The stage's name in the dossier's regime when known, else the regime-neutral name."""
    if regime is not None:
        stage = next((s for k, s in regime.stages.items() if k.value == state), None)
        if stage is not None:
            return stage.label_vi if lang == VI else stage.label_en
    return _named(STATE_LABELS, state, lang)


def track_label(track: str | Track | None, lang: int = VI) -> str:
    return _named(TRACK_LABELS, track, lang)


def closing_reason_label(reason: str | ClosingReason | None, lang: int = VI) -> str:
    return _named(CLOSING_REASON_LABELS, reason, lang)


def agency_type_label(kind: str | AgencyType | None, lang: int = VI) -> str:
    return _named(AGENCY_TYPE_LABELS, kind, lang)


def status_label(status: str | Status | None, lang: int = VI) -> str:
    return _named(STATUS_LABELS, status, lang)


def doc_label(doc_type: str | None, lang: int = VI) -> str:
    return _named(DOC_LABELS, doc_type, lang)


# Events named as a whole: log entries that are not steps of a regime, and events of several outcomes (a
# refused attempt names only the event).
EVENT_LABELS: Mapping[str, tuple[str, str]] = {
    "open_dossier": ("Mở hồ sơ", "dossier opened"),
    "decide": ("Tòa án quyết định", "court decision"),
    "resolve_complaint": ("Giải quyết khiếu nại, kiến nghị, kháng nghị", "complaint resolved"),
    "record_determination": ("Ghi nhận kết quả xác định tình trạng nghiện", "determination recorded"),
    "reassign_agency": ("Chuyển cho cơ quan kế thừa", "handed to the successor agency"),
}


def step_label(trigger: str, regime: Regime | None = None, lang: int = VI) -> str:
    """A step by its trigger (`decide__apply`) or event (`decide`); the code when the regime has no such step."""
    if trigger in EVENT_LABELS:
        return EVENT_LABELS[trigger][lang]
    for step in regime.steps if regime is not None else ():
        if step.trigger == trigger or step.event.value == trigger.split("__")[0] and step.when is None:
            return step.label_vi if lang == VI else step.label_en
    return trigger


def rule_label(rule_id: str, regime: Regime | None = None, lang: int = VI) -> str:
    rule = regime.rules.get(rule_id) if regime is not None else None
    if rule is None:
        return rule_id
    return rule.label_vi if lang == VI else rule.label_en


# Deadlines whose rule's own name would mislead (a term's length is the court's, not the rule's maximum; the
# reading period's deadline includes the day to send the dossier on).
DEADLINE_LABELS: Mapping[str, tuple[str, str]] = {
    "term": ("Hết thời hạn chấp hành tại cơ sở (theo quyết định của Tòa án)", "end of the term in the facility"),
    "send_to_labour": ("Hết thời hạn đọc hồ sơ, rồi chuyển hồ sơ", "reading period, then sending the dossier on"),
}


def deadline_label(key: str, rule_id: str, regime: Regime | None = None, lang: int = VI) -> str:
    """What an open deadline is for: by its key where the rule's name would mislead, else the rule's name."""
    if key in DEADLINE_LABELS:
        return DEADLINE_LABELS[key][lang]
    return rule_label(rule_id, regime, lang)


def field_label(name: str, lang: int = VI) -> str:
    """`field.x`, `attachments[0].number` and `document.date` all find their name."""
    bare = name.removeprefix("field.")
    if bare in FIELD_LABELS:
        return FIELD_LABELS[bare][lang]
    if bare.startswith("attachments["):
        return FIELD_LABELS["attachments"][lang] + bare.partition("]")[2].replace(".number", " (số)").replace(
            ".date", " (ngày)"
        )
    return FIELD_LABELS.get(bare.split(".")[0], (bare, bare))[lang]


def value_labels(event: str, name: str, lang: int = VI) -> dict[str, str]:
    """The named values a field takes in a step (event-specific first: a postponement's and an exemption's
    grounds differ)."""
    table = VALUE_LABELS.get(f"{event}.{name}") or VALUE_LABELS.get(name) or {}
    return {value: names[lang] for value, names in table.items()}


def value_label(event: str, name: str, value: Any, lang: int = VI) -> str:
    return value_labels(event, name, lang).get(str(value), str(value))


LABELLED: Mapping[str, tuple[type[StrEnum], Mapping[Any, tuple[str, str]]]] = {
    "state": (State, STATE_LABELS),
    "track": (Track, TRACK_LABELS),
    "closing_reason": (ClosingReason, CLOSING_REASON_LABELS),
    "agency_type": (AgencyType, AGENCY_TYPE_LABELS),
    "status": (Status, STATUS_LABELS),
}

__all__ = [
    "EVENT_LABELS",
    "FIELD_LABELS",
    "LABELLED",
    "VALUE_LABELS",
    "agency_type_label",
    "closing_reason_label",
    "deadline_label",
    "doc_label",
    "field_label",
    "rule_label",
    "state_label",
    "status_label",
    "step_label",
    "track_label",
    "value_label",
    "value_labels",
]
