"""Anchors: every chain's tip and one digest over them, signed by the server, kept by the procuracy.

Whoever controls the database can rewrite a chain *and* its stored tip consistently (without the
signing key they cannot re-sign it, see workflow.chain_walk; with it, they can). An anchor kept
outside the database shows that an anchored entry no longer has its hash. Its signature lets the
procuracy check offline, with only the public key, that the anchor is the server's and unaltered.
"""

from __future__ import annotations

import hashlib
from typing import Any

from sqlalchemy import Engine, select

from workflow.chain import canonical
from workflow.chain_walk import Break
from workflow.db import reading
from workflow.signing import KeyRing, Signer
from workflow.tables import Dossier, TransitionLog

LOG = TransitionLog.__table__  # type: ignore[attr-defined]
DOSSIER = Dossier.__table__  # type: ignore[attr-defined]


def root_of(chains: dict[str, Any]) -> str:
    return hashlib.sha256(canonical({"chains": chains})).hexdigest()


def anchor_signed_part(anchor: dict[str, Any]) -> dict[str, Any]:
    return {"root": anchor.get("root"), "taken_at": anchor.get("taken_at")}


def take_anchor(db: Engine, taken_at: str, signer: Signer | None = None) -> dict[str, Any]:
    """Every chain's tip and the root over them; signed when a signer is given."""
    with reading(db) as conn:
        rows = conn.execute(select(DOSSIER.c.id, DOSSIER.c.last_seq, DOSSIER.c.last_hash).order_by(DOSSIER.c.id))
        chains = {str(r.id): [r.last_seq, r.last_hash] for r in rows}
    anchor: dict[str, Any] = {"taken_at": taken_at, "chains": chains, "root": root_of(chains)}
    if signer is not None:
        anchor.update(signer.sign_record("anchor", anchor_signed_part(anchor)))
    return anchor


def anchor_problem(anchor: dict[str, Any], keys: KeyRing | None, *, require_signature: bool = False) -> str | None:
    """What is wrong with the anchor file itself (None: intact, and signed by a trusted key if signed)."""
    chains = anchor.get("chains")
    if not isinstance(chains, dict) or anchor.get("root") != root_of(chains):
        return "the anchor file itself was altered (its root does not match)"
    if "signature" not in anchor:
        return "the anchor is not signed" if require_signature else None
    if keys is None or not keys.verify_record("anchor", anchor_signed_part(anchor), anchor):
        return f"the anchor's signature is not valid for a trusted key (key id {anchor.get('key_id')})"
    return None


def check_anchor(db: Engine, anchor: dict[str, Any], keys: KeyRing | None = None) -> Break | None:
    """The first anchored tip that the log no longer holds (None: every chain extends its anchor).
    A signed anchor's signature is checked against `keys` (default: the development key)."""
    if keys is None:
        from workflow.audit import development_keys

        keys = development_keys()
    problem = anchor_problem(anchor, keys)
    if problem:
        return Break(0, 0, None, problem)
    with reading(db) as conn:
        for dossier_id, (seq, digest) in sorted(anchor["chains"].items(), key=lambda kv: int(kv[0])):
            found = conn.execute(
                select(LOG.c.hash, LOG.c.id).where(LOG.c.dossier_id == int(dossier_id), LOG.c.seq == seq)
            ).first()
            if found is None or found.hash != digest:
                log_id = found.id if found else None
                return Break(int(dossier_id), seq, log_id, f"rewritten after the anchor of {anchor['taken_at']}")
    return None
