"""What Law 120/2025/QH15 adds (regime vn-2026): managing people who use drugs, electronic monitoring,
minors in reform schools and their transfer at 18. Every value comes from the regime's rules (◻ or ?)."""

from __future__ import annotations

from datetime import date, timedelta

from handlers.calendar import Unit, add_months
from handlers.eligibility import age_on
from handlers.facts import DossierFacts
from handlers.periods import _end, _refused, term_end
from handlers.verdict import ALLOWED, Refused, Verdict

LAW_120 = "Luật PCMT 120/2025/QH15"
MINOR_PLACES = {"reform_school", "public_facility"}  # trường giáo dưỡng; cơ sở cai nghiện công lập đủ điều kiện
ADULT_PLACES = {"rehab_facility", "public_facility"}


def _days_allowed(hours: int) -> timedelta:
    """A limit in hours, checked on dated documents: the act may carry the date the limit ends on."""
    return timedelta(days=-(-hours // 24))


def management_decided_in_time(facts: DossierFacts, today: date) -> Verdict:
    """Commune police decide to manage a person who uses drugs within 24 hours of the positive test."""
    rule = facts.rule("user_management.decide")
    tested = facts.fact_date("positive_test_on")
    decided = facts.doc_date("user_management_decision")
    if tested is None or decided is None:
        return _refused(
            "management.test_missing",
            "Chưa có ngày xét nghiệm dương tính hoặc ngày quyết định quản lý.",
            "The positive test date or the management decision date is missing.",
            rule,
        )
    hours = rule.value if rule.unit is Unit.HOURS else rule.value * 24
    if decided < tested or decided > tested + _days_allowed(hours):
        return _refused(
            "management.decided_out_of_time",
            f"Quyết định quản lý phải ban hành trong {rule.value} giờ kể từ khi có kết quả xét nghiệm "
            f"dương tính ({tested:%d/%m/%Y}); quyết định ghi ngày {decided:%d/%m/%Y}.",
            f"The management decision must follow the positive test ({tested:%d/%m/%Y}) within "
            f"{rule.value} hours; it is dated {decided:%d/%m/%Y}.",
            rule,
        )
    return ALLOWED


def management_period_served(facts: DossierFacts, today: date) -> Verdict:
    """Management of a person who uses drugs ends when its period (1 year) has run."""
    rule = facts.rule("user_management.duration")
    started = facts.doc_date("user_management_decision")
    if started is None:
        return _refused(
            "management.not_started",
            "Chưa có quyết định quản lý người sử dụng trái phép chất ma túy.",
            "There is no drug-user management decision.",
            rule,
        )
    ends = _end(facts, started, rule)
    if today < ends:
        return _refused(
            "management.period_running",
            f"Thời hạn quản lý chưa hết (đến ngày {ends:%d/%m/%Y}).",
            f"Management runs until {ends:%d/%m/%Y}.",
            rule,
        )
    return ALLOWED


def monitoring_length_allowed(facts: DossierFacts, today: date) -> Verdict:
    """An electronic-monitoring order lasts between the minimum and maximum the rules set (1–2 years)."""
    low, high = facts.rule("monitoring.min"), facts.rule("monitoring.max")
    months = facts.fact("monitoring_months")
    if isinstance(months, int) and not isinstance(months, bool) and low.value <= months <= high.value:
        return ALLOWED
    return _refused(
        "monitoring.length_out_of_range",
        f"Thời hạn giám sát điện tử phải từ {low.value} đến {high.value} tháng (nhận được: {months}).",
        f"Electronic monitoring must last {low.value} to {high.value} months (got {months}).",
        high,
    )


def placement_fits_age(facts: DossierFacts, today: date) -> Verdict:
    """Minors go to a reform school or a qualifying public facility; adults never to a reform school."""
    kind = facts.fact("facility_kind")
    minor = facts.track.value == "minor"
    if (minor and kind in MINOR_PLACES) or (not minor and kind in ADULT_PLACES | {None}):
        return ALLOWED
    allowed = MINOR_PLACES if minor else ADULT_PLACES
    return Refused(
        "placement.not_for_age",
        "Người chưa thành niên được đưa vào trường giáo dưỡng hoặc cơ sở cai nghiện công lập đủ điều kiện; "
        "người thành niên không vào trường giáo dưỡng.",
        f"facility_kind must be one of {', '.join(sorted(allowed))} (got {kind}).",
        f"{LAW_120}, Điều 36 (◻)",
    )


def turned_18_with_time_left(facts: DossierFacts, today: date) -> Verdict:
    """A minor may move to an adult facility once 18, if at least 3 months of the term remain."""
    rule = facts.rule("transfer.remaining_min")
    on = facts.incoming.date if facts.incoming else today
    birth = facts.fact_date("birth_date")
    ends = term_end(facts)
    if birth is None or age_on(birth, on) < 18:
        return _refused(
            "transfer.not_yet_18",
            "Người chưa đủ 18 tuổi: chưa chuyển sang cơ sở dành cho người thành niên.",
            "The person is not yet 18: no transfer to an adult facility.",
            rule,
        )
    if ends is None or add_months(on, rule.value) > ends:
        until = f"{ends:%d/%m/%Y}" if ends else "?"
        return _refused(
            "transfer.too_little_time_left",
            f"Thời gian chấp hành còn lại dưới {rule.value} tháng (hết ngày {until}): không chuyển cơ sở.",
            f"Less than {rule.value} months of the term remain (it ends {until}): no transfer.",
            rule,
        )
    return ALLOWED


def move_recorded(facts: DossierFacts, today: date) -> Verdict:
    """The old commune police notify the new one of a move the dossier records."""
    if facts.fact_date("moved_on") is not None:
        return ALLOWED
    return Refused(
        "management.move_not_recorded",
        "Chưa ghi nhận việc thay đổi nơi ở của người được quản lý.",
        "No move of the managed person is recorded.",
        f"{LAW_120}, Điều 25 (◻)",
    )
