"""A full verify on several processes (`rehab audit verify --full`): one worker per core, each walking
dossier-id ranges that hold about as many entries as the others, in its own read snapshot.

Workers are forked where that is safe (Linux, a process with one thread: the CLI): they inherit the
application already imported and start in milliseconds. Elsewhere they are spawned, and each imports
the application first (1-3 s), so `verify_chain` starts them only from `SPAWNED_FROM` entries.
"""

from __future__ import annotations

import bisect
import multiprocessing
import threading
from collections.abc import Mapping
from concurrent.futures import ProcessPoolExecutor

from sqlalchemy import Engine

from workflow.audit import AuditReport, Break, Part, snapshot, verify_range
from workflow.chain_walk import Tip
from workflow.db import make_engine
from workflow.signing import KeyRing, load_public, public_text


def start_method() -> str:
    """fork when it is safe: forking a process that runs other threads can leave a lock held for ever in
    the child (a web server's threads, a driver's), so such a process spawns its workers."""
    if "fork" in multiprocessing.get_all_start_methods() and threading.active_count() == 1:
        return "fork"
    return "spawn"


def verify_in_parallel(
    db: Engine,
    keys: KeyRing,
    ranges: list[tuple[int, int]],
    workers: int,
    method: str,
    part: Part,
    covered: Mapping[int, Tip],
) -> AuditReport:
    url = db.url.render_as_string(hide_password=False)
    trusted = [public_text(k) for k in keys.keys.values()]
    his = [hi for _, hi in ranges]
    shares: list[dict[int, Tip]] = [{} for _ in ranges]
    for did, tip in covered.items():  # each checkpointed tip to the range holding its dossier
        shares[min(bisect.bisect_left(his, did), len(ranges) - 1)][did] = tip
    context = multiprocessing.get_context(method)
    with ProcessPoolExecutor(max_workers=min(workers, len(ranges)), mp_context=context) as pool:
        jobs = [
            pool.submit(verify_part, url, trusted, Part(lo, hi, part.columns, part.adopt_unsigned), share)
            for (lo, hi), share in zip(ranges, shares, strict=True)
        ]
        results = [job.result() for job in jobs]
    tips: dict[int, Tip] = {}
    for r in results:
        tips.update(r[1])
    breaks = [r[2] for r in results if r[2] is not None]
    first = min(breaks, key=lambda b: (b.dossier_id, b.seq)) if breaks else None
    return AuditReport(sum(r[0] for r in results), len(tips), first, tips=tips)


def verify_part(
    url: str, trusted: list[str], part: Part, covered: dict[int, Tip]
) -> tuple[int, dict[int, Tip], Break | None]:
    """One worker: one range of dossier ids, in its own snapshot, through its own engine (a forked
    worker never touches the connections it inherited)."""
    db = make_engine(url)
    try:
        with snapshot(db) as (conn, raw):
            walk, broken = verify_range(conn, raw, KeyRing.of(load_public(t) for t in trusted), part, covered)
    finally:
        db.dispose()
    return walk.entries, walk.tips, broken
