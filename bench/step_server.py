"""The server's side of a step on PostgreSQL: each statement's execution time per step, engine beside floor.

    uv run --frozen python -m bench.step_server [dossiers]

Starts a throwaway PostgreSQL with `pg_stat_statements`, drives the bench's journey (`bench.journey`) once
through the plain-SQL floor (`bench.floor`) and once through `engine.fire()`, each on its own database, and
prints per statement its calls, its execution time per step and its planning time per step, with the total.
With `bench.step_parts --pg` (the client's side, in wall and CPU time) it shows where a PostgreSQL step's
time goes. Times are the server's own, so a busy neighbour moves them less than a wall clock.
"""

from __future__ import annotations

import sys
from collections.abc import Callable

import structlog
from sqlalchemy.engine import make_url

from bench.engine import Figures, engine_side, floor_side

Side = Callable[[str, int, int], Figures]


def _connect(url: str):  # type: ignore[no-untyped-def]
    import psycopg

    return psycopg.connect(make_url(url).set(drivername="postgresql").render_as_string(hide_password=False))


def measure(url: str, side: Side, dossiers: int) -> tuple[Figures, list[tuple[int, float, float, str]]]:
    """Drive one side on `url`; the statements its database ran during the steps (calls, exec ms, plan ms)."""
    figures = side(url, dossiers, 1)
    with _connect(url) as conn:
        conn.execute("CREATE EXTENSION IF NOT EXISTS pg_stat_statements")
        found = conn.execute(
            "SELECT s.calls, s.total_exec_time, s.total_plan_time, s.query FROM pg_stat_statements s "
            "JOIN pg_database d ON d.oid = s.dbid WHERE d.datname = current_database() "
            "AND s.calls >= %s ORDER BY s.total_exec_time DESC",
            (figures.steps // 4,),  # the steps' statements, not the schema's or the dossiers' opening
        ).fetchall()
    return figures, [(int(c), float(e), float(p), str(q)) for c, e, p, q in found]


def report(label: str, figures: Figures, statements: list[tuple[int, float, float, str]]) -> str:
    steps = figures.steps
    total = sum(e for _, e, _, _ in statements) * 1000 / steps
    plan = sum(p for _, _, p, _ in statements) * 1000 / steps
    lines = [f"{label}: {figures.text()}; server: {total:.0f} µs executing + {plan:.0f} µs planning per step"]
    for calls, spent, planned, query in statements:
        text = " ".join(query.split())
        lines.append(
            f"  {spent * 1000 / steps:6.0f} µs  {calls / steps:5.2f}/step  plan {planned * 1000 / steps:4.0f} µs  "
            f"{text[:110]}"
        )
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    from tests import pg_server

    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(40))
    dossiers = int(argv[0]) if argv else 200
    base = pg_server.start_postgres(preload=("pg_stat_statements",))
    if base is None:
        sys.stderr.write("PostgreSQL is not installed here (apt-get install postgresql)\n")
        return 2
    try:
        for label, side in (("floor", floor_side), ("engine", engine_side)):
            url = pg_server.create_database(base, f"step_server_{label}")
            with _connect(url) as conn:
                conn.execute("CREATE EXTENSION IF NOT EXISTS pg_stat_statements")
                conn.execute("SELECT pg_stat_statements_reset()")
            sys.stdout.write(report(label, *measure(url, side, dossiers)) + "\n")
    finally:
        pg_server.stop_postgres()
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
