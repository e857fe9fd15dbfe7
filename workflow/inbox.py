"""An agency's alerts: listed with filters (kind, read or not, dossier overdue now), marked read, unread or dismissed.

An alert (an `inboxitem` row) belongs to its agency, not to one user: whoever of the agency reads it marks it
read for all. Dismissing keeps the row (the history stays) and takes it out of every list. Alerts carry dossier
codes, never personal data (`notifications.messages.safe_subject`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import ColumnElement, Connection, Engine, func, select, update

from workflow.db import reading
from workflow.errors import WorkflowError
from workflow.tables import Deadline, Dossier, InboxItem

INBOX = InboxItem.__table__  # type: ignore[attr-defined]
DOSSIER = Dossier.__table__  # type: ignore[attr-defined]
DEADLINE = Deadline.__table__  # type: ignore[attr-defined]

KINDS_VI = {
    "stage_entered": "Hồ sơ chuyển đến",
    "reminder": "Nhắc trước hạn",
    "due": "Đến hạn",
    "overdue": "Quá hạn",
    "escalation": "Báo cáo cấp trên",
    "reassigned": "Chuyển cơ quan",
    "refused": "Bước bị từ chối",
}
STATUSES_VI = {"unread": "Chưa đọc", "read": "Đã đọc", "all": "Tất cả (trừ đã ẩn)"}
ACTIONS = ("read", "unread", "dismiss")


class AlertNotFound(WorkflowError):
    """No alert with this id in this agency's inbox (another agency's alerts are not found either)."""

    def __init__(self, alert_id: int) -> None:
        super().__init__(f"alert {alert_id} not found")
        self.alert_id = alert_id


@dataclass(frozen=True, slots=True)
class AlertFilters:
    kind: str | None = None
    overdue: bool = False  # only alerts about a dossier with a deadline overdue today
    status: str = "unread"  # unread | read | all
    page: int = 1
    page_size: int = 50


def _overdue_dossier(today: date) -> ColumnElement[bool]:
    return (
        select(DEADLINE.c.id)
        .where(
            DEADLINE.c.dossier_id == INBOX.c.dossier_id,
            DEADLINE.c.closed_at.is_(None),
            DEADLINE.c.paused_at.is_(None),
            DEADLINE.c.due_on < today,
        )
        .exists()
    )


def _running_due() -> Any:
    """The earliest due day of the alert's dossier's running deadlines (a scalar subquery: one lookup per row)."""
    return (
        select(func.min(DEADLINE.c.due_on))
        .where(
            DEADLINE.c.dossier_id == INBOX.c.dossier_id,
            DEADLINE.c.closed_at.is_(None),
            DEADLINE.c.paused_at.is_(None),
        )
        .scalar_subquery()
    )


def _where(agency_id: str, f: AlertFilters, today: date) -> list[ColumnElement[bool]]:
    where = [INBOX.c.agency_id == agency_id, INBOX.c.dismissed_at.is_(None)]
    if f.kind:
        where.append(INBOX.c.kind == f.kind)
    if f.status == "unread":
        where.append(INBOX.c.read_at.is_(None))
    elif f.status == "read":
        where.append(INBOX.c.read_at.is_not(None))
    if f.overdue:
        where.append(_overdue_dossier(today))
    return where


def _unread(conn: Connection, agency_id: str) -> int:
    """The agency's unread alerts, counted in their partial index (migration 0015). SQLite's planner, left alone,
    walks every alert the agency ever had (a facility: tens of thousands), hence the named index there."""
    if conn.dialect.name == "sqlite":
        return int(
            conn.exec_driver_sql(
                "SELECT count(*) FROM inboxitem INDEXED BY ix_inboxitem_unread "
                "WHERE agency_id = ? AND read_at IS NULL AND dismissed_at IS NULL",
                (agency_id,),
            ).scalar_one()
        )
    query = select(func.count()).select_from(INBOX)
    where = (INBOX.c.agency_id == agency_id, INBOX.c.dismissed_at.is_(None), INBOX.c.read_at.is_(None))
    return int(conn.execute(query.where(*where)).scalar_one())


def alerts(conn: Connection, agency_id: str, today: date, f: AlertFilters) -> dict[str, Any]:
    """One page of the agency's alerts matching `f`, newest first, with the totals the page shows."""
    where = _where(agency_id, f, today)
    unread = _unread(conn, agency_id)
    if f.status == "unread" and not f.kind and not f.overdue:
        total = unread  # the same count
    else:
        total = conn.execute(select(func.count()).select_from(INBOX).where(*where)).scalar_one()
    rows = conn.execute(
        select(INBOX, DOSSIER.c.code.label("dossier_code"), _running_due().label("running_due"))
        .select_from(INBOX.outerjoin(DOSSIER, DOSSIER.c.id == INBOX.c.dossier_id))
        .where(*where)
        .order_by(INBOX.c.created_at.desc(), INBOX.c.id.desc())
        .limit(f.page_size)
        .offset((f.page - 1) * f.page_size)
    ).all()
    return {
        "items": [_item(r, today) for r in rows],
        "total": int(total),
        "unread": int(unread),
        "page": f.page,
        "page_size": f.page_size,
    }


def _stamp(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def _item(r: Any, today: date) -> dict[str, Any]:
    due = date.fromisoformat(r.running_due) if isinstance(r.running_due, str) else r.running_due
    return {
        "id": r.id,
        "kind": r.kind,
        "kind_label_vi": KINDS_VI.get(r.kind, r.kind),
        "subject": r.subject,
        "body": r.body,
        "agency_id": r.agency_id,
        "dossier_id": r.dossier_id,
        "dossier_code": r.dossier_code,
        "dossier_overdue": due is not None and due < today,
        "created_at": r.created_at.isoformat(),
        "read_at": _stamp(r.read_at),
        "dismissed_at": _stamp(r.dismissed_at),
    }


def mark(db: Engine, agency_id: str, alert_id: int, action: str, now: datetime, today: date) -> dict[str, Any]:
    """Mark one of the agency's alerts read, unread or dismissed; returns it as listed."""
    if action not in ACTIONS:
        raise ValueError(f"unknown action {action!r} (one of: {', '.join(ACTIONS)})")
    changes: dict[str, dict[str, Any]] = {
        "read": {"read_at": func.coalesce(INBOX.c.read_at, now)},
        "unread": {"read_at": None},
        "dismiss": {
            "dismissed_at": func.coalesce(INBOX.c.dismissed_at, now),
            "read_at": func.coalesce(INBOX.c.read_at, now),
        },
    }
    values = changes[action]
    mine = (INBOX.c.id == alert_id, INBOX.c.agency_id == agency_id)
    with db.begin() as conn:
        if conn.execute(update(INBOX).where(*mine).values(**values)).rowcount != 1:
            raise AlertNotFound(alert_id)
    with reading(db) as conn:
        row = conn.execute(
            select(INBOX, DOSSIER.c.code.label("dossier_code"), _running_due().label("running_due"))
            .select_from(INBOX.outerjoin(DOSSIER, DOSSIER.c.id == INBOX.c.dossier_id))
            .where(*mine)
        ).one()
    return _item(row, today)
