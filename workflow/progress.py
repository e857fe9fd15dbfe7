"""A plan's progress and KPIs, computed from the dossiers (never typed), for a period and an area.

Definitions (also shown on the dashboard):
- compulsory rehab *done*: a dossier of the area whose court decision to apply the measure
  (`decide__apply`) was made within the period — counted in the commune the dossier was opened in,
  even if the person later moved;
- *projected* year-end: done so far at the period's pace, extended to the plan's year end;
- *behind schedule*: done < target × the elapsed share of the year;
- post-rehab KPI: of the people whose completion was certified within the period, the share with a
  post-rehab management decision (and the list of those without one, with days since completion);
- days per stage: from the transition log (entering a state to leaving it), median and 90th percentile;
- overdue deadlines per agency: open deadlines of the area's dossiers (and the plan's own reports) past due.
Categories the product does not hold (family/community, voluntary, substitution treatment) are shown
with their targets and "no data in the system", never as zero.
Only figures and dossier codes: no names.
"""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, and_, func, or_, select

from states.labels import state_label
from states.model import Regime
from workflow.db import reading
from workflow.deadlines import local_date
from workflow.plans import AREA, CATEGORY_VI, KPI_VI, PLAN, REPORT, TARGET, TRACKED_CATEGORIES, area_tree
from workflow.tables import Deadline, Dossier, TransitionLog

DOSSIER = Dossier.__table__  # type: ignore[attr-defined]
LOG = TransitionLog.__table__  # type: ignore[attr-defined]
DEADLINE = Deadline.__table__  # type: ignore[attr-defined]
APPLIED = "decide__apply"
COMPLETED = "record_completion"
POST_REHAB = "decide_post_rehab"


class PlanNotFound(LookupError):
    pass


class AreaOutsidePlan(LookupError):
    """An area that is not inside the plan's area."""


class InvalidPeriod(ValueError):
    """A report period that ends before it starts."""


@dataclass(frozen=True)
class Period:
    start: date
    end: date  # inclusive

    def elapsed_share(self, year: int, today: date) -> float:
        """The share of the plan's year elapsed by min(today, period end)."""
        first, last = date(year, 1, 1), date(year, 12, 31)
        upto = min(max(min(today, self.end), first), last)
        return ((upto - first).days + 1) / ((last - first).days + 1)


@dataclass
class TargetRow:
    area_code: str
    area_name: str
    category: str
    category_vi: str
    target: int
    tracked: bool
    done: int | None  # None: the system holds no data for this category
    projected: int | None
    expected_by_now: float
    behind: bool
    percent: float | None  # done / target; None when there is no target or no data


@dataclass
class Progress:
    plan_id: str
    title: str
    area_code: str
    area_name: str
    year: int
    period_start: date
    period_end: date
    elapsed_share: float
    targets: list[TargetRow] = field(default_factory=list)
    kpis: list[dict[str, Any]] = field(default_factory=list)
    without_post_rehab: list[dict[str, Any]] = field(default_factory=list)
    stages: list[dict[str, Any]] = field(default_factory=list)
    durations: list[dict[str, Any]] = field(default_factory=list)
    overdue_by_agency: list[dict[str, Any]] = field(default_factory=list)
    reports: list[dict[str, Any]] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        data = asdict(self)
        for key in ("period_start", "period_end"):
            data[key] = data[key].isoformat()
        return data

    @property
    def behind(self) -> list[TargetRow]:
        return [t for t in self.targets if t.behind]


def _local(moment: datetime, tz: ZoneInfo) -> date:
    return local_date(moment, tz)


def _percentile(values: Sequence[float], share: float) -> float:
    ordered = sorted(values)
    if len(ordered) == 1:
        return ordered[0]
    return statistics.quantiles(ordered, n=100, method="inclusive")[round(share * 100) - 1]


class ProgressReader:
    """Reads one plan's figures; every query is restricted to the plan's areas."""

    def __init__(self, db: Engine, regimes: Mapping[str, Regime], tz: ZoneInfo) -> None:
        self.db = db
        self.regimes = sorted(regimes.values(), key=lambda r: r.in_force_from, reverse=True)
        self.tz = tz

    def progress(
        self, plan_id: str, today: date, start: date | None = None, end: date | None = None, area: str | None = None
    ) -> Progress:
        """The plan's figures for a period (default: its whole year), for its whole area or one area inside
        it (a commune's page of a district plan); `end` before `start` is `InvalidPeriod`."""
        with reading(self.db) as conn:
            plan = conn.execute(select(PLAN).where(PLAN.c.id == plan_id)).first()
            if plan is None:
                raise PlanNotFound(plan_id)
            areas = {row.code: row for row in conn.execute(select(AREA)).all()}
            targets = conn.execute(select(TARGET).where(TARGET.c.plan_id == plan_id)).all()
            reports = conn.execute(select(REPORT).where(REPORT.c.plan_id == plan_id).order_by(REPORT.c.due_on)).all()
        period = Period(start or date(plan.year, 1, 1), end or date(plan.year, 12, 31))
        if period.end < period.start:
            raise InvalidPeriod("the period ends before it starts")
        tree = area_tree(areas, plan.area_code)
        root = area or plan.area_code
        if root not in tree:
            raise AreaOutsidePlan(root)
        tree = area_tree(areas, root)
        targets = [t for t in targets if t.area_code in tree]
        out = Progress(
            plan.id,
            plan.title,
            root,
            areas[root].name if root in areas else root,
            plan.year,
            period.start,
            period.end,
            round(period.elapsed_share(plan.year, today), 4),
        )
        applied = self._events_by_area(tree, APPLIED, period)
        out.targets = [self._target_row(t, areas, applied, out.elapsed_share) for t in targets]
        out.targets.sort(key=lambda t: (t.category, t.area_code != root, t.area_name))
        out.kpis, out.without_post_rehab = self._post_rehab_kpi(plan.kpis, tree, period, today)
        out.stages = self._stages(tree)
        out.durations = self._durations(tree, period)
        out.overdue_by_agency = self._overdue(tree, plan_id, today)
        out.reports = [self._report(r, today) for r in reports]
        return out

    # ---------------------------------------------------------------- targets

    def _target_row(
        self, target: Any, areas: Mapping[str, Any], applied: Mapping[str, int], elapsed: float
    ) -> TargetRow:
        tracked = target.category in TRACKED_CATEGORIES
        done: int | None = None
        if tracked:
            done = sum(applied.get(code, 0) for code in area_tree(areas, target.area_code))
        expected = target.target * elapsed
        projected = round(done / elapsed) if done is not None and elapsed > 0 else None
        return TargetRow(
            area_code=target.area_code,
            area_name=areas[target.area_code].name if target.area_code in areas else target.area_code,
            category=target.category,
            category_vi=CATEGORY_VI.get(target.category, target.category),
            target=target.target,
            tracked=tracked,
            done=done,
            projected=projected,
            expected_by_now=round(expected, 2),
            behind=done is not None and target.target > 0 and done < int(expected),
            percent=round(100 * done / target.target, 1) if done is not None and target.target > 0 else None,
        )

    def _events_by_area(self, tree: set[str], event: str, period: Period) -> dict[str, int]:
        """Applied steps of one kind within the period, per commune of the dossier (counted once each)."""
        query = (
            select(DOSSIER.c.commune_code, LOG.c.dossier_id, LOG.c.at)
            .join(DOSSIER, DOSSIER.c.id == LOG.c.dossier_id)
            .where(LOG.c.event == event, LOG.c.applied.is_(True), DOSSIER.c.commune_code.in_(tree))
        )
        seen: set[int] = set()
        counts: Counter[str] = Counter()
        with reading(self.db) as conn:
            for row in conn.execute(query):
                if row.dossier_id in seen or not period.start <= _local(row.at, self.tz) <= period.end:
                    continue
                seen.add(row.dossier_id)
                counts[row.commune_code] += 1
        return counts

    # ---------------------------------------------------------------- post-rehab KPI

    def _post_rehab_kpi(
        self, kpis: Sequence[Mapping[str, Any]], tree: set[str], period: Period, today: date
    ) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        events = (
            select(DOSSIER.c.id, DOSSIER.c.code, DOSSIER.c.commune_code, LOG.c.event, LOG.c.at)
            .join(DOSSIER, DOSSIER.c.id == LOG.c.dossier_id)
            .where(LOG.c.event.in_((COMPLETED, POST_REHAB)), LOG.c.applied.is_(True), DOSSIER.c.commune_code.in_(tree))
        )
        completed: dict[int, tuple[str, str, date]] = {}
        decided: set[int] = set()
        with reading(self.db) as conn:
            for row in conn.execute(events):
                day = _local(row.at, self.tz)
                if row.event == COMPLETED and period.start <= day <= period.end:
                    completed[row.id] = (row.code, row.commune_code, day)
                elif row.event == POST_REHAB:
                    decided.add(row.id)
        without = [
            {
                "dossier_id": i,
                "code": c,
                "commune_code": a,
                "completed_on": d.isoformat(),
                "days_since": (today - d).days,
            }
            for i, (c, a, d) in sorted(completed.items(), key=lambda kv: kv[1][2])
            if i not in decided
        ]
        with_decision = len(completed) - len(without)
        share = round(100 * with_decision / len(completed), 1) if completed else None
        rows: list[dict[str, Any]] = []
        for kpi in kpis:
            kpi_id = str(kpi["id"])
            target = int(kpi["target_percent"])
            tracked = kpi_id == "post_rehab_decision_share"
            value = share if tracked else None
            rows.append(
                {
                    "id": kpi_id,
                    "label_vi": KPI_VI.get(kpi_id, kpi_id),
                    "target_percent": target,
                    "tracked": tracked,
                    "value_percent": value,
                    "numerator": with_decision if tracked else None,
                    "denominator": len(completed) if tracked else None,
                    "met": None if value is None else value >= target,
                }
            )
        return rows, without

    # ---------------------------------------------------------------- stages and durations

    def _stages(self, tree: set[str]) -> list[dict[str, Any]]:
        query = (
            select(DOSSIER.c.state, func.count())
            .where(DOSSIER.c.commune_code.in_(tree))
            .group_by(DOSSIER.c.state)
            .order_by(func.count().desc())
        )
        with reading(self.db) as conn:
            rows = conn.execute(query).all()
        return [{"state": s, "label_vi": state_label(s), "count": n} for s, n in rows]

    def _durations(self, tree: set[str], period: Period) -> list[dict[str, Any]]:
        """Days from entering a state to leaving it, for stays that ended within the period."""
        query = (
            select(LOG.c.dossier_id, LOG.c.seq, LOG.c.to_state, LOG.c.at)
            .join(DOSSIER, DOSSIER.c.id == LOG.c.dossier_id)
            .where(
                DOSSIER.c.commune_code.in_(tree),
                LOG.c.applied.is_(True),
                or_(LOG.c.kind == "open", and_(LOG.c.kind == "step", LOG.c.to_state.is_not(None))),
            )
            .order_by(LOG.c.dossier_id, LOG.c.seq)
        )
        stays: dict[str, list[float]] = defaultdict(list)
        previous: Any = None
        with reading(self.db) as conn:
            for row in conn.execute(query):
                if previous is not None and previous.dossier_id == row.dossier_id and previous.to_state != row.to_state:
                    left = _local(row.at, self.tz)
                    if period.start <= left <= period.end:
                        stays[previous.to_state].append((left - _local(previous.at, self.tz)).days)
                previous = row
        return [
            {
                "state": state,
                "label_vi": state_label(state),
                "count": len(days),
                "median_days": float(statistics.median(days)),
                "p90_days": float(_percentile(days, 0.9)),
                "limit": self._limit(state),
            }
            for state, days in sorted(stays.items(), key=lambda kv: -len(kv[1]))
        ]

    def _limit(self, state: str) -> str:
        """The legal limit of the stage's first deadline in the newest regime that has it."""
        for regime in self.regimes:
            stage = next((s for k, s in regime.stages.items() if k.value == state), None)
            if stage is None or not stage.deadlines:
                continue
            spec = stage.deadlines[0]
            if spec.length_fact:
                return "theo quyết định"
            rule = regime.rules.get(spec.rule)
            return rule.describe_vi().split(": ", 1)[-1] if rule else ""
        return ""

    # ---------------------------------------------------------------- overdue and reports

    def _overdue(self, tree: set[str], plan_id: str, today: date) -> list[dict[str, Any]]:
        report_ids = select(REPORT.c.id).where(REPORT.c.plan_id == plan_id)
        dossier_ids = select(DOSSIER.c.id).where(DOSSIER.c.commune_code.in_(tree))
        query = (
            select(DEADLINE.c.agency_id, func.count())
            .where(
                DEADLINE.c.closed_at.is_(None),
                DEADLINE.c.paused_at.is_(None),
                DEADLINE.c.due_on < today,
                or_(DEADLINE.c.dossier_id.in_(dossier_ids), DEADLINE.c.report_id.in_(report_ids)),
            )
            .group_by(DEADLINE.c.agency_id)
            .order_by(func.count().desc())
        )
        with reading(self.db) as conn:
            return [{"agency_id": a, "count": n} for a, n in conn.execute(query).all()]

    def _report(self, row: Any, today: date) -> dict[str, Any]:
        status = "submitted" if row.submitted_at else ("overdue" if row.due_on < today else "open")
        return {
            "id": row.id,
            "period": row.period,
            "period_from": row.period_from.isoformat(),
            "period_to": row.period_to.isoformat(),
            "due_on": row.due_on.isoformat(),
            "agency_id": row.agency_id,
            "recipient": row.recipient,
            "submitted_at": row.submitted_at.isoformat() if row.submitted_at else None,
            "status": status,
        }
