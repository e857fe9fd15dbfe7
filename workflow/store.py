"""The engine's hot path in plain SQL on the driver's cursor, inside SQLAlchemy's transaction.

Building, cache-keying and type-processing a SQLAlchemy statement costs several times what the
database spends running it; one step runs about eight statements. Here each statement is a fixed
SQL string, parameters are converted once per dialect, and rows come back as small tuples.
Column types must match `workflow.tables` (what SQLAlchemy stores): on SQLite, UTC times as
'YYYY-MM-DD HH:MM:SS.ffffff', dates as ISO text, JSON as text; on PostgreSQL, native types.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Connection, Engine

from workflow.chain import HASHED_FIELDS

SQLITE_TIME = "%Y-%m-%d %H:%M:%S.%f"
DOSSIER_COLUMNS = (
    "id, code, regime, track, state, version, commune_code, agency_id, closing_reason, data, last_seq, last_hash"
)
LOG_COLUMNS = (*HASHED_FIELDS, "hash", "body", "signature", "key_id")  # as workflow.chain.seal builds them
DEADLINE_COLUMNS = (
    "dossier_id",
    "stage",
    "key",
    "rule_id",
    "agency_id",
    "agency_type",
    "starts_on",
    "due_on",
    "due_at",
    "remind_on",
    "escalate_to",
    "basis",
    "status_mark",
    "spans",
    "opened_at",
    "closed_at",
    "paused_at",
)
OUTBOX_COLUMNS = ("created_at", "kind", "dossier_id", "agency_id", "context", "status", "dedupe_key")
DEADLINE_WRITES = frozenset({"close", "pause", "retarget", "shift", "deadline"})
TEXT_COLUMNS = ("dossier_id", "seq", "field", "text", "salt", "written_at", "basis")  # `workflow.texts`
JSON_COLUMNS = {"payload", "reasons", "escalate_to", "spans", "context", "data", "result"}
TIME_COLUMNS = {"at", "due_at", "opened_at", "closed_at", "paused_at", "created_at", "updated_at", "written_at"}
DATE_COLUMNS = {"starts_on", "due_on", "remind_on"}


@dataclass(frozen=True, slots=True)
class DossierRow:
    id: int
    code: str
    regime: str
    track: str
    state: str
    version: int
    commune_code: str
    agency_id: str | None
    closing_reason: str | None
    data: dict[str, Any]
    last_seq: int
    last_hash: str


@dataclass(frozen=True, slots=True)
class OpenDeadline:
    id: int
    key: str
    spans: list[str]
    paused_at: datetime | None
    due_on: date
    due_at: datetime
    remind_on: date
    agency_type: str = ""


def _insert_sql(table: str, columns: Sequence[str], mark: str) -> str:
    return f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join([mark] * len(columns))})"


@contextmanager
def transaction(db: Engine) -> Iterator[Store]:
    """One write transaction on a pooled driver connection, without SQLAlchemy's per-transaction work
    (a step's hot path): BEGIN IMMEDIATE on SQLite (as `workflow.db` begins writers), commit when the
    block ends, roll back if it raises, the connection back to the pool."""
    pooled = db.raw_connection()
    raw: Any = pooled.driver_connection
    pg = db.dialect.name == "postgresql"
    try:
        if not pg:
            raw.execute("BEGIN IMMEDIATE")
        yield Store.over(raw, pg)
        raw.commit()
    except BaseException:
        try:
            raw.rollback()
        except Exception:  # a broken connection: never back into the pool
            pooled.invalidate()
        raise
    finally:
        pooled.close()


def _statements(pg: bool) -> dict[str, str]:
    mark = "%s" if pg else "?"
    statements = {
        "load": f"SELECT {DOSSIER_COLUMNS} FROM dossier WHERE id = {mark}" + (" FOR UPDATE" if pg else ""),
        "prior": f"SELECT result FROM idempotency_key WHERE key = {mark}",
        "remember": _insert_sql("idempotency_key", ("key", "dossier_id", "result", "created_at"), mark),
        "append": _insert_sql("transition_log", LOG_COLUMNS, mark),
        "tip": f"UPDATE dossier SET last_seq = {mark}, last_hash = {mark} WHERE id = {mark}",
        "apply": f"UPDATE dossier SET state = {mark}, version = {mark}, agency_id = {mark}, data = {mark}, "
        f"updated_at = {mark}, last_seq = {mark}, last_hash = {mark}, closing_reason = {mark}, "
        f"commune_code = {mark}, track = {mark} "
        f"WHERE id = {mark} AND version = {mark}",
        "open_of": "SELECT id, key, spans, paused_at, due_on, due_at, remind_on, agency_type FROM deadline "
        f"WHERE dossier_id = {mark} AND closed_at IS NULL",
        "close": f"UPDATE deadline SET closed_at = {mark} WHERE id = {mark}",
        "pause": f"UPDATE deadline SET paused_at = {mark} WHERE id = {mark}",
        "retarget": f"UPDATE deadline SET agency_id = {mark} WHERE id = {mark}",
        "shift": f"UPDATE deadline SET paused_at = NULL, due_on = {mark}, due_at = {mark}, remind_on = {mark} "
        f"WHERE id = {mark}",
        "deadline": _insert_sql("deadline", DEADLINE_COLUMNS, mark),
        "queue": _insert_sql("outbox", OUTBOX_COLUMNS, mark),
        "text": _insert_sql("entry_text", TEXT_COLUMNS, mark),
    }
    # PostgreSQL, committing in the same round trip: `apply` fails (1 / 0) when the versioned row did not change
    statements["apply_checked"] = f"WITH w AS ({statements['apply']} RETURNING 1) SELECT count(*) / count(*) FROM w"
    return statements


class Store:
    """Reads run at once; writes are buffered and sent by `flush()`: one pipeline on PostgreSQL (one round
    trip, each statement's text fixed and so prepared once per connection), one statement each on SQLite
    (in-process, no round trips to save)."""

    def __init__(self, conn: Connection) -> None:
        raw = conn.connection.driver_connection
        assert raw is not None, "a live DBAPI connection"
        self._setup(raw, conn.dialect.name == "postgresql")

    @classmethod
    def over(cls, raw: Any, pg: bool) -> Store:
        """A store on a driver connection the caller holds (and commits): the engine's own transaction."""
        store = cls.__new__(cls)
        store._setup(raw, pg)
        return store

    def _setup(self, raw: Any, pg: bool) -> None:
        self.pg = pg
        self.pending: list[tuple[str, tuple[Any, ...]]] = []
        self.raw: Any = raw
        self.mark = "%s" if pg else "?"
        self.sql = _PG_SQL if pg else _SQLITE_SQL
        self._rows = _PG_ROWS if pg else _SQLITE_ROWS
        self._prefetched: tuple[int, list[Any]] | None = None

    # ------------------------------------------------------------------ conversions

    def _json(self, value: Any) -> Any:
        return _pg_json(value) if self.pg else _dumps(value)

    def _time(self, value: datetime | None) -> Any:
        if value is None or self.pg:
            return value
        return _sqlite_time(value)

    def _param(self, column: str, value: Any) -> Any:
        return _converter(column, self.pg)(value)

    def _row(self, columns: tuple[str, ...], values: Mapping[str, Any]) -> tuple[Any, ...]:
        return tuple([convert(values.get(c)) for c, convert in self._rows[columns]])

    def _read_json(self, value: Any) -> Any:
        return json.loads(value) if isinstance(value, str | bytes) else value

    def _read_time(self, value: Any) -> datetime | None:
        if value is None or isinstance(value, datetime):
            return value.astimezone(UTC) if isinstance(value, datetime) and value.tzinfo else value
        if "T" in value:  # PostgreSQL's JSON rendering of timestamptz
            return datetime.fromisoformat(value).astimezone(UTC)
        return datetime.fromisoformat(value).replace(tzinfo=UTC)  # SQLITE_TIME, stored UTC

    def _read_date(self, value: Any) -> date:
        return value if isinstance(value, date) else date.fromisoformat(value)

    # ------------------------------------------------------------------ statements

    def _run(self, name: str, params: Sequence[Any]) -> Any:
        return self._run_sql(self.sql[name], params)

    def _run_sql(self, sql: str, params: Sequence[Any]) -> Any:
        cursor = self.raw.cursor()
        cursor.execute(sql, params)
        return cursor

    # ------------------------------------------------------------------ reads (at once)

    def load(self, dossier_id: int) -> DossierRow | None:
        """The dossier row, locked on PostgreSQL until the transaction ends."""
        if self.pg:  # the row lock and the open deadlines in one round trip (with the BEGIN)
            found, self._prefetched = self._load_with_deadlines(dossier_id)
        else:
            found = self._run("load", (dossier_id,)).fetchone()
        if found is None:
            return None
        values = list(found)
        values[9] = self._read_json(values[9])
        return DossierRow(*values[:12])

    def _load_with_deadlines(self, dossier_id: int) -> tuple[Any, tuple[int, list[Any]]]:
        # Pipelined, the server still runs them in order: the deadlines' statement starts once the row
        # lock is held, so under READ COMMITTED it sees what the lock's previous holder committed.
        with self.raw.pipeline():
            row = self._run("load", (dossier_id,))
            deadlines = self._run("open_of", (dossier_id,))
        return row.fetchone(), (dossier_id, deadlines.fetchall())

    def prior(self, key: str) -> dict[str, Any] | None:
        found = self._run("prior", (key,)).fetchone()
        return dict(self._read_json(found[0])) if found else None

    def open_deadlines(self, dossier_id: int) -> list[OpenDeadline]:
        # A separate statement after the row lock: under READ COMMITTED it sees what a step that
        # held the lock before us committed (a subquery of the locking SELECT would not).
        prefetched, self._prefetched = self._prefetched, None
        if prefetched is not None and prefetched[0] == dossier_id and not self._touched_deadlines():
            return [self._deadline(r) for r in prefetched[1]]
        return [self._deadline(r) for r in self._run("open_of", (dossier_id,)).fetchall()]

    def _touched_deadlines(self) -> bool:
        return any(name in DEADLINE_WRITES for name, _ in self.pending)

    def _deadline(self, r: Sequence[Any]) -> OpenDeadline:
        return OpenDeadline(
            r[0],
            r[1],
            self._read_json(r[2]),
            self._read_time(r[3]),
            self._read_date(r[4]),
            self._read_time(r[5]) or datetime.min,
            self._read_date(r[6]),
            r[7],
        )

    # ------------------------------------------------------------------ writes (buffered)

    def remember(self, key: str, dossier_id: int | None, result: Mapping[str, Any], now: datetime) -> None:
        self.pending.append(("remember", (key, dossier_id, self._json(dict(result)), self._time(now))))

    def append(self, entry: Mapping[str, Any]) -> None:
        self.pending.append(("append", self._row(LOG_COLUMNS, entry)))

    def keep_text(self, row: Mapping[str, Any]) -> None:
        """A free text beside the chain (`workflow.texts.SideText.row`), written with the entry."""
        self.pending.append(("text", self._row(TEXT_COLUMNS, row)))

    def move_tip(self, dossier_id: int, seq: int, digest: str) -> None:
        self.pending.append(("tip", (seq, digest, dossier_id)))

    def apply(
        self,
        row: DossierRow,
        *,
        state: str,
        agency_id: str | None,
        data: dict[str, Any],
        now: datetime,
        seq: int,
        digest: str,
        closing_reason: str | None,
        commune_code: str | None = None,
        track: str | None = None,
    ) -> None:
        """The new state, if the version is still the one loaded (`flush` says how many rows changed)."""
        self.pending.append(
            (
                "apply",
                (
                    state,
                    row.version + 1,
                    agency_id,
                    self._json(data),
                    self._time(now),
                    seq,
                    digest,
                    closing_reason,
                    commune_code or row.commune_code,
                    track or row.track,
                    row.id,
                    row.version,
                ),
            )
        )

    def close_deadlines(self, ids: Iterable[int], now: datetime) -> None:
        self._each_id("close", list(ids), now)

    def pause_deadlines(self, ids: Iterable[int], now: datetime) -> None:
        self._each_id("pause", list(ids), now)

    def _each_id(self, name: str, ids: list[int], now: datetime) -> None:
        # One statement per deadline, by primary key (a step closes one or two): in the step's pipeline they
        # cost no round trip, and PostgreSQL plans `id = $2` as one index probe, where `id = ANY($2)`'s
        # generic plan is a bitmap scan costing about twice the server time (pg_stat_statements).
        self.pending.extend((name, (self._time(now), i)) for i in ids)

    def shift_deadline(self, deadline: OpenDeadline, due_on: date, due_at: datetime, remind_on: date) -> None:
        self.pending.append(
            (
                "shift",
                (self._param("due_on", due_on), self._time(due_at), self._param("remind_on", remind_on), deadline.id),
            )
        )

    def retarget_deadline(self, deadline: OpenDeadline, agency_id: str | None) -> None:
        self.pending.append(("retarget", (agency_id, deadline.id)))

    def insert_deadlines(self, rows: Sequence[Mapping[str, Any]]) -> None:
        self.pending.extend(("deadline", self._row(DEADLINE_COLUMNS, r)) for r in rows)

    def queue(self, message: Mapping[str, Any]) -> None:
        self.pending.append(("queue", self._row(OUTBOX_COLUMNS, message)))

    def flush(self, *, commit: bool = False) -> int | None:
        """Send the buffered writes; returns how many dossier rows `apply` changed (None without an apply).

        `commit` (the engine's own `transaction`, nothing else): on PostgreSQL the COMMIT goes in the
        same round trip, and only if `apply` changed its row; if it did not, nothing is committed and 0
        is returned (the caller raises, `transaction` rolls back)."""
        pending, self.pending = self.pending, []
        self._prefetched = None  # what was read before these writes is no longer current
        if not pending:
            return None
        if self.pg:
            return self._flush_in_one_round_trip(pending, commit)
        changed = None
        for name, params in pending:
            cursor = self._run(name, params)
            if name == "apply":
                changed = int(cursor.rowcount)
        return changed

    def _flush_in_one_round_trip(self, pending: list[tuple[str, tuple[Any, ...]]], commit: bool) -> int | None:
        """All writes of a step in one round trip: one pipeline of statements whose texts never change (so the
        driver prepares each once per connection and the server plans it once), the COMMIT behind them."""
        from psycopg.errors import DivisionByZero

        sql, changed = self.sql, None
        try:
            with self.raw.pipeline():
                cursors = []
                for name, values in pending:
                    # `apply` with its check when committing: no row changed fails the statement (1 / 0), so
                    # the COMMIT behind it in the pipeline never runs and the transaction is left to roll back.
                    text = sql["apply_checked"] if commit and name == "apply" else sql[name]
                    cursors.append((name, self._run_sql(text, values)))
                if commit:
                    self.raw.commit()
        except DivisionByZero:
            return 0
        for name, cursor in cursors:
            if name == "apply":
                changed = int(cursor.fetchone()[0]) if commit else int(cursor.rowcount)
        return changed


_last_time: tuple[datetime, str] = (datetime.min, datetime.min.isoformat(" ", "microseconds"))


def _sqlite_time(value: datetime) -> str:
    """As SQLITE_TIME formats it (what SQLAlchemy stores), without strftime's cost; a step stamps one
    moment on several rows, so the last one is remembered."""
    global _last_time
    last = _last_time
    if last[0] is value:
        return last[1]
    if value.tzinfo is UTC:
        text = value.isoformat(" ", "microseconds")[:26]
    else:
        text = value.astimezone(UTC).replace(tzinfo=None).isoformat(" ", "microseconds")
    _last_time = (value, text)
    return text


def _pg_json(value: Any) -> Any:
    from psycopg.types.json import Json

    return Json(value, dumps=_dumps)


def _same(value: Any) -> Any:
    return value


def _sqlite_date(value: date | None) -> str | None:
    return None if value is None else value.isoformat()


def _sqlite_time_or_none(value: datetime | None) -> str | None:
    return None if value is None else _sqlite_time(value)


def _sqlite_plain(value: Any) -> Any:
    return int(value) if isinstance(value, bool) else value


def _converter(column: str, pg: bool) -> Callable[[Any], Any]:
    """How a value of the column is sent to the driver (what SQLAlchemy's column types would do)."""
    if column in JSON_COLUMNS:
        return _pg_json if pg else _dumps
    if pg:
        return _same
    if column in TIME_COLUMNS:
        return _sqlite_time_or_none
    if column in DATE_COLUMNS:
        return _sqlite_date
    return _sqlite_plain


def _converters(pg: bool) -> dict[tuple[str, ...], tuple[tuple[str, Callable[[Any], Any]], ...]]:
    return {
        cols: tuple((c, _converter(c, pg)) for c in cols)
        for cols in (LOG_COLUMNS, DEADLINE_COLUMNS, OUTBOX_COLUMNS, TEXT_COLUMNS)
    }


_ENCODE = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), default=lambda v: _default(v)).encode


def _dumps(value: Any) -> str:
    return _ENCODE(value)


def _default(value: Any) -> str:
    if isinstance(value, datetime | date):
        return value.isoformat()
    raise TypeError(f"not JSON-serialisable: {type(value).__name__}")


_SQLITE_SQL, _PG_SQL = _statements(False), _statements(True)
_SQLITE_ROWS, _PG_ROWS = _converters(False), _converters(True)
