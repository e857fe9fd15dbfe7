"""Which documents a step needs (NĐ 116/2021 art. 41) and whether the addiction is established."""

from __future__ import annotations

from datetime import date

from handlers.facts import DossierFacts, Guard
from handlers.labels import doc_label_en, doc_label_vi
from handlers.verdict import ALLOWED, Refused, Verdict

ND116_41 = "Nghị định 116/2021/NĐ-CP, Điều 41"
PCMT_27 = "Luật PCMT 73/2021/QH14, Điều 27; Thông tư 18/2021/TT-BYT, Điều 5"


def documents_present(*doc_types: str, basis: str = ND116_41) -> Guard:
    """A guard that refuses once, naming every listed document the dossier does not hold."""

    def guard(facts: DossierFacts, today: date) -> Verdict:
        missing = [d for d in doc_types if facts.doc(d) is None]
        if not missing:
            return ALLOWED
        return Refused(
            "documents.missing",
            "Hồ sơ còn thiếu: " + "; ".join(doc_label_vi(d) for d in missing) + ".",
            "The dossier lacks: " + "; ".join(doc_label_en(d) for d in missing) + ".",
            basis,
        )

    guard.__name__ = "documents_present__" + "__".join(doc_types)
    guard.__doc__ = "The dossier holds: " + ", ".join(doc_types) + "."
    return guard


def residence_document_if_no_stable_residence(facts: DossierFacts, today: date) -> Verdict:
    """A person without stable residence needs the police document establishing that."""
    if facts.fact("stable_residence", True) or facts.doc("residence_confirmation"):
        return ALLOWED
    return Refused(
        "documents.residence_confirmation_missing",
        "Người không có nơi cư trú ổn định: thiếu văn bản của Công an xác định việc này.",
        "No stable residence: the police document establishing it is missing.",
        ND116_41,
    )


def addiction_confirmed(facts: DossierFacts, today: date) -> Verdict:
    """A dossier is compiled only for a person determined to be addicted."""
    result = facts.fact("determination_outcome")
    if result is None or facts.doc("determination_result") is None:
        return Refused(
            "determination.missing",
            "Chưa có kết quả xác định tình trạng nghiện.",
            "There is no addiction-determination result yet.",
            PCMT_27,
        )
    if result != "addicted":
        return Refused(
            "determination.not_addicted",
            "Kết quả xác định: không nghiện ma túy; không được lập hồ sơ đưa vào cơ sở cai nghiện bắt buộc.",
            "The determination found the person not addicted: no compulsory-rehab dossier.",
            PCMT_27,
        )
    return ALLOWED


def grounds_stated(facts: DossierFacts, today: date) -> Verdict:
    """The dossier records which ground of the regime applies (PCMT art. 32 adults / 33 minors from 2022)."""
    ground = facts.fact("grounds")
    allowed = set(facts.regime.grounds)
    if facts.track.value == "minor":
        allowed -= set(facts.regime.adult_only_grounds)
    if ground in allowed:
        return ALLOWED
    return Refused(
        "grounds.missing",
        "Chưa nêu căn cứ áp dụng hoặc căn cứ không áp dụng cho người này (" + facts.regime.grounds_basis + ").",
        "The ground is missing or does not apply to this person: one of " + ", ".join(sorted(allowed)) + ".",
        facts.regime.grounds_basis,
    )


ND221_3 = "Nghị định 221/2013/NĐ-CP, Điều 3 (◻ bản gốc trước Nghị định 136/2016)"


def ground_fits_residence(facts: DossierFacts, today: date) -> Verdict:
    """Before 2022 (NĐ 221/2013 art. 3): with a stable residence, only after commune education that failed;
    without one, the ground is the lack of a stable residence."""
    ground, stable = facts.fact("grounds"), facts.fact("stable_residence", True)
    if ground == "commune_education_still_addicted" and stable and facts.fact_date("commune_education_on"):
        return ALLOWED
    if ground == "no_stable_residence" and not stable:
        return ALLOWED
    if ground not in ("commune_education_still_addicted", "no_stable_residence"):
        return ALLOWED  # grounds_stated reports it
    return Refused(
        "grounds.not_met",
        "Người có nơi cư trú ổn định chỉ bị lập hồ sơ khi đã bị giáo dục tại xã mà vẫn nghiện (nêu ngày quyết định "
        "giáo dục tại xã); người không có nơi cư trú ổn định dùng căn cứ 'không có nơi cư trú ổn định'.",
        "With a stable residence the person must already have had commune education and still be addicted "
        "(give the date of that decision); without one, the ground is 'no stable residence'.",
        ND221_3,
        unconfirmed=True,
    )
