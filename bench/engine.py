"""How fast the engine drives dossiers: full steps (state, hash-chained log entry, deadlines, outbox).

Rows for `make bench` (bench/__main__.py): SQLite (WAL) and, when PostgreSQL is installed, a throwaway
local server with 1 and 8 writer threads.
"""

from __future__ import annotations

import statistics
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from bench.table import BenchContext, Row, fmt
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


def bench(url: str, dossiers: int, writers: int) -> tuple[int, float, list[float]]:
    rt, clock = make_runtime(url, datetime(2023, 3, 1, 2, tzinfo=UTC))
    ids = open_many(rt, clock, dossiers)
    figures = run(rt, clock, ids, writers)
    rt.db.dispose()
    return figures


def rows(ctx: BenchContext) -> list[Row]:
    """Steps through the engine on SQLite (WAL, 1 writer) and PostgreSQL (1 and 8 writers)."""
    n = 40 if ctx.quick else 400
    out = [_row("SQLite (WAL), 1 writer", bench(f"sqlite:///{ctx.scratch}/steps.db", n, 1))]
    if ctx.pg_base is not None:
        from tests import pg_server

        for writers in (1, 8):
            url = pg_server.create_database(ctx.pg_base, f"bench_steps_{writers}")
            out.append(_row(f"PostgreSQL, {writers} writer(s)", bench(url, n, writers)))
    return out


def _row(label: str, figures: tuple[int, float, list[float]]) -> Row:
    steps, seconds, latencies = figures
    q = statistics.quantiles(latencies, n=100)
    return Row(
        "steps",
        f"engine.fire(), {label}",
        f"{fmt(steps / seconds)}/s, p50 {q[49] * 1000:.2f} ms, p99 {q[98] * 1000:.2f} ms",
    )
