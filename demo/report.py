"""What `build_demo` made, counted from the database: dossiers per regime and state, overdue, refused steps."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import Engine, func, select

from demo.users import DEMO_PASSWORD
from workflow.db import reading
from workflow.tables import Deadline, Dossier

DOSSIER = Dossier.__table__  # type: ignore[attr-defined]
DEADLINE = Deadline.__table__  # type: ignore[attr-defined]
OVERDUE_BUCKETS = ((7, "1-7"), (30, "8-30"), (90, "31-90"))  # days overdue: upper bound, label; the rest '>90'


@dataclass
class DemoReport:
    """What `build_demo` made: counts per regime and state, overdue dossiers, refused steps."""

    skipped: bool = False
    today: date | None = None
    dossiers: int = 0
    steps: int = 0
    users: int = 0
    relapses: int = 0  # dossiers opened after a relapse, linked to the previous one
    handed_over: int = 0  # dossiers moved from an abolished agency to its successor after the build
    by_regime: dict[str, int] = field(default_factory=dict)
    by_state: dict[str, int] = field(default_factory=dict)
    by_regime_state: dict[str, dict[str, int]] = field(default_factory=dict)
    closing_reasons: dict[str, int] = field(default_factory=dict)
    open: int = 0  # dossiers not closed
    overdue: int = 0  # dossiers with an open, running deadline whose due day is before `today`
    overdue_days: dict[str, int] = field(default_factory=dict)  # overdue dossiers by days past their oldest due day
    most_overdue: int = 0  # days
    refused: int = 0  # steps the engine refused: a generator bug, logged as demo.step_refused
    failed: int = 0  # other engine errors (invalid input, step not available), logged as demo.step_failed
    unplanned: int = 0  # dossiers short of `count`: no random target fitted before `today`
    uncovered: list[str] = field(default_factory=list)  # states and closing reasons no regime reaches by `today`
    alerts: int = 0  # messages delivered to the agencies' inboxes (demo.inbox)
    alerts_read: int = 0  # of which older than a week, marked read
    seconds: float = 0.0

    def __str__(self) -> str:
        if self.skipped:
            return f"demo: the database already has {self.dossiers} dossiers; nothing added"
        buckets = ", ".join(f"{k} days {n}" for k, n in self.overdue_days.items())
        lines = [
            f"demo: {self.dossiers} dossiers, {self.steps} steps, {self.users} users "
            f"(password '{DEMO_PASSWORD}'), as of {self.today}, in {self.seconds:.1f} s",
            f"  open {self.open}, overdue {self.overdue} ({buckets or 'none'}), refused {self.refused}, "
            f"failed {self.failed}, unplanned {self.unplanned}, relapses {self.relapses}, "
            f"handed over {self.handed_over}",
            f"  alerts {self.alerts} in the inboxes, {self.alerts_read} older than a week marked read",
        ]
        for regime, states in sorted(self.by_regime_state.items()):
            listed = ", ".join(f"{s} {n}" for s, n in sorted(states.items(), key=lambda x: -x[1]))
            lines.append(f"  {regime} ({self.by_regime[regime]}): {listed}")
        lines.append("  closed: " + ", ".join(f"{r} {n}" for r, n in sorted(self.closing_reasons.items())))
        if self.uncovered:
            lines.append("  not reachable by then: " + ", ".join(self.uncovered))
        return "\n".join(lines)

    def count(self, db: Engine, today: date) -> None:
        """Fill in the counts from what the engine wrote."""
        with reading(db) as conn:
            rows = conn.execute(select(DOSSIER.c.regime, DOSSIER.c.state, DOSSIER.c.closing_reason)).all()
            oldest_due = (
                select(DEADLINE.c.dossier_id, func.min(DEADLINE.c.due_on))
                .where(DEADLINE.c.closed_at.is_(None), DEADLINE.c.paused_at.is_(None), DEADLINE.c.due_on < today)
                .group_by(DEADLINE.c.dossier_id)
            )
            late = [(today - due).days for _id, due in conn.execute(oldest_due)]
        self.dossiers, self.open = len(rows), sum(r.state != "closed" for r in rows)
        self.by_regime = dict(Counter(r.regime for r in rows))
        self.by_state = dict(Counter(r.state for r in rows))
        self.closing_reasons = dict(Counter(r.closing_reason for r in rows if r.closing_reason))
        for r in rows:
            states = self.by_regime_state.setdefault(r.regime, {})
            states[r.state] = states.get(r.state, 0) + 1
        self.overdue, self.most_overdue = len(late), max(late, default=0)
        self.overdue_days = dict(Counter(_bucket(days) for days in sorted(late)))


def _bucket(days: int) -> str:
    return next((label for bound, label in OVERDUE_BUCKETS if days <= bound), f">{OVERDUE_BUCKETS[-1][0]}")
