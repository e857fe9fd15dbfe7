"""`make bench`: run every bench module once, on SQLite and (when installed) a throwaway PostgreSQL, and print
one table. `python -m bench --dossiers 1000000` for the national size; `--quick` for a smoke run."""

from __future__ import annotations

import argparse
import importlib
import sys
import tempfile
import time

import structlog

from bench.table import BenchContext, Row, machine, render

# Each module exposes rows(ctx) -> list[Row]; order is the table's order.
MODULES = [
    "bench.engine",  # steps/s against the plain-SQL floor, 1 and 8 writers
    "bench.scale",  # the scale data set; lists, search, inbox, deadlines, sweep, server RSS
    "bench.verify",  # audit verify: full, every core, columns, incremental, against SHA-256 of the same bytes
    "bench.load",  # the real server under 32 concurrent clients: requests/s, p50/p99 per kind, 5xx, lost writes
]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--dossiers", type=int, default=100_000, help="size of the scale data set (default 100,000)")
    parser.add_argument(
        "--scale-dossiers",
        type=int,
        default=10_000,
        help="dossiers of bench.scale's data set (default 10,000: what fits in make bench's 10 minutes on 2 shared "
        "cores; 100000 or 1000000 on request, minutes to hours)",
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
    with tempfile.TemporaryDirectory() as scratch:
        ctx = BenchContext(dossiers=args.dossiers, quick=args.quick, scratch=scratch)
        ctx.extra["scale_dossiers"] = args.scale_dossiers
        if args.scale_on:
            ctx.extra["scale_on"] = tuple(args.scale_on)
        ctx.pg_base = pg_server.start_postgres()
        try:
            for name in args.only or MODULES:
                rows.extend(importlib.import_module(name).rows(ctx))
        finally:
            if ctx.pg_base is not None:
                pg_server.stop_postgres()
    out = sys.stdout
    out.write(f"Machine: {machine()}\n")
    if ctx.pg_base is None:
        out.write("PostgreSQL: not installed here (apt-get install postgresql): its rows are missing\n")
    out.write(render(rows) + "\n")
    out.write(f"Total bench time: {time.perf_counter() - started:,.0f} s\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
