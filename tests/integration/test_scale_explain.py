"""The main reads use their indexes (migrations 0015, 0016): EXPLAIN of the very statements the functions run.

The statements are captured as `workflow.search`, `workflow.queries`, `workflow.inbox` and `workflow.sweep` send
them for a facility's staff, then explained on the same database. No plan may read all of `dossier`,
`transition_log`, `deadline`, `inboxitem` or `person` (a name is found through trigrams: `pg_trgm` on PostgreSQL,
the FTS5 mirror on SQLite). On PostgreSQL sequential scans are priced out (`enable_seqscan = off`), so the
plan shows whether an index *can* serve the query, whatever the size of the test's tables; SQLite, without
statistics, picks its indexes as for a large database.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any

import pytest
from sqlalchemy import Engine, event

from tests.journeys import AGENCY_OF, Journey, open_adult
from workflow import queries, search
from workflow.access import scope_of
from workflow.db import reading
from workflow.inbox import AlertFilters
from workflow.runtime import Runtime
from workflow.sweep import sweep

BIG = ("dossier", "transition_log", "deadline", "inboxitem", "person", "had_stage", "acted")


@dataclass(frozen=True)
class Reader:
    username: str
    agency_id: str
    role: str = "staff"


def _captured(db: Engine, call: Callable[[], Any]) -> list[tuple[str, Any]]:
    seen: list[tuple[str, Any]] = []

    def record(_conn: Any, _cursor: Any, statement: str, parameters: Any, _context: Any, _many: bool) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            seen.append((statement, parameters))

    event.listen(db, "before_cursor_execute", record)
    try:
        call()
    finally:
        event.remove(db, "before_cursor_execute", record)
    return seen


def _plan(db: Engine, statement: str, parameters: Any, *, bitmaps_only: bool = False) -> str:
    with db.connect() as conn:
        if db.dialect.name == "postgresql":
            conn.exec_driver_sql("SET enable_seqscan = off")
            if bitmaps_only:  # a table is read only through an index its conditions can search
                conn.exec_driver_sql("SET enable_indexscan = off")
                conn.exec_driver_sql("SET enable_indexonlyscan = off")
            rows = conn.exec_driver_sql("EXPLAIN " + statement, parameters).all()
            return "\n".join(r[0] for r in rows)
        rows = conn.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters).all()
        return "\n".join(r[-1] for r in rows)


def _full_scans(db: Engine, plan: str, allowed: tuple[str, ...] = ()) -> list[str]:
    tables = "|".join(t for t in BIG if t not in allowed)
    if db.dialect.name == "postgresql":
        pattern = rf"Seq Scan on ({tables})\b"
    else:
        pattern = rf"^\s*SCAN ({tables})\b(?! USING (COVERING )?INDEX)"
    return [line for line in plan.splitlines() if re.search(pattern, line.strip())]


@pytest.fixture
def world(journey_runtime: tuple[Runtime, Any]) -> Iterator[tuple[Runtime, Reader, date]]:
    rt, clock = journey_runtime
    dossier = open_adult(rt, clock).dossier_id
    assert dossier is not None
    Journey(rt, clock, dossier).step("request_determination", "commune_police")
    yield rt, Reader("bench.facility", AGENCY_OF["facility"]), clock.today


def _search(rt: Runtime, reader: Reader, today: date, **raw: str) -> Callable[[], Any]:
    scope = scope_of(reader, rt.engine.directory(), today)
    filters = search.parse_filters(raw, rt.regimes)

    def run() -> Any:
        with reading(rt.db) as conn:
            return search.search(conn, scope, filters, today=today, tz=rt.tz, id_hash=rt.engine.id_hash)

    return run


def _rows_query(statements: list[tuple[str, Any]]) -> list[tuple[str, Any]]:
    """The page's rows (the statement with LIMIT), not the counts by stage."""
    return [s for s in statements if "LIMIT" in s[0].upper()]


@pytest.mark.parametrize(
    "raw",
    [
        {},
        {"state": "determination_requested"},
        {"state": "in_facility", "page": "40"},
        {"q": "HS-2023-000001"},
        {"q": "011090001234"},
        {"overdue": "true"},
        {"state": "in_facility", "overdue": "true", "page": "3"},
    ],
    ids=["first-page", "stage", "deep-page", "code", "id-number", "overdue", "overdue-stage"],
)
def test_list_and_search_pages_read_through_indexes(world: tuple[Runtime, Reader, date], raw: dict[str, str]) -> None:
    rt, reader, today = world
    statements = _captured(rt.db, _search(rt, reader, today, **raw))
    chosen = statements if {"q", "overdue"} & raw.keys() else _rows_query(statements)  # these restrict the counts

    assert chosen
    for statement, parameters in chosen:
        plan = _plan(rt.db, statement, parameters)
        assert not _full_scans(rt.db, plan), f"{statement}\n{plan}"


@pytest.mark.parametrize("q", ["van minh", "lo van", "minh"])
def test_name_search_reads_names_through_trigrams(world: tuple[Runtime, Reader, date], q: str) -> None:
    rt, reader, today = world
    statements = _captured(rt.db, _search(rt, reader, today, q=q))

    assert statements
    for statement, parameters in statements:
        plan = _plan(rt.db, statement, parameters, bitmaps_only=True)
        assert not _full_scans(rt.db, plan), f"{statement}\n{plan}"
        if rt.db.dialect.name == "sqlite":
            assert "person_name_fts VIRTUAL TABLE INDEX" in plan, plan


@pytest.mark.postgres
def test_a_word_inside_a_name_is_found_through_the_trigram_index(fresh_postgres_url: str) -> None:
    from workflow.db import make_engine, migrate

    db = make_engine(fresh_postgres_url)
    migrate(db)
    words = search.fold("Nguyễn Văn Minh").split()[1:]  # the search's pattern for a word that does not begin the name
    where = " AND ".join(f"name_folded LIKE %(w{i})s" for i in range(len(words)))
    patterns = {f"w{i}": f"% {w}%" for i, w in enumerate(words)}

    plan = _plan(db, f"SELECT id FROM person WHERE {where}", patterns, bitmaps_only=True)
    db.dispose()

    assert "ix_person_name_trgm" in plan, plan


def test_the_inbox_and_the_deadlines_read_through_indexes(world: tuple[Runtime, Reader, date]) -> None:
    rt, reader, today = world
    scope = scope_of(reader, rt.engine.directory(), today)
    agency = reader.agency_id

    def reads() -> None:
        queries.inbox(rt.db, agency, today, scope=scope, alert_filters=AlertFilters(status="unread"))
        queries.deadline_rows(rt.db, today, agency_id=agency, overdue_only=True, scope=scope)

    statements = _captured(rt.db, reads)

    assert len(statements) >= 6
    for statement, parameters in statements:
        plan = _plan(rt.db, statement, parameters)
        assert not _full_scans(rt.db, plan), f"{statement}\n{plan}"
    inbox_plans = [_plan(rt.db, s, p) for s, p in statements if "inboxitem" in s]
    assert any("ix_inboxitem_unread" in plan for plan in inbox_plans)
    # the agency's open deadlines (the inbox's total and rows, the deadlines list) from their partial index: not
    # from every open deadline, nor from every deadline the agency ever had
    agency_deadlines = [(s, p) for s, p in statements if "FROM deadline" in s and "deadline.agency_id =" in s]
    assert len(agency_deadlines) >= 3
    for statement, parameters in agency_deadlines:
        plan = _plan(rt.db, statement, parameters)
        assert "ix_deadline_open_agency" in plan, f"{statement}\n{plan}"


def test_the_sweep_finds_its_candidates_through_an_index(
    world: tuple[Runtime, Reader, date],
) -> None:
    rt, _, today = world
    now = datetime.combine(today, time(9), rt.tz)
    statements = _captured(rt.db, lambda: sweep(rt.db, rt.calendar, rt.settings, now))
    candidates = [s for s in statements if "FROM deadline" in s[0] and "LIMIT" in s[0].upper()]

    assert candidates
    for statement, parameters in candidates:
        plan = _plan(rt.db, statement, parameters)
        assert not _full_scans(rt.db, plan), f"{statement}\n{plan}"
