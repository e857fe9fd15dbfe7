"""Walking the stored chains fast: SHA-256 of the stored bytes, links, sequence, the tip's signature.

Rows come from the driver's cursor as plain tuples (no ORM rows, no JSON): for an entry written by
`workflow.chain.seal` the walk only hashes `body` and compares strings, so it runs at about the speed
of SHA-256 itself. The columns the application reads (event, actor, payload, …) are compared with
`body` only when asked (`columns=True`: a slower pass, parallel in `verify_chain(workers=…)`).

Why checking only each chain's last signature suffices: an entry's hash covers its `prev_hash`, so the
tip's hash covers every entry before it. Whoever lacks the key can neither append an entry (its tip
signature fails) nor rewrite one in the middle (every later hash changes, the tip's with them). What a
signature cannot show is a chain cut short at an older, validly signed entry: the dossier row's tip,
signed checkpoints and the procuracy's anchors show that.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from workflow.chain import GENESIS, HASHED_FIELDS, canonical, utc_iso
from workflow.signing import KeyRing

# column order of a row: the fast part, then (columns=True) the rest of the hashed fields
FAST = ("id", "dossier_id", "seq", "prev_hash", "hash", "body", "signature", "key_id")
REST = tuple(f for f in HASHED_FIELDS if f not in FAST)


def select_sql(columns: bool, where: str = "", order: str = "dossier_id, seq") -> str:
    names = FAST + (REST if columns else ())
    return f"SELECT {', '.join(names)} FROM transition_log {where} ORDER BY {order}"


@dataclass(frozen=True, slots=True)
class Break:
    dossier_id: int
    seq: int
    log_id: int | None
    problem: str

    def describe(self) -> str:
        return f"dossier {self.dossier_id}, entry {self.seq} (log id {self.log_id}): {self.problem}"


Tip = tuple[int, str]


@dataclass
class Walk:
    """One pass over rows ordered by (dossier, seq). `starts`: where each chain stood before these rows
    (a checkpoint's tips; absent: the genesis). `covered`: checkpointed tips the log must still hold;
    an unsigned (pre-signature) tip is accepted only when covered."""

    keys: KeyRing
    columns: bool = False
    starts: Mapping[int, Tip] = field(default_factory=dict)
    covered: Mapping[int, Tip] = field(default_factory=dict)
    adopt_unsigned: bool = False
    covered_by: str = "the signed checkpoint"
    fetch_columns: Callable[[int], Sequence[Any]] | None = None  # one row's REST columns, for legacy rows
    entries: int = 0
    tips: dict[int, Tip] = field(default_factory=dict)
    broken: Break | None = None

    def run(self, rows: Iterable[Sequence[Any]]) -> None:
        sha = hashlib.sha256
        current, seq, prev, want, last = None, 0, GENESIS, None, None
        for row in rows:
            did, s, digest = row[1], row[2], row[4]
            if did != current:
                if last is not None and not self._close(last, want):
                    return
                current, want = did, self.covered.get(did)
                seq, prev = self.starts.get(did, (0, GENESIS))
            seq += 1
            self.entries += 1
            body = row[5]
            problem = None
            if s != seq:
                problem = f"sequence gap: expected entry {seq}, found {s}"
            elif row[3] != prev:
                problem = "link broken: prev_hash does not match the previous entry's hash"
            elif body is None or self.columns:
                problem = self._content(row, body)
            elif sha(body).hexdigest() != digest:
                problem = "content altered: the stored hash does not match the entry"
            if problem is None and want is not None and s == want[0] and digest != want[1]:
                problem = f"rewritten after {self.covered_by}: the entry's hash changed"
            if problem is not None:
                self._stop(row, problem)
                return
            prev, last = digest, row
        if last is not None:
            self._close(last, want)

    def _content(self, row: Sequence[Any], body: bytes | None) -> str | None:
        """The legacy path (no stored bytes: rebuilt from the columns), or the columns pass."""
        rest = row[len(FAST) :] if len(row) > len(FAST) else self._fetch(row[0])
        rebuilt = canonical(entry_from_columns(row, rest))
        if hashlib.sha256(bytes(body) if body is not None else rebuilt).hexdigest() != row[4]:
            return "content altered: the stored hash does not match the entry"
        if body is not None and bytes(body) != rebuilt:
            return "columns altered: the stored columns differ from the hashed and signed bytes"
        return None

    def _fetch(self, log_id: int) -> Sequence[Any]:
        assert self.fetch_columns is not None, "legacy rows need fetch_columns"
        return self.fetch_columns(log_id)

    def _close(self, last: Sequence[Any], want: Tip | None) -> bool:
        """The end of one chain: its tip, checked against the checkpoint and signed by a trusted key."""
        did, seq, digest, signature, key_id = last[1], last[2], last[4], last[6], last[7]
        self.tips[did] = (seq, digest)
        if want is not None and want[0] > seq:
            return self._stop(last, f"entries missing: {self.covered_by} holds entry {want[0]}")
        if signature is None:
            if (want is not None and want[0] == seq) or self.adopt_unsigned:
                return True
            problem = f"unsigned: the chain's last entry has no signature and {self.covered_by} does not cover it"
            return self._stop(last, problem)
        if not self.keys.verify_entry(key_id, signature, digest):
            problem = (
                "signature invalid: the chain's last entry is not signed by a trusted key"
                f" (key id {key_id}; appended or rewritten without the server's key)"
            )
            return self._stop(last, problem)
        return True

    def _stop(self, row: Sequence[Any], problem: str) -> bool:
        if self.broken is None:
            self.broken = Break(int(row[1]), int(row[2]), None if row[0] is None else int(row[0]), problem)
        return False


def entry_from_columns(row: Sequence[Any], rest: Sequence[Any]) -> dict[str, Any]:
    """The hashed fields as the database returns them (SQLite: text times and JSON, integer booleans)."""
    entry = dict(zip(REST, rest, strict=True))
    entry.update(dossier_id=row[1], seq=row[2], prev_hash=row[3])
    at = entry["at"]
    entry["at"] = utc_iso(at if isinstance(at, datetime) else datetime.fromisoformat(str(at)))
    entry["applied"] = bool(entry["applied"])
    for name in ("payload", "reasons"):
        if isinstance(entry[name], str | bytes):
            entry[name] = json.loads(entry[name])
    return entry
