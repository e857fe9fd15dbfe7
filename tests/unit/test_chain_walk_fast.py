"""The hash and link pass's fast loop (`Walk.run_fast`) finds exactly what the general one (`Walk.run`)
finds, on genuine chains and on every kind of tampering, with and without a checkpoint; and a parallel
verify's dossier-id ranges cover every chain and hold about as many entries each."""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest

from workflow.audit import entry_balanced_ranges
from workflow.chain import GENESIS, seal
from workflow.chain_walk import Walk
from workflow.signing import KeyRing, Signer, generate_private_text, load_private

SIGNER = Signer(load_private(generate_private_text()))
KEYS = KeyRing.of([SIGNER.public])
Row = list[Any]  # dossier id, seq, hash, body, signature, key id


def _chains(lengths: dict[int, int]) -> list[Row]:
    rows: list[Row] = []
    for did, n in lengths.items():
        prev = GENESIS
        for seq in range(1, n + 1):
            entry = {
                "dossier_id": did,
                "seq": seq,
                "at": datetime(2026, 1, 1, tzinfo=UTC),
                "kind": "step",
                "actor": "a",
                "actor_agency": None,
                "event": "e",
                "from_state": "s",
                "to_state": "t",
                "applied": True,
                "payload": {"prev_hash": "f" * 64, "n": seq},  # a nested "prev_hash" must not pass for the link
                "reasons": [],
                "prev_hash": prev,
            }
            seal(entry, SIGNER)
            rows.append([did, seq, entry["hash"], entry["body"], entry["signature"], entry["key_id"]])
            prev = entry["hash"]
    return rows


def _reseal(row: Row, body: bytes) -> None:
    row[3], row[2] = body, hashlib.sha256(body).hexdigest()


def _walk(rows: list[Row], fast: bool, covered: dict[int, tuple[int, str]]) -> tuple[Any, int, dict[int, Any]]:
    signed = {}
    for r in rows:  # each chain's last row, as the database's dossier rows would name it
        signed[r[0]] = (r[1], r[2], r[4], r[5])
    walk = Walk(KEYS, covered=covered, signed=signed)
    fast_rows = [tuple(r[:4]) for r in rows]
    walk.run_fast(iter(fast_rows)) if fast else walk.run(iter(fast_rows))
    return walk.broken, walk.entries, walk.tips


def _swap(rows: list[Row]) -> None:
    rows[3], rows[4] = rows[4], rows[3]


TAMPERINGS: dict[str, Callable[[list[Row]], None]] = {
    "genuine": lambda rows: None,
    "altered bytes": lambda rows: rows[4].__setitem__(3, rows[4][3].replace(b'"actor":"a"', b'"actor":"b"')),
    "altered, hash recomputed": lambda rows: _reseal(rows[4], rows[4][3].replace(b'"actor":"a"', b'"actor":"b"')),
    "entry removed": lambda rows: rows.pop(5),
    "entries swapped": _swap,
    "last entry removed": lambda rows: rows.pop(7),
    "a checkpointed last entry removed": lambda rows: rows.pop(12),
    "no stored bytes": lambda rows: rows[2].__setitem__(3, None),
    "first entry of another dossier": lambda rows: _reseal(
        rows[8], rows[8][3].replace(b'"dossier_id":2,', b'"dossier_id":9,')
    ),
    "first entry numbered 2": lambda rows: _reseal(rows[8], rows[8][3].replace(b',"seq":1,', b',"seq":2,')),
    "bad tip signature": lambda rows: rows[7].__setitem__(4, b"\0" * 64),
}


@pytest.mark.parametrize("tampering", list(TAMPERINGS))
@pytest.mark.parametrize("checkpointed", [False, True])
def test_the_fast_loop_finds_what_the_general_one_finds(tampering: str, checkpointed: bool) -> None:
    rows = _chains({1: 8, 2: 5, 3: 3})
    covered = {1: (6, rows[5][2]), 2: (5, rows[12][2])} if checkpointed else {}
    TAMPERINGS[tampering](rows)
    if tampering == "no stored bytes":
        # a legacy row: both loops ask for its columns, which here say nothing: the same break either way
        with pytest.raises(AssertionError):
            _walk(rows, True, covered)
        return

    fast, general = _walk(rows, True, covered), _walk(rows, False, covered)

    assert fast == general
    # a chain cut after its last entry is the dossier row's to show (`compare_tips`), or the checkpoint's
    cut = tampering == "last entry removed" or (tampering == "a checkpointed last entry removed" and not checkpointed)
    unseen = tampering == "genuine" or cut
    assert (fast[0] is None) == unseen, fast[0]


def test_a_checkpointed_entry_rewritten_is_named_by_the_fast_loop() -> None:
    rows = _chains({1: 8})
    covered = {1: (6, "0" * 64)}  # the checkpoint holds another hash for entry 6

    broken, _, _ = _walk(rows, True, covered)

    assert broken is not None and (broken.seq, broken.problem[:9]) == (6, "rewritten")


def test_parallel_ranges_cover_every_chain_and_balance_the_entries() -> None:
    raw = sqlite3.connect(":memory:")
    raw.execute("CREATE TABLE dossier (id INTEGER PRIMARY KEY, last_seq INTEGER)")
    raw.execute("CREATE TABLE transition_log (dossier_id INTEGER, seq INTEGER)")
    sizes = {did: (40 if did % 10 == 0 else 4) for did in range(5, 405)}
    raw.executemany("INSERT INTO dossier VALUES (?, ?)", sizes.items())
    log = [(did, s) for did, n in sizes.items() for s in range(1, n + 1)] + [(2, 1), (999, 1)]  # rows without dossier
    raw.executemany("INSERT INTO transition_log VALUES (?, ?)", log)

    ranges = entry_balanced_ranges(raw, 4)

    assert ranges[0][0] == 2 and ranges[-1][1] == 999 and len(ranges) == 4
    assert all(a[1] + 1 == b[0] for a, b in zip(ranges, ranges[1:], strict=False))  # contiguous
    shares = [sum(n for did, n in sizes.items() if lo <= did <= hi) for lo, hi in ranges]
    assert max(shares) - min(shares) <= 40 + 4, shares
    known = {did: (n, "h") for did, n in sizes.items()}  # a checkpoint's tips count the same entries
    assert entry_balanced_ranges(raw, 4, known) == ranges

    raw.execute("DELETE FROM dossier")
    raw.execute("DELETE FROM transition_log")
    assert entry_balanced_ranges(raw, 4) == [(0, 0)]  # an empty log: one empty range
