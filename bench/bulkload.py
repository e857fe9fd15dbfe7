"""Writing the bulk path's blocks (`bench.replicate`): the rows built in Python, and the copies made by the database.

Only the dossiers, their people, their chains (hashes, signatures) and the rare message whose context names another
dossier are built in Python (`Shape`: the template's values converted once per database kind, this block's values
in place) and sent as the engine's store sends them (`workflow.store`: times as text on SQLite, JSON by the same
encoder); PostgreSQL gets them by COPY. Every other row of a block (deadlines, alerts, messages, deliveries, inbox
items, the free texts beside the chain) differs from its template row only by ids moved by a fixed offset and the
dossier's code replaced in its texts: one `INSERT ... SELECT` per table copies a batch of blocks from the template
rows (block 0) in the database itself, joined to a small table of this batch's dossiers (block, old and new id,
old and new code). No row is converted or re-encoded on the way: the stored values are copied.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Connection, Engine, Table, text
from sqlmodel import SQLModel

from workflow import tally
from workflow.store import _dumps
from workflow.tables import Alert, Deadline, Delivery, EntryText, InboxItem, Outbox

Row = dict[str, Any]
MapRow = tuple[int, int, int, str, str]  # block, template dossier id, its copy's id, old code, new code
KeyRow = tuple[int, int, int, str]  # message id, kind (0 kept, 1 step, 2 alert), number, the key's tail

# Tables copied by the database, in insertion order (a delivery's message first), with their template rows' filter
# and the columns that change: `t` is the template row, `m` the batch's dossier map, `k` a message's key parts.
COPIED: tuple[tuple[Table, str, dict[str, str]], ...] = (
    (
        Deadline.__table__,  # type: ignore[attr-defined]
        "JOIN bench_map m ON m.old_id = t.dossier_id",
        {"id": "t.id + m.block * {deadline}", "dossier_id": "m.new_id"},
    ),
    (
        Alert.__table__,  # type: ignore[attr-defined]
        "JOIN bench_map m ON m.old_id = t.dossier_id",
        {
            "id": "t.id + m.block * {alert}",
            "deadline_id": "t.deadline_id + m.block * {deadline}",
            "dossier_id": "m.new_id",
        },
    ),
    (
        Outbox.__table__,  # type: ignore[attr-defined]
        "JOIN bench_key k ON k.id = t.id JOIN bench_map m ON m.old_id = t.dossier_id",
        {
            "id": "t.id + m.block * {outbox}",
            "dossier_id": "m.new_id",
            "context": "{json_replace}",
            "dedupe_key": "CASE k.kind WHEN 1 THEN 'step:' || CAST(m.new_id AS TEXT) || k.tail "
            "WHEN 2 THEN 'alert:' || CAST(k.num + m.block * {alert} AS TEXT) || k.tail ELSE t.dedupe_key END",
        },
    ),
    (
        Delivery.__table__,  # type: ignore[attr-defined]
        "JOIN outbox o ON o.id = t.outbox_id JOIN bench_map m ON m.old_id = o.dossier_id",
        {"id": "t.id + m.block * {delivery}", "outbox_id": "t.outbox_id + m.block * {outbox}"},
    ),
    (
        InboxItem.__table__,  # type: ignore[attr-defined]
        "JOIN outbox o ON o.id = t.outbox_id AND o.dossier_id IS NOT NULL JOIN bench_map m ON m.old_id = t.dossier_id",
        {
            "id": "t.id + m.block * {inboxitem}",
            "dossier_id": "m.new_id",
            "outbox_id": "t.outbox_id + m.block * {outbox}",
            "subject": "replace(t.subject, m.old_code, m.new_code)",
            "body": "replace(t.body, m.old_code, m.new_code)",
        },
    ),
    (
        EntryText.__table__,  # type: ignore[attr-defined]
        "JOIN bench_map m ON m.old_id = t.dossier_id",
        {"id": "t.id + m.block * {entry_text}", "dossier_id": "m.new_id"},
    ),
)
# SQLite while loading: no foreign-key checks (checked once at the end), no fsync, no journal (a failed load is
# thrown away); then as `workflow.db` sets them. (A bigger page cache or sorts in memory made the index builds
# slower, measured on 10,000 dossiers.)
LOADING_PRAGMAS = ("foreign_keys=OFF", "synchronous=OFF", "journal_mode=OFF")
LOADED_PRAGMAS = ("journal_mode=WAL", "foreign_keys=ON", "synchronous=NORMAL")
COPIED_NAMES = tuple(table.name for table, _, _ in COPIED)
TEMP_TABLES = (
    "CREATE TEMP TABLE bench_map (block INTEGER NOT NULL, old_id INTEGER NOT NULL, new_id INTEGER NOT NULL, "
    "old_code TEXT NOT NULL, new_code TEXT NOT NULL)",
    "CREATE INDEX bench_map_old ON bench_map (old_id)",
    "CREATE TEMP TABLE bench_key (id INTEGER PRIMARY KEY, kind INTEGER NOT NULL, num INTEGER, tail TEXT)",
)


def copy_statement(table: Table, joins: str, changed: Mapping[str, str], spans: Mapping[str, int], pg: bool) -> str:
    """`INSERT INTO table SELECT ...`: a batch's copies of the template's rows of `table`, in id order."""
    context = "replace(t.context, m.old_code, m.new_code)"
    if pg:  # JSON keeps its text on PostgreSQL: the text with the code replaced is what the engine sends
        context = "CAST(replace(CAST(t.context AS TEXT), m.old_code, m.new_code) AS JSON)"
    values = {**{name: int(span) for name, span in spans.items()}, "json_replace": context}
    names = [c.name for c in table.columns]
    exprs = [changed[n].format(**values) if n in changed else f't."{n}"' for n in names]
    columns = ", ".join(f'"{n}"' for n in names)
    return (
        f"INSERT INTO {table.name} ({columns}) SELECT {', '.join(exprs)} FROM {table.name} t {joins} "
        f"WHERE t.id <= {int(spans[table.name])} ORDER BY m.block, t.id"
    )


class Shape:
    """One table's template rows built in Python, with their values converted once per database kind. The columns
    `leading` come first: a row whose only changes are those is the block's values followed by the template's."""

    def __init__(self, table: Table, rows: list[Row], leading: tuple[str, ...] = ()) -> None:
        self.table, self.rows = table, rows
        names = [c.name for c in table.columns if rows and c.name in rows[0]]
        self.columns = [table.c[n] for n in (*leading, *(n for n in names if n not in leading))]
        self.lead = len(leading)
        self.at = {c.name: i for i, c in enumerate(self.columns)}
        self.json = frozenset(i for i, c in enumerate(self.columns) if isinstance(c.type, JSON))
        self._base: dict[str, list[tuple[Any, ...]]] = {}
        self._rest: dict[str, list[tuple[Any, ...]]] = {}

    def base(self, kind: str) -> list[tuple[Any, ...]]:
        if kind not in self._base:
            convert = _pg_value if kind == "postgresql" else _sqlite_value
            self._base[kind] = [tuple(convert(c, r[c.name]) for c in self.columns) for r in self.rows]
        return self._base[kind]

    def rows_for(self, kind: str, changes: Changes) -> list[tuple[Any, ...]]:
        """Each changed row: the template's converted values with this block's values in place."""
        base, json_at = self.base(kind), self.json
        out = []
        for index, changed in changes:
            row = list(base[index])
            for i, value in changed.items():
                row[i] = _dumps(value) if i in json_at else value
            out.append(tuple(row))
        return out

    def rows_led(self, kind: str, heads: Heads) -> list[tuple[Any, ...]]:
        """Each row whose leading columns only change: the block's values, then the template's others."""
        if kind not in self._rest:
            self._rest[kind] = [row[self.lead :] for row in self.base(kind)]
        rest = self._rest[kind]
        return [head + rest[index] for index, head in heads]


Changes = list[tuple[int, dict[int, Any]]]  # template row, {column: this block's value}
Heads = list[tuple[int, tuple[Any, ...]]]  # template row, this block's values of the leading columns


@dataclass
class BlockRows:
    """A block's rows built in Python, per table: as changes, or (most log entries) as leading values."""

    changes: dict[str, Changes] = field(default_factory=dict)
    heads: dict[str, Heads] = field(default_factory=dict)


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


def _pg_value(column: Any, value: Any) -> Any:
    """A value for COPY: JSON as the text the engine's encoder makes (COPY's text form carries it as such)."""
    return _dumps(value) if isinstance(column.type, JSON) and value is not None else value


def write_rows(conn: Connection, shape: Shape, rows: list[tuple[Any, ...]]) -> None:
    """Rows of one table in one go: COPY on PostgreSQL, one executemany on SQLite."""
    if not rows:
        return
    names = ", ".join(f'"{c.name}"' for c in shape.columns)
    raw: Any = conn.connection.driver_connection
    if conn.dialect.name == "postgresql":
        with raw.cursor() as cur, cur.copy(f"COPY {shape.table.name} ({names}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        return
    cursor = raw.cursor()
    cursor.executemany(f"INSERT INTO {shape.table.name} ({names}) VALUES ({', '.join('?' * len(rows[0]))})", rows)
    cursor.close()


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


class Loading:
    """A database being filled: its secondary indexes dropped while rows stream in, built again at the end (one
    sorted build instead of millions of inserts into each); on SQLite, `LOADING_PRAGMAS` while loading (the rows
    are the template's, whose references hold: `PRAGMA foreign_key_check` runs at the end)."""

    def __init__(self, db: Engine, python_tables: tuple[Table, ...], spans: Mapping[str, int]) -> None:
        self.db, self.kind, self.spans = db, db.dialect.name, dict(spans)
        self.python_tables = python_tables
        self.pending: dict[str, list[tuple[Any, ...]]] = {t.name: [] for t in python_tables}
        self.mapped: list[MapRow] = []
        self.indexes: list[str] = []
        self.written = {name: 0 for name in (*(t.name for t in python_tables), *COPIED_NAMES)}
        self.seconds = {"python rows": 0.0, "copies": 0.0, "indexes": 0.0}  # and, at the end, the checks
        db.dispose()  # SQLite leaves WAL only for a connection alone on the file
        self.conn = db.connect()
        pg = self.kind == "postgresql"
        self.statements = [(t.name, copy_statement(t, joins, changed, spans, pg)) for t, joins, changed in COPIED]
        if not pg:  # on the driver's connection: outside any transaction, where SQLite applies them
            raw: Any = self.conn.connection.driver_connection
            for pragma in LOADING_PRAGMAS:
                raw.execute(f"PRAGMA {pragma}")

    def drop_indexes(self) -> None:
        names = tuple({*self.written})
        with self.conn.begin():
            if self.kind == "postgresql":
                found = self.conn.execute(
                    text(
                        "SELECT i.indexname, i.indexdef FROM pg_indexes i WHERE i.schemaname = current_schema() "
                        "AND i.tablename = ANY(:t) AND NOT EXISTS (SELECT 1 FROM pg_constraint c "
                        "WHERE c.conname = i.indexname)"
                    ),
                    {"t": list(names)},
                ).all()
            else:
                marks = ", ".join(f"'{n}'" for n in names)
                found = self.conn.exec_driver_sql(
                    f"SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL "
                    f"AND tbl_name IN ({marks})"
                ).all()
            for name, definition in found:
                self.conn.exec_driver_sql(f'DROP INDEX "{name}"')
                self.indexes.append(definition)

    def add(self, shapes: Mapping[str, Shape], rows: BlockRows, mapped: list[MapRow]) -> None:
        t0 = time.perf_counter()
        for name, changes in rows.changes.items():
            self.pending[name].extend(shapes[name].rows_for(self.kind, changes))
        for name, heads in rows.heads.items():
            self.pending[name].extend(shapes[name].rows_led(self.kind, heads))
        self.mapped.extend(mapped)
        self.seconds["python rows"] += time.perf_counter() - t0

    def flush(self, shapes: Mapping[str, Shape], keys: list[KeyRow]) -> None:
        conn = self.conn
        with conn.begin():
            t0 = time.perf_counter()
            for table in self.python_tables:
                write_rows(conn, shapes[table.name], self.pending[table.name])
                self.written[table.name] += len(self.pending[table.name])
                self.pending[table.name] = []
            t1 = time.perf_counter()
            self.seconds["python rows"] += t1 - t0
            if self.mapped:
                for statement in TEMP_TABLES:
                    conn.exec_driver_sql(statement)
                insert = "INSERT INTO {} VALUES ({})"
                marks = "%s" if self.kind == "postgresql" else "?"
                conn.exec_driver_sql(insert.format("bench_map", ", ".join([marks] * 5)), self.mapped)  # type: ignore[arg-type]
                if keys:
                    conn.exec_driver_sql(insert.format("bench_key", ", ".join([marks] * 4)), keys)  # type: ignore[arg-type]
                for name, statement in self.statements:
                    self.written[name] += conn.exec_driver_sql(statement).rowcount
                conn.exec_driver_sql("DROP TABLE bench_map")
                conn.exec_driver_sql("DROP TABLE bench_key")
                self.mapped = []
            self.seconds["copies"] += time.perf_counter() - t1

    def finish(self) -> None:
        t0 = time.perf_counter()
        conn = self.conn
        with conn.begin():
            if self.kind == "postgresql":
                conn.exec_driver_sql("SET LOCAL maintenance_work_mem = '256MB'")
            for definition in self.indexes:
                conn.exec_driver_sql(definition)
            reset_sequences(conn)
            tally.fold(conn)  # the triggers' changes into the counts by stage (workflow.tally)
        t1 = time.perf_counter()
        self.seconds["indexes"] += t1 - t0
        if self.kind != "postgresql":
            raw: Any = conn.connection.driver_connection
            broken = raw.execute("PRAGMA foreign_key_check").fetchall()
            if broken:
                raise RuntimeError(f"bulk rows point at missing rows: {broken[:5]}")
            for pragma in LOADED_PRAGMAS:
                raw.execute(f"PRAGMA {pragma}")
            self.seconds["foreign keys checked"] = time.perf_counter() - t1
        conn.close()
        t2 = time.perf_counter()
        with self.db.connect() as fresh:  # ANALYZE outside a transaction block
            fresh.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql("ANALYZE")
        self.seconds["ANALYZE"] = time.perf_counter() - t2


__all__ = [
    "COPIED",
    "BlockRows",
    "Changes",
    "Heads",
    "Loading",
    "Shape",
    "copy_statement",
    "reset_sequences",
    "write_rows",
]
