"""Tamper evidence that covers the dossier: its row and open deadlines re-derived from its chain.

`workflow.audit` proves the transition log was not rewritten. This module proves the rest follows from it:
each dossier's chain is replayed (`workflow.replay`: the engine's own functions over an in-memory store)
and the result is compared with the `dossier` row (state,
version, regime, track, commune, responsible agency, closing reason, facts) and the dossier's open rows of
the `deadline` table (which are open, their due day and hour, start, stage, paused or not). Each difference
is reported with the dossier and the field (`dossier 17: state is 'closed', the chain says 'in_facility'`).

Facts the chain does not carry (personal data: the birth date, sex, nationality, a child's birth date written
"(ẩn)") are read from the row: they cannot be checked here, only used. Deadlines are re-derived with today's
calendar, rules and agency directory: a change of configuration since a deadline was opened shows as a
difference too (named as such). Documents are compared on type, number and date (the parts that count).

One pass over the database, a block of dossiers at a time (their entries and open deadlines read together):
memory stays bounded whatever the size.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, select

from workflow.db import reading
from workflow.errors import DossierNotFound
from workflow.replay import OFF_CHAIN, Derived, derive, utc
from workflow.tables import Deadline, Dossier, TransitionLog

if TYPE_CHECKING:
    from workflow.engine import DossierEngine

LOG = TransitionLog.__table__  # type: ignore[attr-defined]
DOSSIER = Dossier.__table__  # type: ignore[attr-defined]
DEADLINE = Deadline.__table__  # type: ignore[attr-defined]
BLOCK = 500  # dossiers read at a time
DOC_PARTS = ("type", "number", "date")
ROW_FIELDS = ("state", "version", "regime", "track", "commune_code", "agency_id", "closing_reason")


@dataclass(frozen=True, slots=True)
class Mismatch:
    dossier_id: int
    field: str
    problem: str

    def describe(self) -> str:
        return f"dossier {self.dossier_id}: {self.problem}"


@dataclass(slots=True)
class StateReport:
    dossiers: int = 0
    mismatches: list[Mismatch] = field(default_factory=list)  # the first `limit` of them
    found: int = 0  # every difference found

    @property
    def ok(self) -> bool:
        return not self.mismatches


# --------------------------------------------------------------------------- comparing


def _plain(value: Any) -> Any:
    """As stored: JSON, dates as ISO text."""
    return json.loads(json.dumps(value, default=lambda v: v.isoformat(), ensure_ascii=False))


def _facts(value: Any) -> dict[str, Any]:
    data = _plain(value or {})
    documents = data.pop("documents", {}) or {}
    data["documents"] = {k: {p: doc.get(p) for p in DOC_PARTS} for k, doc in documents.items()}
    return dict(data)


def compare(dossier_id: int, row: Any, derived: Derived, deadlines: Sequence[Any]) -> list[Mismatch]:
    """Every difference between the stored row and open deadlines and what the chain derives."""
    out = [Mismatch(dossier_id, f, p) for f, p in derived.problems]
    for name in ROW_FIELDS:
        stored, chain = getattr(row, name), getattr(derived, name)
        if stored != chain:
            since = " (or the agencies were reconfigured since)" if name == "agency_id" else ""
            out.append(Mismatch(dossier_id, name, f"{name} is {stored!r}, the chain says {chain!r}{since}"))
    stored_facts, chain_facts = _facts(row.data), _facts(derived.data)
    for key in sorted(set(stored_facts) | set(chain_facts)):
        if key in OFF_CHAIN:
            continue
        if key not in chain_facts:
            out.append(Mismatch(dossier_id, f"data.{key}", f"fact '{key}' is not on the chain"))
        elif key not in stored_facts:
            out.append(
                Mismatch(dossier_id, f"data.{key}", f"fact '{key}' missing (the chain says {chain_facts[key]!r})")
            )
        elif stored_facts[key] != chain_facts[key]:
            out.append(
                Mismatch(
                    dossier_id,
                    f"data.{key}",
                    f"fact '{key}' is {stored_facts[key]!r}, the chain says {chain_facts[key]!r}",
                )
            )
    out += _compare_deadlines(dossier_id, deadlines, derived.deadlines.still_open())
    return out


DEADLINE_FIELDS = ("due_on", "due_at", "starts_on", "stage", "paused")


def _deadline_view(r: Mapping[str, Any]) -> dict[str, Any]:
    due_at = r["due_at"]
    return {
        "due_on": _day(r["due_on"]),
        "due_at": utc(due_at).replace(tzinfo=None, microsecond=0) if isinstance(due_at, datetime) else due_at,
        "starts_on": _day(r["starts_on"]),
        "stage": r["stage"],
        "paused": r["paused_at"] is not None,
    }


def _day(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def _compare_deadlines(dossier_id: int, stored: Sequence[Any], derived: Sequence[Mapping[str, Any]]) -> list[Mismatch]:
    out: list[Mismatch] = []
    by_key: dict[str, list[dict[str, Any]]] = {}
    for r in stored:
        by_key.setdefault(r.key, []).append(_deadline_view(r._asdict()))
    wanted: dict[str, list[dict[str, Any]]] = {}
    for r in derived:
        wanted.setdefault(r["key"], []).append(_deadline_view(r))
    for key in sorted(set(by_key) | set(wanted)):
        have, want = by_key.get(key, []), wanted.get(key, [])
        if len(have) < len(want):
            out.append(Mismatch(dossier_id, f"deadline.{key}", f"open deadline '{key}' missing"))
        elif len(have) > len(want):
            out.append(Mismatch(dossier_id, f"deadline.{key}", f"open deadline '{key}' is not on the chain"))
        for h, w in zip(have, want, strict=False):
            for name in DEADLINE_FIELDS:
                if h[name] != w[name]:
                    out.append(
                        Mismatch(
                            dossier_id,
                            f"deadline.{key}.{name}",
                            f"open deadline '{key}': {name} is {_shown(h[name])}, the chain says {_shown(w[name])}"
                            " (or the calendar, rules or agencies were reconfigured since)",
                        )
                    )
    return out


def _shown(value: Any) -> str:
    return repr(value.isoformat()) if isinstance(value, date | datetime) else repr(value)


# --------------------------------------------------------------------------- the pass over the database


def _blocks(conn: Connection, dossier_id: int | None) -> Iterator[list[Any]]:
    query = select(DOSSIER).order_by(DOSSIER.c.id)
    if dossier_id is not None:
        query = query.where(DOSSIER.c.id == dossier_id)
    last = 0
    while True:
        rows = list(conn.execute(query.where(DOSSIER.c.id > last).limit(BLOCK)))
        if not rows:
            return
        yield rows
        last = rows[-1].id


def _grouped(conn: Connection, table: Any, first: int, last: int, *where: Any) -> dict[int, list[Any]]:
    query = select(table).where(table.c.dossier_id.between(first, last), *where)
    order = (table.c.dossier_id, table.c.seq) if table is LOG else (table.c.dossier_id, table.c.id)
    out: dict[int, list[Any]] = {}
    for r in conn.execute(query.order_by(*order)):
        out.setdefault(r.dossier_id, []).append(r)
    return out


def verify_state(engine: DossierEngine, dossier_id: int | None = None, *, limit: int = 1000) -> StateReport:
    """Replay every dossier's chain (or one) and compare; at most `limit` differences are kept."""
    report = StateReport()
    with reading(engine.db) as conn:
        directory = engine.directory(conn)
        for rows in _blocks(conn, dossier_id):
            first, last = rows[0].id, rows[-1].id
            entries = _grouped(conn, LOG, first, last)
            deadlines = _grouped(conn, DEADLINE, first, last, DEADLINE.c.closed_at.is_(None))
            for row in rows:
                report.dossiers += 1
                derived = derive(engine, directory, row, entries.get(row.id, []))
                found = compare(row.id, row, derived, deadlines.get(row.id, []))
                report.found += len(found)
                report.mismatches.extend(found[: max(0, limit - len(report.mismatches))])
    if dossier_id is not None and report.dossiers == 0:
        raise DossierNotFound(dossier_id)
    return report


__all__ = ["Mismatch", "StateReport", "compare", "derive", "verify_state"]
