"""The planner's vocabulary: where a dossier should stand on `today` (a target), its case, its planned steps.

`Context` carries what every part reads: a copy of the caller's runtime whose engine reads the demo's own moving
clock (the caller's clock is untouched), `today`, the one random source, the agencies and each regime's window.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from demo.people import Person
from demo.spread import DEMO_FROM_YEAR
from handlers.calendar import WorkingCalendar
from handlers.facts import DocumentRef
from states.model import Regime, State, Step, Track
from states.registry import all_regimes
from workflow.deadlines import DeadlinePolicy
from workflow.directory import Directory
from workflow.engine import Actor
from workflow.runtime import Runtime


@dataclass(frozen=True)
class Target:
    regime: Regime
    state: State | None = None  # leave the dossier in this state ...
    closing: Step | None = None  # ... or close it with this step
    late: tuple[int, int] | None = None  # days past its running deadline on `today` (None: on time)
    pending: bool = False  # a recent past regime's dossier still before the facility: slow all along

    @property
    def label(self) -> str:
        return f"{self.regime.id}:{self.closing.name if self.closing else self.state}"

    @property
    def key(self) -> str:
        return f"{self.label}:{'late' if self.late else 'on-time'}"


@dataclass
class Case:
    person: Person
    commune: str
    target: Target
    track: Track
    initial: State
    path: list[Step]
    seed: int
    previous: Plan | None = None

    @property
    def regime(self) -> Regime:
        return self.target.regime


@dataclass
class Planned:
    step: Step
    on: date
    actor: Actor | None
    payload: dict[str, Any]


@dataclass
class Plan:
    case: Case
    start: date
    opener: Actor
    data: dict[str, Any]
    state: State
    last: date
    steps: list[Planned] = field(default_factory=list)
    docs: dict[str, DocumentRef] = field(default_factory=dict)  # `data`'s documents, parsed once per step
    due: date | None = None  # the earliest running deadline of the last stage
    dossier_id: int | None = None


class DemoClock:
    """The clock the demo's engine reads: set to each step's legal date and office hour before it is fired."""

    def __init__(self, tz: ZoneInfo) -> None:
        self.now = datetime.now(tz)

    def __call__(self) -> datetime:
        return self.now


@dataclass
class Context:
    rt: Runtime
    clock: DemoClock
    today: date
    rng: random.Random
    directory: Directory
    windows: dict[str, tuple[date, date]]  # regime → the violation dates it gets
    users: dict[str, str] = field(default_factory=dict)  # agency → demo username

    @classmethod
    def build(cls, runtime: Runtime, seed: int, today: date) -> Context:
        clock = DemoClock(runtime.tz)
        rt = replace(runtime, clock=clock, _engine=None)
        return cls(rt, clock, today, random.Random(seed), rt.engine.directory(), windows(runtime, today))

    @property
    def calendar(self) -> WorkingCalendar:
        return self.rt.calendar

    @property
    def policy(self) -> DeadlinePolicy:
        return self.rt.policy

    @property
    def tz(self) -> ZoneInfo:
        return self.rt.tz

    def regimes(self) -> list[Regime]:
        """The regimes with a window, newest first."""
        return [self.rt.regimes[r] for r in sorted(self.windows, key=lambda r: self.windows[r][1], reverse=True)]

    def regime_on(self, day: date) -> Regime | None:
        return next((self.rt.regimes[r] for r, (lo, hi) in self.windows.items() if lo <= day <= hi), None)

    def ended_days_ago(self, regime: Regime) -> int:
        """Days between the end of the regime's window and `today` (0: the regime in force)."""
        return (self.today - self.windows[regime.id][1]).days


def windows(runtime: Runtime, today: date) -> dict[str, tuple[date, date]]:
    """Violation dates each regime gets: its configured and its declared period, from 2021, up to today."""
    declared = {r.id: r for r in all_regimes()}
    out: dict[str, tuple[date, date]] = {}
    for regime in runtime.regimes.values():
        own = declared.get(regime.id, regime)
        lo = max(regime.in_force_from, own.in_force_from, date(DEMO_FROM_YEAR, 1, 1))
        hi = min([d for d in (regime.in_force_to, own.in_force_to) if d is not None] + [today])
        if lo <= hi:
            out[regime.id] = (lo, hi)
    return out
