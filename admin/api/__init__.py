"""The JSON API: `/api/v1/...`, one module per area, every error in the one shape of `admin.errors`.

Each area module has `router(rt) -> APIRouter` with paths relative to the version prefix; `api_routes`
mounts every area under `/api/v1` (in the OpenAPI schema) and again under `/api` (the unversioned aliases
of earlier scripts, hidden from the schema). To add an area: write `admin/api/<area>.py` with
`router(rt)`, pass `responses=ERRORS` and give every request body an example, then list it in `AREAS`.

The actor of every change is the authenticated user; a body cannot name another user or agency.
"""

from __future__ import annotations

from types import ModuleType

from fastapi import FastAPI
from fastapi.responses import PlainTextResponse

from admin.api import (
    audit,
    credentials,
    deadlines,
    documents,
    dossiers,
    imports,
    inbox,
    logs,
    opening,
    operations,
    people,
    plans,
    users,
)
from workflow.runtime import Runtime

PREFIX = "/api/v1"
# One area per line, so areas added in parallel merge without conflicts.
AREAS: tuple[ModuleType, ...] = (
    opening,  # before dossiers: POST /dossiers opens one
    dossiers,
    people,
    inbox,
    deadlines,
    audit,
    logs,
    operations,
    plans,
    documents,
    imports,
    users,
    credentials,
)


def api_routes(app: FastAPI, rt: Runtime) -> None:
    @app.get("/healthz", response_class=PlainTextResponse, include_in_schema=False)
    def health() -> str:
        return "ok"

    for area in AREAS:
        routes = area.router(rt)
        app.include_router(routes, prefix=PREFIX)
        app.include_router(routes, prefix="/api", include_in_schema=False)


__all__ = ["AREAS", "PREFIX", "api_routes"]
