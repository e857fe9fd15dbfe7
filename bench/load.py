"""Load: the real server (`rehab serve`, its scheduler inside) on the demo's data, and 32 HTTP clients at once
for a fixed time doing what offices do: read the inbox, search, open a dossier, take its first step.

Rows for `make bench` (bench/__main__.py): requests per second and p50/p99 per kind, on SQLite and (when
installed) PostgreSQL; no answer may be a 5xx and every write answered 200/201 must be in the database
afterwards, with `rehab audit verify` passing. tests/integration/test_load.py runs it small in `make test`.
"""

from __future__ import annotations

import os
import random
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import httpx
from sqlalchemy import select

from bench.table import BenchContext, Row, fmt

ROOT = Path(__file__).resolve().parents[1]
REHAB = str(Path(sys.executable).parent / "rehab")
COMMUNE = "dien-bien.tuan-giao.quai-cang"  # merged into Xã Tuần Giáo on 01/07/2025: opened there today
WRITER = "cax.xatuangiao"  # the commune police: opens dossiers and requests the determination
READERS = ("cax.xatuangiao", "ubndx.xatuangiao", "toakv.khuvuctuangiao", "cat.dienbien", "vks.khuvuctuangiao")
NAMES = (("Lò", "Quàng", "Tòng", "Cà", "Lường"), ("Văn", "Thị"), ("Tải", "Minh", "Sơn", "Hoa", "Pánh", "Xuân"))
SEARCHES = ("Lò", "Quàng", "Thị", "Văn", "HS-2026", "Tòng")
# kind -> share of requests
MIX = {"inbox": 0.35, "search": 0.3, "open": 0.15, "fire": 0.2}


@dataclass
class Tally:
    """What the clients saw: latencies per kind, status codes, and the writes the server confirmed."""

    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    statuses: dict[int, int] = field(default_factory=lambda: defaultdict(int))
    errors: list[str] = field(default_factory=list)  # 5xx and transport failures, first few
    opened: list[tuple[int, str]] = field(default_factory=list)  # (dossier id, code) answered 201
    fired: list[tuple[int, int, str]] = field(default_factory=list)  # (dossier id, seq, hash) answered 200
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def server_errors(self) -> int:
        return sum(n for status, n in self.statuses.items() if status >= 500) + len(
            [e for e in self.errors if e.startswith("transport")]
        )


def environment(url: str) -> dict[str, str]:
    """The server's and the CLI's environment: development mode (the committed demo secrets; a bench, not a
    deployment), the database, no JSON logs."""
    keep = {k: v for k, v in os.environ.items() if not k.startswith("REHAB_")}
    return {**keep, "REHAB_DATABASE_URL": url, "REHAB_ENV": "development", "REHAB_LOG_LEVEL": "WARNING"}


def build_demo(url: str, count: int) -> None:
    """`rehab init && rehab demo --count N`: the demo's agencies, users and dossiers along every route."""
    for args in (["init"], ["demo", "--count", str(count)]):
        subprocess.run([REHAB, *args], env=environment(url), cwd=ROOT, check=True, capture_output=True, timeout=1800)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Server:
    """`rehab serve` on a free port, as an operator starts it; stopped with SIGTERM (then SIGKILL)."""

    def __init__(self, url: str, log: Path) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self._log = log.open("wb")
        self.proc = subprocess.Popen(
            [REHAB, "serve", "--port", str(self.port)],
            env=environment(url),
            cwd=ROOT,
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 120
        while True:
            try:
                if httpx.get(f"{self.base}/healthz", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"rehab serve did not start: {log.read_text(errors='replace')[-2000:]}")
            time.sleep(0.2)

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=20)
        self._log.close()


def client(base: str, seconds: float, seed: int, tally: Tally) -> None:
    """One office worker: a random mix of requests until the time is up, each answer timed and checked."""
    rng = random.Random(seed)
    reader = READERS[seed % len(READERS)]
    mine: list[int] = []  # dossiers this client opened and has not yet taken further
    kinds, weights = list(MIX), list(MIX.values())
    today = datetime.now(UTC).date().isoformat()
    opened_once = False
    with httpx.Client(base_url=f"{base}/api/v1", timeout=60) as http:
        stop_at = time.monotonic() + seconds
        while time.monotonic() < stop_at:
            kind = rng.choices(kinds, weights)[0]
            if (kind == "fire" and not mine) or not opened_once:
                kind = "open"  # each client's first request opens a dossier: every run writes
            started = time.perf_counter()
            try:
                answer = _request(http, kind, rng, reader, mine, today, seed)
            except httpx.HTTPError as err:
                with tally.lock:
                    tally.errors.append(f"transport {kind}: {type(err).__name__}")
                continue
            elapsed = time.perf_counter() - started
            _record(tally, kind, answer, elapsed, mine)
            opened_once = True


def _request(
    http: httpx.Client, kind: str, rng: random.Random, reader: str, mine: list[int], today: str, seed: int
) -> httpx.Response:
    if kind == "inbox":
        return http.get("/inbox", auth=(reader, "demo"))
    if kind == "search":
        return http.get("/dossiers", params={"q": rng.choice(SEARCHES), "page_size": 20}, auth=(reader, "demo"))
    if kind == "open":
        n = rng.randrange(1_000_000)
        body = {
            "person": {"full_name": " ".join(rng.choice(part) for part in NAMES), "birth_date": "1990-05-01"},
            "commune": COMMUNE,
            "violation_record": {"number": f"{n}/BB-{seed}", "date": today},
        }
        return http.post("/dossiers", json=body, auth=(WRITER, "demo"))
    dossier_id = mine.pop()
    body = {"event": "request_determination", "payload": {"document": {"number": f"{dossier_id}/CV", "date": today}}}
    return http.post(f"/dossiers/{dossier_id}/fire", json=body, auth=(WRITER, "demo"))


def _record(tally: Tally, kind: str, answer: httpx.Response, elapsed: float, mine: list[int]) -> None:
    with tally.lock:
        tally.latencies[kind].append(elapsed)
        tally.statuses[answer.status_code] += 1
        if answer.status_code >= 500 and len(tally.errors) < 20:
            tally.errors.append(f"{kind} {answer.status_code}: {answer.text[:200]}")
        if kind == "open" and answer.status_code == 201:
            opened = answer.json()
            tally.opened.append((int(opened["id"]), str(opened["code"])))
            mine.append(int(opened["id"]))
        elif kind == "fire" and answer.status_code == 200:
            fired = answer.json()
            tally.fired.append((int(fired["dossier_id"]), int(fired["seq"]), str(fired["hash"])))


def run_load(url: str, clients: int, seconds: float, log: Path, floor_seconds: float = 0) -> tuple[Tally, float, float]:
    """Start the server on ``url``, run the clients, stop it: what they saw, the wall time they ran, and (with
    ``floor_seconds``) the requests/s of the same clients on `/healthz` first, the HTTP stack's floor."""
    server = Server(url, log)
    tally = Tally()
    try:
        floor = _healthz_rate(server.base, clients, floor_seconds) if floor_seconds else 0.0
        wall = _together(clients, lambda i: client(server.base, seconds, i, tally))
    finally:
        server.stop()
    return tally, wall, floor


def _together(clients: int, work: Callable[[int], None]) -> float:
    threads = [threading.Thread(target=work, args=(i,)) for i in range(clients)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return time.perf_counter() - started


def _healthz_rate(base: str, clients: int, seconds: float) -> float:
    done = [0] * clients

    def ping(i: int) -> None:
        with httpx.Client(base_url=base, timeout=60) as http:
            stop_at = time.monotonic() + seconds
            while time.monotonic() < stop_at:
                http.get("/healthz").raise_for_status()
                done[i] += 1

    wall = _together(clients, ping)
    return sum(done) / wall


def lost_writes(url: str, tally: Tally) -> list[str]:
    """Every confirmed write is in the database: each opened dossier with its code, each step's log entry with
    the hash the server answered; and `rehab audit verify` passes."""
    from workflow.db import make_engine, reading
    from workflow.tables import Dossier, TransitionLog

    dossier, entry = Dossier.__table__, TransitionLog.__table__  # type: ignore[attr-defined]
    db = make_engine(url)
    try:
        with reading(db) as conn:
            codes = dict(conn.execute(select(dossier.c.id, dossier.c.code)).all())
            hashes = {
                (r.dossier_id, r.seq): r.hash
                for r in conn.execute(select(entry.c.dossier_id, entry.c.seq, entry.c.hash))
            }
    finally:
        db.dispose()
    lost = [f"opened dossier {i} ({code}) missing" for i, code in tally.opened if codes.get(i) != code]
    lost += [f"step {seq} of dossier {i} missing" for i, seq, digest in tally.fired if hashes.get((i, seq)) != digest]
    verify = subprocess.run(
        [REHAB, "audit", "verify"], env=environment(url), cwd=ROOT, capture_output=True, text=True, timeout=1800
    )
    if verify.returncode != 0:
        lost.append(f"rehab audit verify: {verify.stderr.strip()[:300]}")
    return lost


def rows(ctx: BenchContext) -> list[Row]:
    """32 clients for 20 s (`ctx.extra["load_seconds"]`; 5 s with --quick) on the demo's data, on SQLite and
    PostgreSQL."""
    seconds = 5.0 if ctx.quick else float(ctx.extra.get("load_seconds", 20.0))
    clients, count = 32, (40 if ctx.quick else 220)
    scratch = Path(ctx.scratch)
    out: list[Row] = []
    targets = [("SQLite (WAL)", f"sqlite:///{scratch}/load.db")]
    if ctx.pg_base is not None:
        from tests import pg_server

        targets.append(("PostgreSQL", pg_server.create_database(ctx.pg_base, "bench_load")))
    for label, url in targets:
        build_demo(url, count)
        log = scratch / f"serve-{label[:6]}.log"
        tally, wall, floor = run_load(url, clients, seconds, log, floor_seconds=seconds / 5)
        out += _rows(label, clients, seconds, tally, wall, floor, lost_writes(url, tally))
    return out


def _rows(
    label: str, clients: int, seconds: float, tally: Tally, wall: float, floor: float, lost: list[str]
) -> list[Row]:
    total = sum(len(v) for v in tally.latencies.values())
    head = f"{label}, {clients} clients, {seconds:.0f} s"
    clean = tally.server_errors == 0 and not lost
    out = [
        Row(
            "load",
            f"HTTP requests/s, {head}",
            f"{fmt(total / wall)}/s ({total:,} requests)",
            reference=f"GET /healthz: {fmt(floor)}/s",
            target="0 5xx, 0 lost writes",
            met=clean,
            note=f"5xx {tally.server_errors}, lost writes {len(lost)}",
        )
    ]
    for kind in MIX:
        times = tally.latencies.get(kind, [])
        if len(times) < 2:
            continue
        q = statistics.quantiles(times, n=100)
        value = f"p50 {q[49] * 1000:,.0f} ms, p99 {q[98] * 1000:,.0f} ms"
        out.append(Row("load", f"{kind}: {len(times):,} requests, {head}", value))
    return out


__all__ = ["Tally", "build_demo", "lost_writes", "rows", "run_load"]
