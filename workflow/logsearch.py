"""The procuracy's search across every dossier's transition log: by acting agency, event, outcome
(applied steps, or refused attempts with their reasons), dossier and date range; a page at a time, or
every matching entry for export (JSON lines or CSV).

The log holds no personal data (see `workflow.chain`), so neither do the results. A search can be
limited to the communes an agency serves (`communes_served`): a procuracy sees its own area.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, Engine, Select, func, select

from workflow.db import reading
from workflow.directory import Directory
from workflow.tables import Dossier, TransitionLog

LOG = TransitionLog.__table__  # type: ignore[attr-defined]
DOSSIER = Dossier.__table__  # type: ignore[attr-defined]
Outcome = Literal["applied", "refused"]
CSV_COLUMNS = (
    "id",
    "dossier_id",
    "dossier_code",
    "seq",
    "at",
    "kind",
    "actor",
    "actor_agency",
    "event",
    "from_state",
    "to_state",
    "applied",
    "reason_codes",
    "hash",
)


@dataclass(frozen=True, slots=True)
class LogQuery:
    agency: str | None = None  # the acting agency
    event: str | None = None
    outcome: Outcome | None = None
    dossier: int | None = None
    since: date | None = None  # local dates, both included
    until: date | None = None
    communes: frozenset[str] | None = None  # None: every commune

    def where(self, tz: ZoneInfo) -> list[ColumnElement[bool]]:
        conditions: list[ColumnElement[bool]] = []
        if self.agency:
            conditions.append(LOG.c.actor_agency == self.agency)
        if self.event:
            conditions.append(LOG.c.event == self.event)
        if self.outcome is not None:
            conditions.append(LOG.c.applied.is_(self.outcome == "applied"))
        if self.dossier is not None:
            conditions.append(LOG.c.dossier_id == self.dossier)
        if self.since is not None:
            conditions.append(LOG.c.at >= _start_of(self.since, tz))
        if self.until is not None:
            conditions.append(LOG.c.at < _start_of(self.until + timedelta(days=1), tz))
        if self.communes is not None:
            conditions.append(DOSSIER.c.commune_code.in_(sorted(self.communes)))
        return conditions


@dataclass(frozen=True, slots=True)
class LogPage:
    entries: list[dict[str, Any]]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


def _start_of(day: date, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, time(0), tz).astimezone(UTC)


def communes_served(directory: Directory, agency_id: str | None) -> frozenset[str]:
    """Every area code whose lineage the agency serves (its communes, and the areas above them)."""
    agency = directory.agencies.get(agency_id or "")
    if agency is None:
        return frozenset()
    return frozenset(code for code in directory.parents if agency.serves(directory.lineage(code)))


def _base(query: LogQuery, tz: ZoneInfo) -> Select[Any]:
    columns = [c for c in LOG.c if c.name not in ("payload", "prev_hash", "body", "signature")]
    joined = LOG.join(DOSSIER, DOSSIER.c.id == LOG.c.dossier_id)
    return select(*columns, DOSSIER.c.code.label("dossier_code")).select_from(joined).where(*query.where(tz))


def _entry(row: Any) -> dict[str, Any]:
    entry = dict(row._mapping)
    moment = entry["at"]
    entry["at"] = (moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)).isoformat()
    return entry


def search_log(db: Engine, query: LogQuery, tz: ZoneInfo, *, page: int = 1, per_page: int = 50) -> LogPage:
    """One page of matching entries, newest first, and how many match in all."""
    base = _base(query, tz)
    ordered = base.order_by(LOG.c.at.desc(), LOG.c.id.desc()).limit(per_page).offset((page - 1) * per_page)
    with reading(db) as conn:
        total = conn.execute(select(func.count()).select_from(base.subquery())).scalar_one()
        rows = conn.execute(ordered).all()
    return LogPage([_entry(r) for r in rows], total, page, per_page)


def iter_log(db: Engine, query: LogQuery, tz: ZoneInfo) -> Iterator[dict[str, Any]]:
    """Every matching entry, oldest first, read in batches (for export)."""
    ordered = _base(query, tz).order_by(LOG.c.at, LOG.c.id)
    with reading(db) as conn:
        result = conn.execution_options(yield_per=2000).execute(ordered)
        try:
            for row in result:
                yield _entry(row)
        finally:
            result.close()


def as_json_lines(entries: Iterator[dict[str, Any]]) -> Iterator[str]:
    for entry in entries:
        yield json.dumps(entry, ensure_ascii=False, sort_keys=True, default=str) + "\n"


def as_csv(entries: Iterator[dict[str, Any]]) -> Iterator[str]:
    """CSV with a header row; the refusal reasons as their codes, `;`-separated (UTF-8 with BOM for Excel)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_COLUMNS)
    yield "\ufeff" + _drain(buffer)
    for entry in entries:
        writer.writerow(_csv_row(entry))
        yield _drain(buffer)


def _csv_row(entry: dict[str, Any]) -> Sequence[Any]:
    codes = ";".join(str(r.get("code", "")) for r in entry.get("reasons") or [])
    values = {**entry, "reason_codes": codes, "applied": "1" if entry["applied"] else "0"}
    return [_safe(values.get(c)) for c in CSV_COLUMNS]


def _safe(value: Any) -> Any:
    """No spreadsheet formulas: a text cell starting with = + - @ is prefixed with an apostrophe."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@"):
        return "'" + value
    return "" if value is None else value


def _drain(buffer: io.StringIO) -> str:
    text = buffer.getvalue()
    buffer.seek(0)
    buffer.truncate()
    return text


__all__ = ["LogPage", "LogQuery", "as_csv", "as_json_lines", "communes_served", "iter_log", "search_log"]
