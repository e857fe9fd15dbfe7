"""The bulk path of the scale data set: the template's rows again, block after block, as the engine would write them.

Block b of a table takes ids `id + b × span` (span: the template's highest id), so every reference between rows
(a log entry's dossier, an alert's deadline, a delivery's message, a relapse's previous dossier) moves with them.
What changes besides ids: the dossier code (`HS-<year>-<id>`, as `workflow.opening` makes it, wherever the engine
copied it: message contexts and texts), the person (name, ID number sealed and hashed by the engine's own
`IdProtector`, the folded name; the documents the person issued name them) and each chain, re-linked and re-hashed
by `workflow.chain.seal` in order (bytes, hash, the server's signature). Values reach the database as the engine's
store sends them (`workflow.store`: times as text on SQLite, JSON by the same encoder); PostgreSQL gets them by COPY.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Connection, Engine, Table, func, insert, select, text
from sqlmodel import SQLModel

from bench.people import person_for
from workflow.chain import GENESIS, seal
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
REPLICATED = (PERSON, DOSSIER, LOG, DEADLINE, ALERT, OUTBOX, DELIVERY, INBOX)  # insertion order
Row = dict[str, Any]


@dataclass
class Template:
    """Block 0's rows that belong to dossiers, read once; `spans` are the tables' highest ids."""

    tables: dict[str, list[Row]]  # per replicated table, its dossiers' rows by id
    spans: dict[str, int]
    dossiers: list[Row] = field(default_factory=list)
    persons: dict[int, Row] = field(default_factory=dict)
    logs: dict[int, list[int]] = field(default_factory=dict)  # dossier -> its entries (row indexes) by seq
    code_of: dict[int, str] = field(default_factory=dict)  # dossier -> its code
    outbox_dossier: dict[int, int] = field(default_factory=dict)  # message -> its dossier
    only_own_code: dict[int, bool] = field(default_factory=dict)  # message -> its context names only its dossier
    named: set[int] = field(default_factory=set)  # log entries naming their person (a document they issued)
    named_dossiers: set[int] = field(default_factory=set)
    _shapes: dict[str, Shape] = field(default_factory=dict)

    @classmethod
    def read(cls, db: Engine) -> Template:
        with db.connect() as conn:

            def rows(table: Table, *where: Any) -> list[Row]:
                query = select(table).where(*where).order_by(table.c[_key(table)])
                return [dict(r) for r in conn.execute(query).mappings()]

            spans = {t.name: int(conn.execute(select(func.max(t.c[_key(t)]))).scalar() or 0) for t in REPLICATED}
            outbox = rows(OUTBOX, OUTBOX.c.dossier_id.is_not(None))
            sent = {r["id"] for r in outbox}
            tables = {
                "person": rows(PERSON),
                "dossier": rows(DOSSIER),
                "transition_log": rows(LOG),
                "deadline": rows(DEADLINE, DEADLINE.c.dossier_id.is_not(None)),
                "alert": rows(ALERT, ALERT.c.dossier_id.is_not(None)),
                "outbox": outbox,
                "delivery": [r for r in rows(DELIVERY) if r["outbox_id"] in sent],
                "inboxitem": [r for r in rows(INBOX, INBOX.c.dossier_id.is_not(None)) if r["outbox_id"] in sent],
            }
        tpl = cls(tables, spans, tables["dossier"], {r["id"]: r for r in tables["person"]})
        for i, entry in enumerate(tables["transition_log"]):
            tpl.logs.setdefault(entry["dossier_id"], []).append(i)
        for entries in tpl.logs.values():
            entries.sort(key=lambda i: tables["transition_log"][i]["seq"])
        tpl.code_of = {d["id"]: d["code"] for d in tpl.dossiers}
        tpl.outbox_dossier = {r["id"]: r["dossier_id"] for r in outbox}
        tpl.only_own_code = {r["id"]: _only_code(_dumps(r["context"]), tpl.code_of[r["dossier_id"]]) for r in outbox}
        name_of = {d["id"]: tpl.persons[d["person_id"]]["full_name"] for d in tpl.dossiers}
        tpl.named = {
            i for i, e in enumerate(tables["transition_log"]) if _names(e["payload"], name_of[e["dossier_id"]])
        }
        tpl.named_dossiers = {d["id"] for d in tpl.dossiers if _names(d["data"], name_of[d["id"]])}
        return tpl

    def shapes(self) -> dict[str, Shape]:
        if not self._shapes:
            self._shapes = {t.name: Shape(t, self.tables[t.name]) for t in REPLICATED}
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


def reset_sequences(conn: Connection) -> None:
    """PostgreSQL: each serial id sequence after the highest id written (rows came with their ids)."""
    if conn.dialect.name != "postgresql":
        return
    for table in SQLModel.metadata.sorted_tables:
        key = _key(table)
        if key != "id" or not str(table.c.id.type).startswith("INTEGER"):
            continue
        conn.execute(
            text(
                f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                f"coalesce((SELECT max(id) FROM {table.name}), 0) + 1, false)"
            )
        )


class Shape:
    """One table's template rows, with their values converted once per database kind."""

    def __init__(self, table: Table, rows: list[Row]) -> None:
        self.table, self.rows = table, rows
        self.columns = [c for c in table.columns if rows and c.name in rows[0]]
        self.at = {c.name: i for i, c in enumerate(self.columns)}
        self.json = frozenset(i for i, c in enumerate(self.columns) if isinstance(c.type, JSON))
        self._base: dict[str, list[tuple[Any, ...]]] = {}
        self._texts: list[dict[int, str]] | None = None

    def base(self, kind: str) -> list[tuple[Any, ...]]:
        if kind not in self._base:
            convert = _pg_value if kind == "postgresql" else _sqlite_value
            self._base[kind] = [tuple(convert(c, r[c.name]) for c in self.columns) for r in self.rows]
        return self._base[kind]

    def rows_for(self, kind: str, changes: Changes) -> list[tuple[Any, ...]]:
        """Each changed row: the template's converted values with this block's values in place."""
        base, json_at, texts = self.base(kind), self.json, self.texts()
        pg = kind == "postgresql"
        out = []
        for index, changed in changes:
            row = list(base[index])
            for i, value in changed.items():
                if i in json_at:
                    if isinstance(value, Recoded):  # the template's JSON text, the code replaced
                        value = texts[index][i].replace(value.old, value.new)
                        row[i] = _pg_json_text(value) if pg else value
                    else:
                        row[i] = _pg_json(value) if pg else _dumps(value)
                else:
                    row[i] = value
            out.append(tuple(row))
        return out

    def texts(self) -> list[dict[int, str]]:
        if self._texts is None:
            self._texts = [{i: _dumps(r[self.columns[i].name]) for i in self.json} for r in self.rows]
        return self._texts


@dataclass(frozen=True, slots=True)
class Recoded:
    """A JSON value that differs from the template's only by a dossier code (a string without escapes)."""

    old: str
    new: str


Changes = list[tuple[int, dict[int, Any]]]


class Block:
    """What one block changes in the template's rows: ids moved, codes and people replaced, chains re-hashed."""

    def __init__(self, tpl: Template, shapes: dict[str, Shape], block: int, ids: IdProtector, signer: Signer) -> None:
        self.tpl, self.shapes, self.b, self.ids, self.signer = tpl, shapes, block, ids, signer
        self.off = {name: block * span for name, span in tpl.spans.items()}
        self.codes: dict[str, str] = {}  # template code -> this block's
        self.names: dict[int, tuple[str, str]] = {}  # template person -> (old name, new name)

    def changes(self, chosen: list[Row]) -> dict[str, Changes]:
        """Per table, (template row, {column: new value}) for the block's copies of the `chosen` dossiers."""
        tpl, off, sh = self.tpl, self.off, self.shapes
        kept = {d["id"] for d in chosen}
        out: dict[str, Changes] = {}
        person_rows = {r["id"]: i for i, r in enumerate(sh["person"].rows)}
        people = dict.fromkeys(d["person_id"] for d in chosen)
        out["person"] = [(person_rows[p], self._person(sh["person"], tpl.persons[p])) for p in people]
        out["dossier"], out["transition_log"] = [], []
        index = {d["id"]: i for i, d in enumerate(tpl.dossiers)}
        for d in chosen:
            out["dossier"].append((index[d["id"]], self._dossier(d, out["transition_log"])))
        out["deadline"] = self._moved("deadline", kept, {"id": "deadline", "dossier_id": "dossier"})
        out["alert"] = self._moved("alert", kept, {"id": "alert", "deadline_id": "deadline", "dossier_id": "dossier"})
        out["outbox"] = [
            (i, self._message(sh["outbox"], r)) for i, r in enumerate(sh["outbox"].rows) if r["dossier_id"] in kept
        ]
        out["delivery"] = [
            (i, {0: r["id"] + off["delivery"], 1: r["outbox_id"] + off["outbox"]})
            for i, r in enumerate(sh["delivery"].rows)
            if tpl.outbox_dossier[r["outbox_id"]] in kept
        ]
        at = sh["inboxitem"].at
        out["inboxitem"] = [
            (
                i,
                {
                    at["id"]: r["id"] + off["inboxitem"],
                    at["dossier_id"]: r["dossier_id"] + off["dossier"],
                    at["outbox_id"]: r["outbox_id"] + off["outbox"],
                    at["subject"]: self._recode(r["subject"], r["dossier_id"]),
                    at["body"]: self._recode(r["body"], r["dossier_id"]),
                },
            )
            for i, r in enumerate(sh["inboxitem"].rows)
            if r["dossier_id"] in kept
        ]
        return out

    def _moved(self, name: str, kept: set[int], refs: dict[str, str]) -> Changes:
        shape, off = self.shapes[name], self.off
        at = [(shape.at[column], column, off[table]) for column, table in refs.items()]
        return [
            (i, {index: r[column] + by for index, column, by in at})
            for i, r in enumerate(shape.rows)
            if r["dossier_id"] in kept
        ]

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

    def _dossier(self, d: Row, log_out: Changes) -> dict[int, Any]:
        new_id = d["id"] + self.off["dossier"]
        code = f"HS-{d['code'].split('-')[1]}-{new_id:06d}"  # as workflow.opening numbers a dossier
        self.codes[d["code"]] = code
        old_name, new_name = self.names[d["person_id"]]
        log_shape = self.shapes["transition_log"]
        la = log_shape.at
        prev = GENESIS
        for index in self.tpl.logs.get(d["id"], []):
            e = log_shape.rows[index]
            payload = _issued_by(e["payload"], old_name, new_name) if index in self.tpl.named else e["payload"]
            entry = {**e, "dossier_id": new_id, "payload": payload, "prev_hash": prev}
            prev = seal(entry, self.signer)["hash"]
            changed = {la["id"]: e["id"] + self.off["transition_log"], la["dossier_id"]: new_id}
            changed |= {la["prev_hash"]: entry["prev_hash"], la["hash"]: prev, la["body"]: entry["body"]}
            changed |= {la["signature"]: entry["signature"], la["key_id"]: entry["key_id"]}
            if payload != e["payload"]:
                changed[la["payload"]] = payload
            log_out.append((index, changed))
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
            at["context"]: self._context(r),
            at["dedupe_key"]: key,
        }

    def _context(self, r: Row) -> Any:
        old = self.tpl.code_of[r["dossier_id"]]
        if self.tpl.only_own_code[r["id"]]:
            return Recoded(old, self.codes[old])
        return _recoded(r["context"], self.codes)

    def _recode(self, value: str, dossier_id: int) -> str:
        old = self.tpl.code_of[dossier_id]
        return value.replace(old, self.codes[old])


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


# --------------------------------------------------------------------------- writing


def _sqlite_value(column: Any, value: Any) -> Any:
    """A value as the engine's store sends it to SQLite (`workflow.store`)."""
    if value is None:
        return None
    if isinstance(column.type, JSON):
        return _dumps(value)
    if isinstance(value, datetime):
        return value.isoformat(" ", "microseconds")  # workflow.store.SQLITE_TIME
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(column.type, Boolean):
        return int(value)
    return value


def _pg_json(value: Any) -> Any:
    from psycopg.types.json import Json

    return Json(value, dumps=_dumps)


def _pg_json_text(encoded: str) -> Any:
    from psycopg.types.json import Json

    return Json(encoded, dumps=str)


def _pg_value(column: Any, value: Any) -> Any:
    return _pg_json(value) if isinstance(column.type, JSON) and value is not None else value


def _copy(conn: Connection, shape: Shape, rows: list[tuple[Any, ...]]) -> None:
    """Rows of one table in one go: COPY on PostgreSQL, one executemany on SQLite."""
    if not rows:
        return
    names = ", ".join(c.name for c in shape.columns)
    raw: Any = conn.connection.driver_connection
    if conn.dialect.name == "postgresql":
        with raw.cursor() as cur, cur.copy(f"COPY {shape.table.name} ({names}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        return
    cursor = raw.cursor()
    cursor.executemany(f"INSERT INTO {shape.table.name} ({names}) VALUES ({', '.join('?' * len(rows[0]))})", rows)
    cursor.close()


class Loading:
    """A database being filled: its secondary indexes dropped while rows stream in, built again at the end
    (one sorted build instead of millions of inserts into each)."""

    def __init__(self, db: Engine) -> None:
        self.db, self.kind = db, db.dialect.name
        self.pending: dict[str, list[tuple[Any, ...]]] = {t.name: [] for t in REPLICATED}
        self.indexes: list[str] = []
        self.written = {t.name: 0 for t in REPLICATED}

    def drop_indexes(self) -> None:
        names = tuple(t.name for t in REPLICATED)
        with self.db.begin() as conn:
            if self.kind == "postgresql":
                found = conn.execute(
                    text(
                        "SELECT i.indexname, i.indexdef FROM pg_indexes i WHERE i.schemaname = current_schema() "
                        "AND i.tablename = ANY(:t) AND NOT EXISTS (SELECT 1 FROM pg_constraint c "
                        "WHERE c.conname = i.indexname)"
                    ),
                    {"t": list(names)},
                ).all()
            else:
                marks = ", ".join(f"'{n}'" for n in names)
                found = conn.exec_driver_sql(
                    f"SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL "
                    f"AND tbl_name IN ({marks})"
                ).all()
            for name, definition in found:
                conn.exec_driver_sql(f'DROP INDEX "{name}"')
                self.indexes.append(definition)

    def add(self, shapes: dict[str, Shape], changes: dict[str, Changes]) -> None:
        for name, rows in changes.items():
            self.pending[name].extend(shapes[name].rows_for(self.kind, rows))

    def flush(self, shapes: dict[str, Shape]) -> None:
        with self.db.begin() as conn:
            for table in REPLICATED:
                _copy(conn, shapes[table.name], self.pending[table.name])
                self.written[table.name] += len(self.pending[table.name])
                self.pending[table.name] = []

    def finish(self) -> None:
        with self.db.begin() as conn:
            for definition in self.indexes:
                conn.exec_driver_sql(definition)
            reset_sequences(conn)
        with self.db.connect() as conn:  # ANALYZE outside a transaction block
            conn.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql("ANALYZE")


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


def write_blocks(
    targets: list[Runtime],
    tpl: Template,
    dossiers: int,
    *,
    due: tuple[datetime, datetime, float] | None = None,
    per_flush: int = 25,
    progress: Callable[[str], None] = lambda _m: None,
) -> list[dict[str, int]]:
    """Blocks 1, 2, ... of the template into every target (each holding block 0), up to `dossiers` dossiers.
    Each block is computed once (chains hashed once) and written to each target. With `due` (since, until,
    share), only one block in n copies the dossiers with an alert due between since and until."""
    shapes = tpl.shapes()
    loads = [Loading(rt.db) for rt in targets]
    for load in loads:
        load.drop_indexes()
    ids = targets[0].engine.ids
    every, quiet = 1, tpl.dossiers
    if due is not None:
        busy = due_between(tpl, targets[0], due[0], due[1])
        quiet = _quiet(tpl, busy)
        every = _every(tpl, busy, quiet, due[2])
    have, block = len(tpl.dossiers), 0
    while have < dossiers:
        block += 1
        pool = tpl.dossiers if block % every == 0 else quiet
        chosen = pool[: dossiers - have]
        changes = Block(tpl, shapes, block, ids, targets[0].engine.signer).changes(chosen)
        have += len(chosen)
        for load in loads:
            load.add(shapes, changes)
        if block % per_flush == 0:
            for load in loads:
                load.flush(shapes)
            progress(f"  {have:,} dossiers")
    for load in loads:
        load.flush(shapes)
        load.finish()
    return [load.written for load in loads]
