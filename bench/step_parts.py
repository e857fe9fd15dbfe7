"""Where one step's time goes: the bench's journey, each part of `engine.fire()` timed.

    uv run --frozen python -m bench.step_parts [dossiers] [--pg]

Prints, per part, its median and its time per step (the slowest 5% of calls left out: a shared machine's
pauses and SQLite's checkpoints would decide it otherwise), in wall time and in this process's CPU time
(which a busy neighbour on a shared machine barely moves). Parts nest (`_apply` holds `transition`…).
`--pg`: on a throwaway PostgreSQL, where the wall time of `Store.load` and `Store.flush` holds the round trips
and the server's work; `bench.step_server` shows the server's side statement by statement.
For a sampling profile of the same run: `py-spy record -o step.svg -- python -m bench.step_parts`.
"""

from __future__ import annotations

import functools
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from typing import Any

import structlog

PARTS = [
    ("workflow.engine", "DossierEngine.fire"),
    ("workflow.engine", "DossierEngine._attempt"),
    ("workflow.engine", "DossierEngine._apply"),
    ("workflow.engine", "DossierEngine._check"),
    ("workflow.engine", "DossierEngine._append"),
    ("workflow.engine", "DossierEngine._notify"),
    ("workflow.engine", "clean"),
    ("workflow.engine", "merge_step_data"),
    ("workflow.engine", "record_step"),
    ("workflow.stage_changes", "DeadlineWriter.transition"),
    ("workflow.stage_changes", "DeadlineWriter._row"),
    ("workflow.store", "Store.load"),
    ("workflow.store", "Store.open_deadlines"),
    ("workflow.store", "Store.apply"),
    ("workflow.store", "Store.flush"),
    ("sqlalchemy.engine.base", "Engine.raw_connection"),
    ("sqlalchemy.pool.base", "_ConnectionFairy.close"),
]


Timed = dict[str, list[tuple[float, float]]]


def _wrap(times: Timed, module: Any, dotted: str) -> None:
    owner, _, name = dotted.rpartition(".")
    target = getattr(module, owner) if owner else module
    original = getattr(target, name)

    @functools.wraps(original)
    def timed(*args: Any, **kwargs: Any) -> Any:
        start, cpu = time.perf_counter(), time.process_time()
        try:
            return original(*args, **kwargs)
        finally:
            times[dotted].append((time.perf_counter() - start, time.process_time() - cpu))

    setattr(target, name, timed)


def main(argv: list[str]) -> int:
    import importlib

    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(40))
    times: Timed = defaultdict(list)
    for module, dotted in PARTS:
        _wrap(times, importlib.import_module(module), dotted)
    from bench.engine import engine_side

    pg = "--pg" in argv
    numbers = [a for a in argv if not a.startswith("--")]
    dossiers = int(numbers[0]) if numbers else 200
    with tempfile.TemporaryDirectory() as scratch:
        if pg:
            from tests import pg_server

            base = pg_server.start_postgres()
            if base is None:
                sys.stderr.write("PostgreSQL is not installed here (apt-get install postgresql)\n")
                return 2
            try:
                figures = engine_side(pg_server.create_database(base, "step_parts"), dossiers, 1)
            finally:
                pg_server.stop_postgres()
        else:
            figures = engine_side(f"sqlite:///{scratch}/parts.db", dossiers, 1)
    steps = len(times["DossierEngine.fire"])
    sys.stdout.write(f"{figures.text()} ({steps:,} steps; opening the dossiers included in the parts below)\n")
    sys.stdout.write(f"{'part':32s} {'calls':>7s}  {'wall: median':>12s} {'per step':>9s}  {'CPU: per step':>13s}\n")
    for dotted, spent in sorted(times.items(), key=lambda kv: -sum(w for w, _ in kv[1])):
        kept = sorted(spent)[: max(1, int(len(spent) * 0.95))]
        walls = [w for w, _ in spent]
        sys.stdout.write(
            f"{dotted:32s} {len(spent):7,d}  {statistics.median(walls) * 1e6:9.0f} µs"
            f" {sum(w for w, _ in kept) / steps * 1e6:6.0f} µs  {sum(c for _, c in kept) / steps * 1e6:10.0f} µs\n"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
