"""The process the crash tests kill.

It imports the application once, then forks one worker process per `fork MODE SEED` line read on
stdin (the imports take seconds on a busy machine; forty restarts would take minutes). Each worker
is a process of its own with its own database connections, opened after the fork: the test kills it
with SIGKILL, a real process death in the middle of whatever it was doing, and forks a new one.

Modes, each a loop until killed:
  fire     drives dossiers through the adult journey with the engine (opens new ones as they finish),
           on a simulated clock that resumes after the latest entry in the log;
  sweep    runs the deadline sweep at moving moments after the latest entry;
  deliver  fans out the outbox and sends every delivery (inbox, and e-mail to a real SMTP server).

`python -m tests.crash_child DATABASE_URL SMTP_PORT FLAG_FILE`: FLAG_FILE holds a slot per mode: whether its
worker is inside a unit of work (a step, a sweep, a delivery batch) and how many it finished (class Busy).

Lines on stdout (one write each, so lines from several processes never mix):
  forked PID MODE / exit PID STATUS   from this process;
  ready PID                           from a worker, once started;
  refused PID DOSSIER EVENT           a step the engine refused (the test expects none);
  error PID TEXT                      a worker failed (the test fails).
"""

from __future__ import annotations

import mmap
import os
import random
import select
import signal
import sys
import time
import traceback
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

import structlog
from sqlalchemy import func
from sqlalchemy import select as sql_select

from tests.journeys import MAU_34_39, Clock, Journey, attachments, doc, open_adult
from workflow.db import reading
from workflow.errors import WorkflowError
from workflow.runtime import Runtime
from workflow.settings import Settings, SmtpSettings
from workflow.tables import Dossier, TransitionLog

START = datetime(2023, 3, 1, 2, 0, tzinfo=UTC)
FACILITY = {"facility_name": "Cơ sở cai nghiện ma túy tỉnh Điện Biên"}
ROUND = 6  # dossiers driven together through the journey
MAX_DOSSIERS = 120  # the fire worker opens no more than this many
FINAL = "in_facility"
MODES = ("fire", "sweep", "deliver")  # also the order of their slots in the flag file
SLOT = 8  # bytes per worker in the flag file: inside a unit (1 byte), units finished (7 bytes)

Payload = Callable[[date], dict[str, Any]]


def _none(_: date) -> dict[str, Any]:
    return {}


# state -> (event, agency type, payload on the day, days after the dossier's last entry): the adult journey
PLAN: dict[str, tuple[str, str, Payload, int]] = {
    "violation_recorded": ("request_determination", "commune_police", _none, 0),
    "determination_requested": (
        "record_determination",
        "health_facility",
        lambda _: {"determination_outcome": "addicted"},
        2,
    ),
    "dossier_compiling": (
        "notify_person",
        "commune_committee",
        lambda on: {"grounds": "no_voluntary_rehab", "attachments": attachments(on)},
        1,
    ),
    "person_reading": ("send_to_labour", "commune_committee", _none, 7),
    "labour_review": ("propose_to_court", "labour_office", lambda _: dict(MAU_34_39), 1),
    "court_received": ("accept", "district_court", lambda _: {"complicated": False}, 1),
    "court_accepted": (
        "open_session",
        "district_court",
        lambda on: {"session_on": (on + timedelta(days=5)).isoformat()},
        2,
    ),
    "session_scheduled": ("decide", "district_court", lambda _: {"outcome": "apply", "term_months": 12}, 5),
    "complaint_period": ("end_complaint_period", "district_court", _none, 10),
    "awaiting_escort": ("record_escort", "district_police", lambda _: dict(FACILITY), 2),
}

LOG = TransitionLog.__table__  # type: ignore[attr-defined]
DOSSIER = Dossier.__table__  # type: ignore[attr-defined]


class Busy:
    """A worker's slot in a file the test maps too: a byte, 1 while the worker is inside a unit of work (0
    between two), then the count of units it finished. Read after the worker died, the byte tells exactly
    whether the kill fell inside a unit."""

    def __init__(self, flags: mmap.mmap, slot: int) -> None:
        self.flags, self.at = flags, slot * SLOT
        flags[self.at : self.at + SLOT] = bytes(SLOT)

    def __enter__(self) -> None:
        self.flags[self.at] = 1

    def __exit__(self, *exc: object) -> None:
        self.flags[self.at] = 0
        done = int.from_bytes(self.flags[self.at + 1 : self.at + SLOT], "little") + 1
        self.flags[self.at + 1 : self.at + SLOT] = done.to_bytes(SLOT - 1, "little")


def say(*words: object) -> None:
    os.write(1, (" ".join(str(w) for w in words) + "\n").encode())


def aware(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def latest_entry(rt: Runtime) -> datetime:
    with reading(rt.db) as conn:
        latest = conn.execute(sql_select(func.max(LOG.c.at))).scalar()
    return aware(latest) if latest is not None else START


def settings(url: str, smtp_port: int) -> Settings:
    smtp = SmtpSettings(enabled=True, port=smtp_port, timeout_seconds=5)
    return Settings(database_url=url, smtp=smtp, delivery_max_attempts=50, delivery_backoff_seconds=1)


# --------------------------------------------------------------------------- the workers


def fire(rt: Runtime, clock: Clock, rng: random.Random, busy: Busy) -> None:
    clock.now = latest_entry(rt) + timedelta(seconds=1)  # resume after the last entry, never before it
    stuck: set[int] = set()
    while True:
        with reading(rt.db) as conn:
            unfinished = conn.execute(
                sql_select(DOSSIER.c.id, DOSSIER.c.state)
                .where(DOSSIER.c.state != FINAL, DOSSIER.c.id.not_in(stuck or {0}))
                .order_by(DOSSIER.c.id)
                .limit(ROUND)
            ).all()
            total = conn.execute(sql_select(func.count()).select_from(DOSSIER)).scalar_one()
        if len(unfinished) < ROUND and total < MAX_DOSSIERS:
            clock.advance(hours=1)
            with busy:
                open_adult(rt, clock, id_number=None)
            continue
        if not unfinished:
            time.sleep(0.05)
            continue
        for dossier_id, state in unfinished:
            event, agency, payload, gap = PLAN[state]
            with reading(rt.db) as conn:
                last = aware(
                    conn.execute(sql_select(func.max(LOG.c.at)).where(LOG.c.dossier_id == dossier_id)).scalar()
                )
            clock.now = max(clock.now, last + timedelta(days=gap)) + timedelta(seconds=rng.randint(1, 60))
            journey = Journey(rt, clock, dossier_id)
            try:
                wait_until_allowed(journey, event, agency, payload)
                with busy:
                    journey.step(event, agency, payload(clock.today), number=f"{dossier_id}/{event[:4]}")
            except WorkflowError:
                stuck.add(dossier_id)
                say("refused", os.getpid(), dossier_id, event, clock.today)


def wait_until_allowed(journey: Journey, event: str, agency: str, payload: Payload) -> None:
    """Move the clock a day at a time while the step would be refused (a period counted in working days
    across Tết, a weekend): no refusal is written on the chain."""
    regime = journey.rt.regimes[journey._regime()]
    steps = regime.candidates(journey.state, event)  # type: ignore[arg-type]
    for _ in range(20):
        body = payload(journey.clock.today)
        if steps and steps[0].produces is not None:
            body["document"] = doc(f"{journey.dossier_id}/{event[:4]}", journey.clock.today)
        reasons = journey.rt.engine.dry_run(journey.dossier_id, event, journey.actor(agency), body)
        if not reasons:
            return
        journey.clock.advance(days=1)


def sweep(rt: Runtime, rng: random.Random, busy: Busy) -> None:
    from workflow.sweep import sweep as run_sweep

    step = 0
    while True:
        moment = latest_entry(rt) + timedelta(hours=4 * (step % 16))  # up to two and a half days after the last entry
        with busy:
            written = run_sweep(rt.db, rt.calendar, rt.settings, moment, batch_size=25)
        step += rng.randint(1, 3)
        if not written:
            time.sleep(0.05)  # leave the machine to the others: the test waits for the next sweep to kill it


def deliver(rt: Runtime, busy: Busy) -> None:
    from notifications.worker import deliver_pending

    while True:
        with busy:
            stats = deliver_pending(rt.db, rt.settings, datetime.now(UTC), batch=10)
        if stats.fanned_out + stats.sent + stats.failed + stats.dead == 0:
            time.sleep(0.05)


def work(rt: Runtime, busy: Busy, mode: str, seed: int) -> None:
    """One worker's life: its own connections (none were opened before the fork), ready, loop until killed."""
    rt.db.dispose(close=False)
    rng = random.Random(seed)
    say("ready", os.getpid())
    if mode == "fire":
        assert isinstance(rt.clock, Clock)
        fire(rt, rt.clock, rng, busy)
    elif mode == "sweep":
        sweep(rt, rng, busy)
    elif mode == "deliver":
        deliver(rt, busy)
    else:
        raise ValueError(f"unknown mode {mode!r}")


# --------------------------------------------------------------------------- the forking parent


def fork(rt: Runtime, flags: mmap.mmap, mode: str, seed: int) -> int:
    pid = os.fork()
    if pid:
        return pid
    code = 0
    try:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        work(rt, Busy(flags, MODES.index(mode)), mode, seed)
    except BaseException:
        say("error", os.getpid(), traceback.format_exc().replace("\n", " | "))
        code = 1
    finally:
        os._exit(code)


def reap() -> None:
    while True:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        say("exit", pid, os.waitstatus_to_exitcode(status))


def main(argv: list[str]) -> int:
    url, smtp_port, flag_file = argv[0], int(argv[1]), argv[2]
    structlog.configure(  # errors only, and on stderr: stdout carries the lines above
        wrapper_class=structlog.make_filtering_bound_logger(40), logger_factory=structlog.PrintLoggerFactory(sys.stderr)
    )
    rt = Runtime.build(settings(url, smtp_port), clock=Clock(START))  # no connection yet: each worker opens its own
    with open(flag_file, "r+b") as handle:
        flags = mmap.mmap(handle.fileno(), len(MODES) * SLOT)
    buffered = b""
    while True:
        ready, _, _ = select.select([sys.stdin.buffer], [], [], 0.02)
        reap()
        if not ready:
            continue
        chunk = os.read(sys.stdin.fileno(), 4096)
        if not chunk:  # the test closed our stdin: its workers are gone or killed by it
            break
        buffered += chunk
        while b"\n" in buffered:
            line, buffered = buffered.split(b"\n", 1)
            command, mode, seed = line.decode().split()
            assert command == "fork", command
            say("forked", fork(rt, flags, mode, int(seed)), mode)
    reap()
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
