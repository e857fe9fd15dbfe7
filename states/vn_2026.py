"""The new drug law: the term follows the person's history, drug-user management, monitoring (regime vn-2026).

LEGAL-PROCESS-2025-2026.md, regime vn-2026 (violation recorded from 01/07/2026, Luật PCMT 120/2025/QH15):
vn-2025's agencies and steps (who decides and the day limits are ? until the decree: reused, marked
unconfirmed) plus what the law adds: a fixed term of 24 months the first time and 36 from the second;
minors in a reform school or a qualifying public facility, moved to an adult facility at 18 with ≥ 3
months left; management of people who use drugs before any violation record (decided within 24 hours of a
positive test, for 1 year, with 24-hour notices on moving house); electronic-monitoring orders (1–2 years)
during post-rehab supervision; post-rehab supervision of 2 years after an adult's compulsory rehab, else 1.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from handlers import history, periods, vn2026
from states import vn_2025
from states.configurable import ConfigurableActor, notes
from states.model import AgencyType as A
from states.model import ClosingReason as R
from states.model import DeadlineSpec as DL
from states.model import Doc, Regime, Stage, Step, Track
from states.model import Event as E
from states.model import State as S
from states.rules_vn_2026 import LAW, RULES

POLICE = vn_2025.POLICE
OLD = vn_2025.STEPS_BY_NAME

USER_MANAGEMENT = Stage(
    S.DRUG_USER_MANAGEMENT,
    "Quản lý người sử dụng trái phép chất ma túy",
    "Management of a person who uses drugs",
    A.COMMUNE_POLICE,
    (DL("user_management_end", "user_management.duration", Doc.USER_MANAGEMENT_DECISION, escalate_to=()),),
)
MOVE_NOTICE = DL(
    "move_notice", "user_management.move_notice", agency=A.COMMUNE_POLICE, escalate_to=(A.PROVINCIAL_POLICE,)
)
# The person reports at the new place within 24 hours of moving (art. 25 ◻): watched by the commune police
# until the report is recorded (a move learned from the person's own report opens nothing).
MOVE_REPORT = DL(
    "move_report",
    "user_management.move_report",
    agency=A.COMMUNE_POLICE,
    from_fact="moved_on",
    unless_fact="move_reported_on",
    escalate_to=(),
)
MONITORING = DL(
    "monitoring",
    "monitoring.max",
    Doc.MONITORING_ORDER,
    agency=A.COMMUNE_POLICE,
    length_fact="monitoring_months",
    escalate_to=(),
)


def _amended(name: str, **changes: object) -> Step:
    step = OLD[name]
    return replace(step, basis=f"{step.basis}; {LAW}", **changes)  # type: ignore[arg-type]


def _term_by_history(name: str) -> Step:
    """The court no longer chooses 12–24 months: the term follows the person's history."""
    guards = tuple(history.term_follows_history if g is periods.term_within_range else g for g in OLD[name].guards)
    return _amended(name, guards=guards)


NEW_STEPS: tuple[Step, ...] = (
    Step(
        E.RECORD_VIOLATION,
        (S.DRUG_USER_MANAGEMENT,),
        S.VIOLATION_RECORDED,
        POLICE,
        "Lập biên bản vi phạm đối với người đang được quản lý",
        "Record a violation of a managed person",
        produces=Doc.VIOLATION_RECORD,
        stamps=("violation_on",),
        sets_track=True,  # the track follows the age at the violation, not at the management decision
        basis=f"{LAW}, Điều 24, 35",
    ),
    Step(
        E.ESCORT_TO_DRUG_TEST,
        (S.DRUG_USER_MANAGEMENT,),
        S.DRUG_USER_MANAGEMENT,
        (A.COMMUNE_POLICE,),
        "Đưa người được quản lý từ chối xét nghiệm đi xét nghiệm ma túy",
        "Escort a managed person who refused a drug test to the test",
        produces=Doc.TEST_ESCORT_RECORD,
        basis=f"{LAW}, Điều 23 (◻)",
    ),
    Step(
        E.END_USER_MANAGEMENT,
        (S.DRUG_USER_MANAGEMENT,),
        S.CLOSED,
        (A.COMMUNE_POLICE,),
        "Kết thúc thời hạn quản lý",
        "End the management period",
        guards=(vn2026.management_period_served,),
        closing_reason=R.MANAGEMENT_COMPLETED,
        basis=f"{LAW}, Điều 24",
    ),
    Step(
        E.RECORD_MOVE,
        (S.DRUG_USER_MANAGEMENT,),
        S.DRUG_USER_MANAGEMENT,
        (A.COMMUNE_POLICE,),
        "Ghi nhận người được quản lý thay đổi nơi ở (trình báo trong 24 giờ)",
        "Record that the managed person moved (they report within 24 hours)",
        fields={"moved_on": date, "new_commune": str, "move_reported_on": date},
        opens=(MOVE_NOTICE, MOVE_REPORT),
        restarts=("move_notice", "move_report"),
        basis=f"{LAW}, Điều 25",
    ),
    Step(
        E.RECORD_MOVE_REPORT,
        (S.DRUG_USER_MANAGEMENT,),
        S.DRUG_USER_MANAGEMENT,
        (A.COMMUNE_POLICE,),
        "Ghi nhận người được quản lý đã trình báo tại nơi ở mới",
        "Record that the managed person reported at the new place",
        fields={"move_reported_on": date},
        stamps=("move_reported_on",),
        restarts=("move_report",),
        basis=f"{LAW}, Điều 25",
    ),
    Step(
        E.NOTIFY_MOVE,
        (S.DRUG_USER_MANAGEMENT,),
        S.DRUG_USER_MANAGEMENT,
        (A.COMMUNE_POLICE,),
        "Thông báo Công an xã nơi đến",
        "Notify the new commune police",
        produces=Doc.MOVE_NOTICE,
        guards=(vn2026.move_recorded,),
        restarts=("move_notice",),
        basis=f"{LAW}, Điều 25",
    ),
    Step(
        E.TRANSFER_TO_ADULT_FACILITY,
        (S.IN_FACILITY,),
        S.IN_FACILITY,
        (A.FACILITY, A.PROVINCIAL_POLICE),
        "Chuyển sang cơ sở cai nghiện dành cho người thành niên khi đủ 18 tuổi",
        "Transfer to an adult facility at 18",
        produces=Doc.TRANSFER_DECISION,
        fields={"facility_name": str},
        guards=(vn2026.turned_18_with_time_left,),
        tracks=(Track.MINOR,),
        basis=f"{LAW}, Điều 36",
    ),
    Step(
        E.ORDER_ELECTRONIC_MONITORING,
        (S.POST_REHAB_SUPERVISION,),
        S.POST_REHAB_SUPERVISION,
        (A.COMMUNE_POLICE,),
        "Trưởng Công an xã quyết định giám sát điện tử",
        "Head of commune police orders electronic monitoring",
        produces=Doc.MONITORING_ORDER,
        fields={"monitoring_months": int},
        guards=(vn2026.monitoring_length_allowed,),
        opens=(MONITORING,),
        restarts=("monitoring",),
        basis=f"{LAW}, Điều 12",
    ),
    _term_by_history("decide__apply"),
    _term_by_history("resolve_complaint__amend"),
    _amended(
        "record_escort",
        guards=(*OLD["record_escort"].guards, vn2026.placement_fits_age),
        fields={**OLD["record_escort"].fields, "facility_kind": str},
    ),
    replace(OLD["record_death"], sources=(S.DRUG_USER_MANAGEMENT, *OLD["record_death"].sources)),
)

COURT_ACTOR = ConfigurableActor(
    key="actor.court",
    label_vi="Cơ quan quyết định đưa vào cơ sở cai nghiện bắt buộc theo Luật 120/2025",
    label_en="Who decides compulsory rehab under Law 120/2025",
    default=A.REGIONAL_COURT,
    stages=(S.COURT_RECEIVED, S.COURT_ACCEPTED, S.SESSION_SCHEDULED, S.COMPLAINT_PERIOD),
    steps=vn_2025.COURT_STEPS,
    choices=(
        A.REGIONAL_COURT,
        A.PROVINCIAL_COURT,
        A.COMMUNE_COMMITTEE,
        A.COMMUNE_POLICE,
        A.PROVINCIAL_POLICE,
        A.PROVINCIAL_COMMITTEE,
    ),
    basis=f"{LAW}; Pháp lệnh 03/2022/UBTVQH15 sửa đổi (nhiều khả năng vẫn là Tòa án khu vực; Nghị định: dự thảo)",
)
CONFIGURABLE: tuple[ConfigurableActor, ...] = (vn_2025.LABOUR_REVIEW_ACTOR, COURT_ACTOR)

REGIME: Regime = vn_2025.REGIME.revise(
    id="vn-2026",
    label_vi="Luật PCMT 120/2025/QH15 (thời hạn theo số lần, quản lý người sử dụng, giám sát điện tử)",
    label_en="Drug Law 120/2025 (term by history, drug-user management, electronic monitoring)",
    in_force=(date(2026, 7, 1), None),
    basis=f"{LAW} (hiệu lực 01/07/2026 ◻); Luật XLVPHC sửa đổi bởi Luật 88/2025/QH15 (nội dung ?); "
    "Pháp lệnh 08/2025/UBTVQH15 (nội dung ?); Nghị định hướng dẫn: dự thảo (?)",
    stages={S.DRUG_USER_MANAGEMENT: USER_MANAGEMENT},
    steps=NEW_STEPS,
    rules=RULES,
    initial_states=(S.VIOLATION_RECORDED, S.DRUG_USER_MANAGEMENT),
    notes=(
        "Cơ quan quyết định, các bước và thời hạn: **?** — dùng tạm các bước và thời hạn của vn-2025 "
        "(đánh dấu ?), sửa trong config.toml khi Nghị định hướng dẫn được ban hành.",
        "Thời hạn cai nghiện: 24 tháng lần đầu, 36 tháng từ lần thứ hai, tính cả các lần cai nghiện bắt buộc "
        "và tự nguyện trước đó của cùng một người (nhận diện qua số định danh, không ghi vào nhật ký).",
        "Hồ sơ có thể bắt đầu từ giai đoạn quản lý người sử dụng trái phép chất ma túy (trước biên bản vi phạm).",
        "Chuyển tiếp (Điều 56 ◻): người đang cai nghiện trước 01/07/2026 chấp hành xong theo quy định cũ, "
        "sau đó quản lý sau cai theo thời hạn của luật mới (xem `post_rehab.duration_2026` ở vn-2021, vn-2025).",
        *notes("vn-2026", CONFIGURABLE),
    ),
)

# Law 120/2025 art. 35 (◻): the earlier grounds, plus breaching electronic monitoring or the management rules.
BREACH_GROUNDS = ("monitoring_breach", "management_breach")
REGIME = replace(
    REGIME,
    grounds=(*REGIME.grounds, *BREACH_GROUNDS),
    grounds_basis=f"{LAW}, Điều 35, Điều 47 (◻)",
    adult_only_grounds=(*REGIME.adult_only_grounds, *BREACH_GROUNDS),
)

STEPS_BY_NAME: dict[str, Step] = {s.name: s for s in REGIME.steps}
__all__ = ["CONFIGURABLE", "REGIME", "STEPS_BY_NAME"]
