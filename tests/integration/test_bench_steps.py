"""The step bench measures real steps: every writer's steps land, on both sides, threads or processes."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, func, select

from bench.engine import engine_side, floor_side
from bench.journey import STEPS_PER_DOSSIER
from workflow.audit import verify_chain
from workflow.db import make_engine
from workflow.tables import Dossier, TransitionLog

DOSSIERS = 12


def _states_and_entries(url: str) -> tuple[set[str], int]:
    db = create_engine(url)
    try:
        with db.connect() as conn:
            states = set(conn.execute(select(Dossier.__table__.c.state)).scalars())
            entries = conn.execute(select(func.count()).select_from(TransitionLog.__table__)).scalar_one()
    finally:
        db.dispose()
    return states, int(entries)


@pytest.mark.postgres
@pytest.mark.parametrize("processes", [True, False], ids=["processes", "threads"])
def test_eight_writers_take_every_step_of_every_dossier(fresh_postgres_url: str, processes: bool) -> None:
    figures = engine_side(fresh_postgres_url, DOSSIERS, 8, processes)

    assert figures.steps == DOSSIERS * STEPS_PER_DOSSIER
    assert len(figures.latencies) == figures.steps
    states, entries = _states_and_entries(fresh_postgres_url)
    assert states == {"post_rehab_supervision"}
    assert entries == DOSSIERS * (STEPS_PER_DOSSIER + 1)  # the opening entry, then one per step
    db = make_engine(fresh_postgres_url)
    try:
        assert verify_chain(db).ok
    finally:
        db.dispose()


@pytest.mark.postgres
def test_the_floor_with_eight_writer_processes_writes_every_step(fresh_postgres_url: str) -> None:
    figures = floor_side(fresh_postgres_url, DOSSIERS, 8, True)

    assert len(figures.latencies) == DOSSIERS * STEPS_PER_DOSSIER
    _, entries = _states_and_entries(fresh_postgres_url)
    assert entries == DOSSIERS * (STEPS_PER_DOSSIER + 1)
