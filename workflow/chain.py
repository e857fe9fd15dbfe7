"""The hash chain of the transition log: canonical JSON, SHA-256, one chain per dossier.

`seal` is the one place that turns an entry into what is stored: its canonical bytes (`body`),
their SHA-256 (`hash`), and the server's signature of that hash (`signature`, `key_id`). The engine,
the other writers of the log and the bulk generator of `bench/` all call it, so they write the same.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from workflow.signing import Signer

GENESIS = "0" * 64
HASHED_FIELDS = (
    "dossier_id",
    "seq",
    "at",
    "kind",
    "actor",
    "actor_agency",
    "event",
    "from_state",
    "to_state",
    "applied",
    "payload",
    "reasons",
    "prev_hash",
)


def _default(value: Any) -> str:
    if isinstance(value, datetime):
        return utc_iso(value)
    if isinstance(value, date):
        return value.isoformat()
    raise TypeError(f"not JSON-serialisable: {type(value).__name__}")


def utc_iso(value: datetime) -> str:
    """A UTC timestamp as stored: naive values from the database are UTC."""
    if value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    return value.isoformat(timespec="microseconds")


def canonical(data: Mapping[str, Any]) -> bytes:
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=_default).encode("utf-8")


def entry_hash(entry: Mapping[str, Any]) -> str:
    return hashlib.sha256(canonical({k: entry[k] for k in HASHED_FIELDS})).hexdigest()


def seal(entry: dict[str, Any], signer: Signer) -> dict[str, Any]:
    """Complete `entry` (every HASHED_FIELDS key set, `prev_hash` included) with its stored bytes,
    hash and signature, in place; returns it."""
    body = canonical({k: entry[k] for k in HASHED_FIELDS})
    entry["body"] = body
    entry["hash"], entry["signature"], entry["key_id"] = seal_body(body, signer)
    return entry


def seal_body(body: bytes, signer: Signer) -> tuple[str, bytes, str]:
    """The hash, signature and key id of an entry's canonical bytes (`seal` without building them: the bulk
    generator of `bench/` splices a template's bytes)."""
    digest = hashlib.sha256(body).hexdigest()
    return digest, signer.sign_entry(digest), signer.key_id
