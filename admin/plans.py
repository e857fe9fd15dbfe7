"""Plans, dashboards and periodic reports: pages and `/api/v1` endpoints over `workflow.progress`.

Figures only: dossier codes at most, never names. A plan is visible to users whose agency serves an area
inside the plan's area or above it (a commune sees its district's plan, the province sees every plan),
to procurators of those areas, and to admins. Only admins import plans; a report is marked submitted by
the agency that must submit it (or its successor) or an admin.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import Body, FastAPI, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from admin.auth import CurrentUser, Forbidden, SignedIn
from admin.pages import Posted, posted_form
from admin.render import TEMPLATES
from workflow.plans import (
    CATEGORY_VI,
    PERIOD_VI,
    PlanFileError,
    ReportNotFound,
    area_tree,
    import_plan,
    mark_submitted,
    plan_ids,
)
from workflow.progress import InvalidPeriod, PlanNotFound, Progress, ProgressReader
from workflow.report_book import REPORT_STATUS_VI, build_workbook
from workflow.runtime import Runtime

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class PlanAccess:
    """Which plans a user may read, from the area tree and the agency directory."""

    def __init__(self, rt: Runtime) -> None:
        self.rt = rt

    def _areas(self) -> dict[str, Any]:
        from sqlalchemy import select

        from workflow.plans import AREA

        with self.rt.db.connect() as conn:
            return {row.code: row for row in conn.execute(select(AREA)).all()}

    def visible(self, user: CurrentUser, plan: dict[str, Any]) -> bool:
        if user.is_admin:
            return True
        if user.agency_id is None:
            return False
        directory = self.rt.engine.directory()
        agency = directory.agencies.get(user.agency_id)
        if agency is None:
            return False
        served = {agency.area_code, *agency.covers}
        areas = self._areas()
        inside = area_tree(areas, plan["area_code"])
        above = set(directory.lineage(plan["area_code"]))
        return bool(served & (inside | above))

    def plans_for(self, user: CurrentUser) -> list[dict[str, Any]]:
        return [p for p in plan_ids(self.rt.db) if self.visible(user, p)]

    def plan(self, user: CurrentUser, plan_id: str) -> dict[str, Any]:
        plan = next((p for p in plan_ids(self.rt.db) if p["id"] == plan_id), None)
        if plan is None or not self.visible(user, plan):
            raise PlanNotFound(plan_id)  # a plan the user may not read does not exist for them
        return plan


def _chart(progress: Progress) -> list[dict[str, Any]]:
    """Bars for the SVG chart: one per commune with a compulsory target, done vs target."""
    rows = [t for t in progress.targets if t.category == "compulsory" and t.area_code != progress.area_code]
    top = max([1] + [t.target for t in rows] + [t.done or 0 for t in rows])
    return [
        {
            "label": t.area_name,
            "area_code": t.area_code,
            "target": t.target,
            "done": t.done or 0,
            "target_w": round(100 * t.target / top, 1),
            "done_w": round(100 * (t.done or 0) / top, 1),
            "behind": t.behind,
        }
        for t in rows
    ]


def plan_routes(app: FastAPI, rt: Runtime) -> None:
    access = PlanAccess(rt)
    render = TEMPLATES.TemplateResponse

    def reader() -> ProgressReader:
        return ProgressReader(rt.db, rt.regimes, rt.tz)

    def progress_for(user: CurrentUser, plan_id: str, start: date | None, end: date | None) -> Progress:
        access.plan(user, plan_id)
        return reader().progress(plan_id, rt.today(), start, end)

    def may_submit(user: CurrentUser, agency_id: str) -> bool:
        if user.is_admin:
            return True
        if not user.may_fire or user.agency_id is None:
            return False
        return agency_id in rt.engine.directory().acts_for(user.agency_id, rt.today()) or agency_id == user.agency_id

    # ------------------------------------------------------------------ pages

    @app.get("/plans", response_class=HTMLResponse)
    def plans_page(request: Request, user: SignedIn) -> HTMLResponse:
        context = {"user": user, "plans": access.plans_for(user), "problems": [], "notice": None}
        return render(request, "plans.html", context)

    @app.post("/plans/import", response_class=HTMLResponse)
    async def plans_import(request: Request, user: SignedIn) -> Response:
        await posted_form(request)  # CSRF first
        if not user.is_admin:
            raise Forbidden("import plans")
        upload = (await request.form()).get("file")
        text = (
            (await upload.read()).decode("utf-8", errors="replace")
            if upload is not None and not isinstance(upload, str)
            else ""
        )
        problems: list[str] = []
        notice = None
        try:
            result = import_plan(rt.db, text, rt.policy, rt.now())
            notice = (
                f"Đã nhập kế hoạch {result.plan_id}" if result.changed else f"Kế hoạch {result.plan_id} không thay đổi"
            )
        except PlanFileError as err:
            problems = err.problems
        context = {"user": user, "plans": access.plans_for(user), "problems": problems, "notice": notice}
        return render(request, "plans.html", context, status_code=422 if problems else 200)

    @app.get("/plans/{plan_id}", response_class=HTMLResponse)
    def dashboard(
        request: Request,
        plan_id: str,
        user: SignedIn,
        start: Annotated[date | None, Query(alias="from")] = None,
        end: Annotated[date | None, Query(alias="to")] = None,
        print_view: Annotated[bool, Query(alias="print")] = False,
    ) -> HTMLResponse:
        progress = progress_for(user, plan_id, start, end)
        directory = rt.engine.directory()
        context = {
            "user": user,
            "p": progress,
            "chart": _chart(progress),
            "agency_name": directory.name,
            "period_vi": PERIOD_VI,
            "status_vi": REPORT_STATUS_VI,
            "categories": CATEGORY_VI,
            "may_submit": {r["id"]: may_submit(user, r["agency_id"]) for r in progress.reports},
            "query": request.url.query,
            "print_view": print_view,
        }
        return render(request, "plan.html", context)

    @app.get("/plans/{plan_id}/report.xlsx")
    def report_xlsx(
        plan_id: str,
        user: SignedIn,
        start: Annotated[date | None, Query(alias="from")] = None,
        end: Annotated[date | None, Query(alias="to")] = None,
    ) -> Response:
        progress = progress_for(user, plan_id, start, end)
        content = build_workbook(progress, rt.engine.directory().name)
        name = f"bao-cao-{plan_id}-{progress.period_start:%Y%m%d}-{progress.period_end:%Y%m%d}.xlsx"
        return Response(content, media_type=XLSX, headers={"Content-Disposition": f'attachment; filename="{name}"'})

    @app.post("/plans/{plan_id}/reports/{report_id}/submit")
    def submit_page(plan_id: str, report_id: int, user: SignedIn, _form: Posted) -> RedirectResponse:
        _submit(user, plan_id, report_id)
        return RedirectResponse(f"/plans/{plan_id}", status_code=303)

    # ------------------------------------------------------------------ API

    @app.get("/api/v1/plans")
    def api_plans(user: SignedIn) -> list[dict[str, Any]]:
        return [
            {k: p[k] for k in ("id", "title", "number", "year", "area_code", "issuer_agency_id", "basis")}
            for p in access.plans_for(user)
        ]

    @app.get("/api/v1/plans/{plan_id}/progress")
    def api_progress(
        plan_id: str,
        user: SignedIn,
        start: Annotated[date | None, Query(alias="from")] = None,
        end: Annotated[date | None, Query(alias="to")] = None,
    ) -> dict[str, Any]:
        return progress_for(user, plan_id, start, end).as_json()

    @app.get("/api/v1/plans/{plan_id}/report.xlsx")
    def api_report_xlsx(
        plan_id: str,
        user: SignedIn,
        start: Annotated[date | None, Query(alias="from")] = None,
        end: Annotated[date | None, Query(alias="to")] = None,
    ) -> Response:
        return report_xlsx(plan_id, user, start, end)

    @app.post("/api/v1/plans", status_code=201)
    def api_import(
        user: SignedIn,
        toml: Annotated[str, Body(embed=True, max_length=200_000, examples=['[plan]\nid = "tuan-giao-2021"\n...'])],
    ) -> dict[str, Any]:
        if not user.is_admin:
            raise Forbidden("import plans")
        result = import_plan(rt.db, toml, rt.policy, rt.now())
        return {"id": result.plan_id, "created": result.created, "changed": result.changed, "reports": result.reports}

    @app.post("/api/v1/plans/{plan_id}/reports/{report_id}/submit")
    def api_submit(plan_id: str, report_id: int, user: SignedIn) -> dict[str, Any]:
        return {"report_id": report_id, "submitted": _submit(user, plan_id, report_id)}

    def _submit(user: CurrentUser, plan_id: str, report_id: int) -> bool:
        progress = progress_for(user, plan_id, None, None)
        report = next((r for r in progress.reports if r["id"] == report_id), None)
        if report is None:
            raise ReportNotFound(report_id)
        if not may_submit(user, report["agency_id"]):
            raise Forbidden("mark this report submitted")
        return mark_submitted(rt.db, report_id, user.username, rt.now())


def _error(request: Request, status: int, code: str, vi: str, en: str, fields: list[dict[str, str]]) -> Response:
    if request.url.path.startswith("/api/"):
        body = {"code": code, "message_vi": vi, "message_en": en, "fields": fields, "reasons": []}
        return JSONResponse(status_code=status, content=body)
    user = request.app.state.auth.user_of(request)
    context = {"user": user, "title": "Không tìm thấy" if status == 404 else "Dữ liệu không hợp lệ", "message": vi}
    return TEMPLATES.TemplateResponse(request, "error.html", context, status_code=status)


def plan_errors(app: FastAPI) -> None:
    """Plans and reports the user may not read are 404, like plans that do not exist; bad files 422."""

    @app.exception_handler(PlanNotFound)
    async def plan_not_found(request: Request, err: PlanNotFound) -> Response:
        return _error(request, 404, "plan_not_found", f"Không có kế hoạch {err}.", f"No plan {err}.", [])

    @app.exception_handler(ReportNotFound)
    async def report_not_found(request: Request, err: ReportNotFound) -> Response:
        return _error(request, 404, "report_not_found", f"Không có báo cáo số {err}.", f"No report {err}.", [])

    @app.exception_handler(PlanFileError)
    async def bad_plan(request: Request, err: PlanFileError) -> Response:
        fields = [{"field": p.split(":", 1)[0], "code": "invalid", "message_vi": p} for p in err.problems]
        vi = "Tệp kế hoạch không hợp lệ: " + "; ".join(err.problems)
        return _error(request, 422, "invalid_plan_file", vi, "The plan file is invalid.", fields)

    @app.exception_handler(InvalidPeriod)
    async def bad_period(request: Request, _: InvalidPeriod) -> Response:
        vi = "Ngày kết thúc kỳ báo cáo trước ngày bắt đầu."
        field = [{"field": "to", "code": "before_from", "message_vi": vi}]
        return _error(request, 422, "invalid_period", vi, "The period ends before it starts.", field)
