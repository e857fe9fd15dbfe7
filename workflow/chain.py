"""The hash chain of the transition log: canonical JSON, SHA-256, one chain per dossier."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from datetime import UTC, date, datetime
from typing import Any

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
