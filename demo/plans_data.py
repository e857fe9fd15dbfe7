"""The demo's plans (files in demo/data/plans/): imported like any deployment's, with their reports'
history: every report due more than three weeks before `today` was submitted on its due day; the
latest ones are left open, so the dashboard and the inboxes show a report overdue or coming due.
"""

from __future__ import annotations

import tomllib
from datetime import date, datetime, time, timedelta
from pathlib import Path

from sqlalchemy import select

from workflow.plans import AREA, REPORT, import_plan_file, mark_submitted
from workflow.runtime import Runtime

PLANS = Path(__file__).parent / "data" / "plans"
LEFT_OPEN = timedelta(days=21)


def _area_known(rt: Runtime, path: Path) -> bool:
    area = tomllib.loads(path.read_text(encoding="utf-8"))["plan"]["area"]
    with rt.db.connect() as conn:
        return conn.execute(select(AREA.c.code).where(AREA.c.code == area)).first() is not None


def load_plans(rt: Runtime, today: date) -> int:
    """Import each demo plan whose area is loaded (Đắk Lắk's only with its reference file)."""
    for path in sorted(PLANS.glob("*.toml")):
        if _area_known(rt, path):
            import_plan_file(rt.db, path, rt.policy, rt.now())
    with rt.db.connect() as conn:
        reports = conn.execute(select(REPORT.c.id, REPORT.c.due_on).where(REPORT.c.submitted_at.is_(None))).all()
    for report in reports:
        if report.due_on < today - LEFT_OPEN:
            submitted = datetime.combine(report.due_on, time(9), tzinfo=rt.tz)
            mark_submitted(rt.db, report.id, "demo", submitted)
    return len(reports)
