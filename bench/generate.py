"""The scale data set: N dossiers (default 100,000) on SQLite or PostgreSQL, built in minutes, chains that verify.

    python -m bench.generate --dossiers 100000 --url sqlite:///var/scale.db [--url postgresql+psycopg://...]

Two paths write the same rows:

- **the engine path** (`drive`): the demo's plans (`demo/`: the communes of Tuần Giáo district, its agencies, the
  shares of stages, regimes, closings and lateness in `demo/spread.py`) through `open_dossier` and `fire` on the
  demo's clock, then what a running system adds by the snapshot day: the 2025 hand-over, the inboxes, the plans, the
  deadline sweep of the day before. Block 0 of a data set is one such template, built through the engine.
- **the bulk path** (`bench.replicate`): blocks 1, 2, ... copy the template's rows with new ids, codes, people (names,
  encrypted ID numbers) and chains re-hashed by `workflow.chain`, written in big batches (COPY on PostgreSQL).
  `tests/integration/test_scale_generate.py` drives block 1 through the engine too and compares row by row.

The snapshot is `SNAPSHOT` (the bench's "today"): alerts are swept to the evening before, so the day's sweep
writes only what falls due that day.
"""

from __future__ import annotations

import argparse
import copy
import os
import time as clock
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

import structlog
from sqlalchemy import func, select

from bench.people import person_for
from demo.executor import Executor
from demo.handover import hand_over
from demo.inbox import settle_inboxes
from demo.payloads import Payloads
from demo.people import People
from demo.planner import Planner
from demo.plans import Context, Plan
from demo.plans_data import load_plans
from demo.reference import load_demo_reference
from demo.report import DemoReport
from demo.targets import Targets
from demo.timeline import Timeline
from demo.users import create_users
from workflow.db import reading
from workflow.runtime import Runtime
from workflow.settings import Settings
from workflow.sweep import sweep
from workflow.tables import Dossier

log = structlog.get_logger(__name__)

SNAPSHOT = date(2026, 12, 1)  # a Tuesday: the day the bench's queries and sweep look at
SEED = 2021
TEMPLATE_DOSSIERS = 300  # dossiers driven through the engine for block 0
DUE_SHARE = 0.01  # of open deadlines, with an alert due on the snapshot day
DOSSIER = Dossier.__table__  # type: ignore[attr-defined]


@dataclass
class Generated:
    url: str
    dossiers: int
    template_seconds: float
    bulk_seconds: float
    rows: dict[str, int]
    phases: dict[str, float]  # seconds per phase of the whole generation (shared by every URL)


def runtime_for(url: str, today: date = SNAPSHOT) -> Runtime:
    """A runtime on `url` (migrated) whose clock stands on the snapshot day, 09:00 local."""
    settings = Settings(database_url=url)
    rt = Runtime.build(settings, migrate_db=True)
    moment = datetime.combine(today, time(9), rt.tz).astimezone(UTC)
    rt.clock = lambda: moment
    return rt


def eve(rt: Runtime, today: date) -> datetime:
    """The evening before the snapshot day: the last sweep the data set has seen."""
    return datetime.combine(today - timedelta(days=1), time(23), rt.tz)


def drive(
    rt: Runtime,
    *,
    seed: int = SEED,
    count: int = TEMPLATE_DOSSIERS,
    today: date = SNAPSHOT,
    blocks: int = 1,
) -> DemoReport:
    """The engine path: the demo's `count` plans through the engine `blocks` times (block b ≥ 1 with the people of
    `bench.people.person_for`), then the hand-over, the inboxes, the plans and the sweep of the evening before."""
    with rt.db.begin() as conn:
        load_demo_reference(conn)
    rt.engine.reload_directory()
    ctx = Context.build(rt, seed, today)
    report, people = DemoReport(today=today), People(ctx.rng)
    ctx.users, report.users = create_users(rt.db, ctx.directory)
    planner = Planner(ctx, people, Targets(ctx, people), Timeline(ctx, Payloads(ctx)), report)
    plans = sorted(planner.plan(count), key=lambda p: p.start)  # the executor's order: the dossiers' ids
    rng_state, drawn, ids = ctx.rng.getstate(), people._drawn, set(people.ids)
    for block in range(blocks):
        ctx.rng.setstate(rng_state)  # every block draws the same document numbers and signers
        signers = copy.copy(people)
        signers._drawn, signers.ids = drawn, set(ids)
        Executor(ctx, signers, report).execute(renamed(plans, block))
    report.handed_over = hand_over(rt, ctx.directory, today)
    settle_inboxes(rt, today, rt.now())
    load_plans(rt, today)
    sweep(rt.db, rt.calendar, rt.settings, eve(rt, today))
    settle_inboxes(rt, today, eve(rt, today))
    report.count(rt.db, today)
    return report


def renamed(plans: list[Plan], block: int) -> list[Plan]:
    """The plans with block `block`'s people: person n (in order of first opening) is `person_for(block, n)`."""
    if block == 0:
        return plans
    out = copy.deepcopy(plans)  # a relapse's two cases keep sharing one person
    numbered: dict[int, int] = {}
    for plan in out:
        person = plan.case.person
        if id(person) in numbered:
            continue
        numbered[id(person)] = len(numbered) + 1
        born = person.born(plan.start)
        new = person_for(block, numbered[id(person)], person.full_name, person.sex, born)
        person.full_name, person.id_number, person.birth_date = new.full_name, new.id_number, born
    return out


def generate(
    urls: Sequence[str],
    dossiers: int,
    *,
    template: int = TEMPLATE_DOSSIERS,
    seed: int = SEED,
    today: date = SNAPSHOT,
    progress: Callable[[str], None] = lambda _m: None,
    workers: int | None = None,
) -> list[Generated]:
    """Build the data set on every URL (empty databases): the template through the engine on the first, the rest
    in bulk on each. Every URL gets the same rows."""
    from bench.replicate import Template, write_blocks

    started = clock.perf_counter()
    first = runtime_for(urls[0], today)
    report = drive(first, seed=seed, count=min(template, dossiers), today=today)
    if report.failed or report.refused:
        raise RuntimeError(f"template: {report.failed} failed and {report.refused} refused steps")
    phases = {"template through the engine": clock.perf_counter() - started}
    t0 = clock.perf_counter()
    tpl = Template.read(first.db)
    targets = [first]
    for url in urls[1:]:
        rt = runtime_for(url, today)
        tpl.copy_base(first.db, rt.db)
        targets.append(rt)
    phases["template read and copied to the other databases"] = clock.perf_counter() - t0
    template_seconds = clock.perf_counter() - started
    progress(f"template: {len(tpl.dossiers)} dossiers through the engine in {template_seconds:.0f} s")
    t0 = clock.perf_counter()
    day = datetime.combine(today, time(9), first.tz)  # the bench's sweep of the day
    due = (eve(first, today), day, DUE_SHARE)
    workers = workers or os.cpu_count() or 1  # processes hashing and signing the chains
    written = write_blocks(targets, tpl, dossiers, due=due, workers=workers, progress=progress, seconds=phases)
    bulk = clock.perf_counter() - t0
    out = []
    for rt, rows in zip(targets, written, strict=True):
        with reading(rt.db) as conn:
            count = conn.execute(select(func.count()).select_from(DOSSIER)).scalar_one()
        out.append(Generated(rt.settings.database_url, count, template_seconds, bulk, rows, phases))
        rt.db.dispose()
    progress(f"bulk: {out[0].dossiers:,} dossiers on {len(urls)} database(s) in {bulk:.0f} s")
    progress("  " + "; ".join(f"{name} {spent:.1f} s" for name, spent in phases.items()))
    return out


def _safe(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.generate", description=__doc__.split("\n\n")[0])
    parser.add_argument("--dossiers", type=int, default=100_000, help="how many dossiers (default 100,000)")
    parser.add_argument("--url", action="append", required=True, help="an empty database (repeat for several)")
    parser.add_argument("--template", type=int, default=TEMPLATE_DOSSIERS, help="dossiers driven through the engine")
    parser.add_argument("--seed", type=int, default=SEED)
    args = parser.parse_args(argv)
    if args.dossiers < 1 or args.template < 10:
        parser.error("--dossiers must be at least 1 and --template at least 10")
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(40))
    for url in args.url:
        rt = runtime_for(url)
        with reading(rt.db) as conn:
            if conn.execute(select(func.count()).select_from(DOSSIER)).scalar_one():
                parser.error(f"{_safe(url)} already holds dossiers: give an empty database")
        rt.db.dispose()
    for g in generate(args.url, args.dossiers, template=args.template, seed=args.seed, progress=_say):
        _say(f"{_safe(g.url)}: {g.dossiers:,} dossiers; " + ", ".join(f"{k} {v:,}" for k, v in g.rows.items()))
    return 0


def _say(message: str) -> None:
    import sys

    sys.stderr.write(message + "\n")


__all__ = ["SNAPSHOT", "Generated", "drive", "generate", "renamed", "runtime_for"]

if __name__ == "__main__":
    raise SystemExit(main())
