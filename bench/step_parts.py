"""Where one step's time goes: the bench's journey on SQLite, each part of `engine.fire()` timed.

    uv run --frozen python -m bench.step_parts [dossiers]

Prints, per part, its median and its time per step (the slowest 5% of calls left out: a shared machine's
pauses and SQLite's checkpoints would decide it otherwise). Parts nest (`_apply` holds `transition`…).
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


def _wrap(times: dict[str, list[float]], module: Any, dotted: str) -> None:
    owner, _, name = dotted.rpartition(".")
    target = getattr(module, owner) if owner else module
    original = getattr(target, name)

    @functools.wraps(original)
    def timed(*args: Any, **kwargs: Any) -> Any:
        start = time.perf_counter()
        try:
            return original(*args, **kwargs)
        finally:
            times[dotted].append(time.perf_counter() - start)

    setattr(target, name, timed)


def main(argv: list[str]) -> int:
    import importlib

    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(40))
    times: dict[str, list[float]] = defaultdict(list)
    for module, dotted in PARTS:
        _wrap(times, importlib.import_module(module), dotted)
    from bench.engine import engine_side

    dossiers = int(argv[0]) if argv else 200
    with tempfile.TemporaryDirectory() as scratch:
        figures = engine_side(f"sqlite:///{scratch}/parts.db", dossiers, 1)
    steps = len(times["DossierEngine.fire"])
    sys.stdout.write(f"{figures.text()} ({steps:,} steps; opening the dossiers included in the parts below)\n")
    for dotted, spent in sorted(times.items(), key=lambda kv: -statistics.median(kv[1]) * len(kv[1])):
        kept = sorted(spent)[: max(1, int(len(spent) * 0.95))]
        sys.stdout.write(
            f"{dotted:32s} {len(spent):7,d} calls  median {statistics.median(spent) * 1e6:6.0f} µs"
            f"  per step {sum(kept) / steps * 1e6:6.0f} µs\n"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
