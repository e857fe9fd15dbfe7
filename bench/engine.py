"""How fast the engine drives dossiers, beside the plain-SQL floor (`bench.floor`) measured in the same run.

Both sides take the same 14 steps per dossier (`bench.journey`), one chain per dossier, each on a fresh
copy of one database where the dossiers were opened through the engine (opening is not timed): SQLite
(WAL, 1 writer) and, when PostgreSQL is installed, a throwaway local server with 1 writer and 8 writer
processes (forked, as a deployment runs several server processes; threads of one process would share its
interpreter lock). Each side runs ROUNDS times, alternating with the other (the machine is shared: the
best round of each is kept, so a neighbour's burst on one round does not decide the ratio).
"""

from __future__ import annotations

import multiprocessing
import sqlite3
import statistics
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from multiprocessing.connection import Connection
from typing import Any

from bench.floor import FloorWriter
from bench.journey import PHASES, STEPS_PER_DOSSIER, BenchStep, with_document
from bench.table import BenchContext, Row, fmt
from tests.journeys import AGENCY_OF, Clock, doc, make_runtime
from workflow.engine import Actor
from workflow.runtime import Runtime

START = datetime(2023, 3, 1, 2, tzinfo=UTC)
ROUNDS = 2


@dataclass(frozen=True, slots=True)
class Figures:
    steps: int
    seconds: float
    latencies: list[float]

    @property
    def rate(self) -> float:
        return self.steps / self.seconds

    def quantile(self, q: int) -> float:
        return statistics.quantiles(self.latencies, n=100)[q - 1] * 1000

    def text(self) -> str:
        return f"{fmt(self.rate)}/s, p50 {self.quantile(50):.2f} ms, p99 {self.quantile(99):.2f} ms"


def open_many(rt: Runtime, clock: Clock, n: int) -> list[int]:
    police = Actor("bench", AGENCY_OF["commune_police"])
    return [
        rt.engine.open_dossier(
            person={"full_name": "Người thử", "birth_date": "1990-01-01"},
            commune_code=AGENCY_OF["commune_police"].rsplit(".", 1)[0],
            violation=doc(f"{i}/BB", clock.today),
            actor=police,
        ).dossier_id
        or 0
        for i in range(n)
    ]


def _produces(rt: Runtime, step: BenchStep, payload: dict[str, Any]) -> bool:
    regime = rt.regimes["vn-2021"]
    return any(s.produces is not None for s in regime.steps if s.event.value == step.event and s.matches(payload))


Fire = Callable[[int, BenchStep, dict[str, Any], datetime], None]


def _phase_work(rt: Runtime, today: date, steps: list[BenchStep]) -> list[tuple[BenchStep, dict[str, Any]]]:
    work_list = []
    for step in steps:
        body = step.payload(today)
        work_list.append((step, with_document(body, _produces(rt, step, body), "1/X", today)))
    return work_list


def _take(
    chunk: list[int], fire: Fire, work_list: list[tuple[BenchStep, dict[str, Any]]], now: datetime
) -> list[float]:
    mine: list[float] = []
    for dossier_id in chunk:
        for step, body in work_list:
            t0 = time.perf_counter()
            fire(dossier_id, step, body, now)
            mine.append(time.perf_counter() - t0)
    return mine


def drive(
    rt: Runtime, clock: Clock, ids: list[int], writers: int, fire_for: Callable[[], Fire], processes: bool = False
) -> Figures:
    """Every dossier through PHASES, the clock moved between phases; `fire_for()` gives each writer its
    way to take a step. Only the steps are timed. Writers are threads of this process, or with `processes`
    forked processes (as a deployment's server processes are: no interpreter lock shared between them)."""
    if processes and writers > 1:
        return _drive_processes(rt, clock, ids, writers, fire_for)
    latencies: list[float] = []
    failures: list[BaseException] = []
    lock = threading.Lock()
    elapsed = 0.0
    fires = [fire_for() for _ in range(writers)]
    for days, steps in PHASES:
        clock.advance(days=days)
        work_list, now = _phase_work(rt, clock.today, steps), clock.now

        def work(chunk: list[int], fire: Fire, work_list: list[Any] = work_list, now: datetime = now) -> None:
            mine: list[float] = []
            try:
                mine = _take(chunk, fire, work_list, now)
            except BaseException as err:  # noqa: BLE001 - reported after the join
                failures.append(err)
            with lock:
                latencies.extend(mine)

        start = time.perf_counter()
        if writers == 1:  # in this thread: no thread switches (and a profiler sees the steps)
            work(ids, fires[0])
        else:
            threads = [threading.Thread(target=work, args=(ids[i::writers], fires[i])) for i in range(writers)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
        elapsed += time.perf_counter() - start
        if failures:
            raise failures[0]
    return Figures(len(ids) * STEPS_PER_DOSSIER, elapsed, latencies)


def _writer_process(
    conn: Connection, rt: Runtime, clock: Clock, chunk: list[int], fire_for: Callable[[], Fire]
) -> None:
    """A forked writer: its own connections (none shared with the parent), one phase per message, its copy
    of the clock set to the parent's."""
    rt.db.dispose(close=False)
    try:
        fire = fire_for()
        while (message := conn.recv()) is not None:
            phase, bodies, now = message
            clock.now = now
            work_list = list(zip(PHASES[phase][1], bodies, strict=True))
            conn.send(("done", _take(chunk, fire, work_list, now)))
    except BaseException as err:  # noqa: BLE001 - sent to the parent, which raises it
        conn.send(("failed", repr(err)))


def _drive_processes(rt: Runtime, clock: Clock, ids: list[int], writers: int, fire_for: Callable[[], Fire]) -> Figures:
    """`drive` with forked writer processes, started before the clock runs; each phase is timed from the
    parent's go to the last writer's answer."""
    context = multiprocessing.get_context("fork")
    rt.db.dispose()
    pipes = [context.Pipe() for _ in range(writers)]
    workers = [
        context.Process(target=_writer_process, args=(child, rt, clock, ids[i::writers], fire_for), daemon=True)
        for i, (_, child) in enumerate(pipes)
    ]
    for w in workers:
        w.start()
    latencies: list[float] = []
    elapsed = 0.0
    try:
        for phase, (days, steps) in enumerate(PHASES):
            clock.advance(days=days)
            work_list, now = _phase_work(rt, clock.today, steps), clock.now
            start = time.perf_counter()
            for parent, _ in pipes:
                parent.send((phase, [body for _, body in work_list], now))
            answers = [parent.recv() for parent, _ in pipes]
            elapsed += time.perf_counter() - start
            for kind, value in answers:
                if kind != "done":
                    raise RuntimeError(f"a writer process failed: {value}")
                latencies.extend(value)
    finally:
        for parent, _ in pipes:
            parent.send(None)
        for w in workers:
            w.join(timeout=30)
    return Figures(len(ids) * STEPS_PER_DOSSIER, elapsed, latencies)


def engine_side(url: str, ids: list[int] | int, writers: int, processes: bool = False) -> Figures:
    """The engine's steps on the dossiers `ids` of `url` (or on that many opened here first)."""
    rt, clock = make_runtime(url, START)
    if isinstance(ids, int):
        ids = open_many(rt, clock, ids)

    def fire_for() -> Fire:
        def fire(dossier_id: int, step: BenchStep, body: dict[str, Any], _: datetime) -> None:
            rt.engine.fire(dossier_id, step.event, Actor("bench", AGENCY_OF[step.agency_type]), body)

        return fire

    try:
        return drive(rt, clock, ids, writers, fire_for, processes)
    finally:
        rt.db.dispose()


def _labels(rt: Runtime, event: str) -> dict[str, str]:
    """What the engine's outbox row names (the step's and the stage's labels, the basis): the same bytes to write."""
    regime = rt.regimes["vn-2021"]
    step = next(s for s in regime.steps if s.event.value == event)
    stage = regime.stages[step.dest]
    return {
        "regime": regime.id,
        "stage": stage.state.value,
        "stage_label_vi": stage.label_vi,
        "stage_label_en": stage.label_en,
        "event_label_vi": step.label_vi,
        "event_label_en": step.label_en,
        "basis": step.basis,
    }


def floor_side(url: str, ids: list[int] | int, writers: int, processes: bool = False) -> Figures:
    """Plain SQL's steps on the dossiers `ids` of `url` (or on that many opened here first, by the engine)."""
    rt, clock = make_runtime(url, START)  # the same schema and opened dossiers; then the engine is left aside
    if isinstance(ids, int):
        ids = open_many(rt, clock, ids)
    rt.db.dispose()
    opened: list[FloorWriter] = []
    labels = {step.event: _labels(rt, step.event) for _, steps in PHASES for step in steps}

    def fire_for() -> Fire:
        writer = FloorWriter(url)
        opened.append(writer)

        def fire(dossier_id: int, step: BenchStep, body: dict[str, Any], now: datetime) -> None:
            writer.step(dossier_id, step.event, AGENCY_OF[step.agency_type], body, now, labels[step.event])

        return fire

    try:
        return drive(rt, clock, ids, writers, fire_for, processes)
    finally:
        for w in opened:
            w.close()


Copy = Callable[[str], str]  # a new database holding the opened dossiers, by name: its URL


def opened(url: str, n: int) -> list[int]:
    """`n` dossiers opened through the engine on a fresh database (the seed each run's database copies)."""
    rt, clock = make_runtime(url, START)
    try:
        return open_many(rt, clock, n)
    finally:
        rt.db.dispose()


def compare(copy: Copy, ids: list[int], writers: int, rounds: int, processes: bool = False) -> tuple[Figures, Figures]:
    """(engine, floor): the best of `rounds` alternating runs of each, each on a fresh copy of the seed database."""
    engine: list[Figures] = []
    floor: list[Figures] = []
    for r in range(rounds):
        floor.append(floor_side(copy(f"floor_{writers}_{r}"), ids, writers, processes))
        engine.append(engine_side(copy(f"engine_{writers}_{r}"), ids, writers, processes))
    return max(engine, key=lambda f: f.rate), max(floor, key=lambda f: f.rate)


def sqlite_copies(scratch: str, n: int) -> tuple[Copy, list[int]]:
    seed = f"{scratch}/steps_seed.db"
    ids = opened(f"sqlite:///{seed}", n)

    def copy(name: str) -> str:
        with sqlite3.connect(seed) as source, sqlite3.connect(f"{scratch}/{name}.db") as target:
            source.backup(target)
        return f"sqlite:///{scratch}/{name}.db"

    return copy, ids


def pg_copies(base: str, n: int) -> tuple[Copy, list[int]]:
    from tests import pg_server

    ids = opened(pg_server.create_database(base, "bench_steps_seed"), n)
    return (lambda name: pg_server.create_database(base, f"bench_{name}", template="bench_steps_seed")), ids


def rows(ctx: BenchContext) -> list[Row]:
    """Steps through the engine and the floor on SQLite (WAL, 1 writer) and PostgreSQL (1 writer, 8 writer
    processes)."""
    n = 40 if ctx.quick else int(ctx.extra.get("step_dossiers", 400))
    rounds = 1 if ctx.quick else int(ctx.extra.get("step_rounds", ROUNDS))
    copy, ids = sqlite_copies(ctx.scratch, n)
    engine, floor = compare(copy, ids, 1, rounds)
    out = [_row("SQLite (WAL), 1 writer", engine, floor, 0.5)]
    if ctx.pg_base is not None:
        copy, ids = pg_copies(ctx.pg_base, n)
        # 8 writers are 8 processes, as a deployment's server processes are (threads of one process would
        # share its interpreter lock: the bench would measure Python's lock, not the database)
        for writers, label in ((1, "1 writer"), (8, "8 writer processes")):
            engine, floor = compare(copy, ids, writers, rounds, writers > 1)
            out.append(_row(f"PostgreSQL, {label}", engine, floor, 0.8))
    return out


def _row(label: str, engine: Figures, floor: Figures, share: float) -> Row:
    ratio = engine.rate / floor.rate
    rounds_note = f"{ratio:.2f}× floor; {len(engine.latencies):,} steps, best of rounds"
    if "8 writer" in label:
        met = engine.rate >= 1400 and engine.quantile(99) <= 15
        target = "≥ 1,400/s, p99 ≤ 15 ms"
    else:
        met = ratio >= share
        target = f"≥ {share}× floor"
    return Row("steps", f"engine.fire(), {label}", engine.text(), f"floor {floor.text()}", target, met, rounds_note)
