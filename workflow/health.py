"""Readiness: the database answers and its schema is at the newest migration (`/readyz`)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, text

from workflow.db import ROOT, reading


@dataclass(frozen=True, slots=True)
class Readiness:
    database: bool
    current: str | None  # the database's migration revision
    head: str  # the newest revision this code knows
    problem: str = ""

    @property
    def ok(self) -> bool:
        return self.database and self.current == self.head

    def as_dict(self) -> dict[str, object]:
        return {
            "ok": self.ok,
            "database": "ok" if self.database else "unreachable",
            "migration": self.current,
            "migration_head": self.head,
            "problem": self.problem,
        }


@cache
def head_revision() -> str:
    """The newest migration of this code: read once (parsing the migration scripts costs about a second, and a
    load balancer asks /readyz every few seconds)."""
    config = Config(str(ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(ROOT / "migrations"))
    return str(ScriptDirectory.from_config(config).get_current_head())


def readiness(db: Engine) -> Readiness:
    head = head_revision()
    try:
        with reading(db) as conn:
            current = conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
    except Exception as err:  # noqa: BLE001  (any failure means not ready; the class is the message)
        return Readiness(False, None, head, f"database: {type(err).__name__}")
    problem = "" if current == head else f"migrations: database at {current}, code expects {head} (run `rehab init`)"
    return Readiness(True, current, head, problem)


__all__ = ["Readiness", "head_revision", "readiness"]
