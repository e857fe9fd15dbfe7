"""Plans, dashboards and periodic reports: pages and `/api/v1` endpoints over `workflow.progress`.

Figures only: dossier codes at most, never names. A plan is visible to users whose agency serves an area
inside the plan's area or above it (a commune sees its district's plan, the province sees every plan),
to procurators of those areas, and to admins. Only admins import plans; a report is marked submitted by
the agency that must submit it (or its successor) or an admin.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import FastAPI, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from admin.auth import CurrentUser, Forbidden, SignedIn
from admin.errors import ApiError, field_error, not_found
from admin.pages import Posted, posted_form
from admin.render import TEMPLATES
from admin.replica import reading_replica
from workflow.payload import parse_date
from workflow.plans import (
    CATEGORY_VI,
    PERIOD_VI,
    ImportResult,
    PlanFileError,
    area_tree,
    import_plan,
    mark_submitted,
    plan_ids,
)
from workflow.progress import AreaOutsidePlan, InvalidPeriod, PlanNotFound, Progress, ProgressReader
from workflow.report_book import REPORT_STATUS_VI
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


def day(name: str, value: str | None) -> date | None:
    """A period bound typed as dd/mm/yyyy (or ISO); empty means the plan's year bound."""
    return parse_date(name, value) if value else None


class Plans:
    """What the pages and the API do with plans, with every failure as an `ApiError` (page or JSON)."""

    def __init__(self, rt: Runtime) -> None:
        self.rt = rt
        self.access = PlanAccess(rt)

    def progress(
        self, user: CurrentUser, plan_id: str, start: date | None, end: date | None, area: str | None = None
    ) -> Progress:
        try:
            self.access.plan(user, plan_id)
            return ProgressReader(reading_replica(self.rt), self.rt.regimes, self.rt.tz).progress(
                plan_id, self.rt.today(), start, end, area
            )
        except PlanNotFound as err:
            raise not_found(f"kế hoạch {plan_id}", f"plan {plan_id}", "plan.not_found") from err
        except AreaOutsidePlan as err:
            vi = f"địa bàn '{area}' không thuộc địa bàn của kế hoạch"
            raise field_error("area", "plan.area_outside", vi, "the area is not inside the plan's area") from err
        except InvalidPeriod as err:
            vi = "ngày kết thúc kỳ báo cáo trước ngày bắt đầu"
            raise field_error("to", "period.ends_before_start", vi, "the period ends before it starts") from err

    def areas_of(self, plan_id: str) -> list[tuple[str, str]]:
        """The plan's area and the areas with a target inside it, for the area filter (code, name)."""
        from sqlalchemy import select

        from workflow.plans import AREA, TARGET

        with self.rt.db.connect() as conn:
            rows = conn.execute(
                select(AREA.c.code, AREA.c.name)
                .join(TARGET, TARGET.c.area_code == AREA.c.code)
                .where(TARGET.c.plan_id == plan_id)
                .distinct()
                .order_by(AREA.c.name)
            ).all()
        return [(r.code, r.name) for r in rows]

    def may_submit(self, user: CurrentUser, agency_id: str) -> bool:
        if user.is_admin:
            return True
        if not user.may_fire or user.agency_id is None:
            return False
        acting = self.rt.engine.directory().acts_for(user.agency_id, self.rt.today())
        return agency_id == user.agency_id or agency_id in acting

    def submit(self, user: CurrentUser, plan_id: str, report_id: int) -> bool:
        progress = self.progress(user, plan_id, None, None)
        report = next((r for r in progress.reports if r["id"] == report_id), None)
        if report is None:
            raise not_found(f"báo cáo số {report_id}", f"report {report_id}", "report.not_found")
        if not self.may_submit(user, report["agency_id"]):
            raise Forbidden("mark this report submitted")
        return mark_submitted(self.rt.db, report_id, user.username, self.rt.now())

    def import_text(self, user: CurrentUser, text: str) -> ImportResult:
        if not user.is_admin:
            raise Forbidden("import plans")
        try:
            return import_plan(self.rt.db, text, self.rt.policy, self.rt.now())
        except PlanFileError as err:
            fields = [{"field": p.split(":", 1)[0], "code": "plan.invalid", "message_vi": p} for p in err.problems]
            vi = "Tệp kế hoạch không hợp lệ, chưa nhập gì: " + "; ".join(err.problems)
            raise ApiError(
                422, "plan.invalid_file", vi, "The plan file is invalid; nothing imported.", fields=fields
            ) from err


def plan_routes(app: FastAPI, rt: Runtime) -> None:
    plans = Plans(rt)
    access = plans.access
    render = TEMPLATES.TemplateResponse

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
        start: Annotated[str | None, Query(alias="from", max_length=20)] = None,
        end: Annotated[str | None, Query(alias="to", max_length=20)] = None,
        print_view: Annotated[bool, Query(alias="print")] = False,
        area: Annotated[str | None, Query(max_length=200)] = None,
    ) -> HTMLResponse:
        progress = plans.progress(user, plan_id, day("from", start), day("to", end), area or None)
        directory = rt.engine.directory()
        context = {
            "user": user,
            "p": progress,
            "chart": _chart(progress),
            "agency_name": directory.name,
            "period_vi": PERIOD_VI,
            "status_vi": REPORT_STATUS_VI,
            "categories": CATEGORY_VI,
            "may_submit": {r["id"]: plans.may_submit(user, r["agency_id"]) for r in progress.reports},
            "query": request.url.query,
            "areas": plans.areas_of(plan_id),
            "print_view": print_view,
        }
        return render(request, "plan.html", context)

    @app.post("/plans/{plan_id}/reports/{report_id}/submit")
    def submit_page(plan_id: str, report_id: int, user: SignedIn, _form: Posted) -> RedirectResponse:
        plans.submit(user, plan_id, report_id)
        return RedirectResponse(f"/plans/{plan_id}", status_code=303)
