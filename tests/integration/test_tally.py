"""The counts by stage from the tally (`workflow.tally`, migration 0017) equal a count of the dossiers themselves,
for every kind of reader and filter, before and after the changes are folded, after more steps; a tally that
drifts is found. On SQLite and on a real PostgreSQL server."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import Connection, func, insert, select, text

from tests.access_world import CHIENG_SINH, OTHER_COMMUNE, TUAN_GIAO, USERS, World, build_world
from tests.journeys import doc
from workflow import tally
from workflow.access import Scope, readable, scope_of
from workflow.db import reading
from workflow.engine import Actor
from workflow.scheduler import run_cycle
from workflow.tables import Deadline, Dossier

DOSSIER = Dossier.__table__  # type: ignore[attr-defined]
DEADLINE = Deadline.__table__  # type: ignore[attr-defined]
POLICE = f"{TUAN_GIAO}.commune_police"
FACILITY = USERS["cscn.dienbien"][0]
FILTERS: list[dict[str, str | None]] = [
    {},
    {"commune_code": TUAN_GIAO},
    {"commune_code": OTHER_COMMUNE},
    {"agency_id": POLICE},
    {"regime": "vn-2026", "track": "adult"},
    {"track": "minor"},
]


@dataclass(frozen=True)
class Reader:
    username: str
    agency_id: str | None
    role: str


@pytest.fixture
def world(db_url: str) -> Iterator[World]:
    built = build_world(db_url)
    with built.rt.db.begin() as conn:  # the Tuần Giáo police once had a stage of the Đắk Lắk dossier (a transfer)
        conn.execute(
            insert(DEADLINE).values(
                dossier_id=built.ids["other"],
                stage="violation_recorded",
                key="transfer",
                rule_id="test.transfer",
                agency_id=POLICE,
                agency_type="commune_police",
                starts_on=built.clock.today,
                due_on=built.clock.today,
                due_at=datetime(2026, 8, 4, tzinfo=UTC),
                remind_on=built.clock.today,
                escalate_to=[],
                basis="test",
                status_mark="confirmed",
                spans=[],
                opened_at=datetime(2026, 8, 3, tzinfo=UTC),
                closed_at=datetime(2026, 8, 4, tzinfo=UTC),
            )
        )
    yield built
    built.rt.db.dispose()


def _direct(conn: Connection, scope: Scope, filters: dict[str, str | None]) -> dict[str, int]:
    chosen = [DOSSIER.c[k] == v for k, v in filters.items() if v is not None]
    query = select(DOSSIER.c.state, func.count()).where(readable(scope), *chosen).group_by(DOSSIER.c.state)
    return {r[0]: int(r[1]) for r in conn.execute(query)}


def _every_reader_agrees(world: World) -> int:
    checked = 0
    directory = world.rt.engine.directory()
    with reading(world.rt.db) as conn:
        for username, (agency, role) in USERS.items():
            scope = scope_of(Reader(username, agency, role), directory, world.clock.today)
            for filters in FILTERS:
                assert tally.by_state(conn, scope, filters) == _direct(conn, scope, filters), (username, filters)
                checked += 1
    return checked


def _changes(world: World) -> int:
    with reading(world.rt.db) as conn:
        return int(conn.execute(text("SELECT count(*) FROM dossier_tally_change")).scalar_one())


def test_every_reader_counts_what_it_may_read(world: World) -> None:
    with reading(world.rt.db) as conn:
        police = scope_of(Reader("cax", POLICE, "staff"), world.rt.engine.directory(), world.clock.today)
        outside = tally.by_state(conn, police, {"commune_code": OTHER_COMMUNE})

    assert outside == {"violation_recorded": 1}  # the dossier it had a stage of, in another province
    assert _changes(world) > 0  # not folded yet: the readers add the changes
    assert _every_reader_agrees(world) == len(USERS) * len(FILTERS)


def test_the_tally_equals_the_dossiers_before_and_after_folding_and_after_more_steps(world: World) -> None:
    rt = world.rt
    with reading(rt.db) as conn:
        assert tally.mismatches(conn) == []
    with rt.db.begin() as conn:
        assert tally.fold(conn) > 0

    assert _changes(world) == 0
    _every_reader_agrees(world)

    police = Actor("cax.tuangiao", POLICE)
    neighbour = Actor("cax.chiengsinh", f"{CHIENG_SINH}.commune_police")
    rt.engine.fire(
        world.ids["chieng_sinh"], "request_determination", neighbour, {"document": doc("4/CV", world.clock.today)}
    )
    rt.engine.open_dossier(
        person={"full_name": "Lò Văn Tám", "id_number": "011093007777", "birth_date": "1993-03-03"},
        commune_code=TUAN_GIAO,
        violation=doc("13/BB-VPHC", world.clock.today),
        actor=police,
    )

    assert _changes(world) == 3  # the step: -1 and +1; the new dossier: +1
    _every_reader_agrees(world)
    with reading(rt.db) as conn:
        assert tally.mismatches(conn) == []


def test_the_scheduler_cycle_folds_the_changes(world: World) -> None:
    rt = world.rt

    run_cycle(rt.db, rt.calendar, rt.settings, now=datetime(2026, 8, 4, 2, tzinfo=UTC))

    assert _changes(world) == 0
    with reading(rt.db) as conn:
        assert tally.mismatches(conn) == []


def test_a_tally_that_drifts_is_found(world: World) -> None:
    rt = world.rt
    with rt.db.begin() as conn:
        tally.fold(conn)
        conn.execute(text("UPDATE dossier_tally SET n = n + 1 WHERE state = 'violation_recorded'"))
    with reading(rt.db) as conn:
        wrong: Any = tally.mismatches(conn)

    assert wrong and all(bucket[0] == "violation_recorded" for bucket in wrong)


def test_a_readers_scope_is_worked_out_once_per_directory_and_day(world: World) -> None:
    rt, today = world.rt, world.clock.today
    reader = Reader("cscn", FACILITY, "staff")
    directory = rt.engine.directory()

    first = scope_of(reader, directory, today)

    assert scope_of(reader, directory, today) is first  # remembered: it walks every known area
    assert scope_of(Reader("cscn", FACILITY, "procurator"), directory, today) is not first
    rt.engine.reload_directory()
    again = scope_of(reader, rt.engine.directory(), today)
    assert again is not first and again == first  # a reloaded directory works it out again
