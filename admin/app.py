"""The web app: a Vietnamese-first admin page and a JSON API over the engine and the read side.

The app never touches tables directly for writes: every change goes through `DossierEngine.fire`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import structlog
from fastapi import FastAPI, Form, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, PlainTextResponse
from fastapi.templating import Jinja2Templates
from pydantic import BaseModel, ConfigDict, Field

from workflow import queries
from workflow.agencies import ReassignError
from workflow.audit import verify_chain
from workflow.engine import Actor
from workflow.errors import DossierNotFound, InvalidInput, StepNotAvailable, StepRefused, VersionConflict
from workflow.runtime import Runtime

log = structlog.get_logger(__name__)
TEMPLATES = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))
VN = ZoneInfo("Asia/Ho_Chi_Minh")


def vn_time(value: str | datetime | None) -> str:
    """Stored UTC → shown in Vietnam time, dd/mm/yyyy HH:MM."""
    if not value:
        return ""
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    return moment.astimezone(VN).strftime("%d/%m/%Y %H:%M")


def vn_date(value: str | date | None) -> str:
    if not value:
        return ""
    day = date.fromisoformat(value) if isinstance(value, str) else value
    return day.strftime("%d/%m/%Y")


TEMPLATES.env.filters["vn_time"] = vn_time
TEMPLATES.env.filters["vn_date"] = vn_date


class ReassignRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    user: str = Field(min_length=1)
    basis: str = Field(min_length=1)
    successor_id: str | None = None


class FireRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    event: str = Field(min_length=1)
    agency_id: str = Field(min_length=1)
    user: str = Field(min_length=1)
    payload: dict[str, Any] = Field(default_factory=dict)
    idempotency_key: str | None = None
    expected_version: int | None = None


def _errors(app: FastAPI) -> None:
    def problem(status: int, body: dict[str, Any]) -> JSONResponse:
        return JSONResponse(status_code=status, content=body)

    @app.exception_handler(DossierNotFound)
    async def not_found(_: Request, err: DossierNotFound) -> JSONResponse:
        return problem(404, {"error": "dossier_not_found", "detail": str(err)})

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


def _reassign(rt: Runtime, agency_id: str, user: str, basis: str, successor_id: str | None) -> dict[str, Any]:
    """Hand everything open of an abolished agency to its successor (logged on each dossier's chain)."""
    from dataclasses import asdict

    from workflow.agencies import reassign

    report = reassign(rt.db, agency_id, actor=user, basis=basis, now=rt.now(), successor_id=successor_id)
    rt.engine.reload_directory()
    return asdict(report)


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

    app = FastAPI(title="Hồ sơ cai nghiện bắt buộc", lifespan=lifespan)
    app.state.runtime = rt
    _errors(app)
    _pages(app, rt)
    _api(app, rt)
    return app


def _pages(app: FastAPI, rt: Runtime) -> None:
    @app.get("/", response_class=HTMLResponse)
    def home(request: Request) -> HTMLResponse:
        today = rt.today()
        context = {
            "counts": queries.counts_by_state(rt.db),
            "overdue": queries.deadline_rows(rt.db, today, overdue_only=True, limit=50),
            "today": today,
            "regimes": rt.regimes.values(),
            "agencies": sorted(rt.engine.directory().agencies.values(), key=lambda a: a.id),
        }
        return TEMPLATES.TemplateResponse(request, "home.html", context)

    @app.get("/inbox/{agency_id}", response_class=HTMLResponse)
    def inbox_page(request: Request, agency_id: str) -> HTMLResponse:
        box = queries.inbox(rt.db, agency_id, rt.today())
        name = rt.engine.directory().name(agency_id)
        return TEMPLATES.TemplateResponse(
            request,
            "inbox.html",
            {"box": box, "agency_name": name, "agency": rt.engine.directory().agencies.get(agency_id)},
        )

    @app.post("/inbox/{agency_id}/reassign", response_class=HTMLResponse)
    def reassign_page(request: Request, agency_id: str, user: str = Form(...), basis: str = Form(...)) -> HTMLResponse:
        report, error, status = None, None, 200
        try:
            report = _reassign(rt, agency_id, user, basis, None)
        except ReassignError as err:
            error, status = str(err), 422
        box = queries.inbox(rt.db, agency_id, rt.today())
        return TEMPLATES.TemplateResponse(
            request,
            "inbox.html",
            {
                "box": box,
                "agency_name": rt.engine.directory().name(agency_id),
                "report": report,
                "error": error,
                "agency": rt.engine.directory().agencies.get(agency_id),
            },
            status_code=status,
        )

    @app.get("/dossiers/{dossier_id}", response_class=HTMLResponse)
    def dossier_page(request: Request, dossier_id: int) -> HTMLResponse:
        view = queries.dossier_view(rt.db, rt.regimes, dossier_id, rt.today())
        if view is None:
            raise DossierNotFound(dossier_id)
        return TEMPLATES.TemplateResponse(
            request, "dossier.html", {"d": view, "log": queries.history(rt.db, dossier_id)}
        )


def _api(app: FastAPI, rt: Runtime) -> None:
    @app.get("/healthz", response_class=PlainTextResponse)
    def health() -> str:
        return "ok"

    @app.get("/api/dossiers")
    def list_dossiers(
        agency: str | None = None,
        state: str | None = None,
        limit: int = Query(100, ge=1, le=1000),
        offset: int = Query(0, ge=0),
    ) -> list[dict[str, Any]]:
        return queries.list_dossiers(rt.db, agency_id=agency, state=state, limit=limit, offset=offset)

    @app.get("/api/dossiers/{dossier_id}")
    def get_dossier(dossier_id: int) -> dict[str, Any]:
        view = queries.dossier_view(rt.db, rt.regimes, dossier_id, rt.today())
        if view is None:
            raise DossierNotFound(dossier_id)
        return view

    @app.get("/api/dossiers/{dossier_id}/history")
    def get_history(dossier_id: int) -> list[dict[str, Any]]:
        rows = queries.history(rt.db, dossier_id)
        if not rows:
            raise DossierNotFound(dossier_id)
        return rows

    @app.post("/api/dossiers/{dossier_id}/fire")
    def fire(dossier_id: int, body: FireRequest) -> dict[str, Any]:
        result = rt.engine.fire(
            dossier_id,
            body.event,
            Actor(body.user, body.agency_id),
            body.payload,
            idempotency_key=body.idempotency_key,
            expected_version=body.expected_version,
        )
        return result.as_dict()

    @app.get("/api/inbox/{agency_id}")
    def get_inbox(agency_id: str) -> dict[str, Any]:
        if agency_id not in rt.engine.directory().agencies:
            raise InvalidInput("agency_id", f"unknown agency '{agency_id}'")
        return queries.inbox(rt.db, agency_id, rt.today())

    @app.get("/api/deadlines")
    def deadlines(agency: str | None = None, overdue: bool = False) -> list[dict[str, Any]]:
        return queries.deadline_rows(rt.db, rt.today(), agency_id=agency, overdue_only=overdue)

    @app.post("/api/agencies/{agency_id}/reassign")
    def reassign_agency(agency_id: str, body: ReassignRequest) -> dict[str, Any]:
        return _reassign(rt, agency_id, body.user, body.basis, body.successor_id)

    @app.get("/api/deliveries/dead")
    def dead_deliveries() -> list[dict[str, Any]]:
        """Deliveries that failed every retry: for administrators to fix the address and retry."""
        from dataclasses import asdict

        from notifications.worker import dead_letters

        return [asdict(d) for d in dead_letters(rt.db)]

    @app.get("/api/audit/verify")
    def audit() -> dict[str, Any]:
        report = verify_chain(rt.db)
        broken = report.first_break.describe() if report.first_break else None
        return {"ok": report.ok, "entries": report.entries, "dossiers": report.dossiers, "first_break": broken}
