"""APScheduler 3.11 runs the sweep (then delivery) every interval, in the server or on its own.

The job runs once immediately at start, so alerts missed while nothing was running are
caught up at once (the sweep marks them late); ``max_instances=1`` and ``coalesce=True`` keep a
slow cycle from piling up runs. The entry points (``make run``'s server, ``rehab scheduler``)
build settings and collaborators and pass them here: nothing is read at import time.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import structlog
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy import Engine

from handlers.calendar import WorkingCalendar
from workflow import tally
from workflow.settings import Settings
from workflow.sweep import sweep

__all__ = ["JOB_ID", "build_scheduler", "run_cycle"]

log = structlog.get_logger(__name__)

JOB_ID = "deadline-sweep"


def build_scheduler(job: Callable[[], object], interval_seconds: int, *, background: bool) -> BaseScheduler:
    """A scheduler (not started) running ``job`` now and then every ``interval_seconds``.

    ``background=True`` for the web server's thread; ``False`` for the standalone
    ``rehab scheduler`` process, whose ``start()`` blocks until shutdown.
    """
    if interval_seconds <= 0:
        raise ValueError(f"interval_seconds must be positive, got {interval_seconds}")
    scheduler: BaseScheduler = BackgroundScheduler(timezone=UTC) if background else BlockingScheduler(timezone=UTC)
    scheduler.add_job(
        job,
        IntervalTrigger(seconds=interval_seconds, timezone=UTC),
        id=JOB_ID,
        name="deadline sweep and delivery",
        max_instances=1,
        coalesce=True,
        misfire_grace_time=None,
        next_run_time=datetime.now(UTC),
        replace_existing=True,
    )
    return scheduler


def run_cycle(
    db_engine: Engine,
    calendar: WorkingCalendar,
    settings: Settings,
    *,
    deliver: Callable[[datetime], object] | None = None,
    now: datetime | None = None,
) -> int:
    """One cycle: the sweep, the counts by stage brought up to date (`workflow.tally.fold`), then ``deliver(now)``
    (the notifications worker, injected).

    Never raises: a failing part is logged and the next cycle tries again. Returns the number
    of alerts written (0 if the sweep failed).
    """
    moment = now if now is not None else datetime.now(UTC)
    written = 0
    try:
        written = sweep(db_engine, calendar, settings, moment)
    except Exception:
        log.exception("cycle.sweep_failed")
    try:  # the dossiers' changes into the counts by stage: readers add only what came since
        with db_engine.begin() as conn:
            tally.fold(conn)
    except Exception:
        log.exception("cycle.tally_failed")
    if deliver is not None:
        try:
            deliver(moment)
        except Exception:
            log.exception("cycle.delivery_failed")
    return written
