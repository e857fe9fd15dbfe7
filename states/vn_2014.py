"""Before 2022: the district justice office checks legality before the labour office (regime vn-2014).

LEGAL-PROCESS.md §2a: the same states, events and documents as vn-2021, plus the legal check,
with the older time limits (most to verify).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from handlers import clocks
from handlers import documents as docs
from states import vn_2021, vn_2021_stages
from states.model import AgencyType as A
from states.model import DeadlineSpec as DL
from states.model import Doc, Rule, Stage, Status, Step
from states.model import Event as E
from states.model import State as S
from vocabulary import Unit

V, C = Status.TO_VERIFY, Status.CONFIRMED
PL09 = "Pháp lệnh 09/2014/UBTVQH13"
# The values are in a provincial court's published table (law notes R7, ✔); the article numbers are in no note,
# so none is cited (legal audit §7).
PL09_TABLE = f"{PL09} (bảng thời hạn của TAND tỉnh Cà Mau, ghi chú pháp lý R7; số điều chưa đối chiếu)"
XLVPHC12 = "Luật XLVPHC 2012"

LEGAL_CHECK = Stage(
    S.LEGAL_CHECK,
    "Phòng Tư pháp kiểm tra tính pháp lý",
    "Justice office legality check",
    A.JUSTICE_OFFICE,
    (DL("legal_check", "legal_check.review", Doc.TRANSFER_LETTER),),
)

OWN_RULES = {
    r.id: r
    for r in (
        Rule(
            "legal_check.review",
            5,
            Unit.WORKING_DAYS,
            f"{XLVPHC12}, Điều 103; Thông tư 19/2015/TT-BTP",
            V,
            "Phòng Tư pháp kiểm tra tính pháp lý",
            "Justice office legality check",
        ),
        Rule(
            "reading.period",
            5,
            Unit.WORKING_DAYS,
            f"{XLVPHC12}, Điều 103 khoản 3",
            V,
            "Thời hạn đọc hồ sơ",
            "Reading period",
        ),
        Rule(
            "labour.review",
            7,
            Unit.CALENDAR_DAYS,
            f"{XLVPHC12}, Điều 104",
            V,
            "Phòng LĐTBXH đề nghị Tòa án",
            "Labour office proposes to the court",
        ),
        Rule(
            "court.decide",
            15,
            Unit.CALENDAR_DAYS,
            PL09_TABLE,
            C,
            "Ra quyết định kể từ ngày thụ lý",
            "Decide from acceptance",
        ),
        Rule(
            "court.decide.minor",
            15,
            Unit.CALENDAR_DAYS,
            PL09_TABLE,
            C,
            "Ra quyết định kể từ ngày thụ lý",
            "Decide from acceptance",
        ),
        Rule("court.send_decision", 2, Unit.WORKING_DAYS, PL09_TABLE, C, "Gửi quyết định", "Send the decision"),
        Rule(
            "complaint.period",
            3,
            Unit.WORKING_DAYS,
            PL09_TABLE,
            C,
            "Thời hạn khiếu nại, kiến nghị",
            "Complaint period",
        ),
        Rule(
            "complaint.review",
            7,
            Unit.WORKING_DAYS,
            PL09_TABLE,
            C,
            "Tòa án cấp tỉnh giải quyết khiếu nại",
            "Provincial court resolves the complaint",
        ),
        Rule(
            "post_rehab.duration",
            2,
            Unit.YEARS,
            "Luật Phòng, chống ma túy 2000 sửa đổi 2008, Điều 34",
            V,
            "Thời hạn quản lý sau cai (1–2 năm theo quyết định)",
            "Post-rehab supervision (1–2 years as decided)",
        ),
        Rule(
            "post_rehab.duration_min",
            1,
            Unit.YEARS,
            "Luật Phòng, chống ma túy 2000 sửa đổi 2008, Điều 34",
            V,
            "Thời hạn quản lý sau cai tối thiểu (quyết định từ 1 đến 2 năm)",
            "Shortest post-rehab management (1 to 2 years as decided)",
        ),
        Rule(
            "court.decide_complicated",
            30,
            Unit.CALENDAR_DAYS,
            PL09,
            C,
            "Ra quyết định, vụ việc phức tạp (15–30 ngày tùy tính chất vụ việc)",
            "Decide, complicated case (15–30 days depending on the case)",
            "bảng thời hạn của Tòa án theo Pháp lệnh 09/2014 (ghi chú pháp lý R7)",
        ),
        Rule(
            "post_rehab.duration.minor",
            1,
            Unit.YEARS,
            "Luật Phòng, chống ma túy 2000 sửa đổi 2008, Điều 34",
            V,
            "Thời hạn quản lý sau cai (người chưa thành niên)",
            "Post-rehab supervision (minor)",
        ),
    )
}

# XLVPHC 2012 art. 103: the commune People's Committee chairman compiles (helped by the commune police, who
# do not act on the dossier themselves); the police compiling for their own cases came with Law 67/2020.
COMPILERS = (A.COMMUNE_COMMITTEE,)
GROUNDS = ("commune_education_still_addicted", "no_stable_residence")
STEPS: tuple[Step, ...] = (
    Step(
        E.SEND_TO_LEGAL_CHECK,
        (S.PERSON_READING,),
        S.LEGAL_CHECK,
        COMPILERS,
        "Chuyển hồ sơ cho Phòng Tư pháp",
        "Send the dossier to the justice office",
        produces=Doc.TRANSFER_LETTER,
        guards=vn_2021.STEPS_BY_NAME["send_to_labour"].guards,
        basis=f"{XLVPHC12}, Điều 103",
    ),
    Step(
        E.PASS_LEGAL_CHECK,
        (S.LEGAL_CHECK,),
        S.LABOUR_REVIEW,
        (A.JUSTICE_OFFICE,),
        "Xác nhận tính pháp lý, chuyển Phòng LĐTBXH",
        "Confirm legality, pass to the labour office",
        produces=Doc.LEGAL_CHECK_OPINION,
        guards=(vn_2021_stages.DOSSIER_DOCUMENTS,),
        basis="Thông tư 19/2015/TT-BTP",
    ),
    Step(
        E.RETURN_FOR_SUPPLEMENTATION,
        (S.LEGAL_CHECK, S.LABOUR_REVIEW),
        S.SUPPLEMENTING,
        (A.JUSTICE_OFFICE, A.LABOUR_OFFICE),
        "Trả hồ sơ để bổ sung",
        "Return the dossier for supplementation",
        produces=Doc.RETURN_LETTER,
        fields={"reasons": str},
        basis=f"{XLVPHC12}, Điều 103–104",
    ),
    Step(
        E.RESUBMIT,
        (S.SUPPLEMENTING,),
        S.LEGAL_CHECK,
        COMPILERS,
        "Gửi lại hồ sơ đã bổ sung",
        "Resubmit the supplemented dossier",
        produces=Doc.TRANSFER_LETTER,
        guards=(docs.documents_present(Doc.VIOLATION_RECORD),),
        basis=f"{XLVPHC12}, Điều 103",
    ),
)

NOTIFY = vn_2021.STEPS_BY_NAME["notify_person"]
STEPS = (
    *STEPS,
    replace(
        NOTIFY,
        actors=COMPILERS,
        fields={**NOTIFY.fields, "commune_education_on": date},
        guards=(*NOTIFY.guards, docs.ground_fits_residence),
        basis=f"{XLVPHC12}, Điều 103; {docs.ND221_3}",
    ),
)

# The commune chairman decides 1 to 2 years of post-rehab management (2008 drug law, art. 34 ◻).
DECIDE_POST_REHAB = vn_2021.STEPS_BY_NAME["decide_post_rehab"]
STEPS = (
    *STEPS,
    replace(
        DECIDE_POST_REHAB,
        fields={**DECIDE_POST_REHAB.fields, "post_rehab_years": int},
        guards=(*DECIDE_POST_REHAB.guards, clocks.post_rehab_years_allowed),
        basis="Luật Phòng, chống ma túy 2000 sửa đổi 2008, Điều 34 (◻)",
    ),
)

WITH_LEGAL_CHECK = ("record_death", "discontinue", "transfer_to_criminal_proceedings", "record_exclusion__before_court")
STEPS = STEPS + tuple(
    replace(vn_2021.STEPS_BY_NAME[name], sources=(*vn_2021.STEPS_BY_NAME[name].sources, S.LEGAL_CHECK))
    for name in WITH_LEGAL_CHECK
)

# The labour office's days run from the justice office's opinion, not from the compiler's letter.
LABOUR_REVIEW = replace(
    vn_2021.STAGES[S.LABOUR_REVIEW], deadlines=(DL("labour_review", "labour.review", Doc.LEGAL_CHECK_OPINION),)
)


def _inherited(rule: Rule) -> Rule:
    """vn-2021's values cite texts in force from 2022: for vn-2014 they are a reading to verify."""
    return replace(
        rule,
        status=V,
        note=(rule.note + " " if rule.note else "") + "theo vn-2021; cần đối chiếu NĐ 221/2013 và PL 09/2014",
    )


RULES = {**{k: _inherited(r) for k, r in vn_2021.RULES.items() if r.status is C}, **OWN_RULES}

EXCLUSIONS = {
    "exclusion.min_age": Rule(
        "exclusion.min_age",
        18,
        Unit.YEARS,
        f"{XLVPHC12}, Điều 96 khoản 1 (người từ đủ 18 tuổi); Nghị định 221/2013/NĐ-CP, Điều 3",
        C,
        "Tuổi tối thiểu bị áp dụng: chỉ người thành niên (tính vào ngày vi phạm)",
        "Minimum age: adults only (on the day of the violation)",
        "người chưa thành niên chỉ bị đưa vào cơ sở cai nghiện bắt buộc từ Luật PCMT 73/2021, Điều 33",
    ),
    "exclusion.foreigner": replace(
        vn_2021.REGIME.rules["exclusion.foreigner"],
        basis=f"{XLVPHC12}, Điều 5 khoản 2",
        status=V,
        note="chỉ thấy dẫn chiếu (Pháp lệnh 09/2014 Điều 2 khoản 1), chưa thấy nguyên văn",
    ),
    **{
        rule_id: replace(vn_2021.REGIME.rules[rule_id], basis=f"{XLVPHC12}, Điều 96 khoản 2")
        for rule_id in ("exclusion.pregnant", "exclusion.child_under", "exclusion.lacks_capacity")
    },
}

REGIME = vn_2021.REGIME.revise(
    id="vn-2014",
    label_vi="Luật XLVPHC 2012, Nghị định 221/2013 (có bước Phòng Tư pháp)",
    label_en="Administrative Violations Law 2012, Decree 221/2013 (with the justice office check)",
    in_force=(date(2014, 2, 15), date(2021, 12, 31)),
    basis="Luật XLVPHC 2012; Nghị định 221/2013/NĐ-CP sửa đổi bởi 136/2016/NĐ-CP; Pháp lệnh 09/2014/UBTVQH13",
    stages={S.LEGAL_CHECK: LEGAL_CHECK, S.LABOUR_REVIEW: LABOUR_REVIEW},
    steps=STEPS,
    drop_steps=("send_to_labour",),
    rules={**RULES, **EXCLUSIONS},
    notes=(
        "Chỉ người thành niên (Luật XLVPHC 2012, Điều 96 khoản 1): không có trình tự dành cho người chưa thành niên.",
        "Căn cứ lập hồ sơ theo Nghị định 221/2013, Điều 3 (◻): người có nơi cư trú ổn định đã bị giáo dục tại xã "
        "mà vẫn nghiện; người không có nơi cư trú ổn định.",
        "Người lập hồ sơ: Chủ tịch UBND cấp xã (Công an xã giúp thu thập tài liệu, không tự lập hồ sơ).",
        "Biểu mẫu: số mẫu theo Nghị định 221/2013 không có trong ghi chú pháp lý (?), hệ thống ghi số mẫu của "
        "Nghị định 116/2021 (audit §2.1).",
    ),
)
# Adults only: the minors' variants of vn-2021 rules do not exist in this regime.
REGIME = replace(
    REGIME,
    rules={k: r for k, r in REGIME.rules.items() if not k.endswith(".minor")},
    grounds=GROUNDS,
    grounds_basis=docs.ND221_3,
    adult_only_grounds=(),
)
