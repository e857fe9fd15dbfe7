"""Steps the law has beside the main line (legal audit 2026-12-01, §1.1 and §1.3), for regime vn-2021.

- An exclusion learned after opening (pregnancy, a young child, lack of capacity), with its confirmation:
  before the court the dossier closes as not eligible; at the court it is recorded so the court cannot apply
  the measure; once the decision is in effect it stops the escort (pregnancy: exemption, NĐ 116 art. 57).
- Management while the dossier is pending (NĐ 116 arts. 44–48): at home (Mẫu 35) or at a facility (Mẫu 36),
  switched to a facility on absconding; the days at a facility are deducted from the term.
- Force majeure over: the 5-day escort period runs again (art. 54(3)).
- The rest of a term suspended, resumed or exempted by the court on the director's proposal (art. 58).
"""

from __future__ import annotations

from datetime import date

from handlers import enforcement
from states.model import AgencyType as A
from states.model import ClosingReason as R
from states.model import DeadlineSpec as DL
from states.model import Doc, Step
from states.model import Event as E
from states.model import State as S

BEFORE_COURT = (
    S.VIOLATION_RECORDED,
    S.DETERMINATION_REQUESTED,
    S.DOSSIER_COMPILING,
    S.PERSON_READING,
    S.LABOUR_REVIEW,
    S.SUPPLEMENTING,
)
AT_COURT = (S.COURT_RECEIVED, S.COURT_ACCEPTED, S.SESSION_SCHEDULED, S.COURT_SUSPENDED)
AFTER_EFFECT = (S.AWAITING_ESCORT, S.POSTPONED)
# NĐ 116/2021 art. 44(2): from compiling the dossier until the escort into the facility
PENDING = (
    S.DOSSIER_COMPILING,
    S.PERSON_READING,
    S.LABOUR_REVIEW,
    S.SUPPLEMENTING,
    *AT_COURT,
    S.COMPLAINT_PERIOD,
    S.COMPLAINT_REVIEW,
    S.AWAITING_ESCORT,
)
EXCLUSION_FIELDS: dict[str, type] = {
    "pregnant": bool,
    "child_birth_date": date,
    "sole_carer": bool,
    "lacks_capacity": bool,
}
XLVPHC_96 = "Luật XLVPHC 2012 (sửa đổi 2020), Điều 96 khoản 2 (◻)"
ND116 = "Nghị định 116/2021/NĐ-CP"


def _exclusion(sources: tuple[S, ...], dest: S, actors: tuple[A, ...], vi: str, en: str, **kw: object) -> Step:
    return Step(
        E.RECORD_EXCLUSION,
        sources,
        dest,
        actors,
        vi,
        en,
        produces=Doc.EXCLUSION_CONFIRMATION,
        fields=EXCLUSION_FIELDS,
        guards=(enforcement.exclusion_established,),
        **kw,  # type: ignore[arg-type]
    )


def side_steps(compilers: tuple[A, ...], courts: tuple[A, ...]) -> tuple[Step, ...]:
    """The steps, for the regime's compilers and deciding courts."""
    exclusions = (
        _exclusion(
            BEFORE_COURT,
            S.CLOSED,
            (*compilers, A.LABOUR_OFFICE),
            "Ghi nhận trường hợp không áp dụng phát hiện sau (mang thai, nuôi con nhỏ…): dừng hồ sơ",
            "Record an exclusion learned later (pregnancy, a young child…): the dossier stops",
            closing_reason=R.NOT_ELIGIBLE,
            key="record_exclusion__before_court",
            basis=f"{XLVPHC_96}; Luật PCMT 73/2021/QH14, Điều 32–33",
        ),
        *(
            _exclusion(
                (state,),
                state,
                (*courts, *compilers, A.LABOUR_OFFICE),
                "Ghi nhận trường hợp không áp dụng phát hiện sau: Tòa án không áp dụng hoặc đình chỉ",
                "Record an exclusion learned later: the court does not apply the measure or discontinues",
                key=f"record_exclusion__{state.value}",
                basis=f"{XLVPHC_96}; Pháp lệnh 03/2022/UBTVQH15, Điều 22",
            )
            for state in AT_COURT
        ),
        *(
            _exclusion(
                (state,),
                state,
                (A.DISTRICT_POLICE, *courts),
                "Ghi nhận trường hợp không áp dụng phát hiện khi quyết định đã có hiệu lực (mang thai: miễn)",
                "Record an exclusion learned after the decision took effect (pregnancy: exemption)",
                key=f"record_exclusion__{state.value}",
                basis=f"{ND116}, Điều 57 khoản 3 (mang thai); {XLVPHC_96}",
            )
            for state in AFTER_EFFECT
        ),
    )
    pending = tuple(
        Step(
            E.DECIDE_PENDING_MANAGEMENT,
            (state,),
            state,
            (*compilers,),
            "Quyết định quản lý trong thời gian lập hồ sơ (tại gia đình hoặc tại cơ sở; chuyển cơ sở khi bỏ trốn)",
            "Decide how the person is managed while the dossier is pending (home or facility; facility on absconding)",
            produces=Doc.PENDING_MANAGEMENT_DECISION,
            fields={"management_place": str, "facility_reason": str},
            guards=(enforcement.pending_management_fits,),
            periods=(("pending_facility_periods", "management_place=facility"),),
            key=f"decide_pending_management__{state.value}",
            basis=f"{ND116}, Điều 44–48 (Mẫu 35, 36)",
        )
        for state in PENDING
    )
    return (
        *exclusions,
        *pending,
        Step(
            E.RESTART_ESCORT,
            (S.AWAITING_ESCORT,),
            S.AWAITING_ESCORT,
            (A.DISTRICT_POLICE, A.LABOUR_OFFICE),
            "Sự kiện bất khả kháng đã chấm dứt: tính lại thời hạn đưa vào cơ sở",
            "Force majeure over: the escort period runs again",
            produces=Doc.FORCE_MAJEURE_RECORD,
            fields={"force_majeure_from": date, "reason": str},
            guards=(enforcement.force_majeure_over,),
            opens=(DL("escort", "escort.period", Doc.FORCE_MAJEURE_RECORD),),
            restarts=("escort",),
            basis=f"{ND116}, Điều 54 khoản 3",
        ),
        Step(
            E.SUSPEND_TERM,
            (S.IN_FACILITY,),
            S.TERM_SUSPENDED,
            courts,
            "Tạm đình chỉ chấp hành phần thời gian còn lại (theo đề nghị của Giám đốc cơ sở)",
            "Suspend the rest of the term (on the facility director's proposal)",
            produces=Doc.TERM_SUSPENSION_DECISION,
            fields={"ground": str},
            guards=(enforcement.term_suspension_ground_valid,),
            periods=(("suspension_periods", "open"),),
            basis=enforcement.ND116_58,
        ),
        Step(
            E.RESUME_TERM,
            (S.TERM_SUSPENDED,),
            S.IN_FACILITY,
            courts,
            "Hết lý do tạm đình chỉ: tiếp tục chấp hành phần thời gian còn lại",
            "Suspension over: the rest of the term is served",
            produces=Doc.TERM_RESUMPTION_DECISION,
            periods=(("suspension_periods", "close"),),
            basis=enforcement.ND116_58,
        ),
        Step(
            E.EXEMPT_REMAINDER,
            (S.IN_FACILITY, S.TERM_SUSPENDED),
            S.CLOSED,
            courts,
            "Miễn chấp hành phần thời gian còn lại (theo đề nghị của Giám đốc cơ sở)",
            "Exempt the rest of the term (on the facility director's proposal)",
            produces=Doc.REMAINDER_EXEMPTION_DECISION,
            fields={"reason": str},
            periods=(("suspension_periods", "close"),),
            closing_reason=R.EXEMPTED,
            basis=f"{ND116}, Điều 58 khoản 5 (◻ trường hợp được miễn chưa đối chiếu)",
        ),
    )
