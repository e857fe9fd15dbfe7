"""The web app: Vietnamese-first pages and a JSON API over the engine and the read side, behind a login.

The composition root of the web process: `create_app` takes a built `Runtime` and wires the session
signer, the body-size limit (`admin.limits`), the routes (`admin.auth`, `admin.pages`, `admin.api`), the
one error shape (`admin.errors`) and the OpenAPI document of `/api/v1`.
The app never writes tables itself: every change goes through `DossierEngine.fire` (or `reassign`).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import structlog
from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from fastapi.staticfiles import StaticFiles

from admin.admin_pages import admin_page_routes
from admin.alerts import alert_routes
from admin.api import PREFIX, api_routes
from admin.api.credentials import install_credential_errors
from admin.audit_pages import audit_page_routes
from admin.auth import Auth
from admin.errors import install_error_handlers
from admin.headers import SecurityHeaders
from admin.hostile import InputGuard
from admin.imports import import_pages
from admin.limits import BodyLimit
from admin.lists import list_routes
from admin.login import login_routes
from admin.observe import RequestContext, observe_routes
from admin.opening import open_routes
from admin.pages import page_routes
from admin.people import people_pages
from admin.plans import plan_routes
from admin.render import TEMPLATES, vn_date, vn_time
from admin.replica import ReadYourWrites
from admin.security_page import security_routes
from workflow.production import mode, require_secure
from workflow.runtime import Runtime

log = structlog.get_logger(__name__)
ANCHOR_CHECKS = ("/audit/anchor/check", f"{PREFIX}/audit/anchor/check", "/api/audit/anchor/check")


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

    require_secure(rt.settings)  # production mode: no start with a committed or short secret
    # The API's contract is public (/openapi.json, the /api/v1 routes only); no interactive /docs.
    app = FastAPI(
        title="Hồ sơ cai nghiện bắt buộc — API",
        version="1",
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        openapi_url="/openapi.json",
    )
    app.openapi = lambda: api_schema(app)  # type: ignore[method-assign]
    larger = {path: rt.settings.max_anchor_bytes for path in ANCHOR_CHECKS}  # anchors grow with the dossiers
    app.add_middleware(InputGuard)  # inside the body limit: it reads only bodies already bounded
    app.add_middleware(BodyLimit, max_bytes=rt.settings.max_body_bytes, larger=larger)
    app.state.runtime = rt
    https = rt.settings.base_url.startswith("https://")
    auth = Auth(rt.db, rt.settings.session_secret, session_hours=rt.settings.session_hours, secure_cookies=https)
    app.state.auth = auth
    app.add_middleware(SecurityHeaders, https=https)
    if rt.replica is not None:  # lists, search, inboxes and reports on the replica, except right after a write
        app.add_middleware(ReadYourWrites, seconds=rt.settings.read_after_write_seconds, secure=https)
    app.add_middleware(RequestContext)  # outermost: every answer, even a refused one, has its request id
    log.info("app.mode", mode=mode(rt.settings), https=https)
    install_error_handlers(app)
    install_credential_errors(app)
    login_routes(app, TEMPLATES, auth)
    open_routes(app, rt)  # before page_routes: /dossiers/new is not a dossier id
    page_routes(app, rt)
    admin_page_routes(app, rt)
    audit_page_routes(app, rt)
    plan_routes(app, rt)
    import_pages(app, rt)
    people_pages(app, rt)
    list_routes(app, rt)
    alert_routes(app, rt)
    api_routes(app, rt)
    security_routes(app, rt)
    observe_routes(app, rt)
    app.mount("/static", StaticFiles(directory=Path(__file__).parent / "static"), name="static")  # scripts: CSP
    return app


def api_schema(app: FastAPI) -> dict[str, Any]:
    """The OpenAPI document of the versioned API only (pages and unversioned aliases are left out)."""
    if app.openapi_schema is None:
        schema = get_openapi(title=app.title, version=app.version, routes=app.routes, description=DESCRIPTION)
        schema["paths"] = {p: ops for p, ops in schema.get("paths", {}).items() if p.startswith(PREFIX + "/")}
        components = schema.setdefault("components", {})
        components["securitySchemes"] = {
            "basic": {"type": "http", "scheme": "basic"},
            "bearer": {"type": "http", "scheme": "bearer", "description": "a token from `rehab tokens issue`"},
            "session": {"type": "apiKey", "in": "cookie", "name": "rehab_session"},
        }
        schema["security"] = [{"basic": []}, {"bearer": []}, {"session": []}]
        app.openapi_schema = schema
    return app.openapi_schema


DESCRIPTION = """Hồ sơ cai nghiện ma túy bắt buộc: the same reads and the same engine as the pages.

Every error answer has one shape: `{"code", "message_vi", "message_en", "fields": [{"field", "code",
"message_vi"}], "reasons": [...]}`. Request bodies over the configured limit (256 KiB by default) get 413;
text over a field's limit gets 422, never truncated."""


__all__ = ["api_schema", "create_app", "vn_date", "vn_time"]
