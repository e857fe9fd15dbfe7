"""Where the demo's dossiers should stand on `today`, and a case (a person, a commune, a path) for each.

Coverage first: each state once, in the newest regime that can have a dossier there by `today` (the regime in
force first), then each closing reason once (in the regime in force if it can close so already). Then random
targets, like a district's books: the older a regime, the more of its dossiers are closed; a regime that ended
more than `RECENT_DAYS` ago keeps open dossiers only in the long stages and after the facility; a recently ended
regime's dossier still before the facility is rare and pending, a little late (slow all along: its violation was
recorded before the regime ended).
"""

from __future__ import annotations

from collections import Counter
from datetime import date

from demo.people import People
from demo.plans import Case, Context, Plan, Target
from demo.routes import before_facility, closings, route
from demo.spread import (
    CLOSED_SHARE,
    CLOSED_SHARE_MAX,
    CLOSED_SHARE_PER_YEAR,
    CLOSING_WEIGHTS,
    FIXED_DWELL,
    LATE_STATES,
    LATENESS,
    LONG_STATES,
    MINOR_SHARE,
    OTHER_CLOSING_WEIGHT,
    OTHER_STATE_WEIGHT,
    OVERDUE_SHARE,
    PENDING_LATENESS,
    PENDING_WEIGHT,
    RECENT_DAYS,
    SEARCH_LATENESS,
    STATE_WEIGHTS,
)
from states.model import ClosingReason, Regime, State, Step, Track

Coverage = list[tuple[str, list[Target]]]  # a label ('in_facility', 'closed:relapsed') and the targets to try


class Targets:
    def __init__(self, ctx: Context, people: People) -> None:
        self.ctx, self.people = ctx, people
        self.rng = ctx.rng
        self._early: dict[str, set[State]] = {}
        self.unfit: set[str] = set()  # target keys that failed every attempt: not drawn or tried again
        self._people_drawn = 0

    def coverage(self) -> Coverage:
        """Each state, then each closing reason, with the targets that would show it, newest regime first."""
        regimes = self.ctx.regimes()
        states = list(dict.fromkeys(s for r in regimes for s in r.states if not r.stages[s].final))
        items: Coverage = [
            (state.value, [self._state_target(r, state, coverage=True) for r in regimes if state in r.stages])
            for state in states
        ]
        for reason in ClosingReason:
            options = [Target(r, closing=s) for r in regimes[1:] for s in closings(r) if s.closing_reason is reason]
            self.rng.shuffle(options)  # the regime in force first: its own dossiers close too
            options[:0] = [Target(regimes[0], closing=s) for s in closings(regimes[0]) if s.closing_reason is reason]
            items.append((f"closed:{reason.value}", options))
        return items

    def regime(self) -> Regime:
        """A regime for a random target, weighted by the length of its window."""
        ids = sorted(self.ctx.windows)
        weights = [(self.ctx.windows[i][1] - self.ctx.windows[i][0]).days + 30 for i in ids]
        return self.ctx.rt.regimes[self.rng.choices(ids, weights)[0]]

    def random(self, regime: Regime, room: int) -> Target:
        """Closed (more often the older the regime), or left in a stage a dossier of that regime can still be in."""
        closing = self._closing(regime, room) if self.rng.random() < self._closed_share(regime) else None
        if closing is not None:
            return closing
        states = self._open_states(regime)
        weights = [
            PENDING_WEIGHT if self._pending(regime, s) else STATE_WEIGHTS.get(s, OTHER_STATE_WEIGHT) for s in states
        ]
        return self._state_target(regime, self.rng.choices(states, weights)[0])

    def _closing(self, regime: Regime, room: int) -> Target | None:
        """A closing step not known to be out of reach, weighted by its reason (a relapse needs room for two)."""
        steps = [s for s in closings(regime) if self._may_close(regime, s, room)]
        if not steps:
            return None
        per_reason = Counter(s.closing_reason for s in steps)
        weights = [_closing_weight(s) / per_reason[s.closing_reason] for s in steps]
        return Target(regime, closing=self.rng.choices(steps, weights)[0])

    def _may_close(self, regime: Regime, step: Step, room: int) -> bool:
        relapse = step.closing_reason is ClosingReason.RELAPSED
        return Target(regime, closing=step).key not in self.unfit and (room >= 2 or not relapse)

    def case(self, target: Target, previous: Plan | None = None, start: date | None = None) -> Case | None:
        """A person of a commune (after a relapse: `previous`'s, from `start`) and a path to the target."""
        if previous is not None:
            person, commune = previous.case.person, previous.case.commune
            tracks = [person.track_on(start or previous.last)]
        else:
            commune = self.people.commune()
            self._people_drawn += 1
            minor = self._people_drawn % round(1 / MINOR_SHARE) == 5  # a steady share, whatever the draws
            person = self.people.draw(commune, minor)
            tracks = [Track.MINOR, Track.ADULT] if minor else [Track.ADULT, Track.MINOR]
        for track in tracks:
            found = route(target, track, self.rng)
            if found is None:
                continue
            if track is not tracks[0]:  # the target needs the other track: a person of the other age
                person = self.people.draw(commune, track is Track.MINOR)
            return Case(person, commune, target, track, found[0], found[1], self.rng.getrandbits(32), previous)
        return None

    def _state_target(self, regime: Regime, state: State, coverage: bool = False) -> Target:
        if self._pending(regime, state):
            return Target(regime, state=state, late=PENDING_LATENESS, pending=True)
        return Target(regime, state=state, late=self._lateness(regime, state, coverage))

    def _lateness(self, regime: Regime, state: State, coverage: bool) -> tuple[int, int] | None:
        """How late the dossier should be on `today`, or None for on time."""
        stage = regime.stages[state]
        if not stage.deadlines or stage.clock_paused:
            return None
        if state in FIXED_DWELL:  # a search: its 1-working-day deadline stays open until the person is found
            return self._draw(SEARCH_LATENESS)
        current = self.ctx.ended_days_ago(regime) == 0
        late = (current and state in LATE_STATES) if coverage else self.rng.random() < OVERDUE_SHARE
        return self._draw(LATENESS) if late else None

    def _draw(self, spread: tuple[tuple[float, tuple[int, int]], ...]) -> tuple[int, int]:
        return self.rng.choices([r for _, r in spread], [w for w, _ in spread])[0]

    def _closed_share(self, regime: Regime) -> float:
        lo, hi = self.ctx.windows[regime.id]
        years = (self.ctx.today - (lo + (hi - lo) / 2)).days / 365.25
        return min(CLOSED_SHARE_MAX, CLOSED_SHARE + CLOSED_SHARE_PER_YEAR * years)

    def _pending(self, regime: Regime, state: State) -> bool:
        """A stage before the facility, of a regime that has ended: a dossier there now is pending, late."""
        return self.ctx.ended_days_ago(regime) > 0 and state in self._early_states(regime)

    def _open_states(self, regime: Regime) -> list[State]:
        states = [s for s in regime.states if not regime.stages[s].final]
        if self.ctx.ended_days_ago(regime) <= RECENT_DAYS:
            return states
        return [s for s in states if s not in self._early_states(regime)]

    def _early_states(self, regime: Regime) -> set[State]:
        """The short stages before the facility: only a recent dossier can still be in one."""
        if regime.id not in self._early:
            self._early[regime.id] = before_facility(regime) - LONG_STATES
        return self._early[regime.id]


def _closing_weight(step: Step) -> float:
    reason = step.closing_reason
    return CLOSING_WEIGHTS.get(reason, OTHER_CLOSING_WEIGHT) if reason else OTHER_CLOSING_WEIGHT
