"""After the 2025 reorganisation: commune police compile, the police check, regional courts decide (regime vn-2025).

LEGAL-PROCESS-2025-2026.md, regime vn-2025 (violation recorded 01/03/2025 – 30/06/2026): the states and
time limits of vn-2021 (◻: no change of durations was found), with the agencies of NĐ 02/2025/NĐ-CP and
TTLT 03/2025 (1/3/2025) and of the two-level local government (1/7/2025). District courts decide until
30/6/2025, regional courts from 1/7/2025: the stages name the regional court, and the directory hands a
stage to the district court it succeeds while that court is still in office (`Directory.resolve`).
Which police unit checks the dossier and sends it to the court is not known: a configurable actor (?).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from states import vn_2021
from states import vn_2021_side_steps as side
from states.configurable import ConfigurableActor, notes
from states.model import AgencyType as A
from states.model import Regime, Rule, Stage, Status, Step
from states.model import State as S

TTLT_03 = "TTLT 03/2025/TTLT-BCA-VKSNDTC-TANDTC (◻ nội dung)"
REFORM = f"Nghị định 02/2025/NĐ-CP; {TTLT_03}; Nghị quyết 81/2025/UBTVQH15 (Tòa án khu vực, ◻)"
POLICE = (A.COMMUNE_POLICE, A.PROVINCIAL_POLICE)  # compile, notify, send (head of commune police; PC04)
CHECKER = A.PROVINCIAL_POLICE  # default of the unconfirmed unit that checks and sends to the court
COURTS = (A.DISTRICT_COURT, A.REGIONAL_COURT)  # district court until 30/6/2025, regional court after

# stage -> (responsible agency, Vietnamese label, English label); None keeps vn-2021's label
STAGE_AGENCIES: dict[S, tuple[A, str | None, str | None]] = {
    S.DOSSIER_COMPILING: (A.COMMUNE_POLICE, "Trưởng Công an cấp xã lập hồ sơ đề nghị", None),
    S.PERSON_READING: (A.COMMUNE_POLICE, None, None),
    S.LABOUR_REVIEW: (CHECKER, "Công an kiểm tra hồ sơ, chuyển Tòa án (? đơn vị)", "Police review (? unit)"),
    S.SUPPLEMENTING: (A.COMMUNE_POLICE, None, None),
    S.COURT_RECEIVED: (A.REGIONAL_COURT, "Tòa án (khu vực từ 01/07/2025) nhận hồ sơ", None),
    S.COURT_ACCEPTED: (A.REGIONAL_COURT, None, None),
    S.SESSION_SCHEDULED: (A.REGIONAL_COURT, None, None),
    S.COURT_SUSPENDED: (A.REGIONAL_COURT, None, None),
    S.COMPLAINT_PERIOD: (A.REGIONAL_COURT, None, None),
    S.AWAITING_ESCORT: (A.PROVINCIAL_POLICE, None, None),
    S.POSTPONED: (A.PROVINCIAL_POLICE, None, None),
    S.ABSCONDED_BEFORE_ADMISSION: (A.PROVINCIAL_POLICE, "Bỏ trốn trước khi vào cơ sở, PC04 truy tìm", None),
}

# step name -> who acts in vn-2025 (steps not listed keep vn-2021's actors)
WHO_ACTS: dict[str, tuple[A, ...]] = {
    "request_determination": POLICE,
    "close_not_eligible": POLICE,
    "notify_person": POLICE,
    "send_to_labour": POLICE,
    "return_for_supplementation": (CHECKER,),
    "resubmit": POLICE,
    "propose_to_court": (CHECKER,),
    "return_incomplete": COURTS,
    "accept": COURTS,
    "open_session": COURTS,
    "decide__apply": COURTS,
    "decide__reject": COURTS,
    "decide__discontinue": COURTS,
    "decide__suspend": COURTS,
    "send_decision": COURTS,
    "request_clarification": COURTS,
    "request_clarification__session": COURTS,
    "answer_clarification": POLICE,  # the checking unit (provincial police by default) with the compiler
    "answer_clarification__session": POLICE,
    "forward_complaint": COURTS,
    "receive_decision": (*POLICE, *COURTS),
    "resume_case": COURTS,
    "lodge_complaint": (A.PERSON, A.PROCURACY, *POLICE, *COURTS),
    "end_complaint_period": COURTS,
    "record_escort": (*POLICE, A.FACILITY),
    "postpone": COURTS,
    "reduce_term": COURTS,
    "extend_escort": (A.PROVINCIAL_POLICE,),
    "resume": (*POLICE, *COURTS),
    "exempt": COURTS,
    "report_absconding": (A.PROVINCIAL_POLICE,),  # PC04 issues the search decision (Mẫu 41); communes locate
    "record_found": POLICE,
    "record_found__in_facility": (A.FACILITY, A.PROVINCIAL_POLICE),
    "expire_limitation": (A.PROVINCIAL_POLICE, *COURTS),
    "record_exclusion__before_court": POLICE,
    **{f"record_exclusion__{s.value}": (*COURTS, *POLICE) for s in side.AT_COURT},
    **{f"record_exclusion__{s.value}": (A.PROVINCIAL_POLICE, *COURTS) for s in side.AFTER_EFFECT},
    **{f"decide_pending_management__{s.value}": POLICE for s in side.PENDING},
    "restart_escort": (A.PROVINCIAL_POLICE,),
    "suspend_term": COURTS,
    "resume_term": COURTS,
    "exempt_remainder": COURTS,
    "discontinue": (*POLICE, *COURTS),
    "record_death": (*POLICE, A.FACILITY, *COURTS),
    "transfer_to_criminal_proceedings": (*POLICE, *COURTS),
}
COURT_STEPS = tuple(name for name, actors in WHO_ACTS.items() if actors == COURTS)
RELABELLED = {"send_to_labour": ("Chuyển hồ sơ cho đơn vị Công an kiểm tra", "Send the dossier to the police review")}


def _stage(state: S) -> Stage:
    agency, vi, en = STAGE_AGENCIES[state]
    old = vn_2021.STAGES[state]
    return replace(old, agency=agency, label_vi=vi or old.label_vi, label_en=en or old.label_en)


def _step(name: str) -> Step:
    old = vn_2021.STEPS_BY_NAME[name]
    vi, en = RELABELLED.get(name, (old.label_vi, old.label_en))
    sources = tuple(s for s in vn_2021.STAGES if s is not S.CLOSED) if name == "record_death" else old.sources
    return replace(
        old, actors=WHO_ACTS[name], label_vi=vi, label_en=en, sources=sources, basis=f"{old.basis}; {TTLT_03}"
    )


# The names of the offices abolished in 2025, as this regime's readers know them: their successors.
AGENCY_LABELS: dict[A, str] = {
    A.LABOUR_OFFICE: "Công an (kế thừa nhiệm vụ cai nghiện của ngành lao động từ 01/03/2025)",
    A.DISTRICT_POLICE: "Công an cấp tỉnh (kế thừa Công an cấp huyện từ 01/03/2025)",
    A.DISTRICT_COURT: "Tòa án nhân dân khu vực (kế thừa Tòa án cấp huyện từ 01/07/2025)",
    A.DISTRICT_COMMITTEE: "UBND cấp tỉnh (kế thừa chính quyền cấp huyện từ 01/07/2025)",
    A.JUSTICE_OFFICE: "Sở Tư pháp (kế thừa cấp huyện từ 01/07/2025)",
}
RULE_LABELS = {"reading.send": ("Chuyển hồ sơ cho đơn vị Công an kiểm tra", "Send the dossier to the police review")}


def _rule(rule: Rule) -> Rule:
    """vn-2021's limits, now read for the new agencies: ◻ at best; the checking unit's limit is ?."""
    if rule.id == "labour.review":
        return replace(
            rule,
            status=Status.UNCONFIRMED,
            label_vi="Công an kiểm tra hồ sơ, chuyển Tòa án",
            label_en="Police review before the court",
            basis=f"{rule.basis}; {TTLT_03}; **?** đơn vị kiểm tra hồ sơ và chuyển Tòa án",
        )
    if rule.id in RULE_LABELS:
        rule = replace(rule, label_vi=RULE_LABELS[rule.id][0], label_en=RULE_LABELS[rule.id][1])
    amended = next((why for prefix, why in AMENDED_FROM_JULY_2025 if rule.id.startswith(prefix)), None)
    if amended is not None:
        return replace(rule, status=Status.UNCONFIRMED, note=f"giữ giá trị vn-2021 (◻ đến 30/06/2025); {amended}")
    if rule.status is Status.CONFIRMED:
        return replace(
            rule, status=Status.TO_VERIFY, note="giữ giá trị vn-2021; chưa thấy văn bản thay đổi thời hạn (◻)"
        )
    return rule


# Texts amended from 01/07/2025 whose new content is not known (LEGAL-PROCESS-2025-2026.md :20): the limits
# they set are ? for this regime, a default a deployment may correct in config.
_PL08 = "từ 01/07/2025 Pháp lệnh 08/2025/UBTVQH15 sửa Pháp lệnh 03/2022 và 01/2022: nội dung ?"
_LAW88 = "từ 01/07/2025 Luật 88/2025/QH15 sửa Luật XLVPHC Điều 99–104 và 107: nội dung ?"
AMENDED_FROM_JULY_2025 = (
    ("court.send_for_execution", _LAW88),
    ("court.", _PL08),
    ("complaint.", _PL08),
    ("compile.", _LAW88),
    ("reading.", _LAW88),
    ("supplement.", _LAW88),
)


LABOUR_REVIEW_ACTOR = ConfigurableActor(
    key="actor.labour_review",
    label_vi="Đơn vị Công an kiểm tra hồ sơ và chuyển Tòa án (nhiệm vụ của ngành lao động cấp huyện trước 01/03/2025)",
    label_en="Police unit that checks the dossier and sends it to the court (was the labour office)",
    default=CHECKER,
    stages=(S.LABOUR_REVIEW,),
    steps=("propose_to_court", "return_for_supplementation"),
    basis=f"{TTLT_03}; thực tiễn áp dụng",
    choices=(A.PROVINCIAL_POLICE, A.COMMUNE_POLICE),
)
CONFIGURABLE: tuple[ConfigurableActor, ...] = (LABOUR_REVIEW_ACTOR,)

REGIME: Regime = vn_2021.REGIME.revise(
    id="vn-2025",
    label_vi="Luật PCMT 2021 sau sắp xếp bộ máy 2025 (Công an lập hồ sơ, Tòa án khu vực)",
    label_en="Drug Law 2021 after the 2025 reorganisation (police compile, regional courts)",
    in_force=(date(2025, 3, 1), date(2026, 6, 30)),
    basis=f"Luật PCMT 73/2021/QH14; Nghị định 116/2021/NĐ-CP; {REFORM}; Nghị định 184/2025/NĐ-CP (◻); "
    "Pháp lệnh 03/2022/UBTVQH15 và 01/2022/UBTVQH15 sửa đổi bởi Pháp lệnh 08/2025/UBTVQH15 (nội dung ?)",
    stages={state: _stage(state) for state in STAGE_AGENCIES},
    steps=tuple(_step(name) for name in WHO_ACTS),
    rules={rule_id: _rule(rule) for rule_id, rule in vn_2021.RULES.items()},
    notes=(
        "Thời hạn giữ như vn-2021 (◻): TTLT 03/2025 chỉ giao lại cơ quan, chưa thấy thay đổi thời hạn.",
        "Tòa án: Tòa án nhân dân cấp huyện đến 30/06/2025; Tòa án nhân dân khu vực từ 01/07/2025 (một Thẩm phán, "
        "có thể họp trực tuyến), Viện kiểm sát nhân dân khu vực tham gia (◻).",
        "Người không có nơi cư trú ổn định có thể được quản lý tại cơ sở cai nghiện của tỉnh khi chờ Tòa án (◻).",
        *notes("vn-2025", CONFIGURABLE),
    ),
)

OLD_OFFICE, NEW_UNIT = "Phòng LĐTBXH", "Đơn vị Công an kiểm tra hồ sơ"  # labels of steps and rules vn-2021 named it in


def _relabelled(text: str) -> str:
    return text.replace(OLD_OFFICE, NEW_UNIT)


REGIME = replace(
    REGIME,
    agency_labels=AGENCY_LABELS,
    steps=tuple(replace(s, label_vi=_relabelled(s.label_vi)) for s in REGIME.steps),
    rules={k: replace(r, label_vi=_relabelled(r.label_vi)) for k, r in REGIME.rules.items()},
)

STEPS_BY_NAME: dict[str, Step] = {s.name: s for s in REGIME.steps}
__all__ = ["CONFIGURABLE", "COURTS", "COURT_STEPS", "POLICE", "REGIME", "STEPS_BY_NAME"]
