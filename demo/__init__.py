"""Demo data for `make run`: about 220 dossiers of Tuần Giáo district (Điện Biên), driven through the engine.

The generator knows the process only from the regimes. For each target (a state to leave a dossier in on `today`,
or a closing step) the planner walks `regime.steps` to it, dates each step from the stage's deadline and the step's
guards (run purely, as the engine will run them), then shifts the timeline so it ends by `today` as a district's
books would show it. The executor then opens and moves each dossier through the engine, its clock on each step's
legal date: every step passes its guards and every hash chain verifies. A new regime gets demo dossiers unchanged.

    spread.py     how the demo is spread: shares, weights, days in a stage, lateness
    people.py     communes by quota, names, villages, ages, CCCD numbers
    plans.py      targets, cases, plans; the context every part reads
    routes.py     paths through a regime's steps
    targets.py    where dossiers should stand on `today`, and a case for each
    payloads.py   each step's actor, document, attachments and fields
    timeline.py   a case simulated from its violation date, with the guards
    planner.py    fitting each plan to `today`
    executor.py   the plans through `open_dossier` and `fire`
    users.py      a demo user per agency
    handover.py   abolished agencies' open work handed to their successors, once
    reference/    the demo's areas and agencies (dien-bien.toml), imported like any deployment's file
    inbox.py      the messages delivered to the inboxes, the older ones read
    report.py     what was built, counted from the database
"""

from __future__ import annotations

from datetime import date, datetime
from time import perf_counter

import structlog
from sqlalchemy import func, select

from demo.executor import Executor
from demo.handover import hand_over
from demo.inbox import settle_inboxes
from demo.payloads import Payloads
from demo.people import People
from demo.planner import Planner
from demo.plans import Context
from demo.plans_data import load_plans
from demo.reference import load_demo_reference
from demo.report import DOSSIER, DemoReport
from demo.targets import Targets
from demo.timeline import Timeline
from demo.users import DEMO_PASSWORD, create_users
from workflow.db import reading
from workflow.runtime import Runtime

log = structlog.get_logger(__name__)


def build_demo(runtime: Runtime, *, seed: int = 2021, count: int = 220, today: date | None = None) -> DemoReport:
    """Fill an empty database with `count` dossiers, only through the engine; a database with dossiers is left alone."""
    started = perf_counter()
    today = today or datetime.now(runtime.tz).date()
    with reading(runtime.db) as conn:
        existing = conn.execute(select(func.count()).select_from(DOSSIER)).scalar_one()
    if existing:
        log.info("demo.skipped", reason="the database already has dossiers", dossiers=existing)
        return DemoReport(skipped=True, today=today, dossiers=existing)
    with runtime.db.begin() as conn:
        load_demo_reference(conn)
    runtime.engine.reload_directory()
    report = _build(runtime, seed, count, today)
    load_plans(runtime, today)
    report.seconds = round(perf_counter() - started, 2)
    log.info("demo.built", **{k: getattr(report, k) for k in ("dossiers", "steps", "overdue", "refused", "failed")})
    return report


def _build(runtime: Runtime, seed: int, count: int, today: date) -> DemoReport:
    ctx = Context.build(runtime, seed, today)
    report, people = DemoReport(today=today), People(ctx.rng)
    ctx.users, report.users = create_users(ctx.rt.db, ctx.directory)
    planner = Planner(ctx, people, Targets(ctx, people), Timeline(ctx, Payloads(ctx)), report)
    Executor(ctx, people, report).execute(planner.plan(count))
    report.handed_over = hand_over(runtime, ctx.directory, today)
    report.alerts, report.alerts_read = settle_inboxes(runtime, today, runtime.now())
    report.count(ctx.rt.db, today)
    return report


__all__ = ["DEMO_PASSWORD", "DemoReport", "build_demo"]
