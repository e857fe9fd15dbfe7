"""Dates the law fixes from several events of a dossier: one function each, used by the deadline rows
(`DeadlineSpec.ends`) and by the guards alike, so an alert never says what a refusal contradicts.
"""

from __future__ import annotations

from datetime import date, timedelta

from handlers.facts import DossierFacts
from handlers.verdict import ALLOWED, Refused, Verdict
from vocabulary import Rule, Status

ND109 = "Nghị định 109/2021/NĐ-CP, Điều 6–7; Thông tư 18/2021/TT-BYT, Điều 5 khoản 2"


def _end(facts: DossierFacts, start: date, rule: Rule) -> date:
    assert rule.unit is not None, f"rule {rule.id} has no unit"
    return facts.calendar.period_end(start, rule.value, rule.unit)


def _latest(*days: date | None) -> date | None:
    known = [d for d in days if d is not None]
    return max(known) if known else None


def determination_result_due(facts: DossierFacts) -> date | None:
    """5 days from receiving the person (TT 18/2021 art. 5(2)); until the receipt is recorded, from the last
    day the health facility may send its staff (24 hours after the police request, NĐ 109/2021 arts. 6–7)."""
    received = facts.fact_date("person_received_on")
    if received is None:
        requested = facts.doc_date("determination_request")
        if requested is None:
            return None
        received = requested + timedelta(days=1)
    return _end(facts, received, facts.rule("determination.result"))


def escort_due(facts: DossierFacts) -> date | None:
    """5 days from receiving the decision (NĐ 116/2021 art. 54(1); XLVPHC art. 110(1)); until the receipt is
    recorded, from the last day the court may send it (3 days from its effect, XLVPHC art. 107). Counted
    again from the day a postponement or an evasion ends; a full facility gives up to 3 months instead."""
    extended = facts.fact_date("escort_extended_on")
    if extended is not None:
        return _end(facts, extended, facts.rule("escort.facility_full"))
    received = facts.fact_date("execution_received_on")
    if received is None:
        effective = facts.fact_date("decision_effective_on")
        received = _end(facts, effective, facts.rule("court.send_for_execution")) if effective else None
    start = _latest(received, facts.fact_date("postponement_ended_on"), facts.fact_date("evasion_ended_on"))
    return _end(facts, start, facts.rule("escort.period")) if start else None


def absences(facts: DossierFacts, periods_fact: str) -> int:
    """Days in the recorded periods [[from, to], …] of a list fact."""
    total = 0
    for start, end in facts.fact(periods_fact) or ():
        total += max(0, (date.fromisoformat(str(end)) - date.fromisoformat(str(start))).days)
    return total


def supervision_length(facts: DossierFacts) -> tuple[int, Rule]:
    """The supervision's length in the rule's unit: the decision's years where the law lets it choose (vn-2014)."""
    rule = facts.rule("post_rehab.duration")
    years = facts.fact("post_rehab_years")
    return (int(years), rule) if isinstance(years, int) and not isinstance(years, bool) else (rule.value, rule)


def supervision_end(facts: DossierFacts) -> date | None:
    """From completing the measure (PCMT art. 40), for the decided length, plus every absence the person did
    not report (not counted in the supervision, LEGAL-PROCESS.md §2 state 14)."""
    started = facts.doc_date("completion_certificate")
    if started is None:
        return None
    length, rule = supervision_length(facts)
    assert rule.unit is not None
    shifted = started + timedelta(days=absences(facts, "unreported_absences"))
    return facts.calendar.period_end(shifted, length, rule.unit)


def _refused(code: str, vi: str, en: str, rule: Rule) -> Refused:
    unconfirmed = rule.status is not Status.CONFIRMED
    return Refused(code, vi, en, rule.basis, unconfirmed=unconfirmed)


def complicated_case_has_reason(facts: DossierFacts, today: date) -> Verdict:
    """The court takes 30 days instead of 15 only for a case it records as complicated, with the reason."""
    if not facts.fact("complicated") or str(facts.fact("complicated_reason") or "").strip():
        return ALLOWED
    return _refused(
        "court.complicated_reason_missing",
        "Vụ việc phức tạp (thời hạn 30 ngày) phải ghi rõ lý do.",
        "A complicated case (30 days to decide) needs its reason recorded.",
        facts.rule("court.decide_complicated"),
    )


def postponement_requested_in_time(facts: DossierFacts, today: date) -> Verdict:
    """The person asks for postponement or exemption within 2 working days of receiving the decision
    (NĐ 116/2021 art. 57(5)); a ground arising during a postponement is not bound by it."""
    rule = facts.rule("escort.postpone_request")
    if facts.state == "postponed":
        return ALLOWED
    requested = facts.payload.get("requested_on")
    if requested is None:
        return _refused(
            "postponement.request_date_missing",
            "Chưa ghi ngày người phải chấp hành gửi đề nghị hoãn, miễn (requested_on).",
            "The date the person sent the request for postponement or exemption (requested_on) is missing.",
            rule,
        )
    received = facts.fact_date("decision_received_on") or facts.doc_date("court_decision")
    if received is None:
        return ALLOWED
    ends = _end(facts, received, rule)
    if date.fromisoformat(str(requested)) <= ends:
        return ALLOWED
    return _refused(
        "postponement.request_out_of_time",
        f"Đề nghị hoãn, miễn gửi quá hạn: thời hạn 2 ngày làm việc đã hết ngày {ends:%d/%m/%Y}.",
        f"The request for postponement or exemption is out of time: the period ended on {ends:%d/%m/%Y}.",
        rule,
    )


def absence_dates_given(facts: DossierFacts, today: date) -> Verdict:
    """An unreported absence is recorded with its first and last day, in that order, not in the future."""
    start, end = facts.payload.get("absent_from"), facts.payload.get("absent_to")
    if start and end and str(start) <= str(end) <= today.isoformat():
        return ALLOWED
    return Refused(
        "supervision.absence_dates_invalid",
        "Cần ghi ngày bắt đầu và ngày kết thúc vắng mặt (absent_from ≤ absent_to, không sau hôm nay).",
        "An absence needs its first and last day (absent_from ≤ absent_to, not after today).",
        "Luật PCMT 73/2021/QH14, Điều 40 (thời gian vắng mặt không báo cáo không tính, ◻)",
    )


def post_rehab_years_allowed(facts: DossierFacts, today: date) -> Verdict:
    """vn-2014: the commune chairman decides 1 to 2 years of post-rehab management."""
    low, high = facts.rule("post_rehab.duration_min"), facts.rule("post_rehab.duration")
    years = facts.payload.get("post_rehab_years")
    if isinstance(years, int) and not isinstance(years, bool) and low.value <= years <= high.value:
        return ALLOWED
    return _refused(
        "supervision.length_out_of_range",
        f"Thời hạn quản lý sau cai phải từ {low.value} đến {high.value} năm (post_rehab_years).",
        f"Post-rehab management must last {low.value} to {high.value} years (post_rehab_years).",
        high,
    )
