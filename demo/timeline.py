"""Simulating a dossier from its violation date: every step's date, actor and payload, with no database.

Each step is dated from the stage's own deadline (an agency acts within a share of it) and the step's guards,
run purely exactly as the engine will run them: the first day they allow. So the executor's steps all pass.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping
from datetime import date, datetime, time, timedelta
from typing import Any

from demo.payloads import PLACEHOLDER, Marks, Payloads, alternatives
from demo.plans import Case, Context, Plan, Planned
from demo.spread import EVENT_DWELL, FIXED_DWELL, MAX_WAIT_DAYS, QUICK_STATES, SLOW_SHARE, USUAL_SHARE
from handlers.facts import DocumentRef, DossierFacts
from handlers.verdict import Refused
from states.model import AgencyType, Doc, Event, State, Step
from states.opening import START_DOCUMENT
from workflow.deadlines import plan_deadline
from workflow.engine import merge_step_data
from workflow.errors import WorkflowError
from workflow.opening import OPENERS
from workflow.payload import CleanPayload, clean

JITTER_DAYS = (0, 0, 0, 1, 2)  # a step the guards made wait is sometimes taken a day or two later still


class Timeline:
    def __init__(self, ctx: Context, payloads: Payloads) -> None:
        self.ctx, self.payloads = ctx, payloads

    def simulate(self, case: Case, start: date) -> Plan | None:
        """The case's plan from `start`, or None if a step can never be taken (no agency, guards never allow)."""
        rng = random.Random(case.seed)
        opener = self.payloads.actor([AgencyType(t) for t in OPENERS], case, None, start, rng.random())
        if opener is None or case.person.track_on(start) is not case.track:
            return None
        plan = Plan(case, start, opener, opening_data(case, start), case.initial, start)
        plan.docs = documents(plan.data)
        due = self._due(plan, None)
        marks: dict[str, date] = {}
        for step in case.path:
            planned = self._plan_step(plan, step, due, rng, marks)
            if planned is None or planned.actor is None:
                return None
            _apply(plan, planned, marks)
            due = self._due(plan, step)
        plan.due = due
        return plan

    def _plan_step(self, plan: Plan, step: Step, due: date | None, rng: random.Random, marks: Marks) -> Planned | None:
        choices = self.payloads.choices(plan, step, rng)
        pref, jitter = rng.random(), rng.choice(JITTER_DAYS)
        natural = self._natural(plan, step, due, rng)
        refused = self._refused(plan, step, natural, choices, marks, attach=False)
        attach = any(r.code.startswith("documents.") for r in refused)
        self._repair(plan, step, natural, choices, marks, attach)
        on = self._first_day(natural, jitter, lambda d: not self._refused(plan, step, d, choices, marks, attach))
        if on is None:
            return None
        first = plan.case.regime.stages[plan.state].agency
        actor = self.payloads.actor(list(step.actors), plan.case, first, on, pref)
        return Planned(step, on, actor, self.payloads.build(plan, step, on, choices, marks, attach, actor))

    def _first_day(self, natural: date, jitter: int, allowed: Callable[[date], bool]) -> date | None:
        """The first day the guards allow from `natural`; a step that had to wait sometimes waits a day or two more."""
        on = first_allowed(allowed, natural)
        if on is not None and on > natural and jitter:
            moved = self.ctx.calendar.next_working_day(on + timedelta(jitter))
            on = moved if allowed(moved) else on
        return on

    def _repair(self, plan: Plan, step: Step, on: date, choices: dict[str, Any], marks: Marks, attach: bool) -> None:
        """Where a field has alternatives (a term, a kind of facility), keep the one the guards refuse least."""
        if not self._refused(plan, step, on, choices, marks, attach):
            return
        for name, kind in step.fields.items():
            options = alternatives(name, kind, plan.case, choices[name])
            if len(options) > 1:
                choices[name] = min(
                    options, key=lambda v: len(self._refused(plan, step, on, {**choices, name: v}, marks, attach))
                )

    def _natural(self, plan: Plan, step: Step, due: date | None, rng: random.Random) -> date:
        """When the agency would act if no guard made it wait: a share of the stage's own deadline."""
        u, state, day = rng.random(), plan.state, plan.last
        dwell = EVENT_DWELL.get((state, step.event)) or FIXED_DWELL.get(state)
        if dwell is not None:
            days = dwell[0] + int(u * (dwell[1] - dwell[0] + 1))
        elif due is not None:
            lo_share, hi_share = SLOW_SHARE if plan.case.target.pending else QUICK_STATES.get(state, USUAL_SHARE)
            days = round((lo_share + u * (hi_share - lo_share)) * max(0, (due - day).days))
        else:
            days = 2 + int(u * 18)
        natural = day + timedelta(days=days)
        if state is State.SESSION_SCHEDULED and plan.data.get("session_on"):
            natural = max(natural, date.fromisoformat(str(plan.data["session_on"])))
        return self.ctx.calendar.next_working_day(natural)

    def _refused(
        self, plan: Plan, step: Step, on: date, choices: Mapping[str, Any], marks: Marks, attach: bool
    ) -> list[Refused]:
        """The guards' refusals on `on`, computed as the engine computes them."""
        try:
            cp = clean(step, self.payloads.build(plan, step, on, choices, marks, attach, None), on)
        except WorkflowError as err:
            return [Refused("payload.invalid", str(err), str(err), "")]
        case = plan.case
        docs = {**plan.docs, **{d.type: d for d in cp.attachments}}
        facts = DossierFacts(
            case.regime, case.track, plan.state.value, self.ctx.calendar, plan.data, docs, dict(cp.facts), cp.document
        )
        return [v for guard in step.guards if isinstance(v := guard(facts, on), Refused)]

    def _due(self, plan: Plan, step: Step | None) -> date | None:
        """The earliest deadline the engine opens on entering the plan's state (None: none, or the clock is paused)."""
        case = plan.case
        stage = case.regime.stages[plan.state]
        specs = [*stage.deadlines, *(step.opens if step else ())]
        if stage.final or stage.clock_paused or not specs:
            return None
        now = datetime.combine(plan.last, time(10), tzinfo=self.ctx.tz)
        dues: list[date] = [
            plan_deadline(
                self.ctx.policy, case.regime, stage, s, track=case.track, data=plan.data, legal_date=plan.last, now=now
            )["due_on"]
            for s in specs
        ]
        return min(dues)


def _apply(plan: Plan, planned: Planned, marks: dict[str, date]) -> None:
    """The plan after the step: the dossier data as the engine stores it, the new state and date."""
    step = planned.step
    cp = clean(step, planned.payload, planned.on)
    plan.data = merge(plan.data, cp, step, cp.document.date if cp.document else (cp.on or planned.on))
    plan.docs = documents(plan.data)
    if step.event is Event.REPORT_ABSCONDING:
        marks["absconded_on"] = planned.on
    plan.steps.append(planned)
    plan.state, plan.last = step.dest, planned.on


def merge(data: Mapping[str, Any], cp: CleanPayload, step: Step, legal_date: date) -> dict[str, Any]:
    """The dossier data after the step, as the engine stores it (the engine's own function)."""
    return merge_step_data(data, cp, step, legal_date)


def documents(data: Mapping[str, Any]) -> dict[str, DocumentRef]:
    return {k: DocumentRef.from_json(v) for k, v in data.get("documents", {}).items()}


def opening_facts(case: Case, start: date) -> dict[str, Any]:
    facts: dict[str, Any] = {"stable_residence": case.person.stable_residence}
    if case.initial is State.DRUG_USER_MANAGEMENT:  # decided the day of the positive test (within 24 hours)
        facts["positive_test_on"] = start.isoformat()
    return facts


def opening_data(case: Case, start: date) -> dict[str, Any]:
    """The dossier data `open_dossier` stores, with the earlier episodes it counts for the person."""
    kind = START_DOCUMENT.get(case.initial, Doc.VIOLATION_RECORD.value)
    data: dict[str, Any] = {
        **opening_facts(case, start),
        "birth_date": case.person.born(start).isoformat(),
        "nationality": "VN",
        "sex": case.person.sex,
        "prior_episodes": episodes(case.previous),
        "documents": {
            kind: {"type": kind, "number": PLACEHOLDER, "date": start.isoformat(), "issuer": "", "signer": ""}
        },
    }
    data["violation_on" if kind == Doc.VIOLATION_RECORD.value else "management_started_on"] = start.isoformat()
    return data


def episodes(previous: Plan | None) -> int:
    """Earlier dossiers of the person that reached the facility, as `open_dossier` counts them."""
    count = 0
    while previous is not None:
        count += any(p.step.dest is State.IN_FACILITY for p in previous.steps)
        previous = previous.case.previous
    return count


def first_allowed(allowed: Callable[[date], bool], start: date) -> date | None:
    """The first day from `start` on which the guards allow the step (they only ever start allowing)."""
    if allowed(start):
        return start
    lo, gap = start, 1
    while True:
        if gap > MAX_WAIT_DAYS:
            return None
        hi = start + timedelta(days=gap)
        if allowed(hi):
            break
        lo, gap = hi, gap * 2
    while (hi - lo).days > 1:
        mid = lo + timedelta(days=(hi - lo).days // 2)
        lo, hi = (lo, mid) if allowed(mid) else (mid, hi)
    return hi
