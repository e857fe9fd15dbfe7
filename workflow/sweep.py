"""The deadline sweep: one idempotent function that writes every alert that has come due.

Per open, unpaused deadline: a ``reminder`` at 08:00 local on ``remind_on``, ``due`` at 08:00 on
the due day (an hour rule: one hour before ``due_at``), ``overdue`` once the period has passed,
``escalation`` at 08:00 ``escalate_after_working_days`` working days after the due day. Each
alert is an ``alert`` row, unique per (deadline, kind), and outbox rows written only when that
row is new: sweeping twice, or from two processes, sends nothing twice. After downtime every
missed alert is written once, in order, marked ``late``. On PostgreSQL candidate deadlines are
claimed ``FOR UPDATE SKIP LOCKED``; on SQLite the single writer (BEGIN IMMEDIATE) does that.
Logs name deadlines and dossier codes only, never personal data.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import structlog
from sqlalchemy import Connection, Engine, Row, Select, Table, and_, exists, or_, select
from sqlalchemy.dialects import postgresql, sqlite

from handlers.calendar import WorkingCalendar
from states import labels
from states.registry import regimes_by_id
from workflow.db import is_postgres, reading
from workflow.directory import Directory
from workflow.settings import Settings
from workflow.tables import Alert, Deadline, Dossier, Outbox, Plan, PlanReport

__all__ = ["KINDS", "DeadlineView", "alert_times", "open_deadlines", "sweep"]

log = structlog.get_logger(__name__)

KINDS = ("reminder", "due", "overdue", "escalation")  # also the order alerts are written in
DEFAULT_TIMEZONE = "Asia/Ho_Chi_Minh"
OFFICE_OPENS = time(8)
HOUR = timedelta(hours=1)
_CONTEXT_COPIED = ("dossier_code", "regime", "stage", "rule_id", "basis", "status_mark")
_VIEW_COPIED = ("dossier_code", "stage", "rule_id", "due_on", "agency_id", "status_mark", "basis")

_REGIMES = regimes_by_id()  # for names only
D = Deadline.__table__  # type: ignore[attr-defined]
A = Alert.__table__  # type: ignore[attr-defined]
O = Outbox.__table__  # type: ignore[attr-defined]  # noqa: E741
P = Dossier.__table__  # type: ignore[attr-defined]
R = PlanReport.__table__  # type: ignore[attr-defined]
PL = Plan.__table__  # type: ignore[attr-defined]


@dataclass(frozen=True, slots=True)
class DeadlineView:
    """An open deadline as ``rehab deadlines`` lists it."""

    deadline_id: int
    dossier_code: str
    stage: str
    rule_id: str
    due_on: date
    days_left: int  # calendar days from local today; negative once overdue
    agency_id: str | None
    status_mark: str
    basis: str
    paused: bool


@dataclass
class _Run:
    """What one sweep knows: the clock, the rules of timing, and the directory (loaded once)."""

    now: datetime  # aware, UTC
    tz: ZoneInfo
    calendar: WorkingCalendar
    escalate_after: int
    late_after: timedelta
    directory: Directory | None = field(default=None)

    @property
    def today(self) -> date:
        return self.now.astimezone(self.tz).date()


# --------------------------------------------------------------------------- when alerts are due


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _local_at(day: date, at: time, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, at, tzinfo=tz).astimezone(UTC)


def _is_hour_rule(due_at: datetime, due_on: date, tz: ZoneInfo) -> bool:
    """Day rules end with the due day (``due_at`` in its last minute, or midnight after it)."""
    last_minute = datetime.combine(due_on, time(23, 59), tzinfo=tz)
    return not last_minute <= _utc(due_at) <= last_minute + timedelta(minutes=1)


def alert_times(
    due_on: date,
    due_at: datetime,
    remind_on: date,
    calendar: WorkingCalendar,
    tz: ZoneInfo,
    escalate_after: int,
) -> dict[str, datetime]:
    """When each alert kind of a deadline is due (aware UTC), in the order they are written."""
    due_at = _utc(due_at)
    if _is_hour_rule(due_at, due_on, tz):
        due, overdue = due_at - HOUR, due_at
    else:
        due = _local_at(due_on, OFFICE_OPENS, tz)
        overdue = _local_at(due_on + timedelta(days=1), time(0), tz)
    escalation = _local_at(calendar.add_working_days(due_on, escalate_after), OFFICE_OPENS, tz)
    times = {"due": due, "overdue": overdue, "escalation": max(escalation, overdue)}
    if remind_on < due_on:
        times = {"reminder": _local_at(remind_on, OFFICE_OPENS, tz), **times}
    return times


# --------------------------------------------------------------------------- the sweep


def sweep(
    db_engine: Engine, calendar: WorkingCalendar, settings: Settings, now: datetime, *, batch_size: int = 100
) -> int:
    """Write every alert due at ``now`` (tz-aware) exactly once; return how many were written."""
    if now.tzinfo is None:
        raise ValueError("sweep(now): now must be timezone-aware")
    run = _Run(
        _utc(now),
        ZoneInfo(settings.timezone),
        calendar,
        settings.escalate_after_working_days,
        timedelta(minutes=settings.late_grace_minutes),
    )
    written, after = 0, 0
    while True:
        try:
            with db_engine.begin() as conn:
                rows = conn.execute(_candidates(run, after, batch_size, is_postgres(db_engine))).all()
                have = _written_kinds(conn, [row.id for row in rows])
                batch = sum(_handle_in_savepoint(conn, run, row, have.get(row.id, set())) for row in rows)
        except Exception:
            log.exception("sweep.batch_failed", after_deadline_id=after)
            break
        if not rows:
            break
        written, after = written + batch, rows[-1].id
    (log.info if written else log.debug)("sweep.done", written=written, now=run.now.isoformat())
    return written


def _candidates(run: _Run, after: int, limit: int, postgres: bool) -> Select[Any]:
    """Open, unpaused deadlines with an alert possibly due and not yet escalated, by id.

    A dossier's deadline comes with its dossier's code, commune and regime; a report's deadline (no
    dossier) with its period and plan, so the alert can name the report.
    """
    escalated = exists().where(A.c.deadline_id == D.c.id, A.c.kind == "escalation")
    query = (
        select(
            D,
            P.c.code.label("dossier_code"),
            P.c.commune_code,
            P.c.regime,
            R.c.period.label("report_period"),
            PL.c.id.label("plan_id"),
            PL.c.title.label("plan_title"),
            PL.c.year.label("plan_year"),
            PL.c.issuer_agency_id.label("plan_issuer"),
        )
        .outerjoin(P, P.c.id == D.c.dossier_id)
        .outerjoin(R, R.c.id == D.c.report_id)
        .outerjoin(PL, PL.c.id == R.c.plan_id)
        .where(
            D.c.closed_at.is_(None),
            D.c.paused_at.is_(None),
            D.c.id > after,
            # remind_on <= due_on always: the due day is covered; each side has its partial index (migration 0015)
            or_(D.c.remind_on <= run.today, D.c.due_at <= run.now + HOUR),
            ~escalated,
        )
        .order_by(D.c.id)
        .limit(limit)
    )
    return query.with_for_update(skip_locked=True, of=D) if postgres else query


def _written_kinds(conn: Connection, deadline_ids: list[int]) -> dict[int, set[str]]:
    """The alert kinds already written for these deadlines (one query per batch)."""
    if not deadline_ids:
        return {}
    have: dict[int, set[str]] = {}
    for deadline_id, kind in conn.execute(select(A.c.deadline_id, A.c.kind).where(A.c.deadline_id.in_(deadline_ids))):
        have.setdefault(deadline_id, set()).add(kind)
    return have


def _handle_in_savepoint(conn: Connection, run: _Run, row: Row[Any], have: set[str]) -> int:
    """One deadline: its own savepoint, so a failure is logged and the sweep goes on. A deadline whose alerts
    due by now are all written costs nothing more: a second sweep writes nothing and opens no savepoint."""
    times = alert_times(row.due_on, row.due_at, row.remind_on, run.calendar, run.tz, run.escalate_after)
    if all(kind in have for kind, at in times.items() if at <= run.now):
        return 0
    try:
        with conn.begin_nested():
            return _handle(conn, run, row, times, have)
    except Exception:
        log.exception("sweep.deadline_failed", deadline_id=row.id, dossier_code=row.dossier_code)
        return 0


def _handle(conn: Connection, run: _Run, row: Row[Any], times: dict[str, datetime], have: set[str]) -> int:
    written = 0
    for kind, scheduled_for in times.items():
        if scheduled_for > run.now:
            break
        if kind in have:
            continue  # written by an earlier sweep
        late = run.now - scheduled_for > run.late_after
        alert = {"deadline_id": row.id, "dossier_id": row.dossier_id, "kind": kind, "late": late}
        alert_id = _insert_new(conn, A, {**alert, "scheduled_for": scheduled_for, "created_at": run.now})
        if alert_id is None:
            continue  # written before, by an earlier sweep or another process
        _write_messages(conn, run, row, kind, alert_id, late)
        what = row.dossier_code or f"{row.plan_id}:{row.report_period}"  # a dossier, or a plan's report
        log.info("sweep.alert_written", deadline_id=row.id, about=what, kind=kind, late=late)
        written += 1
    return written


def _write_messages(conn: Connection, run: _Run, row: Row[Any], kind: str, alert_id: int, late: bool) -> None:
    """One pending outbox message per recipient of a newly written alert."""
    if row.dossier_id is None:
        _write_report_messages(conn, run, row, kind, alert_id, late)
        return
    responsible = _responsible(conn, run, row)
    for agency_id in _recipients(conn, run, row, kind, responsible):
        message = {"kind": kind, "dossier_id": row.dossier_id, "agency_id": agency_id, "status": "pending"}
        context = _context(run, row, kind, agency_id, late, escalated_from=responsible)
        dedupe_key = f"alert:{alert_id}:{agency_id}"
        _insert_new(conn, O, {**message, "context": context, "created_at": run.now, "dedupe_key": dedupe_key})


def _write_report_messages(conn: Connection, run: _Run, row: Row[Any], kind: str, alert_id: int, late: bool) -> None:
    """A report's alert goes to the agency that must submit it (or its successor); an escalation also to
    the committee that issued the plan (or its successor)."""
    directory = _directory(conn, run)

    def in_office(agency_id: str) -> str:
        agency = directory.agencies.get(agency_id)
        if agency is not None and agency.valid_on(run.today):
            return agency_id
        return directory.successor_on(agency_id, run.today) or agency_id

    recipients = [in_office(row.agency_id)]
    if kind == "escalation" and row.plan_issuer:
        recipients.append(in_office(row.plan_issuer))
    context: dict[str, object] = {
        "alert_kind": kind,
        "plan_id": row.plan_id,
        "plan_title": row.plan_title,
        "report_period": row.report_period,
        "plan_year": row.plan_year,
        "due_on": row.due_on.isoformat(),
        "days_left": (row.due_on - run.today).days,
        "late": late,
        "basis": row.basis,
        "status_mark": row.status_mark,
    }
    for agency_id in dict.fromkeys(recipients):
        message = {"kind": "report_alert", "dossier_id": None, "agency_id": agency_id, "status": "pending"}
        dedupe_key = f"alert:{alert_id}:{agency_id}"
        values = {**message, "context": {**context, "agency_id": agency_id}, "created_at": run.now}
        _insert_new(conn, O, {**values, "dedupe_key": dedupe_key})


def _insert_new(conn: Connection, table: Table, values: dict[str, Any]) -> int | None:
    """Insert unless a row with the same unique key exists: the new row's id, or None."""
    insert = postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert
    statement = insert(table).values(values).on_conflict_do_nothing().returning(table.c.id)
    return conn.execute(statement).scalar_one_or_none()


def _directory(conn: Connection, run: _Run) -> Directory:
    if run.directory is None:
        run.directory = Directory.load(conn)
    return run.directory


def _responsible(conn: Connection, run: _Run, row: Row[Any]) -> str | None:
    if row.agency_id is not None:
        return str(row.agency_id)
    return _directory(conn, run).resolve(row.agency_type, row.commune_code, run.today)


def _recipients(conn: Connection, run: _Run, row: Row[Any], kind: str, responsible: str | None) -> list[str]:
    """The responsible agency; for an escalation also each supervising agency type, resolved."""
    wanted: list[str | None] = [responsible]
    types: Sequence[str] = tuple(row.escalate_to or ()) if kind == "escalation" else ()
    wanted += [_directory(conn, run).resolve(t, row.commune_code, run.today) for t in types]
    for agency_type, agency_id in zip([row.agency_type, *types], wanted, strict=True):
        if agency_id is None:
            log.warning(
                "sweep.agency_unresolved", deadline_id=row.id, agency_type=agency_type, commune_code=row.commune_code
            )
    return list(dict.fromkeys(a for a in wanted if a is not None))


def _context(
    run: _Run, row: Row[Any], kind: str, agency_id: str, late: bool, *, escalated_from: str | None
) -> dict[str, object]:
    """What a message about the alert may say: no names, no ID numbers."""
    context: dict[str, object] = {name: getattr(row, name) for name in _CONTEXT_COPIED}
    context |= {"due_on": row.due_on.isoformat(), "days_left": (row.due_on - run.today).days}
    context |= {"late": late, "agency_id": agency_id}
    context |= _names(str(row.regime), str(row.stage), str(row.rule_id), str(row.key))
    if kind == "escalation":
        context["escalated_from"] = escalated_from
        context["escalated_from_name"] = run.directory.name(escalated_from) if run.directory else escalated_from
    return context


def _names(regime_id: str, stage: str, rule_id: str, key: str) -> dict[str, object]:
    """The names a message shows for the stage and the rule (the codes stay in the context for machines)."""
    regime = _REGIMES.get(regime_id)
    return {
        "stage_label_vi": labels.state_label(stage, regime),
        "stage_label_en": labels.state_label(stage, regime, labels.EN),
        "rule_label_vi": labels.deadline_label(key, rule_id, regime),
        "rule_label_en": labels.deadline_label(key, rule_id, regime, labels.EN),
    }


# --------------------------------------------------------------------------- listing


def open_deadlines(
    db_engine: Engine,
    now: datetime,
    *,
    agency_id: str | None = None,
    overdue_only: bool = False,
    timezone: str = DEFAULT_TIMEZONE,
) -> list[DeadlineView]:
    """Open deadlines, soonest first; ``overdue_only``: running ones whose period has passed."""
    moment = _utc(now)
    today = moment.astimezone(ZoneInfo(timezone)).date()
    query = (
        select(D, P.c.code.label("dossier_code"))
        .outerjoin(P, P.c.id == D.c.dossier_id)
        .where(D.c.closed_at.is_(None))
        .order_by(D.c.due_at, D.c.id)
    )
    if agency_id is not None:
        query = query.where(D.c.agency_id == agency_id)
    if overdue_only:
        query = query.where(and_(D.c.due_at < moment, D.c.paused_at.is_(None)))
    with reading(db_engine) as conn:
        return [_view(row, today) for row in conn.execute(query).all()]


def _view(row: Row[Any], today: date) -> DeadlineView:
    copied = {name: getattr(row, name) for name in _VIEW_COPIED}
    copied["dossier_code"] = copied["dossier_code"] or row.stage  # a report's deadline: "report:Q4"
    return DeadlineView(
        deadline_id=row.id, days_left=(row.due_on - today).days, paused=row.paused_at is not None, **copied
    )
