"""The inbox page's buttons: `POST /alerts/{id}/read|unread|dismiss`, then back to the inbox page.
(The API's `GET /api/v1/inbox` and `POST /api/v1/alerts/…` are in `admin.api.inbox`; what an inbox page
shows is `admin.inbox_view`.)"""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.responses import RedirectResponse, Response

from admin.auth import SignedIn
from admin.errors import not_found
from admin.pages import Posted
from workflow.inbox import ACTIONS, AlertNotFound, mark
from workflow.runtime import Runtime


def alert_routes(app: FastAPI, rt: Runtime) -> None:
    @app.post("/alerts/{alert_id}/{action}")
    def page_mark(alert_id: int, action: str, user: SignedIn, form: Posted) -> Response:
        try:
            if action not in ACTIONS or not user.agency_id:
                raise AlertNotFound(alert_id)
            mark(rt.db, user.agency_id, alert_id, action, rt.now(), rt.today())
        except AlertNotFound:
            raise not_found(
                f"thông báo số {alert_id} của cơ quan bạn", f"Alert {alert_id}", "alert.not_found"
            ) from None
        back = form.get("back", "")
        own = f"/inbox/{user.agency_id}"
        return RedirectResponse(back if back == "/" or back.startswith(own) else own, status_code=303)


__all__ = ["alert_routes"]
