"""Planning `count` dossiers: a case for each target, simulated, then shifted until its end fits `today`.

A plan fits when its timeline ends by `today` as the target wants: a closed dossier closed some time ago; an open
one on time (today before its running deadline) or late by the target's days; in a stage without a running
deadline (postponed) for a plausible while. Its violation date stays in the regime's window. A target that cannot
fit (a short stage of a regime long gone, post-rehab supervision before the new law's first term ends) is dropped.
"""

from __future__ import annotations

from datetime import date, timedelta

import structlog

from demo.people import People
from demo.plans import Case, Context, Plan, Target
from demo.report import DemoReport
from demo.spread import (
    ATTEMPTS,
    CLOSED_AGO,
    COVERAGE_SHARE,
    FILL_TRIES,
    FIT_ROUNDS,
    RECENT_DAYS,
    UNTIMED_DWELL,
)
from demo.targets import Targets
from demo.timeline import Timeline
from states.model import ClosingReason

log = structlog.get_logger(__name__)

FOLLOW_UP_DAYS = (1, 20)  # a relapse: the new violation is recorded within days


class Planner:
    def __init__(self, ctx: Context, people: People, targets: Targets, timeline: Timeline, report: DemoReport) -> None:
        self.ctx, self.people, self.targets, self.timeline, self.report = ctx, people, targets, timeline, report
        self.rng = ctx.rng

    def plan(self, count: int) -> list[Plan]:
        plans = self._cover(min(count, max(1, int(count * COVERAGE_SHARE))))
        self._fill(plans, count)
        return plans

    def _cover(self, budget: int) -> list[Plan]:
        """Each state and closing reason once, in the first regime where it fits, while the budget lasts."""
        plans: list[Plan] = []
        for label, options in self.targets.coverage():
            if len(plans) >= budget:
                break
            if any(_shows(p, label) for p in plans):
                continue
            got = next((g for t in options if (g := self._plan_target(t, budget - len(plans)))), [])
            if not got:
                self.report.uncovered.append(label)
                log.info("demo.not_reachable", label=label, today=self.ctx.today.isoformat())
            plans += got
        return plans

    def _fill(self, plans: list[Plan], count: int) -> None:
        """Random targets up to `count`; gives up (and says so) only if none fits in a row of tries."""
        while len(plans) < count:
            got: list[Plan] = []
            for _ in range(FILL_TRIES):
                room = count - len(plans)
                got = self._plan_target(self.targets.random(self.targets.regime(), room), room)
                if got:
                    break
            if not got:
                self.report.unplanned += count - len(plans)
                log.warning("demo.fill_stopped", missing=count - len(plans))
                return
            plans += got

    def _plan_target(self, target: Target, room: int) -> list[Plan]:
        """Plans for one target (two when the dossier closes on a relapse), or none if it cannot fit."""
        if target.key in self.targets.unfit or (_relapse(target) and room < 2):
            return []
        for _ in range(ATTEMPTS):
            plans = self._attempt(target)
            if plans:
                return plans
        self.targets.unfit.add(target.key)
        return []

    def _attempt(self, target: Target) -> list[Plan]:
        case = self.targets.case(target)
        plan = self._fit(case) if case else None
        if plan is None or case is None:
            return []
        self.people.fix(case.person, plan.start)
        if not _relapse(target):
            return [plan]
        follow = self._follow_up(plan)
        return [plan, follow] if follow else []

    def _window(self, target: Target) -> tuple[date, date]:
        """The violation dates the target allows: its regime's window; a recent part of it for a pending dossier."""
        lo, hi = self.ctx.windows[target.regime.id]
        if target.pending:
            lo = max(lo, self.ctx.today - timedelta(days=RECENT_DAYS))
        return lo, hi

    def _fit(self, case: Case) -> Plan | None:
        """Simulate from a random start in the target's window, then shift it until the end fits `today`."""
        lo, hi = self._window(case.target)
        if lo > hi:
            return None
        start = lo + timedelta(days=self.rng.randint(0, (hi - lo).days))
        for _ in range(FIT_ROUNDS):
            plan = self.timeline.simulate(case, start)
            if plan is None:
                return None
            shift = self._shift(plan, case.target)
            if shift is None:
                return plan
            moved = min(hi, max(lo, start + timedelta(days=shift or -1)))
            if moved == start:  # the window allows no more
                return None
            start = moved
        return None

    def _shift(self, plan: Plan, target: Target) -> int | None:
        """Days to move the timeline so it ends as the target wants (None: it already does)."""
        today, last, due = self.ctx.today, plan.last, plan.due
        if target.closing is not None:
            return None if last <= today else (today - last).days - self.rng.randint(0, CLOSED_AGO)
        if due is None:  # no running deadline (postponed): entered a plausible while ago
            if last <= today and (today - last).days <= UNTIMED_DWELL:
                return None
            return (today - timedelta(days=self.rng.randint(0, UNTIMED_DWELL)) - last).days
        if target.late is None:
            if last <= today <= due:
                return None
            return (today - timedelta(days=self.rng.randint(0, max(0, (due - last).days))) - last).days
        least, most = target.late
        if last <= today and least <= (today - due).days <= most:
            return None
        return (today - timedelta(days=self.rng.randint(least, most)) - due).days

    def _follow_up(self, plan: Plan) -> Plan | None:
        """The dossier opened after a relapse: same person and commune, days later, fitting `today` like any other."""
        start = plan.last + timedelta(days=self.rng.randint(*FOLLOW_UP_DAYS))
        regime = self.ctx.regime_on(start)
        if regime is None or start > self.ctx.today:
            return None
        for _ in range(ATTEMPTS):
            target = self.targets.random(regime, room=1)
            if self._window(target)[0] > start:
                continue
            case = self.targets.case(target, previous=plan, start=start)
            follow = self.timeline.simulate(case, start) if case else None
            if follow is not None and self._shift(follow, target) is None:
                return follow
        return None


def _relapse(target: Target) -> bool:
    return target.closing is not None and target.closing.closing_reason is ClosingReason.RELAPSED


def _shows(plan: Plan, label: str) -> bool:
    """Whether the plan leaves its dossier as the coverage label says ('in_facility', 'closed:relapsed')."""
    reason = plan.steps[-1].step.closing_reason if plan.steps else None
    return label == (f"closed:{reason.value}" if reason else plan.state.value)
