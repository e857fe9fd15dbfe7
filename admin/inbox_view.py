"""What an inbox page shows: an agency's alerts (filtered by kind, overdue, status), dossiers and deadlines.

A user works on their own agency's alerts; an administrator may look at any agency's inbox (to hand an
abolished agency's work on), a procurator at those of agencies in their area; the dossiers listed are always
only those the viewer may read. The routes are in `admin.alerts`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

from admin.access import scope_for
from admin.auth import CurrentUser, Forbidden
from admin.replica import reading_replica
from workflow import queries
from workflow.inbox import KINDS_VI, STATUSES_VI, AlertFilters
from workflow.runtime import Runtime
from workflow.search import BadFilter

ALERT_FILTERS = ("kind", "overdue", "status", "page", "page_size")


def may_view_inbox(rt: Runtime, user: CurrentUser, agency_id: str) -> bool:
    if user.is_admin or user.agency_id == agency_id:
        return True
    agency = rt.engine.directory().agencies.get(agency_id)
    if user.role != "procurator" or agency is None:
        return False
    return bool({agency.area_code, *agency.covers} & scope_for(rt, user).areas)


def alert_filters(raw: Mapping[str, str | None]) -> AlertFilters:
    got = {k: v.strip() for k, v in raw.items() if v is not None and v.strip()}
    kind, status = got.get("kind"), got.get("status", "unread")
    if kind is not None and kind not in KINDS_VI:
        raise BadFilter("kind", "loại thông báo không tồn tại", f"unknown kind (one of: {', '.join(KINDS_VI)})")
    if status not in STATUSES_VI:
        raise BadFilter("status", "trạng thái phải là unread, read hoặc all", "must be unread, read or all")
    overdue = got.get("overdue", "").lower() in ("1", "true", "on", "yes")
    page, size = got.get("page", "1"), got.get("page_size", "50")
    if not (page.isdigit() and int(page) >= 1):
        raise BadFilter("page", "phải là số nguyên từ 1", "must be a whole number from 1")
    if not (size.isdigit() and 1 <= int(size) <= 200):
        raise BadFilter("page_size", "phải là số nguyên từ 1 đến 200", "must be a whole number from 1 to 200")
    return AlertFilters(kind, overdue, status, int(page), int(size))


def inbox_context(rt: Runtime, user: CurrentUser, agency_id: str, raw: Mapping[str, str | None]) -> dict[str, Any]:
    """What the inbox template shows for `agency_id`, filtered by `raw` (query parameters)."""
    if agency_id not in rt.engine.directory().agencies:
        raise BadFilter("agency", "cơ quan không tồn tại", f"unknown agency '{agency_id}'")
    if not may_view_inbox(rt, user, agency_id):
        raise Forbidden("see another agency's inbox")
    chosen = alert_filters(raw)
    box = queries.inbox(reading_replica(rt), agency_id, rt.today(), scope=scope_for(rt, user), alert_filters=chosen)
    box["messages"] = [with_link(m) for m in box["messages"]]
    kept = {k: v for k, v in raw.items() if k in ALERT_FILTERS and k != "page" and v}
    return {
        "box": box,
        "alert_filter": chosen,
        "alert_kinds": KINDS_VI,
        "alert_statuses": STATUSES_VI,
        "may_mark": user.agency_id == agency_id,
        "alerts_link": lambda **changes: f"/inbox/{agency_id}?" + urlencode({**kept, **changes}),
    }


def with_link(item: Mapping[str, Any]) -> dict[str, Any]:
    """An alert with the page it leads to: its dossier, or for a handover summary the agency's dossier list."""
    if item.get("dossier_id"):
        url: str | None = f"/dossiers/{item['dossier_id']}"
    elif item.get("kind") == "work_reassigned":
        url = "/dossiers?" + urlencode({"agency": item["agency_id"]})
    else:
        url = None
    return {**item, "url": url}


__all__ = ["alert_filters", "inbox_context", "may_view_inbox", "with_link"]
