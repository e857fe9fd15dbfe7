"""The bulk path of the scale data set: the template's rows again, block after block, as the engine would write them.

Block b of a table takes ids `id + b × span` (span: the template's highest id), so every reference between rows
(a log entry's dossier, an alert's deadline, a delivery's message, a relapse's previous dossier) moves with them.
What changes besides ids: the dossier code (`HS-<year>-<id>`, as `workflow.opening` makes it, wherever the engine
copied it: message contexts and texts), the person (name, ID number sealed and hashed by the engine's own
`IdProtector`, the folded name; the documents the person issued name them) and each chain, re-linked and re-hashed
in order (bytes, hash, the server's signature: `workflow.chain`). An entry's canonical bytes are the template
entry's (made by `workflow.chain.canonical`) with its dossier id and previous hash spliced in: both are plain
numbers and hex in canonical JSON, so the bytes are what `canonical` makes of the copy, without building them again.
The dossiers, people and chains are built here; every other row is copied by the database (`bench.bulkload`).
"""

from __future__ import annotations

import multiprocessing
import time
from collections import deque
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, Table, func, insert, select
from sqlmodel import SQLModel

from bench.bulkload import COPIED, BlockRows, Changes, Heads, KeyRow, Loading, MapRow, Shape, reset_sequences
from bench.people import person_for
from workflow.chain import GENESIS, HASHED_FIELDS, canonical, seal, seal_body
from workflow.idcrypt import IdProtector
from workflow.names import fold
from workflow.runtime import Runtime
from workflow.signing import Signer
from workflow.store import _dumps
from workflow.sweep import alert_times
from workflow.tables import (
    Alert,
    Deadline,
    Delivery,
    Dossier,
    InboxItem,
    Outbox,
    Person,
    TransitionLog,
)

PERSON = Person.__table__  # type: ignore[attr-defined]
DOSSIER = Dossier.__table__  # type: ignore[attr-defined]
LOG = TransitionLog.__table__  # type: ignore[attr-defined]
DEADLINE = Deadline.__table__  # type: ignore[attr-defined]
ALERT = Alert.__table__  # type: ignore[attr-defined]
OUTBOX = Outbox.__table__  # type: ignore[attr-defined]
DELIVERY = Delivery.__table__  # type: ignore[attr-defined]
INBOX = InboxItem.__table__  # type: ignore[attr-defined]
BUILT = (PERSON, DOSSIER, LOG, OUTBOX)  # rows built in Python (messages: only those naming another dossier)
REPLICATED = (*BUILT, *(t for t, _, _ in COPIED if t is not OUTBOX))
SEALED = ("id", "dossier_id", "prev_hash", "hash", "body", "signature", "key_id")  # what a copied entry changes
ID_MARK, HASH_MARK = 987_654_321_012_345, "bench-prev-hash-mark"  # spliced out of a template entry's bytes
Row = dict[str, Any]
Pieces = tuple[bytes, bytes, bytes]  # an entry's bytes around its dossier id and its previous hash


@dataclass
class Template:
    """Block 0's rows that belong to dossiers, read once; `spans` are the tables' highest ids."""

    tables: dict[str, list[Row]]  # per table built in Python or read for the due share, its dossiers' rows by id
    spans: dict[str, int]
    dossiers: list[Row] = field(default_factory=list)
    persons: dict[int, Row] = field(default_factory=dict)
    logs: dict[int, list[int]] = field(default_factory=dict)  # dossier -> its entries (row indexes) by seq
    code_of: dict[int, str] = field(default_factory=dict)  # dossier -> its code
    only_own_code: dict[int, bool] = field(default_factory=dict)  # message -> its context names only its dossier
    named: set[int] = field(default_factory=set)  # log entries naming their person (a document they issued)
    named_dossiers: set[int] = field(default_factory=set)
    pieces: list[Pieces | None] = field(default_factory=list)  # per log entry; None: sealed in full
    keys: list[KeyRow] = field(default_factory=list)  # the messages the database copies, their keys' parts
    _shapes: dict[str, Shape] = field(default_factory=dict)

    @classmethod
    def read(cls, db: Engine) -> Template:
        with db.connect() as conn:

            def rows(table: Table, *where: Any) -> list[Row]:
                query = select(table).where(*where).order_by(table.c[_key(table)])
                return [dict(r) for r in conn.execute(query).mappings()]

            spans = {t.name: int(conn.execute(select(func.max(t.c[_key(t)]))).scalar() or 0) for t in REPLICATED}
            outbox = rows(OUTBOX, OUTBOX.c.dossier_id.is_not(None))
            tables = {
                "person": rows(PERSON),
                "dossier": rows(DOSSIER),
                "transition_log": rows(LOG),
                "deadline": rows(DEADLINE, DEADLINE.c.dossier_id.is_not(None)),
                "outbox": outbox,
            }
        tpl = cls(tables, spans, tables["dossier"], {r["id"]: r for r in tables["person"]})
        for i, entry in enumerate(tables["transition_log"]):
            tpl.logs.setdefault(entry["dossier_id"], []).append(i)
        for entries in tpl.logs.values():
            entries.sort(key=lambda i: tables["transition_log"][i]["seq"])
        tpl.code_of = {d["id"]: d["code"] for d in tpl.dossiers}
        tpl.only_own_code = {r["id"]: _only_code(_dumps(r["context"]), tpl.code_of[r["dossier_id"]]) for r in outbox}
        tpl.tables["outbox"] = [r for r in outbox if not tpl.only_own_code[r["id"]]]
        tpl.keys = [_key_parts(r) for r in outbox if tpl.only_own_code[r["id"]]]
        name_of = {d["id"]: tpl.persons[d["person_id"]]["full_name"] for d in tpl.dossiers}
        tpl.named = {
            i for i, e in enumerate(tables["transition_log"]) if _names(e["payload"], name_of[e["dossier_id"]])
        }
        tpl.named_dossiers = {d["id"] for d in tpl.dossiers if _names(d["data"], name_of[d["id"]])}
        tpl.pieces = [None if i in tpl.named else _pieces(e) for i, e in enumerate(tables["transition_log"])]
        return tpl

    def shapes(self) -> dict[str, Shape]:
        if not self._shapes:
            self._shapes = {t.name: Shape(t, self.tables[t.name], SEALED if t is LOG else ()) for t in BUILT}
        return self._shapes

    def copy_base(self, source: Engine, target: Engine) -> None:
        """Every row of the template's database (block 0, agencies, users, plans...) into an empty one."""
        with source.connect() as src, target.begin() as dst:
            for table in SQLModel.metadata.sorted_tables:
                rows = [dict(r) for r in src.execute(select(table)).mappings()]
                for start in range(0, len(rows), 5000):
                    dst.execute(insert(table), rows[start : start + 5000])
            reset_sequences(dst)


def _key(table: Table) -> str:
    return next(iter(table.primary_key.columns)).name


def _pieces(entry: Row) -> Pieces | None:
    """The entry's canonical bytes cut around its dossier id and previous hash (None if a mark is ambiguous)."""
    body = canonical({**{k: entry[k] for k in HASHED_FIELDS}, "dossier_id": ID_MARK, "prev_hash": HASH_MARK})
    id_mark, hash_mark = str(ID_MARK).encode(), HASH_MARK.encode()
    if body.count(id_mark) != 1 or body.count(hash_mark) != 1 or body.index(id_mark) > body.index(hash_mark):
        return None
    head, rest = body.split(id_mark)
    mid, tail = rest.split(hash_mark)
    return head, mid, tail


def _key_parts(message: Row) -> KeyRow:
    """A copied message's dedupe key as (kind, number, tail): `step:<dossier>:<seq>`, `alert:<alert>:<agency>`."""
    kind, _, rest = (message["dedupe_key"] or "").partition(":")
    if kind == "step":
        return message["id"], 1, 0, ":" + rest.split(":", 1)[1]
    if kind == "alert":
        alert_id, agency = rest.split(":", 1)
        return message["id"], 2, int(alert_id), ":" + agency
    return message["id"], 0, 0, ""


class Block:
    """What one block changes in the rows built in Python: ids moved, codes and people replaced, chains re-hashed;
    and its map of dossiers (block, old id, new id, old code, new code) for the copies made by the database."""

    def __init__(self, tpl: Template, shapes: dict[str, Shape], block: int, ids: IdProtector, signer: Signer) -> None:
        self.tpl, self.shapes, self.b, self.ids, self.signer = tpl, shapes, block, ids, signer
        self.off = {name: block * span for name, span in tpl.spans.items()}
        self.codes: dict[str, str] = {}  # template code -> this block's
        self.names: dict[int, tuple[str, str]] = {}  # template person -> (old name, new name)
        self.mapped: list[MapRow] = []

    def changes(self, chosen: list[Row]) -> BlockRows:
        """Per table built in Python, the block's copies of the `chosen` dossiers' rows."""
        tpl, sh = self.tpl, self.shapes
        kept = {d["id"] for d in chosen}
        out = BlockRows()
        person_rows = {r["id"]: i for i, r in enumerate(sh["person"].rows)}
        people = dict.fromkeys(d["person_id"] for d in chosen)
        out.changes["person"] = [(person_rows[p], self._person(sh["person"], tpl.persons[p])) for p in people]
        dossiers: Changes = []
        entries: Heads = []
        named: Changes = []
        index = {d["id"]: i for i, d in enumerate(tpl.dossiers)}
        for d in chosen:
            dossiers.append((index[d["id"]], self._dossier(d, entries, named)))
        out.changes["dossier"], out.heads["transition_log"], out.changes["transition_log"] = dossiers, entries, named
        out.changes["outbox"] = [
            (i, self._message(sh["outbox"], r)) for i, r in enumerate(sh["outbox"].rows) if r["dossier_id"] in kept
        ]
        return out

    def _person(self, shape: Shape, p: Row) -> dict[int, Any]:
        new = person_for(self.b, p["id"], p["full_name"], p["sex"], p["birth_date"])
        self.names[p["id"]] = (p["full_name"], new.full_name)
        at = shape.at
        return {
            at["id"]: p["id"] + self.off["person"],
            at["full_name"]: new.full_name,
            at["name_folded"]: fold(new.full_name),
            at["id_number"]: self.ids.seal(new.id_number),
            at["id_number_hash"]: self.ids.digest(new.id_number),
        }

    def _dossier(self, d: Row, entries: Heads, named: Changes) -> dict[int, Any]:
        new_id = d["id"] + self.off["dossier"]
        code = f"HS-{d['code'].split('-')[1]}-{new_id:06d}"  # as workflow.opening numbers a dossier
        self.codes[d["code"]] = code
        self.mapped.append((self.b, d["id"], new_id, d["code"], code))
        old_name, new_name = self.names[d["person_id"]]
        log_shape, pieces, signer = self.shapes["transition_log"], self.tpl.pieces, self.signer
        id_text, log_off = str(new_id).encode(), self.off["transition_log"]
        prev = GENESIS
        for index in self.tpl.logs.get(d["id"], []):
            e = log_shape.rows[index]
            cut = pieces[index]
            if cut is not None:  # the SEALED columns, in their order
                body = cut[0] + id_text + cut[1] + prev.encode() + cut[2]
                digest, signature, key_id = seal_body(body, signer)
                entries.append((index, (e["id"] + log_off, new_id, prev, digest, body, signature, key_id)))
                prev = digest
                continue
            # an entry naming its person: built and sealed in full
            payload = _issued_by(e["payload"], old_name, new_name)
            entry = seal(
                {**e, "id": e["id"] + log_off, "dossier_id": new_id, "payload": payload, "prev_hash": prev}, signer
            )
            named.append((index, {log_shape.at[k]: entry[k] for k in (*SEALED, "payload")}))
            prev = entry["hash"]
        at = self.shapes["dossier"].at
        data = _issued_by(d["data"], old_name, new_name) if d["id"] in self.tpl.named_dossiers else d["data"]
        previous = d["previous_dossier_id"]
        changed = {
            at["id"]: new_id,
            at["code"]: code,
            at["person_id"]: d["person_id"] + self.off["person"],
            at["last_hash"]: prev if d["last_seq"] else d["last_hash"],
            at["previous_dossier_id"]: previous + self.off["dossier"] if previous is not None else None,
        }
        if data != d["data"]:
            changed[at["data"]] = data
        return changed

    def _message(self, shape: Shape, r: Row) -> dict[int, Any]:
        """A message whose context names another dossier (a relapse's first): its codes replaced value by value."""
        key = r["dedupe_key"]
        kind, _, rest = (key or "").partition(":")
        if kind == "step":  # step:<dossier>:<seq>
            key = f"step:{r['dossier_id'] + self.off['dossier']}:{rest.split(':', 1)[1]}"
        elif kind == "alert":  # alert:<alert id>:<agency>
            alert_id, agency = rest.split(":", 1)
            key = f"alert:{int(alert_id) + self.off['alert']}:{agency}"
        at = shape.at
        return {
            at["id"]: r["id"] + self.off["outbox"],
            at["dossier_id"]: r["dossier_id"] + self.off["dossier"],
            at["context"]: _recoded(r["context"], self.codes),
            at["dedupe_key"]: key,
        }


def _issued_by(value: Any, old: str, new: str) -> Any:
    """`value` with the documents the person issued (their statement) naming the new person."""
    if isinstance(value, dict):
        out = {k: _issued_by(v, old, new) for k, v in value.items()}
        if out.get("issuer") == old:
            out["issuer"] = new
            if out.get("signer") == old:
                out["signer"] = new
        return out
    if isinstance(value, list):
        return [_issued_by(v, old, new) for v in value]
    return value


def _only_code(encoded: str, code: str) -> bool:
    """Whether the code is in the JSON text only as whole string values, and no other code is."""
    return encoded.count(code) == encoded.count(f'"{code}"') and "HS-" not in encoded.replace(code, "")


def _names(value: Any, name: str) -> bool:
    return bool(_issued_by(value, name, "\x00") != value)


def _recoded(value: Any, codes: Mapping[str, str]) -> Any:
    if isinstance(value, str):
        return codes.get(value, value)
    if isinstance(value, dict):
        return {k: _recoded(v, codes) for k, v in value.items()}
    if isinstance(value, list):
        return [_recoded(v, codes) for v in value]
    return value


def due_between(tpl: Template, rt: Runtime, since: datetime, until: datetime) -> set[int]:
    """The template's dossiers with an alert falling due after `since` and by `until` (the day's sweep)."""
    due = set()
    for d in tpl.tables["deadline"]:
        if d["closed_at"] is not None or d["paused_at"] is not None:
            continue
        times = alert_times(
            d["due_on"],
            d["due_at"],
            d["remind_on"],
            rt.calendar,
            rt.tz,
            rt.settings.escalate_after_working_days,
        )
        if any(since < t <= until for t in times.values()):
            due.add(d["dossier_id"])
    return due


def _quiet(tpl: Template, due: set[int]) -> list[Row]:
    """The template's dossiers without an alert due, nor an earlier dossier (a relapse) that has one."""
    left: set[int] = set()
    out = []
    for d in tpl.dossiers:
        previous = d["previous_dossier_id"]
        if d["id"] in due or (previous is not None and previous not in left):
            continue
        left.add(d["id"])
        out.append(d)
    return out


def _every(tpl: Template, due: set[int], quiet: list[Row], share: float) -> int:
    """Copy the dossiers with an alert due in one block of this many, so that about `share` of the open
    deadlines have an alert due on the day (the template alone has many more: its timelines end by today)."""
    open_ = [d for d in tpl.tables["deadline"] if d["closed_at"] is None]
    kept = {d["id"] for d in quiet}
    quiet_open = sum(1 for d in open_ if d["dossier_id"] in kept)
    busy_open = len(open_) - quiet_open
    if not due or quiet_open == 0:
        return 1
    # share = f * due / (quiet_open + f * busy_open)  =>  f = share * quiet_open / (due - share * busy_open)
    f = share * quiet_open / max(1e-9, len(due) - share * busy_open)
    return max(1, round(1 / f)) if f > 0 else 1


Plan = list[tuple[int, list[Row]]]  # each block's number and the template dossiers it copies
_WORK: tuple[Template, IdProtector, Signer, Plan] | None = None  # what forked workers read (never pickled)


def _made(i: int) -> tuple[BlockRows, list[MapRow], float]:
    """Block `i` of the plan: its rows built in Python and its dossier map, and the seconds it took."""
    assert _WORK is not None
    tpl, ids, signer, plan = _WORK
    t0 = time.perf_counter()
    block, chosen = plan[i]
    maker = Block(tpl, tpl.shapes(), block, ids, signer)
    changes = maker.changes(chosen)
    return changes, maker.mapped, time.perf_counter() - t0


def _made_in_order(count: int, workers: int) -> Iterator[tuple[BlockRows, list[MapRow], float]]:
    """Every block of the plan in order; with several workers (forked processes) a few blocks ahead, no more."""
    if workers <= 1 or count <= 1:
        yield from map(_made, range(count))
        return
    with multiprocessing.get_context("fork").Pool(workers) as pool:
        ahead: deque[Any] = deque()
        for i in range(count):
            ahead.append(pool.apply_async(_made, (i,)))
            if len(ahead) > 2 * workers:
                yield ahead.popleft().get()
        while ahead:
            yield ahead.popleft().get()


def _each(loads: list[Loading], call: Callable[[Loading], Any]) -> None:
    """`call` on every database at once, one thread each: SQLite works in this process outside Python's lock,
    PostgreSQL in its server, while the other is written."""
    if len(loads) == 1:
        call(loads[0])
        return
    with ThreadPoolExecutor(len(loads)) as pool:
        for done in [pool.submit(call, load) for load in loads]:
            done.result()


def write_blocks(
    targets: list[Runtime],
    tpl: Template,
    dossiers: int,
    *,
    due: tuple[datetime, datetime, float] | None = None,
    per_flush: int = 25,
    workers: int = 1,
    progress: Callable[[str], None] = lambda _m: None,
    seconds: dict[str, float] | None = None,
) -> list[dict[str, int]]:
    """Blocks 1, 2, ... of the template into every target (each holding block 0), up to `dossiers` dossiers.
    Each block is computed once (chains hashed once, by `workers` processes) and written to each target. With
    `due` (since, until, share), only one block in n copies the dossiers with an alert due between since and
    until. `seconds`, when given, receives the time spent per phase (each database's writes overlap the others')."""
    global _WORK
    shapes = tpl.shapes()
    loads = [Loading(rt.db, BUILT, tpl.spans) for rt in targets]
    for load in loads:
        load.drop_indexes()
    every, quiet = 1, tpl.dossiers
    if due is not None:
        busy = due_between(tpl, targets[0], due[0], due[1])
        quiet = _quiet(tpl, busy)
        every = _every(tpl, busy, quiet, due[2])
    plan: Plan = []
    have = len(tpl.dossiers)
    while have < dossiers:
        pool = tpl.dossiers if (len(plan) + 1) % every == 0 else quiet
        plan.append((len(plan) + 1, pool[: dossiers - have]))
        have += len(plan[-1][1])
    _WORK, sealing, done = (tpl, targets[0].engine.ids, targets[0].engine.signer, plan), 0.0, len(tpl.dossiers)
    try:
        for n, (changes, mapped, spent) in enumerate(_made_in_order(len(plan), workers), 1):
            sealing += spent
            done += len(plan[n - 1][1])
            for load in loads:
                load.add(shapes, changes, mapped)
            if n % per_flush == 0:
                _each(loads, lambda load: load.flush(shapes, tpl.keys))
                progress(f"  {done:,} dossiers")
    finally:
        _WORK = None
    _each(loads, lambda load: (load.flush(shapes, tpl.keys), load.finish()))
    if seconds is not None:
        seconds[f"people and chains (Python, {max(1, workers)} process(es), summed)"] = sealing
        for load in loads:
            for phase, spent in load.seconds.items():
                name = f"{phase}, {'PostgreSQL' if load.kind == 'postgresql' else 'SQLite'}"
                seconds[name] = seconds.get(name, 0.0) + spent
    return [load.written for load in loads]
