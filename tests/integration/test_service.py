"""What `make run` does in its first minute: the scheduler's first cycle alerts on the demo's overdue work."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import func, select

from demo import build_demo
from workflow.queries import deadline_rows
from workflow.runtime import Runtime
from workflow.service import cycle
from workflow.settings import Settings
from workflow.tables import InboxItem, Outbox

INBOX = InboxItem.__table__
OUTBOX = Outbox.__table__


def test_the_first_cycle_puts_overdue_alerts_in_the_responsible_agencies_inboxes(tmp_path) -> None:  # type: ignore[no-untyped-def]
    now = datetime(2026, 11, 24, 1, 0, tzinfo=UTC)
    rt = Runtime.build(Settings(database_url=f"sqlite:///{tmp_path}/run.db"), clock=lambda: now, migrate_db=True)
    build_demo(rt, count=40, today=rt.today())
    overdue = deadline_rows(rt.db, rt.today(), overdue_only=True)

    cycle(rt)

    with rt.db.connect() as conn:
        alerted = set(conn.execute(select(INBOX.c.agency_id).where(INBOX.c.kind == "overdue")).scalars())
        pending = conn.execute(select(func.count()).select_from(OUTBOX).where(OUTBOX.c.status == "pending"))
        assert pending.scalar_one() == 0
    assert overdue, "the demo leaves some work overdue"
    assert {d["agency_id"] for d in overdue if d["agency_id"] and not d["paused"]} <= alerted
    rt.db.dispose()
