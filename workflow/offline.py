"""Offline verification for the procuracy: an exported log and an anchor, with only the public key.

No database: each exported line (`rehab audit export`) holds an entry's hashed fields, its hash, the
server's signature and key id. The check rebuilds each entry's canonical bytes (JSON, keys sorted, no
spaces, UTF-8: `workflow.chain.canonical`), hashes them, follows the links, and checks the signature
of each chain's last entry with the public key (`rehab audit public-key`); with an anchor, checks its
signature and that every anchored tip is still in the export.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from workflow.anchors import anchor_problem
from workflow.chain import HASHED_FIELDS, canonical
from workflow.chain_walk import Break, Walk
from workflow.signing import KeyRing


@dataclass(frozen=True)
class OfflineReport:
    entries: int
    chains: int
    first_break: Break | None

    @property
    def ok(self) -> bool:
        return self.first_break is None


class ExportUnreadable(ValueError):
    """A line that is not an exported entry: says which and why."""


def _rows(lines: Iterable[str]) -> Iterator[tuple[Any, ...]]:
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            entry = json.loads(line)
            body = canonical({k: entry[k] for k in HASHED_FIELDS})
            signature = base64.b64decode(entry["signature"], validate=True) if entry.get("signature") else None
            yield (
                entry["dossier_id"],
                entry["seq"],
                entry["hash"],
                body,
                entry.get("id"),
                entry["prev_hash"],
                signature,
                entry.get("key_id"),
            )  # fmt: skip  (workflow.chain_walk.WIDE, without the columns)
        except (json.JSONDecodeError, KeyError, TypeError, binascii.Error) as err:
            raise ExportUnreadable(f"line {number} is not an exported entry: {err}") from None


def verify_export(lines: Iterable[str], keys: KeyRing, anchor: dict[str, Any] | None = None) -> OfflineReport:
    """Hashes, links and each chain's signature of an export; with an anchor, its signature and tips."""
    covered: dict[int, tuple[int, str]] = {}
    if anchor is not None:
        problem = anchor_problem(anchor, keys, require_signature=True)
        if problem:
            return OfflineReport(0, 0, Break(0, 0, None, problem))
        covered = {int(k): (int(v[0]), str(v[1])) for k, v in anchor["chains"].items() if int(v[0]) > 0}
    label = f"the anchor of {anchor['taken_at']}" if anchor else "the anchor"
    walk = Walk(keys, covered=covered, covered_by=label)
    walk.run(_rows(lines))
    broken = walk.broken
    if broken is None:
        missing = sorted(set(covered) - set(walk.tips))
        if missing:
            broken = Break(missing[0], 1, None, f"the anchored chain is missing from the export ({label})")
    return OfflineReport(walk.entries, len(walk.tips), broken)
