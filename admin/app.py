"""The web app: Vietnamese-first pages and a JSON API over the engine and the read side, behind a login.

The composition root of the web process: `create_app` takes a built `Runtime` and wires the session
signer, the routes (`admin.auth`, `admin.pages`, `admin.api`) and the mapping of errors to statuses.
The app never writes tables itself: every change goes through `DossierEngine.fire` (or `reassign`).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any
from urllib.parse import quote

import structlog
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response

from admin.api import api_routes
from admin.auth import DEV_SECRET, Auth, Forbidden, NotAuthenticated, SessionSigner, Users, login_routes
from admin.pages import page_routes
from admin.render import TEMPLATES, vn_date, vn_time
from workflow.agencies import ReassignError
from workflow.errors import DossierNotFound, InvalidInput, StepNotAvailable, StepRefused, VersionConflict
from workflow.runtime import Runtime

log = structlog.get_logger(__name__)
CHALLENGE = {"WWW-Authenticate": 'Basic realm="rehab", charset="UTF-8"'}


def create_app(rt: Runtime, *, start_scheduler: bool = False) -> FastAPI:
    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        scheduler = None
        if start_scheduler:
            from workflow.service import scheduler_for

            scheduler = scheduler_for(rt, background=True)
            scheduler.start()
            log.info("scheduler.started", interval_seconds=rt.settings.sweep_interval_seconds)
        yield
        if scheduler is not None:
            scheduler.shutdown(wait=False)

    # No public /docs or /openapi.json: every page but the login form needs a session.
    app = FastAPI(title="Hồ sơ cai nghiện bắt buộc", lifespan=lifespan, docs_url=None, redoc_url=None, openapi_url=None)
    app.state.runtime = rt
    if rt.settings.session_secret == DEV_SECRET:
        log.warning("session.development_secret", hint="set REHAB_SESSION_SECRET in production")
    auth = Auth(Users(rt.db), SessionSigner(rt.settings.session_secret, rt.settings.session_hours))
    app.state.auth = auth
    _errors(app)
    login_routes(app, TEMPLATES, auth)
    page_routes(app, rt)
    api_routes(app, rt)
    return app


def _is_api(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def _page(request: Request, status: int, title: str, message: str) -> Response:
    user = request.app.state.auth.user_of(request)
    context = {"user": user, "title": title, "message": message}
    return TEMPLATES.TemplateResponse(request, "error.html", context, status_code=status)


def _errors(app: FastAPI) -> None:
    def problem(status: int, body: dict[str, Any], headers: dict[str, str] | None = None) -> JSONResponse:
        return JSONResponse(status_code=status, content=body, headers=headers)

    @app.exception_handler(NotAuthenticated)
    async def not_authenticated(request: Request, _: NotAuthenticated) -> Response:
        if _is_api(request):
            return problem(401, {"error": "not_authenticated"}, CHALLENGE)
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        back = target if request.method == "GET" else "/"
        return RedirectResponse(f"/login?next={quote(back, safe='')}", status_code=303)

    @app.exception_handler(Forbidden)
    async def forbidden(request: Request, err: Forbidden) -> Response:
        if _is_api(request):
            return problem(403, {"error": "forbidden", "detail": str(err)})
        return _page(request, 403, "Không có quyền", "Vai trò của bạn không được thực hiện thao tác này.")

    @app.exception_handler(DossierNotFound)
    async def not_found(request: Request, err: DossierNotFound) -> Response:
        if _is_api(request):
            return problem(404, {"error": "dossier_not_found", "detail": str(err)})
        return _page(request, 404, "Không tìm thấy", f"Không có hồ sơ số {err.dossier_id}.")

    @app.exception_handler(StepNotAvailable)
    async def not_available(_: Request, err: StepNotAvailable) -> JSONResponse:
        return problem(409, {"error": "step_not_available", "detail": str(err), "available": err.available})

    @app.exception_handler(VersionConflict)
    async def conflict(_: Request, err: VersionConflict) -> JSONResponse:
        return problem(409, {"error": "version_conflict", "detail": str(err)})

    @app.exception_handler(StepRefused)
    async def refused(_: Request, err: StepRefused) -> JSONResponse:
        return problem(422, {"error": "step_refused", "detail": str(err), "refusals": err.result.refusals})

    @app.exception_handler(ReassignError)
    async def cannot_reassign(_: Request, err: ReassignError) -> JSONResponse:
        return problem(422, {"error": "reassign_refused", "detail": str(err)})

    @app.exception_handler(InvalidInput)
    async def invalid(_: Request, err: InvalidInput) -> JSONResponse:
        return problem(422, {"error": "invalid_input", "field": err.field, "reason": err.reason})


__all__ = ["create_app", "vn_date", "vn_time"]
