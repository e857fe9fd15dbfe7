"""Verifying the transition log: every hash, link and chain tip, and each chain's signature.

`verify_chain` reads every entry (`rehab audit verify --full`; several processes over dossier-id
ranges with `workers`); `workflow.checkpoints.verify_since_checkpoint` reads only what came after
the last signed checkpoint (the daily `rehab audit verify`). Both walk rows with
`workflow.chain_walk.Walk`, which says why one signature per chain suffices.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Iterator, Mapping
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial
from itertools import chain
from typing import Any

from sqlalchemy import Connection, Engine

from workflow.anchors import check_anchor, take_anchor
from workflow.chain_walk import REST, WIDE, Break, Signed, Tip, Walk, select_sql
from workflow.db import make_engine, reading
from workflow.errors import DossierNotFound
from workflow.signing import KeyRing, development_signer, load_public, public_text

__all__ = ["AuditReport", "Break", "check_anchor", "take_anchor", "verify_chain"]
# Below this many entries one process is faster than starting others (each imports the application, ~1-3 s).
PARALLEL_FROM = 2_000_000


@dataclass(frozen=True, slots=True)
class AuditReport:
    entries: int  # how many log entries were read
    dossiers: int
    first_break: Break | None
    checkpoint: int | None = None  # the signed checkpoint compared with (full) or started from (incremental)
    upto_log_id: int = 0
    tips: dict[int, Tip] = field(default_factory=dict, repr=False, compare=False)

    @property
    def ok(self) -> bool:
        return self.first_break is None


def development_keys() -> KeyRing:
    return KeyRing.of([development_signer().public])


@contextmanager
def snapshot(db: Engine) -> Iterator[tuple[Connection, Any]]:
    """One consistent read snapshot, and the driver's own connection for plain-tuple reads."""
    with reading(db) as conn, conn.begin():
        raw = conn.connection.driver_connection
        assert raw is not None, "a live DBAPI connection"
        yield conn, raw


def mark(conn: Connection) -> str:
    return "%s" if conn.dialect.name == "postgresql" else "?"


def column_fetcher(conn: Connection, raw: Any) -> Any:
    """One entry's WIDE row, by dossier and sequence number (entries without stored bytes)."""
    m = mark(conn)
    sql = f"SELECT {', '.join((*WIDE, *REST))} FROM transition_log WHERE dossier_id = {m} AND seq = {m}"

    def fetch(dossier_id: int, seq: int) -> Any:
        cursor = raw.cursor()
        cursor.execute(sql, (dossier_id, seq))
        found = cursor.fetchone()
        cursor.close()
        return found

    return fetch


def signed_tips(raw: Any, where: str = "", params: tuple[Any, ...] = ()) -> dict[int, Signed]:
    """Each dossier's last entry with its signature: one indexed lookup per dossier."""
    cursor = raw.cursor()
    cursor.execute(
        "SELECT l.dossier_id, l.seq, l.hash, l.signature, l.key_id FROM dossier d "
        f"JOIN transition_log l ON l.dossier_id = d.id AND l.seq = d.last_seq {where}",
        params,
    )
    found = {r[0]: (r[1], r[2], r[3], r[4]) for r in cursor.fetchall()}
    cursor.close()
    return found


def signature_fetcher(conn: Connection, raw: Any, where: str, params: tuple[Any, ...]) -> Any:
    """The signatures of the given chains' last entries: one lookup each when they are few, else one join."""
    m = mark(conn)
    sql = (
        "SELECT l.dossier_id, l.seq, l.hash, l.signature, l.key_id FROM dossier d "
        f"JOIN transition_log l ON l.dossier_id = d.id AND l.seq = d.last_seq WHERE d.id = {m}"
    )

    def fetch(dossier_ids: list[int]) -> dict[int, Signed]:
        if len(dossier_ids) > 2_000:
            return signed_tips(raw, where, params)
        cursor = raw.cursor()
        found = {}
        for dossier_id in dossier_ids:
            cursor.execute(sql, (dossier_id,))
            for r in cursor.fetchall():
                found[r[0]] = (r[1], r[2], r[3], r[4])
        cursor.close()
        return found

    return fetch


def with_log_id(raw: Any, conn: Connection, broken: Break | None) -> Break | None:
    """A break found on FAST rows names its entry's log id too."""
    if broken is None or broken.log_id is not None or broken.seq < 1:
        return broken
    cursor = raw.cursor()
    m = mark(conn)
    cursor.execute(
        f"SELECT id FROM transition_log WHERE dossier_id = {m} AND seq = {m}", (broken.dossier_id, broken.seq)
    )
    found = cursor.fetchone()
    cursor.close()
    return Break(broken.dossier_id, broken.seq, found[0] if found else None, broken.problem)


def dossier_tips(raw: Any, where: str = "", params: tuple[Any, ...] = ()) -> dict[int, Tip]:
    cursor = raw.cursor()
    cursor.execute(f"SELECT id, last_seq, last_hash FROM dossier {where}", params)
    tips = {r[0]: (r[1], r[2]) for r in cursor.fetchall()}
    cursor.close()
    return tips


def max_log_id(raw: Any) -> int:
    cursor = raw.cursor()
    cursor.execute("SELECT max(id) FROM transition_log")
    found = cursor.fetchone()
    cursor.close()
    return int(found[0] or 0)


def compare_tips(seen: Mapping[int, Tip], stored: Mapping[int, Tip], covered: Mapping[int, Tip]) -> Break | None:
    """Each dossier row's tip is its chain's last entry; each chain has its dossier row; each chain of
    the checkpoint still has entries."""
    for did, tip in stored.items():
        last = seen.get(did, (0, ""))
        if last != tip:
            return Break(did, last[0] + 1, None, "entries missing: the dossier's chain tip is not the last log entry")
    for did, (seq, _) in seen.items():
        if did not in stored:
            return Break(did, seq, None, "the dossier row is missing")
    for did, (seq, _) in covered.items():
        if did not in seen:
            return Break(did, 1, None, f"entries missing: the signed checkpoint holds entry {seq}")
    return None


# --------------------------------------------------------------------------- full verify


@dataclass(frozen=True)
class _Range:
    lo: int | None
    hi: int | None
    columns: bool
    adopt_unsigned: bool


def _verify_range(
    conn: Connection, raw: Any, keys: KeyRing, part: _Range, covered: Mapping[int, Tip]
) -> tuple[Walk, Break | None]:
    where, params = "", ()  # type: tuple[str, tuple[Any, ...]]
    if part.lo is not None:
        where, params = f"WHERE dossier_id BETWEEN {mark(conn)} AND {mark(conn)}", (part.lo, part.hi)
    on_dossier = where.replace("dossier_id", "id")
    walk = Walk(keys, part.columns, covered=covered, adopt_unsigned=part.adopt_unsigned)
    walk.fetch_columns = column_fetcher(conn, raw)
    walk.fetch_signed = signature_fetcher(conn, raw, on_dossier.replace("id", "d.id"), params)
    stored = dossier_tips(raw, on_dossier, params)
    cursor = raw.cursor(name="rehab_verify") if conn.dialect.name == "postgresql" else raw.cursor()
    try:
        cursor.execute(select_sql(part.columns, where), params)
        walk.run(chain.from_iterable(iter(partial(cursor.fetchmany, 20_000), [])))  # tuples, no Python loop
    finally:
        cursor.close()
    if walk.broken is not None:
        return walk, with_log_id(raw, conn, walk.broken)
    return walk, compare_tips(walk.tips, stored, covered)


def verify_chain(
    db: Engine,
    dossier_id: int | None = None,
    *,
    keys: KeyRing | None = None,
    columns: bool = True,
    workers: int = 1,
    adopt_unsigned: bool = False,
    parallel_from: int = PARALLEL_FROM,
) -> AuditReport:
    """Read every entry (of one dossier, or all) in chain order: sequence, link, SHA-256 of the stored
    bytes, each chain's signature, the dossier rows' tips, and the latest signed checkpoint's tips.
    `columns`: also compare the columns with the signed bytes. `keys`: the trusted public keys
    (default: the development key). `workers` > 1: one process per range of dossier ids, from
    `parallel_from` entries. Raises `DossierNotFound` for a dossier without row or entries."""
    from workflow.checkpoints import CheckpointInvalid, latest_checkpoint

    keys = keys or development_keys()
    with snapshot(db) as (conn, raw):
        try:
            checkpoint = latest_checkpoint(raw, keys)
        except CheckpointInvalid as err:
            return AuditReport(0, 0, Break(0, 0, None, str(err)))
        covered = checkpoint.tips if checkpoint else {}
        upto = max_log_id(raw)
        if workers > 1 and dossier_id is None and upto >= parallel_from and _parallel_ok(db):
            bounds = _bounds(raw)
        else:
            part = _Range(dossier_id, dossier_id, columns, adopt_unsigned)
            if dossier_id is not None:
                covered = {k: v for k, v in covered.items() if k == dossier_id}
            walk, broken = _verify_range(conn, raw, keys, part, covered)
            if (
                dossier_id is not None
                and walk.entries == 0
                and not dossier_tips(raw, f"WHERE id = {mark(conn)}", (dossier_id,))
            ):
                raise DossierNotFound(dossier_id)  # "ok" for a dossier that does not exist would mislead
            cp = checkpoint.id if checkpoint else None
            return AuditReport(walk.entries, len(walk.tips), broken, cp, upto, walk.tips)
    return _verify_in_parallel(db, keys, bounds, workers, _Range(None, None, columns, adopt_unsigned), checkpoint, upto)


def _parallel_ok(db: Engine) -> bool:
    return db.url.get_backend_name() != "sqlite" or db.url.database not in (None, "", ":memory:")


def _bounds(raw: Any) -> tuple[int, int]:
    cursor = raw.cursor()
    cursor.execute("SELECT min(id), max(id) FROM dossier")
    lo, hi = cursor.fetchone()
    cursor.execute("SELECT min(dossier_id), max(dossier_id) FROM transition_log")
    llo, lhi = cursor.fetchone()
    cursor.close()
    values = [v for v in (lo, hi, llo, lhi) if v is not None]
    return (min(values), max(values)) if values else (0, 0)


def _verify_in_parallel(
    db: Engine, keys: KeyRing, bounds: tuple[int, int], workers: int, part: _Range, checkpoint: Any, upto: int
) -> AuditReport:
    lo, hi = bounds
    step = max(1, (hi - lo + 1) // (workers * 4) + 1)
    url = db.url.render_as_string(hide_password=False)
    trusted = [public_text(k) for k in keys.keys.values()]
    covered = checkpoint.tips if checkpoint else {}
    jobs = []
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        for start in range(lo, hi + 1, step):
            end = min(hi, start + step - 1)
            part_covered = {k: v for k, v in covered.items() if start <= k <= end}
            chunk = _Range(start, end, part.columns, part.adopt_unsigned)
            jobs.append(pool.submit(_verify_part, url, trusted, chunk, part_covered))
        results = [job.result() for job in jobs]
    entries = sum(r[0] for r in results)
    tips: dict[int, Tip] = {}
    for r in results:
        tips.update(r[1])
    breaks = [r[2] for r in results if r[2] is not None]
    first = min(breaks, key=lambda b: (b.dossier_id, b.seq)) if breaks else None
    return AuditReport(entries, len(tips), first, checkpoint.id if checkpoint else None, upto, tips)


def _verify_part(
    url: str, trusted: list[str], part: _Range, covered: dict[int, Tip]
) -> tuple[int, dict[int, Tip], Break | None]:
    """One worker process: one range of dossier ids, in its own snapshot."""
    db = make_engine(url)
    try:
        with snapshot(db) as (conn, raw):
            walk, broken = _verify_range(conn, raw, KeyRing.of(load_public(t) for t in trusted), part, covered)
    finally:
        db.dispose()
    return walk.entries, walk.tips, broken
