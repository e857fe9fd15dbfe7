"""Background work shared by the web server and `rehab scheduler`: sweep deadlines, deliver messages."""

from __future__ import annotations

import time
from datetime import datetime

from apscheduler.schedulers.base import BaseScheduler

from workflow.runtime import Runtime
from workflow.scheduler import build_scheduler, run_cycle


def cycle(rt: Runtime, now: datetime | None = None) -> int:
    from notifications.worker import deliver_pending

    return run_cycle(
        rt.db,
        rt.calendar,
        rt.settings,
        now=now or rt.now(),
        deliver=lambda moment: deliver_pending(rt.db, rt.settings, moment),
    )


def scheduler_for(rt: Runtime, *, background: bool) -> BaseScheduler:
    return build_scheduler(lambda: cycle(rt), rt.settings.sweep_interval_seconds, background=background)
