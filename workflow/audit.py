"""Verifying the transition log: every hash, link and chain tip, and each chain's signature.

`verify_chain` reads every entry (`rehab audit verify --full`; several processes over dossier-id
ranges with `workers`); `workflow.checkpoints.verify_since_checkpoint` reads only what came after
the last signed checkpoint (the daily `rehab audit verify`). Both walk rows with
`workflow.chain_walk.Walk`, which says why one signature per chain suffices.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial
from itertools import chain
from typing import Any

from sqlalchemy import Connection, Engine

from workflow.anchors import check_anchor, take_anchor
from workflow.chain_walk import REST, WIDE, Break, Signed, Tip, Walk, select_sql
from workflow.db import reading
from workflow.errors import DossierNotFound
from workflow.signing import KeyRing, development_signer

__all__ = ["AuditReport", "Break", "check_anchor", "take_anchor", "verify_chain"]
# Below this many entries one process is faster than starting others: a forked worker starts in milliseconds,
# a spawned one imports the application first (~1-3 s; spawn is used only where forking is unsafe).
PARALLEL_FROM = 200_000
SPAWNED_FROM = 2_000_000
BATCH = 50_000  # rows per fetch


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
    if seen == stored and covered.keys() <= seen.keys():
        return None  # the common case, compared in C
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
class Part:
    lo: int | None
    hi: int | None
    columns: bool
    adopt_unsigned: bool


@contextmanager
def chain_rows(
    conn: Connection, raw: Any, columns: bool, where: str = "", params: tuple[Any, ...] = ()
) -> Iterator[Iterator[Sequence[Any]]]:
    """The log's rows in chain order (dossier, seq) as the driver's plain tuples, read in big batches:
    on PostgreSQL through a server-side cursor, FAST rows in the binary format (bytes, ints and text come
    as they are stored, with no hex or text conversion per row). `bench.verify`'s floor reads the same way."""
    if conn.dialect.name == "postgresql":
        cursor = raw.cursor(name="rehab_verify", binary=not columns)
    else:
        cursor = raw.cursor()
    try:
        cursor.execute(select_sql(columns, where), params)
        yield chain.from_iterable(iter(partial(cursor.fetchmany, BATCH), []))  # tuples, no Python loop
    finally:
        cursor.close()


def verify_range(
    conn: Connection, raw: Any, keys: KeyRing, part: Part, covered: Mapping[int, Tip]
) -> tuple[Walk, Break | None]:
    where, params = "", ()  # type: tuple[str, tuple[Any, ...]]
    if part.lo is not None:
        where, params = f"WHERE dossier_id BETWEEN {mark(conn)} AND {mark(conn)}", (part.lo, part.hi)
    on_dossier = where.replace("dossier_id", "id")
    walk = Walk(keys, part.columns, covered=covered, adopt_unsigned=part.adopt_unsigned)
    walk.fetch_columns = column_fetcher(conn, raw)
    walk.fetch_signed = signature_fetcher(conn, raw, on_dossier.replace("id", "d.id"), params)
    stored = dossier_tips(raw, on_dossier, params)
    with chain_rows(conn, raw, part.columns, where, params) as rows:
        walk.run(rows) if part.columns else walk.run_fast(rows)  # type: ignore[arg-type]
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
    parallel_from: int | None = None,
) -> AuditReport:
    """Read every entry (of one dossier, or all) in chain order: sequence, link, SHA-256 of the stored
    bytes, each chain's signature, the dossier rows' tips, and the latest signed checkpoint's tips.
    `columns`: also compare the columns with the signed bytes. `keys`: the trusted public keys
    (default: the development key). `workers` > 1: processes over dossier-id ranges holding about as
    many entries each, from `parallel_from` entries (default `PARALLEL_FROM` when the workers can be
    forked, `SPAWNED_FROM` when they must start afresh). Raises `DossierNotFound` for a dossier without
    row or entries."""
    from workflow.audit_parallel import start_method, verify_in_parallel
    from workflow.checkpoints import CheckpointInvalid, latest_checkpoint

    keys = keys or development_keys()
    method = start_method()
    if parallel_from is None:
        parallel_from = PARALLEL_FROM if method == "fork" else SPAWNED_FROM
    with snapshot(db) as (conn, raw):
        try:
            checkpoint = latest_checkpoint(raw, keys)
        except CheckpointInvalid as err:
            return AuditReport(0, 0, Break(0, 0, None, str(err)))
        covered = checkpoint.tips if checkpoint else {}
        upto = max_log_id(raw)
        if not (workers > 1 and dossier_id is None and upto >= parallel_from and _parallel_ok(db)):
            part = Part(dossier_id, dossier_id, columns, adopt_unsigned)
            if dossier_id is not None:
                covered = {k: v for k, v in covered.items() if k == dossier_id}
            walk, broken = verify_range(conn, raw, keys, part, covered)
            if (
                dossier_id is not None
                and walk.entries == 0
                and not dossier_tips(raw, f"WHERE id = {mark(conn)}", (dossier_id,))
            ):
                raise DossierNotFound(dossier_id)  # "ok" for a dossier that does not exist would mislead
            cp = checkpoint.id if checkpoint else None
            return AuditReport(walk.entries, len(walk.tips), broken, cp, upto, walk.tips)
        ranges = entry_balanced_ranges(raw, workers * 4, covered)
    report = verify_in_parallel(db, keys, ranges, workers, method, Part(None, None, columns, adopt_unsigned), covered)
    return AuditReport(
        report.entries, report.dossiers, report.first_break, checkpoint.id if checkpoint else None, upto, report.tips
    )


def _parallel_ok(db: Engine) -> bool:
    return db.url.get_backend_name() != "sqlite" or db.url.database not in (None, "", ":memory:")


def entry_balanced_ranges(raw: Any, parts: int, known: Mapping[int, Tip] | None = None) -> list[tuple[int, int]]:
    """Contiguous dossier-id ranges covering every dossier row and every chain (a chain without its
    dossier row too), each holding about the same number of entries: counted by the checkpointed tips
    when `known` (no read of the dossier rows), else by each dossier row's `last_seq`."""
    cursor = raw.cursor()
    cursor.execute("SELECT min(dossier_id), max(dossier_id) FROM transition_log")
    ends = list(cursor.fetchone())
    if known:
        cursor.execute("SELECT min(id), max(id) FROM dossier")
        ends.extend(cursor.fetchone())
        counts = sorted((did, tip[0]) for did, tip in known.items())
    else:
        cursor.execute("SELECT id, last_seq FROM dossier ORDER BY id")
        counts = cursor.fetchall()
        ends.extend((counts[0][0], counts[-1][0]) if counts else ())
    cursor.close()
    ends = [v for v in ends if v is not None]
    if not ends:
        return [(0, 0)]
    lo, hi = min(ends), max(ends)
    total = sum(n for _, n in counts) or 1
    cuts: list[int] = []
    running, share = 0, total / parts
    for did, n in counts:
        running += n
        if running >= share * (len(cuts) + 1) and lo <= did < hi and len(cuts) < parts - 1:
            cuts.append(did)
    starts = [lo, *(c + 1 for c in cuts)]
    return list(zip(starts, [*cuts, hi], strict=True))
