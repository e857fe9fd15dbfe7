"""How fast the engine drives dossiers: full steps (state, hash-chained log entry, deadlines, outbox).

Prints figures; asserts nothing. `make bench` runs it on SQLite (WAL) and, when PostgreSQL is
installed, on a throwaway local server with 1 and 8 writer threads.
"""

from __future__ import annotations

import statistics
import tempfile
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import structlog

from tests.journeys import Clock, actor, attachments, doc, make_runtime
from workflow.engine import Actor
from workflow.runtime import Runtime

FACILITY = {"facility_name": "Cơ sở cai nghiện ma túy tỉnh Điện Biên"}


def phases(clock: Clock) -> list[tuple[int, list[tuple[str, str, Callable[[], dict[str, Any]]]]]]:
    """(days to advance before, steps) — every step passes its guards at that time."""
    d = lambda n: lambda: {"document": doc(n, clock.today)}  # noqa: E731
    return [
        (
            0,
            [
                ("request_determination", "commune_police", d("1/CV")),
                (
                    "record_determination",
                    "health_facility",
                    lambda: {**d("2/KQ")(), "determination_outcome": "addicted"},
                ),
                (
                    "notify_person",
                    "commune_committee",
                    lambda: {**d("3/TB")(), "grounds": "no_voluntary_rehab", "attachments": attachments(clock.today)},
                ),
            ],
        ),
        (
            8,
            [
                ("send_to_labour", "commune_committee", d("4/CV")),
                ("propose_to_court", "labour_office", lambda: {**d("5/ĐN")(), **FACILITY}),
                ("accept", "district_court", d("6/TL")),
                ("open_session", "district_court", d("7/QĐ")),
                ("decide", "district_court", lambda: {**d("8/QĐ-TA")(), "outcome": "apply", "term_months": 12}),
            ],
        ),
        (
            10,
            [
                ("end_complaint_period", "district_court", dict),
                ("record_escort", "district_police", lambda: {**d("9/BB")(), **FACILITY}),
            ],
        ),
    ]


def open_many(rt: Runtime, clock: Clock, n: int) -> list[int]:
    police = actor("commune_police")
    return [
        rt.engine.open_dossier(
            person={"full_name": "Người thử", "birth_date": "1990-01-01"},
            commune_code="dien-bien.tuan-giao.quai-cang",
            violation=doc(f"{i}/BB", clock.today),
            actor=police,
        ).dossier_id
        for i in range(n)
    ]


def run(rt: Runtime, clock: Clock, ids: list[int], writers: int) -> tuple[int, float, list[float]]:
    latencies: list[float] = []
    lock = threading.Lock()
    total_steps, elapsed = 0, 0.0
    for days, steps in phases(clock):
        clock.advance(days=days)
        chunks = [ids[i::writers] for i in range(writers)]

        def work(chunk: list[int], steps: list[tuple[str, str, Callable[[], dict[str, Any]]]] = steps) -> None:
            mine: list[float] = []
            for dossier_id in chunk:
                for event, agency, payload in steps:
                    t0 = time.perf_counter()
                    rt.engine.fire(dossier_id, event, Actor("bench", actor(agency).agency_id), payload())
                    mine.append(time.perf_counter() - t0)
            with lock:
                latencies.extend(mine)

        threads = [threading.Thread(target=work, args=(c,)) for c in chunks]
        start = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        elapsed += time.perf_counter() - start
        total_steps += len(ids) * len(steps)
    return total_steps, elapsed, latencies


def report(label: str, steps: int, seconds: float, latencies: list[float]) -> str:
    q = statistics.quantiles(latencies, n=100)
    return (
        f"{label:<28} {steps:>6} steps  {steps / seconds:>8.0f} steps/s  "
        f"p50 {q[49] * 1000:6.2f} ms  p99 {q[98] * 1000:6.2f} ms"
    )


def bench(url: str, label: str, dossiers: int, writers: int) -> str:
    rt, clock = make_runtime(url, datetime(2023, 3, 1, 2, tzinfo=UTC))
    ids = open_many(rt, clock, dossiers)
    steps, seconds, latencies = run(rt, clock, ids, writers)
    rt.db.dispose()
    return report(label, steps, seconds, latencies)


def main() -> None:
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(40))
    lines = [
        "engine.fire(): full step = row-locked load, guards, state update, chained log entry, "
        "deadline close/open, outbox row; one transaction"
    ]
    with tempfile.TemporaryDirectory() as tmp:
        lines.append(bench(f"sqlite:///{tmp}/bench.db", "SQLite (WAL), 1 writer", 400, 1))
    from tests import pg_server

    base = pg_server.start_postgres()
    if base is None:
        lines.append("PostgreSQL: not installed here (apt-get install postgresql) — skipped")
    else:
        try:
            for writers in (1, 8):
                url = pg_server.create_database(base, f"bench_{writers}")
                lines.append(bench(url, f"PostgreSQL, {writers} writer(s)", 400, writers))
        finally:
            pg_server.stop_postgres()
    for line in lines:
        print(line)  # noqa: T201  (a benchmark's output is its figures)


if __name__ == "__main__":
    main()
