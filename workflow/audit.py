"""Verifying the transition log: recompute every hash and every link, dossier by dossier."""

from __future__ import annotations

import hashlib
from collections.abc import Generator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Engine, select

from workflow.chain import GENESIS, canonical, entry_hash
from workflow.db import reading
from workflow.errors import DossierNotFound
from workflow.tables import Dossier, TransitionLog

LOG = TransitionLog.__table__  # type: ignore[attr-defined]
DOSSIER = Dossier.__table__  # type: ignore[attr-defined]


@dataclass(frozen=True, slots=True)
class Break:
    dossier_id: int
    seq: int
    log_id: int | None
    problem: str

    def describe(self) -> str:
        return f"dossier {self.dossier_id}, entry {self.seq} (log id {self.log_id}): {self.problem}"


@dataclass(frozen=True, slots=True)
class AuditReport:
    entries: int
    dossiers: int
    first_break: Break | None

    @property
    def ok(self) -> bool:
        return self.first_break is None


def _rows(conn: Connection, dossier_id: int | None) -> Generator[Any, None, None]:
    query = select(LOG).order_by(LOG.c.dossier_id, LOG.c.seq)
    if dossier_id is not None:
        query = query.where(LOG.c.dossier_id == dossier_id)
    result = conn.execution_options(yield_per=2000).execute(query)
    try:
        yield from result
    finally:
        result.close()


def _check_entry(row: Any, expected_seq: int, prev_hash: str) -> str | None:
    entry = row._asdict()
    if row.seq != expected_seq:
        return f"sequence gap: expected entry {expected_seq}, found {row.seq}"
    if row.prev_hash != prev_hash:
        return "link broken: prev_hash does not match the previous entry's hash"
    if entry_hash(entry) != row.hash:
        return "content altered: the stored hash does not match the entry"
    return None


def verify_chain(db: Engine, dossier_id: int | None = None) -> AuditReport:
    """Recompute every chain in one snapshot; report the first broken entry, a chain whose tip
    disagrees with its last entry (entries removed), or a chain whose dossier row is gone.
    Raises `DossierNotFound` for a dossier that has neither a row nor a log entry."""
    with reading(db) as conn:
        tips = {
            r.id: (r.last_seq, r.last_hash)
            for r in conn.execute(select(DOSSIER.c.id, DOSSIER.c.last_seq, DOSSIER.c.last_hash))
        }
        entries, last, broken = _walk(_rows(conn, dossier_id))
    if dossier_id is not None and entries == 0 and dossier_id not in tips:
        raise DossierNotFound(dossier_id)  # "ok" for a dossier that does not exist would mislead
    if broken is not None:
        return AuditReport(entries, len(last), broken)
    wanted = tips if dossier_id is None else {k: v for k, v in tips.items() if k == dossier_id}
    for did, tip in wanted.items():
        if last.get(did, (0, "")) != tip:
            seen = last.get(did, (0, ""))[0]
            problem = "entries missing: the dossier's chain tip is not the last log entry"
            return AuditReport(entries, len(last), Break(did, seen + 1, None, problem))
    for did, (seq, _) in last.items():
        if did not in tips:
            return AuditReport(entries, len(last), Break(did, seq, None, "the dossier row is missing"))
    return AuditReport(entries, len(last), None)


def _walk(rows: Generator[Any, None, None]) -> tuple[int, dict[int, tuple[int, str]], Break | None]:
    """Every entry in chain order: sequence, link and content; the first break stops the walk."""
    entries, current, seq, prev = 0, None, 0, GENESIS
    last: dict[int, tuple[int, str]] = {}
    for row in rows:
        if row.dossier_id != current:
            current, seq, prev = row.dossier_id, 0, GENESIS
        seq += 1
        entries += 1
        problem = _check_entry(row, seq, prev)
        if problem:
            rows.close()
            return entries, last, Break(row.dossier_id, row.seq, row.id, problem)
        prev = row.hash
        last[row.dossier_id] = (row.seq, row.hash)
    return entries, last, None


# --------------------------------------------------------------------------- anchors


def take_anchor(db: Engine, taken_at: str) -> dict[str, Any]:
    """Every chain's tip, and one digest over them: the procuracy keeps this outside the database.

    Whoever controls the database can rewrite a chain *and* its stored tip consistently; a later
    `verify_chain(..., anchor=...)` then shows that an anchored entry no longer has its hash.
    """
    with reading(db) as conn:
        rows = conn.execute(select(DOSSIER.c.id, DOSSIER.c.last_seq, DOSSIER.c.last_hash).order_by(DOSSIER.c.id))
        chains = {str(r.id): [r.last_seq, r.last_hash] for r in rows}
    return {"taken_at": taken_at, "chains": chains, "root": _root(chains)}


def _root(chains: dict[str, Any]) -> str:
    return hashlib.sha256(canonical({"chains": chains})).hexdigest()


def check_anchor(db: Engine, anchor: dict[str, Any]) -> Break | None:
    """The first anchored tip that the log no longer holds (None: every chain extends its anchor)."""
    chains = anchor.get("chains", {})
    if anchor.get("root") != _root(chains):
        return Break(0, 0, None, "the anchor file itself was altered (its root does not match)")
    with reading(db) as conn:
        for dossier_id, (seq, digest) in sorted(chains.items(), key=lambda kv: int(kv[0])):
            found = conn.execute(
                select(LOG.c.hash, LOG.c.id).where(LOG.c.dossier_id == int(dossier_id), LOG.c.seq == seq)
            ).first()
            if found is None or found.hash != digest:
                log_id = found.id if found else None
                return Break(int(dossier_id), seq, log_id, f"rewritten after the anchor of {anchor['taken_at']}")
    return None
