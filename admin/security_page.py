"""/admin/security: live sessions and API tokens in a browser, revocable; a new token shown once.

Admins see and manage everyone's; other users their own. The same rules as `/api/v1/sessions|tokens`.
"""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from admin.api.credentials import TokenRequest, issue, revoke_session_for, revoke_token_for
from admin.auth import SignedIn, utc_now
from admin.pages import Posted
from admin.render import TEMPLATES
from workflow import credentials
from workflow.runtime import Runtime


def security_routes(app: FastAPI, rt: Runtime) -> None:
    @app.get("/admin/security", response_class=HTMLResponse)
    def security_page(request: Request, user: SignedIn) -> Response:
        owner = None if user.is_admin else user.username
        context = {
            "user": user,
            "sessions": credentials.live_sessions(rt.db, utc_now(), owner),
            "tokens": credentials.list_tokens(rt.db, owner),
            "issued": None,
        }
        return TEMPLATES.TemplateResponse(request, "security.html", context)

    @app.post("/admin/security/tokens", response_class=HTMLResponse)
    def issue_from_page(request: Request, user: SignedIn, form: Posted) -> Response:
        body = TokenRequest(label=form.get("label") or "token", username=form.get("username") or None)
        issued = issue(rt, user, body)
        owner = None if user.is_admin else user.username
        context = {
            "user": user,
            "sessions": credentials.live_sessions(rt.db, utc_now(), owner),
            "tokens": credentials.list_tokens(rt.db, owner),
            "issued": issued,  # shown once, on this answer only
        }
        return TEMPLATES.TemplateResponse(request, "security.html", context, status_code=201)

    @app.post("/admin/security/tokens/{token_id}/revoke")
    def revoke_from_page(token_id: int, user: SignedIn, _: Posted) -> RedirectResponse:
        revoke_token_for(rt, user, token_id)
        return RedirectResponse("/admin/security", status_code=303)

    @app.post("/admin/security/sessions/{session_id}/revoke")
    def revoke_session_from_page(session_id: int, user: SignedIn, _: Posted) -> RedirectResponse:
        revoke_session_for(rt, user, session_id)
        return RedirectResponse("/admin/security", status_code=303)


__all__ = ["security_routes"]
