"""The inbox: the user's agency's alerts (links to their dossier, read/unread/dismiss, filters), its dossiers
and deadlines; another agency's inbox only for an administrator or the procuracy of its area
(`admin.inbox_view.may_view_inbox`), and its dossiers only those the viewer may read."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Path, Query

from admin.access import scope_for
from admin.api.params import MAX_ID, AgencyId
from admin.auth import CurrentUser, Forbidden, SignedIn
from admin.errors import ERRORS, field_error, not_found
from admin.inbox_view import inbox_context, may_view_inbox, with_link
from admin.replica import reading_replica
from workflow import queries
from workflow.inbox import KINDS_VI, AlertNotFound, mark
from workflow.runtime import Runtime


def _own(user: CurrentUser, agency: str | None) -> str:
    chosen = agency or user.agency_id
    if not chosen:
        vi = "Tài khoản không thuộc cơ quan nào: hãy chọn cơ quan (agency)."
        raise field_error("agency", "field.missing", vi, "no agency: name one")
    return chosen


def router(rt: Runtime) -> APIRouter:
    api = APIRouter(tags=["inbox"], responses=ERRORS)

    @api.get("/inbox", summary="The user's agency's alerts (filtered, newest first), dossiers and deadlines")
    def my_inbox(
        user: SignedIn,
        agency: str | None = Query(None, max_length=200, description="another agency (administrators, procuracy)"),
        kind: str | None = Query(None, max_length=32, description="one of: " + ", ".join(KINDS_VI)),
        overdue: str | None = Query(None, max_length=5, description="`true`: alerts of dossiers overdue today"),
        status: str | None = Query(None, max_length=8, description="`unread` (default), `read` or `all`"),
        page: str | None = Query(None, max_length=9),
        page_size: str | None = Query(None, max_length=3, description="1 to 200 (50)"),
    ) -> dict[str, Any]:
        agency_id = _own(user, agency)
        raw = {"kind": kind, "overdue": overdue, "status": status, "page": page, "page_size": page_size}
        box = inbox_context(rt, user, agency_id, raw)["box"]
        return {
            "agency": {"id": agency_id, "name": rt.engine.directory().name(agency_id)},
            "alerts": {**box["alerts"], "items": box["messages"]},
            "dossiers": box["dossiers"],
            "dossiers_total": box["dossiers_total"],
            "deadlines": box["deadlines"],
            "deadlines_total": box["deadlines_total"],
        }

    @api.post("/alerts/{alert_id}/{action}", summary="Mark one of the agency's alerts read, unread or dismissed")
    def mark_alert(
        user: SignedIn, action: Literal["read", "unread", "dismiss"], alert_id: int = Path(ge=1, le=MAX_ID)
    ) -> dict[str, Any]:
        try:
            if not user.agency_id:
                raise AlertNotFound(alert_id)
            return with_link(mark(rt.db, user.agency_id, alert_id, action, rt.now(), rt.today()))
        except AlertNotFound:
            raise not_found(
                f"thông báo số {alert_id} của cơ quan bạn", f"Alert {alert_id}", "alert.not_found"
            ) from None

    @api.get("/inbox/{agency_id}", summary="What waits for an agency (its staff, administrators, its procuracy)")
    def get_inbox(user: SignedIn, agency_id: AgencyId) -> dict[str, Any]:
        if agency_id not in rt.engine.directory().agencies:
            raise not_found(f"cơ quan '{agency_id}'", f"agency '{agency_id}'", "agency.not_found")
        if not may_view_inbox(rt, user, agency_id):
            raise Forbidden("see another agency's inbox")
        return queries.inbox(reading_replica(rt), agency_id, rt.today(), scope=scope_for(rt, user))

    return api


__all__ = ["router"]
