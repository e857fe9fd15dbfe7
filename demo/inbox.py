"""The demo's inboxes as an agency's would look had the system been running all along.

Every message the demo's steps wrote is put in its agency's inbox at the time it was written (rendered by
`notifications.messages`, recorded as a sent inbox delivery; a demo never sends e-mail or webhooks for its
history), and the alerts older than `READ_AFTER_DAYS` before the snapshot day are read, a day after they
came, as the agency would have read them by then. What is left unread is the last week's work, not years.
Done in one transaction: the worker's one-by-one delivery would take minutes for a few thousand messages.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from sqlalchemy import insert, select, update

from notifications.messages import LANGUAGES, render
from workflow.runtime import Runtime
from workflow.tables import Delivery, InboxItem, Outbox

INBOX = InboxItem.__table__  # type: ignore[attr-defined]
OUTBOX = Outbox.__table__  # type: ignore[attr-defined]
DELIVERY = Delivery.__table__  # type: ignore[attr-defined]
READ_AFTER_DAYS = 7


def settle_inboxes(rt: Runtime, today: date, now: datetime) -> tuple[int, int]:
    """Deliver the demo's pending messages to the inboxes, dated when written; the older ones read.
    Returns (alerts delivered, alerts read)."""
    lang = rt.settings.language if rt.settings.language in LANGUAGES else "vi"
    cutoff = datetime.combine(today - timedelta(days=READ_AFTER_DAYS), time(0), rt.tz)
    with rt.db.begin() as conn:
        rows = conn.execute(
            select(OUTBOX).where(OUTBOX.c.status == "pending", OUTBOX.c.agency_id.is_not(None)).order_by(OUTBOX.c.id)
        ).all()
        if not rows:
            return 0, 0
        items, deliveries = [], []
        for row in rows:
            message = render(row.kind, row.context, lang)
            read_at = min(row.created_at + timedelta(days=1), now) if row.created_at < cutoff else None
            items.append(
                {
                    "agency_id": row.agency_id,
                    "dossier_id": row.dossier_id,
                    "outbox_id": row.id,
                    "kind": row.kind,
                    "subject": message.subject,
                    "body": message.body,
                    "created_at": row.created_at,
                    "read_at": read_at,
                }
            )
            deliveries.append(
                {
                    "outbox_id": row.id,
                    "channel": "inbox",
                    "recipient": row.agency_id,
                    "status": "sent",
                    "attempts": 1,
                    "next_attempt_at": row.created_at,
                    "sent_at": row.created_at,
                }
            )
        conn.execute(insert(INBOX), items)
        conn.execute(insert(DELIVERY), deliveries)
        conn.execute(update(OUTBOX).where(OUTBOX.c.id.in_([r.id for r in rows])).values(status="fanned_out"))
    return len(items), sum(1 for i in items if i["read_at"] is not None)
