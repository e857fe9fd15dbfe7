"""Reads at scale: lists, search, an agency's inbox and deadlines on the scale data set, directly and over HTTP;
the day's deadline sweep and a second one; the server's memory after serving.

`rows(ctx)` generates `ctx.dossiers` dossiers (`bench.generate`) on SQLite and, when installed, PostgreSQL, and
leaves their URLs in `ctx.extra["scale_sqlite_url"]` / `["scale_pg_url"]` for later modules. Each query runs as
the API runs it: the same functions (`workflow.search`, `workflow.queries`, `workflow.inbox`) with the reader's
scope, then through a real `rehab serve` process with a bearer token.
"""

from __future__ import annotations

import os
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from datetime import time as clock_time
from pathlib import Path
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import httpx
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url

from bench.generate import TEMPLATE_DOSSIERS, generate, runtime_for
from bench.table import BenchContext, Row, fmt
from workflow import queries, search
from workflow.access import scope_of
from workflow.credentials import issue_token
from workflow.db import reading
from workflow.inbox import AlertFilters
from workflow.names import fold
from workflow.runtime import Runtime
from workflow.sweep import sweep
from workflow.tables import Deadline, Dossier, Person, User

DOSSIER = Dossier.__table__  # type: ignore[attr-defined]
DEADLINE = Deadline.__table__  # type: ignore[attr-defined]
PERSON = Person.__table__  # type: ignore[attr-defined]
USER = User.__table__  # type: ignore[attr-defined]
QUICK_DOSSIERS, QUICK_TEMPLATE = 2_000, 40
TARGET_MS = 50.0  # p95 of lists, search and inbox at 100k on PostgreSQL (200 ms at 1M)
RSS_TARGET_MB = 300


@dataclass(frozen=True)
class Reader:
    """Who reads in the bench: the staff of the agency with the most dossiers (the province's facility)."""

    username: str
    agency_id: str
    role: str = "staff"


@dataclass(frozen=True)
class Probe:
    label: str
    direct: Callable[[], Any]
    path: str  # the same read over HTTP


def _quantiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))]
    return statistics.median(ordered) * 1000, p95 * 1000


def _time(call: Callable[[], Any], repeat: int) -> tuple[float, float]:
    call()  # warm: caches, plans, the connection pool
    samples = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        call()
        samples.append(time.perf_counter() - t0)
    return _quantiles(samples)


def _reader(rt: Runtime) -> Reader:
    with reading(rt.db) as conn:
        agency = conn.execute(
            select(DOSSIER.c.agency_id, func.count().label("n"))
            .where(DOSSIER.c.agency_id.like("%.facility"))
            .group_by(DOSSIER.c.agency_id)
            .order_by(text("n DESC"))
            .limit(1)
        ).one()[0]
        user = conn.execute(select(USER.c.username).where(USER.c.agency_id == agency)).scalar_one()
    return Reader(user, agency)


def _samples(rt: Runtime, reader: Reader) -> dict[str, str]:
    """A name, an ID number and a code to search for: a dossier the reader is responsible for."""
    with reading(rt.db) as conn:
        row = conn.execute(
            select(DOSSIER.c.code, PERSON.c.full_name, PERSON.c.id_number)
            .join(PERSON, PERSON.c.id == DOSSIER.c.person_id)
            .where(DOSSIER.c.agency_id == reader.agency_id)
            .order_by(DOSSIER.c.id.desc())
            .limit(1)
        ).one()
        total = conn.execute(select(func.count()).select_from(DOSSIER)).scalar_one()
    return {
        "code": row.code,
        "name": fold(row.full_name),
        "id_number": rt.engine.ids.reveal(row.id_number) or "",
        "deep_page": str(max(2, total // 2 // 25)),
    }


def probes(rt: Runtime, reader: Reader, sample: dict[str, str]) -> list[Probe]:
    today = rt.today()
    scope = scope_of(reader, rt.engine.directory(), today)

    def page(**raw: str) -> Callable[[], Any]:
        filters = search.parse_filters(raw, rt.regimes)

        def run() -> Any:
            with reading(rt.db) as conn:
                return search.search(conn, scope, filters, today=today, tz=rt.tz, id_hash=rt.engine.id_hash)

        return run

    def listed(**raw: str) -> str:
        return "/api/v1/dossiers?" + urlencode(raw)

    agency = reader.agency_id
    deep = {"state": "post_rehab_supervision", "page": sample["deep_page"]}

    def floor() -> Any:
        with reading(rt.db) as conn:
            return conn.execute(text("SELECT 1")).scalar()

    return [
        Probe("floor: SELECT 1 through reading(), GET /healthz", floor, "/healthz"),
        Probe("list, first page (newest updated)", page(), listed()),
        Probe("list, stage filter, first page", page(state="in_facility"), listed(state="in_facility")),
        Probe(f"list, stage filter, page {sample['deep_page']}", page(**deep), listed(**deep)),
        Probe("list, overdue only", page(overdue="true"), listed(overdue="true")),
        Probe("search: name without diacritics", page(q=sample["name"]), listed(q=sample["name"])),
        Probe("search: ID number", page(q=sample["id_number"]), listed(q=sample["id_number"])),
        Probe("search: dossier code", page(q=sample["code"]), listed(q=sample["code"])),
        Probe(
            "inbox of the facility (unread alerts, its dossiers, deadlines)",
            lambda: queries.inbox(
                rt.db, agency, today, scope=scope, alert_filters=AlertFilters(status="unread", page_size=50)
            ),
            "/api/v1/inbox",
        ),
        Probe(
            "deadlines of the facility, open",
            lambda: queries.deadline_rows(rt.db, today, agency_id=agency, scope=scope),
            f"/api/v1/deadlines?agency={agency}",
        ),
        Probe(
            "deadlines of the facility, overdue",
            lambda: queries.deadline_rows(rt.db, today, agency_id=agency, overdue_only=True, scope=scope),
            f"/api/v1/deadlines?agency={agency}&overdue=true",
        ),
    ]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _serve(url: str) -> tuple[subprocess.Popen[bytes], str]:
    port = _free_port()
    env = {**os.environ, "REHAB_DATABASE_URL": url, "REHAB_LOG_LEVEL": "WARNING", "REHAB_ENV": "development"}
    server = subprocess.Popen(
        [str(Path(sys.executable).parent / "rehab"), "serve", "--port", str(port), "--no-scheduler"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    for _ in range(300):
        if server.poll() is not None:
            raise RuntimeError(f"rehab serve stopped: {server.stderr.read().decode() if server.stderr else ''}")
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code < 500:
                return server, base
        except httpx.HTTPError:
            time.sleep(0.1)
    server.kill()
    raise RuntimeError("rehab serve did not answer in 30 s")


def _rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def measure(rt: Runtime, label: str, url: str, repeat: int, scale_ok: float) -> list[Row]:
    """Every probe directly and over HTTP, the sweep twice, the server's RSS."""
    reader = _reader(rt)
    sample = _samples(rt, reader)
    out: list[Row] = []
    token, _ = issue_token(rt.db, reader.username, by="bench", label="bench.scale", now=datetime.now(UTC))
    server, base = _serve(url)
    try:
        headers = {"Authorization": f"Bearer {token}"}
        with httpx.Client(base_url=base, headers=headers, timeout=60) as client:
            for probe in probes(rt, reader, sample):

                def over_http(path: str = probe.path) -> int:
                    answer = client.get(path)
                    if answer.status_code != 200:
                        raise RuntimeError(f"GET {path}: {answer.status_code} {answer.text[:300]}")
                    return len(answer.content)

                size = over_http()
                d50, d95 = _time(probe.direct, repeat)
                h50, h95 = _time(over_http, repeat)
                target = f"p95 < {scale_ok:.0f} ms" if "PostgreSQL" in label and "floor" not in probe.label else ""
                out.append(
                    Row(
                        "queries",
                        f"{probe.label}, {label}, over HTTP",
                        f"p50 {h50:.1f} ms, p95 {h95:.1f} ms",
                        f"direct: p50 {d50:.1f} ms, p95 {d95:.1f} ms",
                        target,
                        (h95 < scale_ok) if target else None,
                        f"{size / 1024:,.0f} KB",
                    )
                )
        rss = _rss_mb(server.pid)
    finally:
        server.terminate()
        server.wait(timeout=30)
    out.append(
        Row(
            "server",
            f"rehab serve RSS after the reads above, {label}",
            f"{rss:,.0f} MB",
            target=f"< {RSS_TARGET_MB} MB",
            met=rss < RSS_TARGET_MB,
        )
    )
    out += sweep_rows(rt, label)
    return out


def sweep_rows(rt: Runtime, label: str) -> list[Row]:
    """The snapshot day's sweep (09:00 local, the evening before already swept), then the same sweep again."""
    at = datetime.combine(rt.today(), clock_time(9), rt.tz)
    with reading(rt.db) as conn:
        open_deadlines = conn.execute(
            select(func.count()).select_from(DEADLINE).where(DEADLINE.c.closed_at.is_(None))
        ).scalar_one()
    t0 = time.perf_counter()
    written = sweep(rt.db, rt.calendar, rt.settings, at)
    first = time.perf_counter() - t0
    t0 = time.perf_counter()
    again = sweep(rt.db, rt.calendar, rt.settings, at)
    second = time.perf_counter() - t0
    share = 100 * written / max(1, open_deadlines)
    return [
        Row(
            "sweep",
            f"the day's sweep, {label}: {written:,} alerts for {open_deadlines:,} open deadlines ({share:.1f}%)",
            f"{first:.2f} s ({fmt(written / first if first else 0)} alerts/s)",
            f"second sweep: {again} written, {second:.2f} s",
            "cost grows with alerts due, not open deadlines",
            again == 0 and second <= first,  # nothing due: only the candidates read, no writes, no savepoints
        )
    ]


def _size_on_disk(url: str) -> int:
    """The database's bytes: the SQLite file (and its WAL), or PostgreSQL's `pg_database_size`."""
    if url.startswith("sqlite"):
        path = Path(make_url(url).database or "")
        return sum(p.stat().st_size for p in (path, path.with_name(path.name + "-wal")) if p.exists())
    db = create_engine(url)
    try:
        with db.connect() as conn:
            return int(conn.execute(text("SELECT pg_database_size(current_database())")).scalar_one())
    finally:
        db.dispose()


def rows(ctx: BenchContext) -> list[Row]:
    """The scale data set on SQLite and PostgreSQL, then every read on each."""
    dossiers = QUICK_DOSSIERS if ctx.quick else int(ctx.extra.get("scale_dossiers", ctx.dossiers))
    template = QUICK_TEMPLATE if ctx.quick else TEMPLATE_DOSSIERS
    repeat = 5 if ctx.quick else 15
    on = ctx.extra.get("scale_on") or ("sqlite", "postgresql")  # `--scale-on postgresql`: 1M without SQLite
    targets: list[tuple[str, str]] = []
    if "sqlite" in on:
        targets.append(("SQLite", f"sqlite:///{ctx.scratch}/scale.db"))
    if "postgresql" in on and ctx.pg_base is not None:
        from tests import pg_server

        targets.append(("PostgreSQL", pg_server.create_database(ctx.pg_base, "bench_scale")))
    if not targets:
        return []
    urls = [url for _, url in targets]
    t0 = time.perf_counter()
    today = datetime.now(ZoneInfo("Asia/Ho_Chi_Minh")).date()  # the server's today is the snapshot day
    made = generate(urls, dossiers, template=template, today=today)
    seconds = time.perf_counter() - t0
    for kind, url in targets:
        ctx.extra["scale_sqlite_url" if kind == "SQLite" else "scale_pg_url"] = url
    entries = made[0].rows.get("transition_log", 0)
    out = [
        Row(
            "data",
            f"scale data set: {made[0].dossiers:,} dossiers on {len(urls)} database(s)",
            f"{seconds:,.0f} s",
            f"template of {min(template, dossiers)} through the engine: {made[0].template_seconds:,.0f} s; "
            f"bulk: {made[0].bulk_seconds:,.0f} s ({entries:,} log entries per database)",
        )
    ]
    for kind, url in targets:
        size = _size_on_disk(url)
        out.append(
            Row(
                "data",
                f"scale data set on disk, {kind} {made[0].dossiers:,}",
                f"{size / 1e9:,.1f} GB",
                f"{size / made[0].dossiers / 1e3:,.0f} KB per dossier; 1,000,000 dossiers ≈ "
                f"{size / made[0].dossiers * 1e6 / 1e9:,.0f} GB",
            )
        )
    out += phase_rows(made[0].phases)
    scale_ok = TARGET_MS if dossiers <= 200_000 else 4 * TARGET_MS  # the issue's targets: 100k, 1M
    for kind, url in targets:
        t0 = time.perf_counter()
        rt = runtime_for(url, today)
        out += measure(rt, f"{kind} {made[0].dossiers:,}", url, repeat, scale_ok)
        rt.db.dispose()
        out.append(Row("time", f"bench.scale's reads, sweeps and server, {kind}", f"{time.perf_counter() - t0:,.0f} s"))
    return out


def phase_rows(phases: dict[str, float]) -> list[Row]:
    """Where the generation's time went: the shared phases, then each database's writes."""
    out = []
    for kind in ("", "SQLite", "PostgreSQL"):
        mine = {
            name.removesuffix(f", {kind}"): spent
            for name, spent in phases.items()
            if (name.endswith(f", {kind}") if kind else not name.endswith((", SQLite", ", PostgreSQL")))
        }
        if mine:
            what = f"generation's writes, {kind}" if kind else "generation, shared by the databases"
            parts = "; ".join(f"{name} {spent:,.1f} s" for name, spent in mine.items())
            out.append(Row("time", what, f"{sum(mine.values()):,.0f} s", parts))
    return out
