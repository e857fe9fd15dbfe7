"""Background work shared by the web server and `rehab scheduler`: sweep deadlines, deliver messages."""

from __future__ import annotations

import time
from datetime import datetime

from apscheduler.schedulers.base import BaseScheduler

from workflow.runtime import Runtime
from workflow.scheduler import build_scheduler, run_cycle


def deliver_all(rt: Runtime, moment: datetime | None = None, *, max_seconds: float = 30.0) -> int:
    """Deliver in batches until nothing is left (or the time is up: the next cycle goes on).

    Each batch reads the clock afresh (unless a fixed moment is given), so the leases it takes on
    deliveries start when it claims them, not when the cycle began.
    """
    from notifications.worker import deliver_pending

    started, done = time.monotonic(), 0
    while time.monotonic() - started < max_seconds:
        stats = deliver_pending(rt.db, rt.settings, moment or rt.now())
        handled = stats.fanned_out + stats.sent + stats.failed + stats.dead
        done += handled
        if handled == 0:
            break
    return done


def cycle(rt: Runtime, now: datetime | None = None) -> int:
    """One scheduler cycle: the deadline sweep, then delivery of everything queued."""
    from workflow.metrics import CYCLE_SECONDS

    with CYCLE_SECONDS.time():
        return run_cycle(
            rt.db, rt.calendar, rt.settings, now=now or rt.now(), deliver=lambda m: deliver_all(rt, now and m)
        )


def scheduler_for(rt: Runtime, *, background: bool) -> BaseScheduler:
    return build_scheduler(lambda: cycle(rt), rt.settings.sweep_interval_seconds, background=background)
