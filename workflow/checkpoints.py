"""Signed checkpoints of a verified prefix, and the incremental verify that starts from the last one.

A checkpoint holds every chain's tip after a verify that passed (canonical JSON, as in an anchor),
the root over them and the highest log id read, signed by the server (workflow.signing). The daily
`rehab audit verify` checks the checkpoint's signature, reads only the entries after it and the
dossier rows' tips, checks each new entry's hash and link from the checkpointed tip and each changed
chain's new signature, then writes the next checkpoint. `--full` reads everything again (an entry
altered after it was checkpointed is found only there, or by an anchor).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine

from workflow.anchors import root_of
from workflow.audit import AuditReport, column_fetcher, compare_tips, dossier_tips, mark, max_log_id, snapshot
from workflow.chain import canonical
from workflow.chain_walk import Break, Tip, Walk, select_sql
from workflow.signing import KeyRing, Signer


class CheckpointInvalid(ValueError):
    """The latest checkpoint's signature or root does not hold: someone altered it."""


@dataclass(frozen=True)
class Checkpoint:
    id: int
    taken_at: str
    upto_log_id: int
    entries: int
    tips: dict[int, Tip]


def signed_part(taken_at: str, upto_log_id: int, entries: int, root: str) -> dict[str, Any]:
    return {"entries": entries, "root": root, "taken_at": taken_at, "upto_log_id": upto_log_id}


def latest_checkpoint(raw: Any, keys: KeyRing) -> Checkpoint | None:
    cursor = raw.cursor()
    cursor.execute(
        "SELECT id, taken_at, upto_log_id, entries, root, tips, key_id, signature "
        "FROM audit_checkpoint ORDER BY id DESC LIMIT 1"
    )
    found = cursor.fetchone()
    cursor.close()
    if found is None:
        return None
    cid, taken_at, upto, entries, root, tips, key_id, signature = found
    stored = bytes(tips)
    # the root is SHA-256 of {"chains": <the tips' canonical bytes>} (`root_of`): the bytes as stored are hashed,
    # not decoded and encoded again, so tips rewritten in any way, even only in form, do not match it
    if hashlib.sha256(b'{"chains":' + stored + b"}").hexdigest() != root:
        raise CheckpointInvalid(f"checkpoint {cid} was altered: its tips do not match its root")
    chains = json.loads(stored)
    signed = {"key_id": key_id, "signature": signature}
    if not keys.verify_record("checkpoint", signed_part(taken_at, upto, entries, root), signed):
        raise CheckpointInvalid(f"checkpoint {cid} is not signed by a trusted key (key id {key_id})")
    return Checkpoint(
        cid, taken_at, upto, entries, dict(zip(map(int, chains), map(tuple, chains.values()), strict=True))
    )


def write_checkpoint(db: Engine, signer: Signer, report: AuditReport, taken_at: str, entries: int) -> int:
    """Record the tips of a verify that passed, signed."""
    assert report.ok, "only a verified prefix is checkpointed"
    chains = {str(k): [v[0], v[1]] for k, v in sorted(report.tips.items())}
    root = root_of(chains)
    signed = signer.sign_record("checkpoint", signed_part(taken_at, report.upto_log_id, entries, root))
    with db.begin() as conn:
        cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
        m = mark(conn)
        cursor.execute(
            "INSERT INTO audit_checkpoint (taken_at, upto_log_id, entries, chains, root, tips, key_id, signature) "
            f"VALUES ({', '.join([m] * 8)})",
            (taken_at, report.upto_log_id, entries, len(chains), root, canonical(chains), signed["key_id"],
             signed["signature"]),
        )  # fmt: skip
        cursor.execute("SELECT max(id) FROM audit_checkpoint")
        return int(cursor.fetchone()[0])


def verify_since_checkpoint(db: Engine, keys: KeyRing, *, columns: bool = True) -> tuple[AuditReport, int]:
    """Verify only the entries after the latest checkpoint (everything when there is none).
    Returns the report (its `entries`: how many entries were read) and the total the next checkpoint covers."""
    from workflow.audit import verify_chain

    with snapshot(db) as (conn, raw):
        try:
            checkpoint = latest_checkpoint(raw, keys)
        except CheckpointInvalid as err:
            return AuditReport(0, 0, Break(0, 0, None, str(err))), 0
        if checkpoint is not None:
            return _since(conn, raw, keys, checkpoint, columns)
    report = verify_chain(db, keys=keys, columns=columns)
    return report, report.entries


def _since(conn: Any, raw: Any, keys: KeyRing, checkpoint: Checkpoint, columns: bool) -> tuple[AuditReport, int]:
    stored = dossier_tips(raw)
    upto = max(max_log_id(raw), checkpoint.upto_log_id)
    m = mark(conn)
    chains: dict[int, list[Any]] = {}
    cursor = raw.cursor()
    cursor.execute(select_sql(True, f"WHERE id > {m}"), (checkpoint.upto_log_id,))
    for row in cursor.fetchall():
        if row[1] > checkpoint.tips.get(row[0], (0, ""))[0]:  # a parallel full verify may have covered it
            chains.setdefault(row[0], []).append(row)
    touched = {d for d, tip in stored.items() if tip != checkpoint.tips.get(d)} | set(chains)
    for did in touched:  # an entry committed late, with an id below the checkpoint's: read the chain's tail
        after = checkpoint.tips.get(did, (0, ""))[0]
        rows = chains.get(did, [])
        if stored.get(did, (0, ""))[0] > after and (not rows or rows[0][1] != after + 1):
            cursor.execute(select_sql(True, f"WHERE dossier_id = {m} AND seq > {m}", "seq"), (did, after))
            chains[did] = cursor.fetchall()
    cursor.close()
    walk = Walk(keys, columns, starts=checkpoint.tips, fetch_columns=column_fetcher(conn, raw))
    walk.run(row for did in sorted(chains) for row in chains[did])
    tips = {**checkpoint.tips, **walk.tips}
    broken = walk.broken or compare_tips(tips, stored, checkpoint.tips)
    report = AuditReport(walk.entries, len(chains), broken, checkpoint.id, upto, tips)
    return report, checkpoint.entries + walk.entries
