"""Database engines and migrations. SQLite (WAL, foreign keys on) is the embedded default;
PostgreSQL is the production path."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parents[1]
READ_ONLY = "rehab_read_only"
# Claims are row locks held by a transaction: when the process holding them dies they must lapse. A killed
# process's socket closes and PostgreSQL rolls back at once; a lost host or a hung process is found by TCP
# keepalives (60 s, not the OS's 2 hours) and by the end of any transaction left idle for 60 s.
# JIT off: the readers' scope (an OR of subqueries) is priced high enough to trigger JIT compilation, which took
# 690 of 780 ms of a list's count on 30,000 dossiers (EXPLAIN ANALYZE); these short queries never repay it.
POSTGRES_SESSION_OPTIONS = " ".join(
    f"-c {name}={value}"
    for name, value in (
        ("idle_in_transaction_session_timeout", "60s"),
        ("tcp_keepalives_idle", "60"),
        ("tcp_keepalives_interval", "10"),
        ("tcp_keepalives_count", "3"),
        ("jit", "off"),
    )
)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    # REPLACE's implicit delete fires the delete triggers (the log and dossiers refuse it; migration 0011)
    cursor.execute("PRAGMA recursive_triggers=ON")
    cursor.close()


def _sqlite_begin(conn: Any) -> None:
    # Writers take the one write lock at BEGIN, so a read-then-write never meets a concurrent writer.
    # Readers (`reading(db)`) begin a deferred transaction: a consistent snapshot that blocks no one.
    conn.exec_driver_sql("BEGIN" if conn.get_execution_options().get(READ_ONLY) else "BEGIN IMMEDIATE")


def make_engine(url: str) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False, "isolation_level": None})
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    # No pre-ping: it costs a round trip per transaction; stale connections are recycled instead.
    connect_args = {} if "options" in parsed.query else {"options": POSTGRES_SESSION_OPTIONS}
    return create_engine(url, pool_recycle=1800, pool_size=10, max_overflow=20, connect_args=connect_args)


def is_postgres(engine: Engine) -> bool:
    return engine.dialect.name == "postgresql"


def migrate(engine: Engine) -> None:
    """Bring the schema to the newest revision (idempotent)."""
    config = Config(str(ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(ROOT / "migrations"))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


def reading(db: Engine) -> Connection:
    """A connection for reads: one consistent snapshot, without taking SQLite's write lock.

    On PostgreSQL the transaction is REPEATABLE READ, so every statement sees the same snapshot.
    """
    options: dict[str, Any] = {READ_ONLY: True}
    if is_postgres(db):
        options["isolation_level"] = "REPEATABLE READ"
    return db.connect().execution_options(**options)
