"""Plans as data: a district's or province's yearly plan (the seed plans), imported from a TOML file.

A plan names its issuing agency, its area and year, its legal basis, per-area targets by category,
its KPI targets and the reports it asks for. Importing validates the whole file first (every error
with where and why, nothing written on error), then writes it in one transaction; importing the same
file again changes nothing. Each report the plan asks for becomes a deadline of the agency that must
submit it, swept like a dossier's deadline and closed when the report is marked submitted.
"""

from __future__ import annotations

import hashlib
import tomllib
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from sqlalchemy import Connection, Engine, delete, insert, select, update

from workflow.deadlines import DeadlinePolicy, end_of_day_utc
from workflow.tables import Agency, Area, Deadline, Plan, PlanReport, PlanTarget

PLAN = Plan.__table__  # type: ignore[attr-defined]
TARGET = PlanTarget.__table__  # type: ignore[attr-defined]
REPORT = PlanReport.__table__  # type: ignore[attr-defined]
DEADLINE = Deadline.__table__  # type: ignore[attr-defined]
AREA = Area.__table__  # type: ignore[attr-defined]
AGENCY = Agency.__table__  # type: ignore[attr-defined]

Category = Literal["compulsory", "community", "voluntary", "substitution"]
CATEGORY_VI: Mapping[str, str] = {
    "compulsory": "Cai nghiện bắt buộc",
    "community": "Cai nghiện tại gia đình, cộng đồng",
    "voluntary": "Cai nghiện tự nguyện tại cơ sở",
    "substitution": "Điều trị thay thế (Methadone)",
}
# What the product itself holds: only compulsory-rehab dossiers; other categories are targets without data.
TRACKED_CATEGORIES = frozenset({"compulsory"})
KPI_VI: Mapping[str, str] = {
    "post_rehab_decision_share": "Người hoàn thành cai nghiện có quyết định quản lý sau cai",
    "treated_share": "Người nghiện có hồ sơ quản lý được điều trị, cai nghiện",
}
PERIOD_VI: Mapping[str, str] = {
    "Q1": "Quý I",
    "Q2": "Quý II",
    "Q3": "Quý III",
    "Q4": "Quý IV",
    "H1": "6 tháng đầu năm",
    "Y": "Cả năm",
}
REPORT_RULE = "report.periodic"
REPORT_BASIS = "Kế hoạch cai nghiện ma túy của địa phương (lịch báo cáo định kỳ)"


class PlanFileError(ValueError):
    """A plan file that cannot be imported: every problem, each with where it is and why."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class TargetIn(_Strict):
    area: str = Field(min_length=1, max_length=200, description="area code or Vietnamese name (Xã Quài Cang)")
    category: Category
    target: int = Field(ge=0, le=1_000_000)


class KpiIn(_Strict):
    id: Literal["post_rehab_decision_share", "treated_share"]
    target_percent: int = Field(ge=0, le=100)


class ScheduleIn(_Strict):
    """Reporting dates as the plans write them: 'before the 15th of the quarter's last month' etc."""

    quarterly_before_day: int | None = Field(default=None, ge=1, le=28)
    half_year_before: str | None = Field(default=None, pattern=r"^\d{2}-\d{2}$", description="MM-DD, e.g. 05-20")
    year_before: str | None = Field(default=None, pattern=r"^\d{2}-\d{2}$", description="MM-DD, e.g. 11-15")
    agency: str = Field(min_length=1, max_length=200, description="the agency that must submit the reports")
    recipient: str = Field(default="", max_length=300)


class PlanIn(_Strict):
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9.\-]{1,80}$")
    title: str = Field(min_length=1, max_length=500)
    number: str = Field(default="", max_length=100)
    issued_on: date | None = None
    issuer: str = Field(min_length=1, max_length=200, description="agency id of the issuing committee")
    area: str = Field(min_length=1, max_length=200)
    year: int = Field(ge=2014, le=2100)
    basis: str = Field(default="", max_length=1000)

    @field_validator("title", "basis")
    @classmethod
    def _nfc(cls, value: str) -> str:
        return unicodedata.normalize("NFC", value)


class PlanFile(_Strict):
    plan: PlanIn
    targets: list[TargetIn] = Field(default_factory=list, max_length=5000)
    kpis: list[KpiIn] = Field(default_factory=list, max_length=20)
    reports: ScheduleIn | None = None


@dataclass(frozen=True)
class ImportResult:
    plan_id: str
    created: bool
    changed: bool
    targets: int
    reports: int


def _where(loc: Iterable[object]) -> str:
    return ".".join(str(p) for p in loc)


def parse_plan(text: str) -> PlanFile:
    """The file checked for shape: TOML syntax, fields, types and ranges (every problem at once)."""
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise PlanFileError([f"TOML không hợp lệ (invalid TOML): {exc}"]) from exc
    try:
        return PlanFile.model_validate(raw)
    except ValidationError as exc:
        raise PlanFileError([f"{_where(e['loc'])}: {e['msg']}" for e in exc.errors()]) from exc


def _fold(name: str) -> str:
    plain = unicodedata.normalize("NFD", unicodedata.normalize("NFC", name).replace("Đ", "D").replace("đ", "d"))
    return " ".join("".join(c for c in plain if unicodedata.category(c) != "Mn").lower().split())


def _areas(conn: Connection) -> dict[str, Any]:
    return {row.code: row for row in conn.execute(select(AREA)).all()}


def area_tree(areas: Mapping[str, Any], root: str) -> set[str]:
    """`root`, every area below it, and the successors of each (a merged commune's new commune)."""
    children: dict[str | None, list[str]] = {}
    for row in areas.values():
        children.setdefault(row.parent_code, []).append(row.code)
    found: set[str] = set()
    todo = [root]
    while todo:
        code = todo.pop()
        if code in found or code not in areas:
            continue
        found.add(code)
        todo.extend(children.get(code, []))
        successor = areas[code].successor_code
        if successor and areas.get(successor) is not None and areas[successor].level == areas[code].level:
            todo.append(successor)
    return found


def _resolve_area(areas: Mapping[str, Any], allowed: set[str], given: str, on: date) -> str | None:
    """An area code, or a name matched (without diacritics) among the plan's areas valid on `on`."""
    if given in areas:
        return given if given in allowed else None
    wanted = _fold(given)
    hits = [
        code
        for code in allowed
        if _fold(areas[code].name) == wanted
        and areas[code].valid_from <= on
        and (areas[code].valid_to is None or areas[code].valid_to >= on)
    ]
    return hits[0] if len(hits) == 1 else None


def _check_references(conn: Connection, parsed: PlanFile) -> tuple[list[dict[str, Any]], list[str]]:
    """Areas and agencies named by the file exist (for the plan's year): resolved targets, or problems."""
    problems: list[str] = []
    areas = _areas(conn)
    agencies = {row.id for row in conn.execute(select(AGENCY.c.id)).all()}
    plan = parsed.plan
    if plan.area not in areas:
        problems.append(f"plan.area: không có địa bàn mã '{plan.area}' (unknown area)")
    if plan.issuer not in agencies:
        problems.append(f"plan.issuer: không có cơ quan '{plan.issuer}' (unknown agency)")
    if parsed.reports is not None and parsed.reports.agency not in agencies:
        problems.append(f"reports.agency: không có cơ quan '{parsed.reports.agency}' (unknown agency)")
    allowed = area_tree(areas, plan.area) if plan.area in areas else set()
    targets: list[dict[str, Any]] = []
    seen: set[tuple[str, str]] = set()
    for i, t in enumerate(parsed.targets):
        code = _resolve_area(areas, allowed, t.area, date(plan.year, 1, 1))
        if code is None:
            problems.append(f"targets.{i}.area: '{t.area}' không thuộc địa bàn của kế hoạch (not in the plan's area)")
            continue
        if (code, t.category) in seen:
            problems.append(f"targets.{i}: chỉ tiêu '{t.category}' của '{t.area}' bị trùng (duplicate target)")
        seen.add((code, t.category))
        targets.append({"area_code": code, "category": t.category, "target": t.target})
    return targets, problems


def report_schedule(schedule: ScheduleIn, year: int) -> list[dict[str, Any]]:
    """Each report's period and due day: 'before the 15th' is due by the 14th."""
    rows: list[dict[str, Any]] = []
    if schedule.quarterly_before_day:
        for q in range(1, 5):
            last_month = q * 3
            end = (date(year, last_month % 12 + 1, 1) if last_month < 12 else date(year + 1, 1, 1)) - timedelta(1)
            due = date(year, last_month, schedule.quarterly_before_day) - timedelta(days=1)
            rows.append(
                {"period": f"Q{q}", "period_from": date(year, last_month - 2, 1), "period_to": end, "due_on": due}
            )
    if schedule.half_year_before:
        month, day = (int(x) for x in schedule.half_year_before.split("-"))
        due = date(year, month, day) - timedelta(days=1)
        rows.append({"period": "H1", "period_from": date(year, 1, 1), "period_to": due, "due_on": due})
    if schedule.year_before:
        month, day = (int(x) for x in schedule.year_before.split("-"))
        due = date(year, month, day) - timedelta(days=1)
        rows.append({"period": "Y", "period_from": date(year, 1, 1), "period_to": due, "due_on": due})
    return rows


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def import_plan(db: Engine, text: str, policy: DeadlinePolicy, now: datetime) -> ImportResult:
    """Validate the whole file, then write the plan, its targets and its report deadlines at once."""
    parsed = parse_plan(text)
    digest = _digest(text)
    with db.begin() as conn:
        targets, problems = _check_references(conn, parsed)
        if problems:
            raise PlanFileError(problems)
        p = parsed.plan
        existing = conn.execute(select(PLAN.c.source_sha256).where(PLAN.c.id == p.id)).scalar_one_or_none()
        if existing == digest:
            return ImportResult(p.id, created=False, changed=False, targets=len(targets), reports=0)
        row = {
            "title": p.title,
            "number": p.number,
            "issued_on": p.issued_on,
            "issuer_agency_id": p.issuer,
            "area_code": p.area,
            "year": p.year,
            "basis": p.basis,
            "kpis": [k.model_dump() for k in parsed.kpis],
            "source_sha256": digest,
            "imported_at": now.astimezone(UTC),
        }
        if existing is None:
            conn.execute(insert(PLAN).values(id=p.id, **row))
        else:
            conn.execute(update(PLAN).where(PLAN.c.id == p.id).values(**row))
        conn.execute(delete(TARGET).where(TARGET.c.plan_id == p.id))
        if targets:
            conn.execute(insert(TARGET), [{"plan_id": p.id, **t} for t in targets])
        reports = _write_reports(conn, p.id, parsed.reports, p.year, policy, now) if parsed.reports else 0
    return ImportResult(p.id, created=existing is None, changed=True, targets=len(targets), reports=reports)


def import_plan_file(db: Engine, path: Path, policy: DeadlinePolicy, now: datetime) -> ImportResult:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise PlanFileError([f"{path}: không đọc được tệp (cannot read the file): {exc}"]) from exc
    return import_plan(db, text, policy, now)


def _write_reports(
    conn: Connection, plan_id: str, schedule: ScheduleIn, year: int, policy: DeadlinePolicy, now: datetime
) -> int:
    """New report rows and their deadlines; a report already known keeps its row, deadline and alerts."""
    have = set(conn.execute(select(REPORT.c.period).where(REPORT.c.plan_id == plan_id)).scalars())
    stamp = now.astimezone(UTC)
    written = 0
    for row in report_schedule(schedule, year):
        if row["period"] in have:
            continue
        values = {"plan_id": plan_id, "agency_id": schedule.agency, "recipient": schedule.recipient, **row}
        report_id = conn.execute(insert(REPORT).values(values).returning(REPORT.c.id)).scalar_one()
        conn.execute(insert(DEADLINE).values(_report_deadline(report_id, schedule.agency, row, policy, stamp)))
        written += 1
    return written


def _report_deadline(
    report_id: int, agency_id: str, row: Mapping[str, Any], policy: DeadlinePolicy, stamp: datetime
) -> dict[str, Any]:
    due_on: date = row["due_on"]
    return {
        "dossier_id": None,
        "report_id": report_id,
        "stage": f"report:{row['period']}",
        "key": "report",
        "rule_id": REPORT_RULE,
        "agency_id": agency_id,
        "agency_type": "",
        "starts_on": row["period_from"],
        "due_on": due_on,
        "due_at": end_of_day_utc(due_on, policy.tz),
        "remind_on": policy.calendar.subtract_working_days(due_on, policy.remind_before_working_days),
        "escalate_to": [],
        "basis": REPORT_BASIS,
        "status_mark": "to_verify",
        "spans": [],
        "opened_at": stamp,
        "closed_at": None,
        "paused_at": None,
    }


class ReportNotFound(LookupError):
    pass


def mark_submitted(db: Engine, report_id: int, username: str, now: datetime) -> bool:
    """Mark a report submitted and close its deadline (once: a second call changes nothing)."""
    stamp = now.astimezone(UTC)
    with db.begin() as conn:
        found = conn.execute(select(REPORT.c.submitted_at).where(REPORT.c.id == report_id)).first()
        if found is None:
            raise ReportNotFound(report_id)
        if found.submitted_at is not None:
            return False
        conn.execute(update(REPORT).where(REPORT.c.id == report_id).values(submitted_at=stamp, submitted_by=username))
        conn.execute(
            update(DEADLINE)
            .where(DEADLINE.c.report_id == report_id, DEADLINE.c.closed_at.is_(None))
            .values(closed_at=stamp)
        )
    return True


def plan_ids(db: Engine) -> list[dict[str, Any]]:
    with db.connect() as conn:
        rows = conn.execute(select(PLAN).order_by(PLAN.c.year.desc(), PLAN.c.id)).all()
    return [dict(r._mapping) for r in rows]
