"""Crash proof: processes firing steps, sweeping deadlines and delivering mail, killed with SIGKILL at random
moments (seeded) and restarted, at least 20 times on SQLite and on PostgreSQL; then a clean run, and nothing
is lost, duplicated, orphaned or out of step with its chain.

The killed processes are workers of `python -m tests.crash_child` (see there): three run at once, as the web
server and the scheduler do, and the test kills one while it is inside a unit of work, then starts it again.
"""

from __future__ import annotations

import json
import mmap
import os
import queue
import random
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import text

from notifications.testing import Mailbox
from tests import crash_checks
from tests.crash_child import MODES, SLOT, latest_entry, settings
from tests.journeys import make_runtime
from workflow.audit import take_anchor
from workflow.db import reading
from workflow.runtime import Runtime
from workflow.service import deliver_all
from workflow.sweep import sweep

ROOT = Path(__file__).resolve().parents[2]
KILLS = 24  # kills inside a unit of work, per database (8 per mode)
MAX_ROUNDS = 90  # kills in all, counting those that found the worker between two units
SEED = 20261202
BUDGET_SECONDS = 300  # a stalled worker fails the test within bounded time (a run takes about 45 s)


@pytest.fixture
def mailbox() -> Iterator[Mailbox]:
    with Mailbox() as box:
        yield box


class Workers:
    """The forking parent and its workers; every line they print is kept, in order."""

    def __init__(self, url: str, smtp_port: int, flag_file: Path) -> None:
        flag_file.write_bytes(bytes(len(MODES) * SLOT))
        with flag_file.open("r+b") as handle:
            self.flags = mmap.mmap(handle.fileno(), len(MODES) * SLOT)
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "tests.crash_child", url, str(smtp_port), str(flag_file)],
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env={**os.environ, "REHAB_ENV": "development"},
        )
        self.lines: queue.Queue[str] = queue.Queue()
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()
        self.ready: set[int] = set()
        self.exits: dict[int, int] = {}
        self.pids: dict[str, int] = {}  # mode -> its running worker
        self.refused: list[str] = []

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for raw in self.proc.stdout:
            self.lines.put(raw.decode(errors="replace").rstrip("\n"))

    def pump(self, wait: float = 0.0) -> None:
        """Take in the lines printed so far (waiting up to ``wait`` for the first one)."""
        try:
            line = self.lines.get(timeout=wait) if wait else self.lines.get_nowait()
        except queue.Empty:
            return
        while True:
            word, pid, *rest = line.split(" ", 2) + [""]
            if word == "forked":
                self.pids[rest[0]] = int(pid)
            elif word == "ready":
                self.ready.add(int(pid))
            elif word == "exit":
                self.exits[int(pid)] = int(rest[0])
            elif word == "refused":
                self.refused.append(rest[0])
            elif word == "error":
                raise AssertionError(f"a worker failed: {rest[0].replace(' | ', chr(10))}")
            try:
                line = self.lines.get_nowait()
            except queue.Empty:
                return

    def start(self, mode: str, seed: int) -> int:
        assert self.proc.stdin is not None
        self.pids.pop(mode, None)
        self.proc.stdin.write(f"fork {mode} {seed}\n".encode())
        self.proc.stdin.flush()
        deadline = time.monotonic() + 60
        while (pid := self.pids.get(mode)) is None or pid not in self.ready:  # forked, then ready
            assert time.monotonic() < deadline, f"the {mode} worker did not start"
            assert self.proc.poll() is None, "the forking parent died"
            self.pump(0.05)
        return pid

    def inside(self, mode: str) -> bool:
        return bool(self.flags[MODES.index(mode) * SLOT])

    def finished(self, mode: str) -> int:
        at = MODES.index(mode) * SLOT
        return int.from_bytes(self.flags[at + 1 : at + SLOT], "little")

    def kill(self, mode: str, rng: random.Random | None = None) -> bool:
        """SIGKILL the mode's worker; with ``rng`` once it finished a few units of work (2 to 5: the work goes
        on however often it is killed) and a random few milliseconds into the next one. True if it died
        inside a unit."""
        pid = self.pids[mode]
        if rng is not None:
            units, deadline = rng.randint(2, 5), time.monotonic() + 60
            while (self.finished(mode) < units or not self.inside(mode)) and time.monotonic() < deadline:
                time.sleep(0.002)
            time.sleep(rng.uniform(0, 0.01))
        os.kill(pid, signal.SIGKILL)
        deadline = time.monotonic() + 30
        while pid not in self.exits:
            assert time.monotonic() < deadline, f"worker {pid} did not die"
            self.pump(0.05)
        assert self.exits[pid] == -signal.SIGKILL, f"the {mode} worker exited with {self.exits[pid]} before the kill"
        return self.inside(mode)  # as it was when the worker died

    def stop(self) -> None:
        for mode in list(self.pids):
            if self.pids[mode] not in self.exits:
                self.kill(mode)
        if self.proc.stdin is not None:
            self.proc.stdin.close()
        self.proc.wait(timeout=30)
        self.reader.join(timeout=10)
        assert self.proc.stdout is not None
        self.proc.stdout.close()
        self.flags.close()


def kill_again_and_again(rt: Runtime, url: str, smtp_port: int, anchor: Path) -> Counter[str]:
    """Kill a worker inside a unit of work, at a random moment, until KILLS such kills; restart it each time.
    Halfway, an anchor of every chain is taken (the final verify checks no committed entry was lost)."""
    rng = random.Random(SEED)
    workers = Workers(url, smtp_port, anchor.with_name("flags"))
    busy_kills: Counter[str] = Counter()
    try:
        for mode in MODES:
            workers.start(mode, rng.randrange(1 << 30))
        give_up = time.monotonic() + BUDGET_SECONDS
        for round_ in range(MAX_ROUNDS):
            wanted = [m for m in MODES if busy_kills[m] < KILLS // len(MODES)]
            if not wanted or time.monotonic() > give_up:
                break
            mode = wanted[round_ % len(wanted)]
            if workers.kill(mode, rng):
                busy_kills[mode] += 1
            if sum(busy_kills.values()) == KILLS // 2 and not anchor.exists():
                anchor.write_text(json.dumps(take_anchor(rt.db, datetime.now(UTC).isoformat())))
            workers.start(mode, rng.randrange(1 << 30))
        workers.pump()
    finally:
        workers.stop()
    assert not workers.refused, f"steps refused (the journey plan is wrong, not a crash): {workers.refused[:5]}"
    return busy_kills


def clean_run(rt: Runtime) -> datetime:
    """What the scheduler does next: one sweep after the last entry, then delivery of everything, once the
    leases of the killed workers' claims have run out."""
    moment = latest_entry(rt) + timedelta(days=1)
    sweep(rt.db, rt.calendar, rt.settings, moment)
    later = datetime.now(UTC) + timedelta(hours=1)
    while deliver_all(rt, later):
        pass
    return moment


def audit_verify(url: str, anchor: Path) -> None:
    """`rehab audit verify --anchor`, the command an operator runs: every chain whole, none shorter than
    when the anchor was taken halfway through the kills."""
    verify = subprocess.run(
        [str(Path(sys.executable).parent / "rehab"), "audit", "verify", "--anchor", str(anchor)],
        cwd=anchor.parent,
        env={**os.environ, "REHAB_DATABASE_URL": url, "REHAB_ENV": "development"},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert verify.returncode == 0, verify.stderr
    assert verify.stdout.startswith("ok: "), verify.stdout


def emails_each_received(rt: Runtime, mailbox: Mailbox, deliverer_kills: int) -> int:
    """Every e-mail delivery reached the SMTP server, to its address; a second copy only where a kill fell
    between the server's acceptance and the database's record (at most one per kill of the deliverer), with
    the same Message-ID, so the receiver drops it. Returns the number of messages."""
    deliveries = crash_checks.rows(rt.db, crash_checks.T_DELIVERY)
    emails = {d.outbox_id: d.recipient for d in deliveries if d.channel == "email"}
    messages = mailbox.messages()
    received = Counter(int(m["X-Rehab-Outbox-Id"]) for m in messages)
    assert set(received) == set(emails), "e-mails missing, or sent for a message never queued"
    resent = sum(n - 1 for n in received.values())
    assert resent <= deliverer_kills, f"{resent} e-mails sent twice, {deliverer_kills} kills of the deliverer"
    first_id = {int(m["X-Rehab-Outbox-Id"]): m["Message-ID"] for m in messages}
    for m in messages:
        outbox_id = int(m["X-Rehab-Outbox-Id"])
        assert (m["Message-ID"], m["To"]) == (first_id[outbox_id], emails[outbox_id])
    return len(messages)


def crash_and_check(url: str, mailbox: Mailbox, tmp_path: Path) -> None:
    reference, _ = make_runtime(url)  # migrated, with the demo's areas and agencies
    reference.db.dispose()
    rt = Runtime.build(settings(url, mailbox.port))
    try:
        crash_then_check(rt, url, mailbox, tmp_path)
    finally:
        rt.db.dispose()


def crash_then_check(rt: Runtime, url: str, mailbox: Mailbox, tmp_path: Path) -> None:
    started = time.monotonic()
    with rt.db.begin() as conn:  # the commune police have an address: their messages go by e-mail too
        conn.execute(text("UPDATE agency SET email = id || '@crash.test' WHERE type = 'commune_police'"))
    anchor = tmp_path / "anchor.json"
    busy_kills = kill_again_and_again(rt, url, mailbox.port, anchor)
    assert min(busy_kills[m] for m in MODES) >= KILLS // len(MODES), (
        f"only {dict(busy_kills)} kills fell inside a unit of work in {MAX_ROUNDS} rounds or {BUDGET_SECONDS} s"
    )
    killed = time.monotonic()
    moment = clean_run(rt)

    audit_verify(url, anchor)
    problems = crash_checks.dossiers_match_their_chains(rt.db, rt.regimes)
    problems += crash_checks.nothing_orphaned(rt.db)
    problems += crash_checks.every_due_alert_once(rt.db, rt.settings, rt.calendar, moment)
    problems += crash_checks.everything_delivered_once(rt.db)
    assert not problems, "\n".join(problems[:20])
    mails = emails_each_received(rt, mailbox, busy_kills["deliver"])
    with reading(rt.db) as conn:
        steps, alerts = conn.execute(
            text("SELECT (SELECT count(*) FROM transition_log), (SELECT count(*) FROM alert)")
        ).one()
    assert steps >= 20 and alerts >= 1 and mails >= 5, f"too little work to prove anything: {steps}, {alerts}"
    sys.stderr.write(
        f"\ncrash test on {rt.db.dialect.name}: kills inside work {dict(busy_kills)}, {steps} log entries, "
        f"{alerts} alerts, {mails} e-mails; kills {killed - started:.0f} s, then {time.monotonic() - killed:.0f} s\n"
    )


def test_sigkill_during_fire_sweep_and_delivery_loses_and_duplicates_nothing_on_sqlite(
    tmp_path: Path, mailbox: Mailbox
) -> None:
    crash_and_check(f"sqlite:///{tmp_path}/crash.db", mailbox, tmp_path)


@pytest.mark.postgres
def test_sigkill_during_fire_sweep_and_delivery_loses_and_duplicates_nothing_on_postgres(
    fresh_postgres_url: str, tmp_path: Path, mailbox: Mailbox
) -> None:
    crash_and_check(fresh_postgres_url, mailbox, tmp_path)
