"""Finding dossiers: one search box (code, ID number, name without diacritics) and filtered, sorted, paged lists.

Every query is restricted to what the reader may read (`workflow.access.readable`); a search by name or ID
number only matches dossiers whose person the reader may read, so a search never tells anyone that a person
has a dossier they may not see. The ID number is matched through its salted hash (`DossierEngine.id_hash`,
passed in as `id_hash`), never stored or compared in clear. Lists carry a name only where it may be read.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, Connection, Date, Integer, and_, bindparam, column, func, or_, select, table
from sqlalchemy import text as sql_text

from states.model import Regime, State
from workflow import tally
from workflow.access import Scope, may_read_person, person_readable, readable
from workflow.errors import InvalidInput
from workflow.names import fold
from workflow.queries import named
from workflow.tables import Agency, Area, Deadline, Dossier, Person

DOSSIER = Dossier.__table__  # type: ignore[attr-defined]
DEADLINE = Deadline.__table__  # type: ignore[attr-defined]
PERSON = Person.__table__  # type: ignore[attr-defined]
AGENCY = Agency.__table__  # type: ignore[attr-defined]
AREA = Area.__table__  # type: ignore[attr-defined]
NAME_INDEX = table("person_name_fts", column("rowid"))  # SQLite: trigrams of the folded names (migration 0016)
TRIGRAM = 3  # the shortest word the trigram index can find

CODE = re.compile(r"^HS-\d{4}-\d{1,9}$", re.IGNORECASE)
ID_NUMBER = re.compile(r"^\d{9}$|^\d{12}$")  # CMND 9 digits, CCCD 12
PAGE_SIZES = (10, 25, 50, 100, 200)
MAX_PAGE_SIZE = PAGE_SIZES[-1]
TRACKS = ("adult", "minor")
SORTS_VI = {
    "-updated": "Cập nhật gần nhất",
    "updated": "Cập nhật lâu nhất",
    "-opened": "Mở gần nhất",
    "opened": "Mở sớm nhất",
    "due": "Hạn gần nhất",
    "code": "Mã hồ sơ",
    "-code": "Mã hồ sơ (giảm dần)",
    "state": "Giai đoạn",
    "commune": "Xã",
}


class BadFilter(InvalidInput):
    """A filter that cannot be used: names the field, with the reason in Vietnamese and English."""

    def __init__(self, field_name: str, reason_vi: str, reason_en: str) -> None:
        super().__init__(field_name, reason_en, reason_vi=reason_vi)
        self.reason_vi: str = reason_vi


@dataclass(frozen=True, slots=True)
class Filters:
    q: str = ""
    state: str | None = None
    commune: str | None = None
    agency: str | None = None
    regime: str | None = None
    track: str | None = None
    overdue: bool = False
    date_from: date | None = None
    date_to: date | None = None
    sort: str = "-updated"
    page: int = 1
    page_size: int = 25


@dataclass
class Page:
    items: list[dict[str, Any]]
    total: int
    page: int
    page_size: int
    counts: dict[str, int] = field(default_factory=dict)  # by stage, with every filter but the stage
    matched_by: str | None = None  # code | id_number | name, when there was a search text

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.page_size))

    def as_dict(self) -> dict[str, Any]:
        return {
            "items": self.items,
            "total": self.total,
            "page": self.page,
            "page_size": self.page_size,
            "pages": self.pages,
            "counts": {"by_state": self.counts},
            "matched_by": self.matched_by,
        }


# --------------------------------------------------------------------------- reading the filters


def _day(name: str, value: str) -> date:
    text = value.strip()
    for pattern in ("%d/%m/%Y", "%Y-%m-%d"):
        try:
            return datetime.strptime(text, pattern).date()
        except ValueError:
            continue
    raise BadFilter(name, f"'{text}' không phải là ngày (dd/mm/yyyy)", f"'{text}' is not a date (dd/mm/yyyy)")


def _whole(name: str, value: str, low: int, high: int) -> int:
    if not value.strip().isdigit() or not low <= int(value) <= high:
        raise BadFilter(name, f"phải là số nguyên từ {low} đến {high}", f"must be a whole number from {low} to {high}")
    return int(value)


def _flag(name: str, value: str) -> bool:
    text = value.strip().lower()
    if text in ("1", "true", "yes", "on", "co"):
        return True
    if text in ("", "0", "false", "no", "off", "khong"):
        return False
    raise BadFilter(name, "phải là true hoặc false", "must be true or false")


def parse_filters(raw: Mapping[str, str | None], regimes: Mapping[str, Regime]) -> Filters:
    """Filters from query parameters (empty values are no filter); a bad value is a `BadFilter`."""
    got = {k: v.strip() for k, v in raw.items() if v is not None and v.strip() != ""}
    for name, value in got.items():
        if any(ord(c) < 32 or 0xD800 <= ord(c) <= 0xDFFF for c in value):
            raise BadFilter(name, "chứa ký tự điều khiển", "contains control characters")
    states = {s.value for s in State}
    if "state" in got and got["state"] not in states:
        raise BadFilter("state", "giai đoạn không tồn tại", f"unknown state (one of: {', '.join(sorted(states))})")
    if "regime" in got and got["regime"] not in regimes:
        raise BadFilter("regime", "chế độ pháp lý không tồn tại", f"unknown regime (one of: {', '.join(regimes)})")
    if "track" in got and got["track"] not in TRACKS:
        raise BadFilter("track", "đối tượng phải là adult hoặc minor", "must be 'adult' or 'minor'")
    if "sort" in got and got["sort"] not in SORTS_VI:
        raise BadFilter("sort", "cách sắp xếp không tồn tại", f"unknown sort (one of: {', '.join(SORTS_VI)})")
    if len(got.get("q", "")) > 200:
        raise BadFilter("q", "nội dung tìm kiếm dài quá 200 ký tự", "the search text is longer than 200 characters")
    start = _day("from", got["from"]) if "from" in got else None
    end = _day("to", got["to"]) if "to" in got else None
    if start and end and start > end:
        raise BadFilter("to", "ngày kết thúc trước ngày bắt đầu", "the end date is before the start date")
    return Filters(
        q=got.get("q", ""),
        state=got.get("state"),
        commune=got.get("commune"),
        agency=got.get("agency"),
        regime=got.get("regime"),
        track=got.get("track"),
        overdue=_flag("overdue", got.get("overdue", "")),
        date_from=start,
        date_to=end,
        sort=got.get("sort", "-updated"),
        page=_whole("page", got["page"], 1, 1_000_000) if "page" in got else 1,
        page_size=_whole("page_size", got["page_size"], 1, MAX_PAGE_SIZE) if "page_size" in got else 25,
    )


def looks_like_code(text: str) -> bool:
    return bool(CODE.match(text.strip()))


# --------------------------------------------------------------------------- the query


def _escaped(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _trigram_candidates(words: list[str]) -> ColumnElement[bool] | None:
    """SQLite: the persons whose folded name contains every word of three letters or more (FTS5 trigrams), a
    superset of the word-prefix matches that the LIKE conditions then narrow; None when no word is that long."""
    long = [w for w in words if len(w) >= TRIGRAM]
    if not long:
        return None
    phrases = " AND ".join('"' + w.replace('"', '""') + '"' for w in long)
    found = select(NAME_INDEX.c.rowid).where(sql_text("person_name_fts MATCH :phrases").bindparams(phrases=phrases))
    among: ColumnElement[bool] = PERSON.c.id.in_(found.scalar_subquery())
    return among


def _text_clause(
    q: str, scope: Scope, id_hash: Callable[[str], str], *, sqlite: bool = False
) -> tuple[str, ColumnElement[bool]]:
    """How the search text matches: a dossier code exactly, an ID number by its hash, or a name by word prefixes
    (on SQLite, among the candidates of the trigram index; PostgreSQL's planner uses its own trigram index)."""
    text = q.strip()
    if looks_like_code(text):
        return "code", DOSSIER.c.code == text.upper()
    digits = text.replace(" ", "").replace(".", "")
    if ID_NUMBER.match(digits):
        return "id_number", and_(_persons(PERSON.c.id_number_hash == id_hash(digits)), person_readable(scope))
    words = fold(text).split()
    if not words:
        raise BadFilter("q", "hãy nhập mã hồ sơ, số định danh hoặc họ tên", "type a dossier code, ID number or name")
    column = PERSON.c.name_folded
    each = [
        or_(column.like(f"{_escaped(w)}%", escape="\\"), column.like(f"% {_escaped(w)}%", escape="\\")) for w in words
    ]
    candidates = _trigram_candidates(words) if sqlite else None
    return "name", and_(_persons(*([candidates] if candidates is not None else []), *each), person_readable(scope))


def _persons(*where: ColumnElement[bool]) -> ColumnElement[bool]:
    """The dossier's person is one of those matching `where`: the persons found first (through their indexes),
    then their dossiers (`dossier.person_id`), not every dossier of the reader's agency tried in turn."""
    among: ColumnElement[bool] = DOSSIER.c.person_id.in_(select(PERSON.c.id).where(*where))
    return among


def _overdue(today: date, *, sqlite: bool = False) -> ColumnElement[bool]:
    """The dossier has a running deadline past its due day: the overdue ones taken from their index (migration
    0016), so the cost follows the overdue deadlines, not every dossier readable. SQLite's planner, from its
    statistics, prefers the index of every deadline by closing time (NULL for 40,000 open ones): named there."""
    if sqlite:
        named_index = sql_text(
            "SELECT dossier_id FROM deadline INDEXED BY ix_deadline_running_late "
            "WHERE closed_at IS NULL AND paused_at IS NULL AND due_on < :late_before"
        ).bindparams(bindparam("late_before", today, type_=Date))
        listed: ColumnElement[bool] = DOSSIER.c.id.in_(named_index.columns(dossier_id=Integer))
        return listed
    late = select(DEADLINE.c.dossier_id).where(
        DEADLINE.c.closed_at.is_(None),
        DEADLINE.c.paused_at.is_(None),  # a case the court suspended is not overdue
        DEADLINE.c.due_on < today,
    )
    among: ColumnElement[bool] = DOSSIER.c.id.in_(late)
    return among


def _first_running_due() -> Any:
    """The earliest due day of the dossier's running (open, unpaused) deadlines: overdue when before today.
    A scalar subquery, looked up per listed row (an EXISTS in the select list may be planned as a scan of
    every overdue deadline)."""
    return (
        select(func.min(DEADLINE.c.due_on))
        .where(DEADLINE.c.dossier_id == DOSSIER.c.id, DEADLINE.c.closed_at.is_(None), DEADLINE.c.paused_at.is_(None))
        .scalar_subquery()
    )


def _as_date(value: Any) -> date | None:
    return date.fromisoformat(value) if isinstance(value, str) else value


def _next_due() -> Any:
    return (
        select(func.min(DEADLINE.c.due_on))
        .where(DEADLINE.c.dossier_id == DOSSIER.c.id, DEADLINE.c.closed_at.is_(None))
        .scalar_subquery()
    )


def _start_of(day: date, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, time(0), tz).astimezone(UTC)


def _conditions(
    f: Filters, scope: Scope, today: date, tz: ZoneInfo, id_hash: Callable[[str], str], *, sqlite: bool = False
) -> tuple[str | None, list[ColumnElement[bool]]]:
    where: list[ColumnElement[bool]] = [readable(scope)]
    matched_by = None
    if f.q:
        matched_by, clause = _text_clause(f.q, scope, id_hash, sqlite=sqlite)
        where.append(clause)
    simple = {"commune_code": f.commune, "agency_id": f.agency, "regime": f.regime, "track": f.track}
    where += [DOSSIER.c[column] == value for column, value in simple.items() if value]
    if f.overdue:
        where.append(_overdue(today, sqlite=sqlite))
    if f.date_from:
        where.append(DOSSIER.c.opened_at >= _start_of(f.date_from, tz))
    if f.date_to:
        where.append(DOSSIER.c.opened_at < _start_of(f.date_to + timedelta(days=1), tz))
    return matched_by, where


def _order(sort: str) -> list[Any]:
    key = sort.lstrip("-")
    column = {
        "updated": DOSSIER.c.updated_at,
        "opened": DOSSIER.c.opened_at,
        "code": DOSSIER.c.code,
        "state": DOSSIER.c.state,
        "commune": DOSSIER.c.commune_code,
        "due": _next_due(),
    }[key]
    first = column.desc() if sort.startswith("-") else column.asc()
    # only the next due day can be missing; on the others NULLS LAST would keep PostgreSQL off their indexes
    return [first.nulls_last() if key == "due" else first, DOSSIER.c.id.desc()]


def search(
    conn: Connection,
    scope: Scope,
    f: Filters,
    *,
    today: date,
    tz: ZoneInfo,
    id_hash: Callable[[str], str],
) -> Page:
    """One page of the dossiers `scope` may read that match `f`, the total, and the counts by stage."""
    matched_by, where = _conditions(f, scope, today, tz, id_hash, sqlite=conn.dialect.name == "sqlite")
    with_person = DOSSIER.join(PERSON, PERSON.c.id == DOSSIER.c.person_id)
    counted = with_person if matched_by in ("name", "id_number") else DOSSIER  # the person only when searched
    if f.q or f.overdue or f.date_from or f.date_to:  # the matching dossiers counted
        by_state = select(DOSSIER.c.state, func.count()).select_from(counted).where(*where).group_by(DOSSIER.c.state)
        counts = {r[0]: int(r[1]) for r in conn.execute(by_state)}
    else:  # every readable dossier, or those of a commune, agency, regime, track: from the tally
        chosen = {"commune_code": f.commune, "agency_id": f.agency, "regime": f.regime, "track": f.track}
        counts = tally.by_state(conn, scope, chosen)
    total = counts.get(f.state, 0) if f.state else sum(counts.values())
    if f.state:
        where.append(DOSSIER.c.state == f.state)
    # The page's ids first (the filters, the order, the offset: from the indexes), then their details: the
    # per-row lookups (names, next due day) run for the page only, not for every row an offset skips.
    page = (
        select(DOSSIER.c.id)
        .select_from(counted)
        .where(*where)
        .order_by(*_order(f.sort))
        .limit(f.page_size)
        .offset((f.page - 1) * f.page_size)
    )
    rows = conn.execute(
        select(
            DOSSIER,
            PERSON.c.full_name,
            AREA.c.name.label("commune_name"),
            AGENCY.c.name_vi.label("agency_name"),
            _next_due().label("next_due"),
            _first_running_due().label("running_due"),
        )
        .select_from(
            with_person.outerjoin(AREA, AREA.c.code == DOSSIER.c.commune_code).outerjoin(
                AGENCY, AGENCY.c.id == DOSSIER.c.agency_id
            )
        )
        .where(DOSSIER.c.id.in_(page.scalar_subquery()))
        .order_by(*_order(f.sort))
    ).all()
    items = [_item(r, scope, today) for r in rows]
    return Page(items, total, f.page, f.page_size, counts, matched_by)


def _item(r: Any, scope: Scope, today: date) -> dict[str, Any]:
    running_due = _as_date(r.running_due)
    item = {
        "id": r.id,
        "code": r.code,
        "regime": r.regime,
        "track": r.track,
        "state": r.state,
        "commune": {"code": r.commune_code, "name": r.commune_name},
        "agency": {"id": r.agency_id, "name": r.agency_name},
        "closing_reason": r.closing_reason,
        "opened_at": r.opened_at.isoformat(),
        "updated_at": r.updated_at.isoformat(),
        "next_due": r.next_due.isoformat() if isinstance(r.next_due, date) else r.next_due,
        "overdue": running_due is not None and running_due < today,
    }
    if may_read_person(scope, r.commune_code, r.agency_id):
        item["full_name"] = r.full_name
    return named(item)  # the Vietnamese names of the stage, track, regime and closing reason


def find_by_code(conn: Connection, scope: Scope, code: str) -> int | None:
    """The id of the readable dossier with this code (any letter case), else None."""
    query = select(DOSSIER.c.id).where(DOSSIER.c.code == code.strip().upper(), readable(scope))
    found = conn.execute(query).first()
    return int(found.id) if found else None
