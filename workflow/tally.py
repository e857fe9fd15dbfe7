"""The dossiers counted by stage for a reader, from `dossier_tally` (migration 0017), not one row per dossier.

`dossier_tally` holds how many dossiers are in each (stage, commune, responsible agency, regime, track);
triggers on `dossier` append each change to `dossier_tally_change` (never a shared row to wait on), `fold`
moves the changes into the tally (the scheduler's cycle, the bench's loader), and `by_state` adds those not yet
folded. A reader's count is exact:

- the dossiers of its communes or of its agencies (`workflow.access.readable`'s first two terms) are sums of
  tally rows;
- the others it may read (it had a stage or took a step there) are counted from its own deadlines and log
  entries, and only when the tally shows dossiers outside both (an agency's history, never the whole table).

`mismatches` compares the tally with a count of the dossiers themselves (`tests/integration/test_tally.py`).
"""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy import (
    Column,
    ColumnElement,
    Connection,
    Integer,
    MetaData,
    String,
    Table,
    case,
    func,
    not_,
    or_,
    select,
    true,
    union,
    union_all,
)
from sqlalchemy.sql import Subquery

from workflow.access import Scope
from workflow.tables import Deadline, Dossier, TransitionLog

DOSSIER = Dossier.__table__  # type: ignore[attr-defined]
DEADLINE = Deadline.__table__  # type: ignore[attr-defined]
LOG = TransitionLog.__table__  # type: ignore[attr-defined]
KEYS = ("state", "commune_code", "agency_id", "regime", "track")
NONE = ""  # no responsible agency, in the tally's key

_meta = MetaData()
TALLY = Table("dossier_tally", _meta, *(Column(k, String, primary_key=True) for k in KEYS), Column("n", Integer))
CHANGE = Table(
    "dossier_tally_change",
    _meta,
    Column("id", Integer, primary_key=True),
    *(Column(k, String) for k in KEYS),
    Column("n", Integer),
)


def _buckets() -> Subquery:
    """The tally with the changes not yet folded, as one relation of (keys..., n)."""
    return union_all(
        select(*(TALLY.c[k] for k in KEYS), TALLY.c.n), select(*(CHANGE.c[k] for k in KEYS), CHANGE.c.n)
    ).subquery("buckets")


def by_state(conn: Connection, scope: Scope, filters: Mapping[str, str | None]) -> dict[str, int]:
    """How many dossiers the reader may read are in each stage, with `filters` (equality on `commune_code`,
    `agency_id`, `regime`, `track`; None is no filter)."""
    if scope.nothing:
        return {}
    b = _buckets()
    chosen = [b.c[k] == v for k, v in filters.items() if v is not None]
    mine = sorted(scope.agencies)
    inside = or_(b.c.commune_code.in_(sorted(scope.areas)), b.c.agency_id.in_(mine))
    side: list[ColumnElement[bool]] = [] if scope.everything else [case((inside, True), else_=False)]
    summed = select(b.c.state, *(side or [true()]), func.sum(b.c.n))  # inside and outside in one round trip
    query = summed.where(*chosen).group_by(b.c.state, *side)
    rows = conn.execute(query).all()
    counts = {r[0]: int(r[2]) for r in rows if r[1] and r[2]}
    if scope.everything or not mine or not any(r[2] for r in rows if not r[1]):
        return counts
    for stage, extra in _touched_outside(conn, scope, filters).items():
        counts[stage] = counts.get(stage, 0) + extra
    return counts


def _touched_outside(conn: Connection, scope: Scope, filters: Mapping[str, str | None]) -> dict[str, int]:
    """Dossiers outside the reader's communes and agencies that it had a stage of or took a step on, by stage:
    read from its own deadlines and log entries."""
    mine = sorted(scope.agencies)
    touched = union(
        select(DEADLINE.c.dossier_id).where(DEADLINE.c.agency_id.in_(mine)),
        select(LOG.c.dossier_id).where(LOG.c.actor_agency.in_(mine)),
    ).subquery("touched")
    chosen: list[ColumnElement[bool]] = [DOSSIER.c[k] == v for k, v in filters.items() if v is not None]
    query = (
        select(DOSSIER.c.state, func.count())
        .where(
            DOSSIER.c.id.in_(select(touched.c.dossier_id)),
            not_(DOSSIER.c.commune_code.in_(sorted(scope.areas))),
            or_(DOSSIER.c.agency_id.is_(None), not_(DOSSIER.c.agency_id.in_(mine))),
            *chosen,
        )
        .group_by(DOSSIER.c.state)
    )
    return {r[0]: int(r[1]) for r in conn.execute(query)}


def fold(conn: Connection) -> int:
    """Move the changes into the tally (in the caller's write transaction); returns how many were folded.
    PostgreSQL: one statement, so exactly the changes deleted are added, whatever commits meanwhile."""
    keys = ", ".join(KEYS)
    if conn.dialect.name == "postgresql":
        moved = conn.exec_driver_sql(
            f"WITH moved AS (DELETE FROM dossier_tally_change RETURNING {keys}, n), "
            f"summed AS (INSERT INTO dossier_tally ({keys}, n) SELECT {keys}, sum(n) FROM moved GROUP BY {keys} "
            f"ON CONFLICT ({keys}) DO UPDATE SET n = dossier_tally.n + excluded.n RETURNING 1) "
            "SELECT (SELECT count(*) FROM moved)"
        ).scalar_one()
    else:  # one writer at a time: the two statements see the same changes
        moved = conn.exec_driver_sql("SELECT count(*) FROM dossier_tally_change").scalar_one()
        conn.exec_driver_sql(
            f"INSERT INTO dossier_tally ({keys}, n) SELECT {keys}, sum(n) FROM dossier_tally_change WHERE true "
            f"GROUP BY {keys} ON CONFLICT ({keys}) DO UPDATE SET n = dossier_tally.n + excluded.n"
        )
        conn.exec_driver_sql("DELETE FROM dossier_tally_change")
    conn.exec_driver_sql("DELETE FROM dossier_tally WHERE n = 0")
    return int(moved)


def mismatches(conn: Connection) -> list[tuple[str, ...]]:
    """The buckets whose tally (with the changes not yet folded) differs from a count of the dossiers: empty when
    the tally is true. Reads every dossier: for checks, not for pages."""
    agency = func.coalesce(DOSSIER.c.agency_id, NONE).label("agency_id")
    actual = {
        tuple(r[:-1]): int(r[-1])
        for r in conn.execute(
            select(
                DOSSIER.c.state, DOSSIER.c.commune_code, agency, DOSSIER.c.regime, DOSSIER.c.track, func.count()
            ).group_by(DOSSIER.c.state, DOSSIER.c.commune_code, agency, DOSSIER.c.regime, DOSSIER.c.track)
        )
    }
    b = _buckets()
    columns = [b.c[k] for k in KEYS]
    told = {
        tuple(r[:-1]): int(r[-1]) for r in conn.execute(select(*columns, func.sum(b.c.n)).group_by(*columns)) if r[-1]
    }
    return sorted(k for k in actual.keys() | told.keys() if actual.get(k, 0) != told.get(k, 0))
