"""The scheduler runs the sweep at once on start and then every interval; a restart catches up."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from sqlalchemy import Engine
from structlog.testing import capture_logs

from tests.integration.test_sweep import CAL, add_deadline, add_dossier, alerts, at, make_settings, seed_jurisdiction
from workflow.db import make_engine, migrate
from workflow.scheduler import JOB_ID, build_scheduler, run_cycle
from workflow.settings import Settings

WAIT_SECONDS = 15


@pytest.fixture
def url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path}/t.db"


@pytest.fixture
def engine(url: str) -> Iterator[Engine]:
    db = make_engine(url)
    migrate(db)
    with db.begin() as conn:
        seed_jurisdiction(conn)
        add_deadline(conn, add_dossier(conn))
    yield db
    db.dispose()


@pytest.fixture
def settings(url: str) -> Settings:
    return make_settings(url)


class CountingJob:
    """A job that counts its runs and lets a test wait for the n-th."""

    def __init__(self, work: Any = None) -> None:
        self.runs = 0
        self.work = work
        self._changed = threading.Condition()

    def __call__(self) -> None:
        if self.work is not None:
            self.work()
        with self._changed:
            self.runs += 1
            self._changed.notify_all()

    def wait_for(self, runs: int) -> bool:
        with self._changed:
            return self._changed.wait_for(lambda: self.runs >= runs, timeout=WAIT_SECONDS)


def run_until(job: CountingJob, runs: int) -> None:
    scheduler = build_scheduler(job, 1, background=True)
    scheduler.start()
    try:
        assert job.wait_for(runs), f"the job ran {job.runs} times, expected {runs} within {WAIT_SECONDS}s"
    finally:
        scheduler.shutdown(wait=True)


def test_runs_the_job_at_once_on_start_and_then_every_interval() -> None:
    job = CountingJob()
    started = datetime.now(UTC)
    scheduler = build_scheduler(job, 1, background=True)
    scheduler.start()
    try:
        first = job.wait_for(1)
        first_after = (datetime.now(UTC) - started).total_seconds()
        repeated = job.wait_for(3)
    finally:
        scheduler.shutdown(wait=True)

    assert first and first_after < 1.0
    assert repeated


def test_the_job_is_single_instance_coalesced_and_never_dropped_as_misfired() -> None:
    scheduler = build_scheduler(CountingJob(), 60, background=False)

    job = scheduler.get_job(JOB_ID)

    assert isinstance(scheduler, BlockingScheduler)
    assert (job.max_instances, job.coalesce, job.misfire_grace_time) == (1, True, None)
    assert isinstance(build_scheduler(CountingJob(), 60, background=True), BackgroundScheduler)


def test_refuses_a_non_positive_interval() -> None:
    with pytest.raises(ValueError, match="interval_seconds must be positive"):
        build_scheduler(CountingJob(), 0, background=True)


def test_a_restart_after_downtime_sends_the_missed_alerts_once_marked_late(
    engine: Engine, settings: Settings, time_machine: Any
) -> None:
    def cycle() -> None:
        run_cycle(engine, CAL, settings)

    time_machine.move_to(at("2026-02-11 08:01"), tick=True)
    run_until(CountingJob(cycle), 1)  # the reminder, on time; then the scheduler stops over the due day
    time_machine.move_to(at("2026-02-14 09:00"), tick=True)

    run_until(CountingJob(cycle), 2)  # restarted: catches up at once, then sweeps again (nothing new)

    assert alerts(engine) == [("reminder", False), ("due", True), ("overdue", True)]


def test_a_cycle_sweeps_then_delivers_and_survives_a_failing_delivery(engine: Engine, settings: Settings) -> None:
    delivered: list[datetime] = []

    def failing_delivery(now: datetime) -> None:
        delivered.append(now)
        raise ConnectionError("smtp down")

    with capture_logs() as logs:
        written = run_cycle(engine, CAL, settings, deliver=failing_delivery, now=at("2026-02-11 08:00"))

    assert written == 1
    assert delivered == [at("2026-02-11 08:00")]
    assert [e["event"] for e in logs if e["log_level"] == "error"] == ["cycle.delivery_failed"]
