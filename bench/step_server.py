"""The server's side of a step on PostgreSQL: each statement's execution time per step, engine beside floor.

    uv run --frozen python -m bench.step_server [dossiers]

Starts a throwaway PostgreSQL with `pg_stat_statements`, drives the bench's journey (`bench.journey`) once
through the plain-SQL floor (`bench.floor`) and once through `engine.fire()`, each on its own database, and
prints per statement its calls, its execution time per step and its planning time per step, with the total.
Beside them, the CPU a step costs: this process's (the client: Python, the driver) and the server process's
(its backend, read from /proc), and what that allows on this machine's cores at the most. With
`bench.step_parts --pg` (the client's parts) it shows where a PostgreSQL step's time goes. CPU times and the
server's own times move less than a wall clock when a busy neighbour shares the machine.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import structlog
from sqlalchemy.engine import make_url

import bench.engine
from bench.engine import Figures, engine_side, floor_side

Side = Callable[[str, int, int], Figures]
TICK = os.sysconf("SC_CLK_TCK")


def server_cpu(postmaster: int) -> float:
    """Seconds of CPU used so far by the cluster's processes (the postmaster's children: backends, WAL writer)."""
    total = 0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:  # gone meanwhile
            continue
        if int(fields[1]) == postmaster:
            total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / TICK


class CpuMeter:
    """CPU per step during `bench.engine.drive` only (not the opening of the dossiers): client and server."""

    def __init__(self, postmaster: int) -> None:
        self.postmaster = postmaster
        self.client = self.server = 0.0

    def __enter__(self) -> CpuMeter:
        self.original = bench.engine.drive

        def measured(*args: Any, **kwargs: Any) -> Figures:
            client, server = time.process_time(), server_cpu(self.postmaster)
            figures = self.original(*args, **kwargs)
            self.client = (time.process_time() - client) / figures.steps
            self.server = (server_cpu(self.postmaster) - server) / figures.steps
            return figures

        bench.engine.drive = measured  # engine_side and floor_side look it up at call time
        return self

    def __exit__(self, *_: object) -> None:
        bench.engine.drive = self.original

    def text(self) -> str:
        total = self.client + self.server
        cores = os.cpu_count() or 1
        return (
            f"CPU per step: client {self.client * 1e6:,.0f} µs + server {self.server * 1e6:,.0f} µs = "
            f"{total * 1e6:,.0f} µs; {cores} cores allow at most {cores / total:,.0f} steps/s"
        )


def _connect(url: str):  # type: ignore[no-untyped-def]
    import psycopg

    return psycopg.connect(
        make_url(url).set(drivername="postgresql").render_as_string(hide_password=False), autocommit=True
    )


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
        postmaster = int((pg_server.data_dir() / "postmaster.pid").read_text().split()[0])
        for label, side in (("floor", floor_side), ("engine", engine_side)):
            url = pg_server.create_database(base, f"step_server_{label}")
            with _connect(url) as conn:
                conn.execute("CREATE EXTENSION IF NOT EXISTS pg_stat_statements")
                conn.execute("ALTER SYSTEM SET pg_stat_statements.track_planning = on")
                conn.execute("SELECT pg_reload_conf()")
                conn.execute("SELECT pg_stat_statements_reset()")
            with CpuMeter(postmaster) as cpu:
                figures, statements = measure(url, side, dossiers)
            sys.stdout.write(report(label, figures, statements) + f"\n  {cpu.text()}\n")
    finally:
        pg_server.stop_postgres()
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
