"""Walking the stored chains fast: SHA-256 of the stored bytes, links, sequence, the tip's signature.

Rows come from the driver's cursor as plain tuples (no ORM rows, no JSON): for an entry written by
`workflow.chain.seal` the walk only hashes `body` and compares strings, so it runs at about the speed
of SHA-256 itself. The columns the application reads (event, actor, payload, …) are compared with
`body` only when asked (`columns=True`: a slower pass, parallel in `verify_chain(workers=…)`).

Why checking only each chain's last signature suffices: an entry's hash covers its `prev_hash`, so the
tip's hash covers every entry before it. Whoever lacks the key can neither append an entry (its tip
signature fails) nor rewrite one in the middle (every later hash changes, the tip's with them). And a
tip that a valid signed checkpoint already holds (same entry, same hash) needs no check of its own: the
checkpoint's signature covers it, so a full verify checks one signature per chain changed since the last
checkpoint, not one per chain (an Ed25519 check costs ~60 µs, as much as hashing ~60 entries). What a
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

# Two row layouts. FAST (the hash and link pass): what is needed to hash the stored bytes and follow the chain;
# the links are read from inside the hashed bytes, so the columns are not trusted for them. WIDE (the columns
# pass, legacy rows, incremental and offline checks): also the log id, the signature and every hashed column.
FAST = ("dossier_id", "seq", "hash", "body")
WIDE = (*FAST, "id", "prev_hash", "signature", "key_id")
REST = tuple(f for f in HASHED_FIELDS if f not in WIDE)


def select_sql(columns: bool, where: str = "", order: str = "dossier_id, seq") -> str:
    names = (*WIDE, *REST) if columns else FAST
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
Signed = tuple[int, str, bytes | None, str | None]  # a chain's last entry: seq, hash, signature, key id


_PREV_MARK = b',"prev_hash":"'


def embedded(body: bytes, dossier: bytes, prev: bytes, seq: int) -> bool:
    """Whether the canonical bytes link to this previous hash and, for a chain's first entry, name this dossier
    and number 1. Keys are sorted and strings escape their quotes, so the first `"dossier_id":` is the entry's
    own (only strings and scalars come before it) and so are the last `,"prev_hash":"` and `,"seq":` (after
    them only the server's refusal reasons, the number and the state). Later entries need only the link: the
    server links an entry only to the previous entry of the same dossier, so a genuine body that links to this
    chain's previous hash is this chain's next entry."""
    j = body.rfind(_PREV_MARK)
    if body[j + 14 : j + 78] != prev:
        return False
    if seq != 1:
        return True
    i = body.find(b'"dossier_id":')
    k = body.rfind(b',"seq":')
    return body[i : i + len(dossier)] == dossier and body[k + 7 : k + 9] == b"1,"


@dataclass
class Walk:
    """One pass over rows ordered by (dossier, seq). `starts`: where each chain stood before these rows
    (a checkpoint's tips; absent: the genesis). `covered`: checkpointed tips the log must still hold;
    an unsigned (pre-signature) tip is accepted only when covered. `signed`: each chain's last entry
    with its signature, for FAST rows (WIDE rows carry their own)."""

    keys: KeyRing
    columns: bool = False
    starts: Mapping[int, Tip] = field(default_factory=dict)
    covered: Mapping[int, Tip] = field(default_factory=dict)
    signed: Mapping[int, Signed] = field(default_factory=dict)
    # FAST rows: the signatures of the tips no checkpoint holds, read after the walk (few once checkpointed)
    fetch_signed: Callable[[list[int]], Mapping[int, Signed]] | None = None
    pending: list[Sequence[Any]] = field(default_factory=list)
    adopt_unsigned: bool = False
    covered_by: str = "the signed checkpoint"
    fetch_columns: Callable[[int, int], Sequence[Any]] | None = None  # WIDE row of (dossier, seq): legacy rows
    entries: int = 0
    tips: dict[int, Tip] = field(default_factory=dict)
    broken: Break | None = None

    def run(self, rows: Iterable[Sequence[Any]]) -> None:
        """Any row layout (FAST, WIDE, legacy rows without stored bytes), one row at a time."""
        current, seq, prev, want, last, dossier = None, 0, GENESIS.encode(), None, None, b""
        for row in rows:
            did, digest = row[0], row[2]
            if did != current:
                if last is not None and not self._close(last, want):
                    return
                current, want, dossier = did, self.covered.get(did), b'"dossier_id":%d,' % did
                seq, start = self.starts.get(did, (0, GENESIS))
                prev = start.encode()
            seq += 1
            self.entries += 1
            problem = self._problem(row, seq, prev, dossier, want)
            if problem is not None:
                self._stop(row, problem)
                return
            prev, last = digest.encode(), row
        self._finish(last, want)

    def run_fast(self, rows: Iterable[tuple[int, int, str, bytes | None]]) -> None:
        """FAST rows (dossier id, seq, hash, body): the checks of `run` with the common case inlined, a few
        C calls per entry (SHA-256, one `rfind`, one slice, one comparison each); any other entry (a
        checkpointed one, a legacy row, a break) goes through `run`'s checks, which name what is wrong."""
        sha, mark, starts, covered = hashlib.sha256, _PREV_MARK, self.starts, self.covered
        current, seq, first, prev, want, want_seq, dossier = None, 0, 0, b"", None, 0, b""
        entries = 0
        for did, s, digest, body in rows:
            if did == current:
                seq += 1
                if (
                    s == seq
                    and s != want_seq
                    and body is not None
                    and sha(body).hexdigest() == digest
                    and body[(j := body.rfind(mark)) + 14 : j + 78] == prev
                ):
                    prev = digest.encode()
                    continue
            else:
                if current is not None:
                    entries += seq - first
                    if not self._close((current, seq, prev.decode()), want):
                        self.entries += entries
                        return
                current, want, dossier = did, covered.get(did), b'"dossier_id":%d,' % did
                want_seq = want[0] if want is not None else 0
                first, start = starts.get(did, (0, GENESIS))
                seq, prev = first + 1, start.encode()
                if (
                    s == seq
                    and s != want_seq
                    and body is not None
                    and sha(body).hexdigest() == digest
                    and embedded(body, dossier, prev, s)
                ):
                    prev = digest.encode()
                    continue
            row = (did, s, digest, body)
            problem = self._problem(row, seq, prev, dossier, want)
            if problem is not None:
                self.entries += entries + seq - first
                self._stop(row, problem)
                return
            prev = digest.encode()
        if current is not None:
            self.entries += entries + seq - first
            self._finish((current, seq, prev.decode()), want)

    def _problem(self, row: Sequence[Any], seq: int, prev: bytes, dossier: bytes, want: Tip | None) -> str | None:
        """What is wrong with this entry, expected as number `seq` after `prev` (None: nothing)."""
        did, s, digest, body = row[0], row[1], row[2], row[3]
        problem = None
        if s != seq:
            problem = f"sequence gap: expected entry {seq}, found {s}"
        elif self.columns or body is None:
            problem = self._content(row if self.columns else self._wide(did, s), prev)
        elif hashlib.sha256(body).hexdigest() != digest:
            problem = "content altered: the stored hash does not match the entry"
        elif not embedded(body, dossier, prev, s):
            problem = "link broken: the hashed bytes do not follow the previous entry of this dossier's chain"
        if problem is None and want is not None and s == want[0] and digest != want[1]:
            problem = f"rewritten after {self.covered_by}: the entry's hash changed"
        return problem

    def _finish(self, last: Sequence[Any] | None, want: Tip | None) -> None:
        if last is not None and self._close(last, want) and self.pending:
            self._check_pending()

    def _check_pending(self) -> None:
        assert self.fetch_signed is not None, "FAST rows need fetch_signed"
        self.signed = self.fetch_signed([row[0] for row in self.pending])
        for row in self.pending:
            if not self._close(row, None):
                return

    def _wide(self, did: int, seq: int) -> Sequence[Any]:
        assert self.fetch_columns is not None, "rows without stored bytes need fetch_columns"
        return self.fetch_columns(did, seq)

    def _content(self, row: Sequence[Any], prev: bytes) -> str | None:
        """A WIDE row: the bytes rebuilt from the columns must hash to the stored hash (no stored bytes:
        the legacy path) or equal the stored bytes (the columns pass), and the columns' link must hold."""
        body = row[3]
        rebuilt = canonical(entry_from_columns(row))
        if hashlib.sha256(bytes(body) if body is not None else rebuilt).hexdigest() != row[2]:
            return "content altered: the stored hash does not match the entry"
        if row[5] != prev.decode():
            return "link broken: prev_hash does not match the previous entry's hash"
        if body is not None and bytes(body) != rebuilt:
            return "columns altered: the stored columns differ from the hashed and signed bytes"
        return None

    def _close(self, last: Sequence[Any], want: Tip | None) -> bool:
        """The end of one chain: its tip, checked against the checkpoint and signed by a trusted key."""
        did, seq, digest = last[0], last[1], last[2]
        self.tips[did] = (seq, digest)
        if want is not None and want[0] > seq:
            return self._stop(last, f"entries missing: {self.covered_by} holds entry {want[0]}")
        if want is not None and want == (seq, digest):
            return True  # the signed checkpoint holds this very tip: its signature covers the chain
        if len(last) > len(FAST):
            signature, key_id = last[6], last[7]
        elif did not in self.signed and self.fetch_signed is not None:
            self.pending.append(last)
            return True
        else:
            found = self.signed.get(did)
            if found is None or found[:2] != (seq, digest):
                return True  # the dossier row's tip is not this entry: compare_tips names it
            signature, key_id = found[2], found[3]
        if signature is None:
            if self.adopt_unsigned:
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
            log_id = row[4] if len(row) > len(FAST) and row[4] is not None else None
            self.broken = Break(int(row[0]), int(row[1]), None if log_id is None else int(log_id), problem)
        return False


def entry_from_columns(row: Sequence[Any]) -> dict[str, Any]:
    """The hashed fields of a WIDE row as the database returns them (SQLite: text times and JSON, integer
    booleans)."""
    entry = dict(zip(REST, row[len(WIDE) :], strict=True))
    entry.update(dossier_id=row[0], seq=row[1], prev_hash=row[5])
    at = entry["at"]
    entry["at"] = utc_iso(at if isinstance(at, datetime) else datetime.fromisoformat(str(at)))
    entry["applied"] = bool(entry["applied"])
    for name in ("payload", "reasons"):
        if isinstance(entry[name], str | bytes):
            entry[name] = json.loads(entry[name])
    return entry
