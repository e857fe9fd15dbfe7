"""`make bench`: run every bench module once, on SQLite and (when installed) a throwaway PostgreSQL, and print
one table, with the time each module took. `python -m bench --scale-dossiers 1000000` for the national size;
`--quick` for a smoke run; `--only bench.scale` (repeatable) for some modules."""

from __future__ import annotations

import argparse
import importlib
import sys
import tempfile
import time

import structlog

from bench.table import BenchContext, Row, machine, render

DEFAULT_DOSSIERS = 100_000
BUDGET_SECONDS = 600  # make bench at the default size, on the machine the README describes
# What does not grow with the data set, sized so that the whole run fits in BUDGET_SECONDS: the steps' dossiers
# (× 14 steps, × 2 rounds, engine and floor, 3 configurations) and the load's seconds per database.
BUDGET = {"step_dossiers": 300, "load_seconds": 20.0}

# Each module exposes rows(ctx) -> list[Row]; order is the table's order.
MODULES = [
    "bench.engine",  # steps/s against the plain-SQL floor, 1 and 8 writers
    "bench.scale",  # the scale data set; lists, search, inbox, deadlines, sweep, server RSS
    "bench.verify",  # audit verify: full, every core, columns, incremental, against SHA-256 of the same bytes
    "bench.load",  # the real server under 32 concurrent clients: requests/s, p50/p99 per kind, 5xx, lost writes
]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument(
        "--scale-dossiers",
        "--dossiers",
        dest="dossiers",
        type=int,
        default=DEFAULT_DOSSIERS,
        help=f"dossiers of the scale data set (default {DEFAULT_DOSSIERS:,}; 1000000 for the national size)",
    )
    parser.add_argument(
        "--scale-on",
        action="append",
        choices=("sqlite", "postgresql"),
        help="the databases of bench.scale's data set (default both; e.g. --scale-on postgresql for 1,000,000)",
    )
    parser.add_argument("--quick", action="store_true", help="small sizes: a smoke run, figures not meaningful")
    parser.add_argument("--only", action="append", default=[], help="run only these modules (e.g. bench.engine)")
    args = parser.parse_args(argv)
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(40))
    from tests import pg_server

    started = time.perf_counter()
    rows: list[Row] = []
    spent: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as scratch:
        ctx = BenchContext(dossiers=args.dossiers, quick=args.quick, scratch=scratch)
        ctx.extra["scale_dossiers"] = args.dossiers
        ctx.extra.update(BUDGET)
        if args.scale_on:
            ctx.extra["scale_on"] = tuple(args.scale_on)
        ctx.pg_base = pg_server.start_postgres()
        try:
            for name in args.only or MODULES:
                t0 = time.perf_counter()
                rows.extend(importlib.import_module(name).rows(ctx))
                spent[name] = time.perf_counter() - t0
                _say(f"{name}: {spent[name]:,.0f} s")
        finally:
            if ctx.pg_base is not None:
                pg_server.stop_postgres()
    total = time.perf_counter() - started
    budgeted = not (args.only or args.quick) and args.dossiers <= DEFAULT_DOSSIERS  # the 10 minutes
    rows += [
        Row("time", f"module {name}", f"{seconds:,.0f} s", f"{100 * seconds / total:.0f}% of the run")
        for name, seconds in spent.items()
    ]
    rows.append(
        Row(
            "time",
            "the whole run (PostgreSQL's start and stop included)",
            f"{total:,.0f} s",
            target="< 10 min" if budgeted else "",
            met=total < BUDGET_SECONDS if budgeted else None,
        )
    )
    out = sys.stdout
    out.write(f"Machine: {machine()}\n")
    if ctx.pg_base is None:
        out.write("PostgreSQL: not installed here (apt-get install postgresql): its rows are missing\n")
    out.write(render(rows) + "\n")
    out.write(f"Total bench time: {total:,.0f} s\n")
    return 0


def _say(message: str) -> None:
    sys.stderr.write(message + "\n")
    sys.stderr.flush()


if __name__ == "__main__":
    raise SystemExit(main())
