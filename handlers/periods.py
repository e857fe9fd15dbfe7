"""Time-bound preconditions: reading period, complaint period, limitation periods, terms."""

from __future__ import annotations

from datetime import date, timedelta

from handlers.calendar import add_months
from handlers.clocks import supervision_end
from handlers.facts import DossierFacts
from handlers.verdict import ALLOWED, Refused, Verdict
from vocabulary import Rule, Status


def _end(facts: DossierFacts, start: date, rule: Rule) -> date:
    assert rule.unit is not None, f"rule {rule.id} has no unit"
    return facts.calendar.period_end(start, rule.value, rule.unit)


def _refused(code: str, vi: str, en: str, rule: Rule) -> Refused:
    unconfirmed = rule.status is not Status.CONFIRMED
    if unconfirmed:
        vi += f" (Giá trị {rule.value} chưa được xác nhận, dùng theo cấu hình.)"
        en += f" (The value {rule.value} is not confirmed; the configured value is used.)"
    return Refused(code, vi, en, rule.basis, unconfirmed=unconfirmed)


def reading_period_respected(facts: DossierFacts, today: date) -> Verdict:
    """The dossier leaves the commune only after the person's reading period has ended."""
    rule = facts.rule("reading.period")
    notified = facts.fact_date("notice_received_on") or facts.doc_date("reading_notice")
    if notified is None:
        return _refused(
            "reading.notice_missing",
            "Chưa thông báo cho người bị đề nghị đọc hồ sơ.",
            "The person has not been notified to read the dossier.",
            rule,
        )
    ends = _end(facts, notified, rule)
    if today <= ends:
        return _refused(
            "reading.period_running",
            f"Thời hạn đọc hồ sơ chưa hết (đến hết ngày {ends:%d/%m/%Y}).",
            f"The reading period runs until {ends:%d/%m/%Y}.",
            rule,
        )
    return ALLOWED


def complaint_period_over(facts: DossierFacts, today: date) -> Verdict:
    """A court decision takes effect when the complaint period ends without a complaint."""
    rule = facts.rule("complaint.period")
    announced = facts.fact_date("decision_received_on") or facts.doc_date("court_decision")
    if announced is None:
        return _refused("decision.missing", "Chưa có quyết định của Tòa án.", "There is no court decision.", rule)
    ends = _end(facts, announced, rule)
    if today <= ends:
        return _refused(
            "decision.complaint_period_running",
            f"Chưa hết thời hạn khiếu nại, kiến nghị, kháng nghị (đến hết ngày {ends:%d/%m/%Y}).",
            f"The complaint period runs until {ends:%d/%m/%Y}.",
            rule,
        )
    return ALLOWED


def complaint_within_period(facts: DossierFacts, today: date) -> Verdict:
    """A complaint lodged after the period does not stop the decision taking effect."""
    rule = facts.rule("complaint.period")
    announced = facts.fact_date("decision_received_on") or facts.doc_date("court_decision")
    lodged = facts.incoming.date if facts.incoming else today
    if announced is not None and lodged > _end(facts, announced, rule):
        ends = _end(facts, announced, rule)
        return _refused(
            "complaint.out_of_time",
            f"Khiếu nại quá hạn: thời hạn đã hết ngày {ends:%d/%m/%Y}.",
            f"The complaint is out of time: the period ended on {ends:%d/%m/%Y}.",
            rule,
        )
    return ALLOWED


def decision_in_effect(facts: DossierFacts, today: date) -> Verdict:
    """A decision is enforced only once in legal effect (period over, or complaint resolved)."""
    effective = facts.fact_date("decision_effective_on")
    rule = facts.rule("complaint.period")
    if effective is None or effective > today:
        return _refused(
            "decision.not_in_effect",
            "Quyết định của Tòa án chưa có hiệu lực pháp luật.",
            "The court decision is not yet in legal effect.",
            rule,
        )
    return ALLOWED


def _enforcement_ends(facts: DossierFacts) -> tuple[date | None, Rule]:
    rule = facts.rule("limitation.enforcement")
    start = facts.fact_date("evasion_ended_on") or facts.fact_date("decision_effective_on")
    return (_end(facts, start, rule) if start else None), rule


def within_enforcement_limitation(facts: DossierFacts, today: date) -> Verdict:
    """A decision can no longer be enforced one year after it took effect (restarting after evasion)."""
    ends, rule = _enforcement_ends(facts)
    if ends is not None and today > ends:
        return _refused(
            "limitation.enforcement_expired",
            f"Đã hết thời hiệu thi hành quyết định (hết ngày {ends:%d/%m/%Y}).",
            f"The decision can no longer be enforced: the limitation ended on {ends:%d/%m/%Y}.",
            rule,
        )
    return ALLOWED


def enforcement_limitation_expired(facts: DossierFacts, today: date) -> Verdict:
    """A dossier is closed for limitation only once the limitation has actually run out. While the person
    evades it does not run: the year starts again when the evasion ends (XLVPHC art. 108(3))."""
    ends, rule = _enforcement_ends(facts)
    absconded = facts.fact_date("absconded_on")
    if facts.state == "absconded_before_admission" and not (ends and absconded and absconded > ends):
        return _refused(
            "limitation.enforcement_evaded",
            "Người phải chấp hành đang bỏ trốn: thời hiệu thi hành không chạy, "
            "được tính lại từ khi chấm dứt việc trốn tránh (Luật XLVPHC, Điều 108 khoản 3).",
            "The person is evading enforcement: the limitation does not run and starts again when the "
            "evasion ends (XLVPHC art. 108(3)).",
            rule,
        )
    if ends is None or today <= ends:
        until = f" (đến hết ngày {ends:%d/%m/%Y})" if ends else ""
        until_en = f" (it runs until {ends:%d/%m/%Y})" if ends else ""
        return _refused(
            "limitation.enforcement_running",
            f"Thời hiệu thi hành quyết định chưa hết{until}.",
            f"The enforcement limitation has not run out{until_en}.",
            rule,
        )
    return ALLOWED


def within_application_limitation(facts: DossierFacts, today: date) -> Verdict:
    """A dossier whose limitation for applying the measure has run out cannot go to the court."""
    rule = facts.rule("limitation.application")
    last = facts.fact_date("last_violation_on") or facts.doc_date("violation_record")
    if last is None:
        return ALLOWED  # documents_present reports the missing violation record
    ends = _end(facts, last, rule)
    if today > ends:
        return _refused(
            "limitation.application_expired",
            f"Đã hết thời hiệu áp dụng biện pháp (hết ngày {ends:%d/%m/%Y}).",
            f"The limitation for applying the measure ended on {ends:%d/%m/%Y}.",
            rule,
        )
    return ALLOWED


def _days_between(start: object, end: object) -> int:
    return max(0, (date.fromisoformat(str(end)) - date.fromisoformat(str(start))).days)


def days_absconded(facts: DossierFacts) -> int:
    """Every absconding from the facility, from its recorded dates (NĐ 116/2021 art. 56(4)), summed.

    A dossier recorded before the dates were kept also has the number typed at its last return then
    (`days_absconded`, no longer asked): it is added to the episodes recorded since.
    """
    periods = facts.fact("absconding_periods") or ()
    return sum(_days_between(start, end) for start, end in periods) + int(facts.fact("days_absconded", 0))


def days_managed_pending(facts: DossierFacts) -> int:
    """Days the person was managed at a facility while the dossier was pending (NĐ 116/2021 art. 44(3)).

    `days_managed_at_facility_pending` is what the pending-management stage records; `days_held_pending`
    is the number typed at escort before that stage existed.
    """
    for name in ("days_managed_at_facility_pending", "days_held_pending"):
        value = facts.fact(name)
        if value is not None:
            return int(value)
    return 0


def term_end(facts: DossierFacts) -> date | None:
    """The last day of the term: admission plus the court's months, plus every day absconded (art. 56(4)) or
    suspended (art. 58),
    less the days managed at a facility while pending (art. 44(3)). The facility's deadline, its art. 62
    notice and the completion guard all use this one date."""
    admitted = facts.fact_date("admitted_on")
    months = facts.fact("term_months")
    if admitted is None or months is None:
        return None
    extra = days_absconded(facts) + int(facts.fact("days_term_suspended", 0)) - days_managed_pending(facts)
    return add_months(admitted, int(months)) + timedelta(days=extra)


def returned_after_absconding(facts: DossierFacts, today: date) -> Verdict:
    """A return is dated on or after the absconding it ends."""
    left = facts.fact_date("absconded_on")
    stated = facts.payload.get("returned_on")  # the dossier's own `returned_on` is an earlier episode's
    back = date.fromisoformat(str(stated)) if stated else (facts.incoming.date if facts.incoming else today)
    if left is None or back >= left:
        return ALLOWED
    return Refused(
        "absconding.return_before_absconding",
        f"Ngày trở lại ({back:%d/%m/%Y}) trước ngày bỏ trốn ({left:%d/%m/%Y}).",
        f"The return ({back:%d/%m/%Y}) is dated before the absconding ({left:%d/%m/%Y}).",
        "Nghị định 116/2021/NĐ-CP, Điều 56 khoản 4",
    )


def term_shortened(facts: DossierFacts, today: date) -> Verdict:
    """A reduction gives a shorter term than the one being served (never longer, never nothing)."""
    current, new = facts.data.get("term_months"), facts.payload.get("term_months")
    if isinstance(current, int) and isinstance(new, int) and 0 < new < current:
        return ALLOWED
    return Refused(
        "term.not_shortened",
        f"Thời hạn mới phải ngắn hơn thời hạn đang chấp hành ({current} tháng).",
        f"The new term must be shorter than the term being served ({current} months).",
        "Luật XLVPHC 2012, Điều 98; Nghị định 116/2021/NĐ-CP, Điều 58 (◻)",
    )


def term_served(facts: DossierFacts, today: date) -> Verdict:
    """The completion certificate is issued when the term, without time absconded, is served."""
    ends = term_end(facts)
    if facts.fact("term_reduced_by_court", False):
        return ALLOWED
    if ends is None or today < ends:
        when = f"{ends:%d/%m/%Y}" if ends else "?"
        return Refused(
            "term.not_served",
            f"Chưa chấp hành xong thời hạn (hết hạn ngày {when}).",
            f"The term is not served yet (it ends on {when}).",
            "Luật XLVPHC 2012, Điều 95; Nghị định 116/2021/NĐ-CP, Điều 56 khoản 4, Điều 62",
        )
    return ALLOWED


def term_within_range(facts: DossierFacts, today: date) -> Verdict:
    """The court's term must lie in the legal range for the track (adults 12–24, minors 6–12 months)."""
    low, high = facts.rule("term.min"), facts.rule("term.max")
    months = facts.fact("term_months")
    if not isinstance(months, int) or not low.value <= months <= high.value:
        return _refused(
            "decision.term_out_of_range",
            f"Thời hạn phải từ {low.value} đến {high.value} tháng"
            + (f" (nhận được: {months})." if months is not None else "."),
            f"The term must be {low.value} to {high.value} months (got {months}).",
            high,
        )
    return ALLOWED


def supervision_period_served(facts: DossierFacts, today: date) -> Verdict:
    """Post-rehab supervision ends with its certificate only after its full duration."""
    rule = facts.rule("post_rehab.duration")
    ends = supervision_end(facts)  # PCMT art. 40: from completing the measure, unreported absences added
    if ends is None or facts.doc("post_rehab_decision") is None:
        return _refused(
            "supervision.not_started",
            "Chưa có quyết định quản lý sau cai nghiện.",
            "There is no post-rehab supervision decision.",
            rule,
        )
    if today < ends:
        return _refused(
            "supervision.period_running",
            f"Thời hạn quản lý sau cai chưa hết (đến ngày {ends:%d/%m/%Y}).",
            f"Post-rehab supervision runs until {ends:%d/%m/%Y}.",
            rule,
        )
    return ALLOWED


def move_to_other_commune_recorded(facts: DossierFacts, today: date) -> Verdict:
    """The old commune police notify the new one of a move the dossier records (to another commune)."""
    if facts.fact("new_commune") and facts.fact_date("moved_on") is not None:
        return ALLOWED
    return Refused(
        "supervision.move_not_recorded",
        "Chưa ghi nhận việc người được quản lý sau cai chuyển đến xã khác (ngày chuyển, xã nơi đến).",
        "No move to another commune (date and destination) is recorded.",
        "Nghị định 116/2021/NĐ-CP, Điều 79",
    )


def escort_not_yet_extended(facts: DossierFacts, today: date) -> Verdict:
    """The 3-month wait for a place in the facility is granted once."""
    if facts.fact("escort_extended_on") is None:
        return ALLOWED
    return Refused(
        "escort.already_extended",
        "Thời hạn đưa vào cơ sở đã được kéo dài một lần (tối đa 3 tháng) vì cơ sở quá tải.",
        "The escort was already extended once (up to 3 months) because the facility was full.",
        "Nghị định 116/2021/NĐ-CP, Điều 54 khoản 3",
    )


POSTPONEMENT_GROUNDS = {"serious_illness", "family_hardship"}
EXEMPTION_GROUNDS = {"incurable_illness", "voluntary_rehab_not_addicted", "pregnant"}
ND116_57 = "Nghị định 116/2021/NĐ-CP, Điều 57"


def postponement_ground_valid(facts: DossierFacts, today: date) -> Verdict:
    """Postponement only for serious illness or special family hardship confirmed by the commune."""
    if facts.fact("ground") in POSTPONEMENT_GROUNDS:
        return ALLOWED
    return Refused(
        "postponement.ground_invalid",
        "Lý do hoãn phải là: ốm nặng; gia đình có hoàn cảnh đặc biệt khó khăn (UBND xã xác nhận).",
        "A postponement needs one of: " + ", ".join(sorted(POSTPONEMENT_GROUNDS)) + ".",
        ND116_57,
    )


def exemption_ground_valid(facts: DossierFacts, today: date) -> Verdict:
    """Exemption for incurable illness, a not-addicted result after voluntary rehab, or pregnancy."""
    if facts.fact("ground") in EXEMPTION_GROUNDS:
        return ALLOWED
    return Refused(
        "exemption.ground_invalid",
        "Lý do miễn phải là: bệnh hiểm nghèo; đã cai tự nguyện và không còn nghiện; đang mang thai.",
        "An exemption needs one of: " + ", ".join(sorted(EXEMPTION_GROUNDS)) + ".",
        ND116_57,
    )
