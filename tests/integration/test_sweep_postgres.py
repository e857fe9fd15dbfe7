"""On PostgreSQL two sweeping processes never write an alert, or its messages, twice."""

from __future__ import annotations

import multiprocessing
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import pytest
from sqlalchemy import Engine, func, select

from tests.integration.test_sweep import CAL, add_deadline, add_dossier, alerts, at, make_settings, seed_jurisdiction
from workflow.db import make_engine, migrate
from workflow.sweep import sweep
from workflow.tables import Alert, Outbox

pytestmark = pytest.mark.postgres

DEADLINES = 50
SWEEPS_PER_PROCESS = 3
CATCH_UP_AT = "2026-03-02 08:00"  # long after every alert of every deadline was due

A = Alert.__table__  # type: ignore[attr-defined]
O = Outbox.__table__  # type: ignore[attr-defined]  # noqa: E741


@pytest.fixture
def engine(fresh_postgres_url: str) -> Iterator[Engine]:
    db = make_engine(fresh_postgres_url)
    migrate(db)
    with db.begin() as conn:
        seed_jurisdiction(conn)
    yield db
    db.dispose()


def sweep_in_child(url: str, now: datetime, start: Any, results: Any) -> None:
    """Runs in a spawned process: wait for the sibling, then sweep a few times in small batches."""
    engine = make_engine(url)
    settings = make_settings(url)
    try:
        start.wait(timeout=60)
        results.put(sum(sweep(engine, CAL, settings, now, batch_size=5) for _ in range(SWEEPS_PER_PROCESS)))
    finally:
        engine.dispose()


def test_a_deadline_left_open_alerts_once_each_on_postgres(engine: Engine, fresh_postgres_url: str) -> None:
    settings = make_settings(fresh_postgres_url)
    with engine.begin() as conn:
        add_deadline(conn, add_dossier(conn))

    counts = [
        sweep(engine, CAL, settings, at(moment))
        for moment in (
            "2026-02-11 08:00",
            "2026-02-11 08:00",
            "2026-02-13 08:00",
            "2026-02-14 00:00",
            "2026-02-24 08:00",
            "2026-02-24 08:00",
        )
    ]

    assert counts == [1, 0, 1, 1, 1, 0]
    assert alerts(engine) == [("reminder", False), ("due", False), ("overdue", False), ("escalation", False)]


def test_two_processes_sweeping_the_same_deadlines_write_each_alert_and_message_once(
    engine: Engine, fresh_postgres_url: str
) -> None:
    with engine.begin() as conn:
        for n in range(DEADLINES):
            add_deadline(conn, add_dossier(conn, code=f"HS-2026-{n:04d}"))
    context = multiprocessing.get_context("spawn")
    start, results = context.Barrier(2), context.Queue()
    workers = [
        context.Process(target=sweep_in_child, args=(fresh_postgres_url, at(CATCH_UP_AT), start, results))
        for _ in range(2)
    ]

    for worker in workers:
        worker.start()
    written = [results.get(timeout=120) for _ in workers]
    for worker in workers:
        worker.join(timeout=30)

    assert [worker.exitcode for worker in workers] == [0, 0]
    assert sum(written) == DEADLINES * 4
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(A)).scalar_one() == DEADLINES * 4
        per_deadline = conn.execute(
            select(O.c.dossier_id, func.count(), func.count(O.c.dedupe_key.distinct())).group_by(O.c.dossier_id)
        ).all()
    # reminder, due and overdue to the commune police; the escalation to it, the committee and the procuracy
    assert sorted({(total, distinct) for _, total, distinct in per_deadline}) == [(6, 6)]
    assert len(per_deadline) == DEADLINES
