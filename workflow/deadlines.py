"""Computing the deadline rows a stage opens: pure arithmetic over the regime's rules and the calendar."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from handlers.calendar import Unit, WorkingCalendar
from handlers.facts import DocumentRef, DossierFacts
from states.model import DeadlineSpec, Regime, Stage, Status, Track

ORDER = {Status.CONFIRMED: 0, Status.TO_VERIFY: 1, Status.UNCONFIRMED: 2}


@dataclass(frozen=True, slots=True)
class DeadlinePolicy:
    calendar: WorkingCalendar
    tz: ZoneInfo
    remind_before_working_days: int = 2


def end_of_day_utc(day: date, tz: ZoneInfo) -> datetime:
    local = datetime.combine(day, time(23, 59, 59), tzinfo=tz)
    return local.astimezone(UTC)


def local_date(moment: datetime, tz: ZoneInfo) -> date:
    aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return aware.astimezone(tz).date()


def _remind_on(policy: DeadlinePolicy, regime: Regime, spec: DeadlineSpec, track: Track, due_on: date) -> date:
    if spec.remind_before_rule:
        lead = regime.rule(spec.remind_before_rule, track)
        if lead.unit is Unit.WORKING_DAYS:
            return policy.calendar.subtract_working_days(due_on, lead.value)
        return due_on - timedelta(days=lead.value)
    return policy.calendar.subtract_working_days(due_on, policy.remind_before_working_days)


def _agency_type(spec: DeadlineSpec, stage: Stage) -> str:
    agency = spec.agency or stage.agency
    return agency.value if agency is not None else ""


def _start(spec: DeadlineSpec, data: Mapping[str, Any], documents: Mapping[str, Any], legal_date: date) -> date:
    """The law's starting event: a recorded fact (the person received the notice), else the document, else the step."""
    if spec.from_fact and data.get(spec.from_fact):
        return date.fromisoformat(str(data[spec.from_fact]))
    if spec.counted_from is not None and spec.counted_from.value in documents:
        return date.fromisoformat(documents[spec.counted_from.value]["date"])
    return legal_date


def _facts(policy: DeadlinePolicy, regime: Regime, stage: Stage, track: Track, data: Mapping[str, Any]) -> DossierFacts:
    documents = {k: DocumentRef.from_json(v) for k, v in data.get("documents", {}).items()}
    return DossierFacts(regime, track, stage.state.value, policy.calendar, data, documents)


def plan_deadline(
    policy: DeadlinePolicy,
    regime: Regime,
    stage: Stage,
    spec: DeadlineSpec,
    *,
    track: Track,
    data: Mapping[str, Any],
    legal_date: date,
    now: datetime,
) -> dict[str, Any]:
    """The row for one deadline: due date from the starting document's date and the rule."""
    documents = data.get("documents", {})
    rule_id = spec.rule_if[1] if spec.rule_if and data.get(spec.rule_if[0]) else spec.rule
    rule = regime.rule(rule_id, track, {k: date.fromisoformat(v["date"]) for k, v in documents.items()})
    start = _start(spec, data, documents, legal_date)
    length = int(data.get(spec.length_fact, rule.value)) if spec.length_fact else rule.value
    worst = rule.status
    computed = spec.ends(_facts(policy, regime, stage, track, data)) if spec.ends else None
    if computed is not None:  # a date the law fixes exactly (the term's end), not moved to a working day
        due_on = computed
        due_at = end_of_day_utc(due_on, policy.tz)
    elif rule.unit is Unit.HOURS and spec.from_fact and data.get(spec.from_fact):
        due_on = start + timedelta(days=-(-length // 24))  # a recorded day, time unknown: to the end of the day
        due_at = end_of_day_utc(due_on, policy.tz)
    elif rule.unit is Unit.HOURS:
        due_at = now + timedelta(hours=length)
        due_on = local_date(due_at, policy.tz)
    else:
        assert rule.unit is not None, f"rule {rule.id} has no unit"
        due_on = policy.calendar.period_end(start, length, rule.unit)
        if spec.plus_rule:
            plus = regime.rule(spec.plus_rule, track)
            assert plus.unit is not None and plus.unit is not Unit.HOURS
            due_on = policy.calendar.period_end(due_on, plus.value, plus.unit)
            worst = max(worst, plus.status, key=ORDER.__getitem__)
        due_at = end_of_day_utc(due_on, policy.tz)
    return {
        "stage": stage.state.value,
        "key": spec.key,
        "rule_id": rule.id,
        "agency_type": _agency_type(spec, stage),
        "starts_on": start,
        "due_on": due_on,
        "due_at": due_at,
        "remind_on": _remind_on(policy, regime, spec, track, due_on),
        "escalate_to": [a.value for a in spec.escalate_to],
        "basis": rule.basis,
        "status_mark": worst.value,
        "spans": [stage.state.value, *(s.value for s in spec.spans)],
        "opened_at": now,
    }
