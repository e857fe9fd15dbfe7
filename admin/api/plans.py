"""Plans: the list a user may read, a plan's progress and KPIs, its Excel report, importing a plan
(admins), marking a periodic report submitted (the agency that owes it)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field

from admin.api.params import RowId
from admin.auth import SignedIn
from admin.errors import ERRORS
from admin.plans import XLSX, Plans, day
from workflow.report_book import build_workbook
from workflow.runtime import Runtime

EXAMPLE_TOML = """targets = [{ area = "Xã Quài Cang", category = "compulsory", target = 3 }]

[plan]
id = "tuan-giao-2021"
title = "Kế hoạch triển khai công tác cai nghiện ma túy năm 2021"
issuer = "dien-bien.tuan-giao.district_committee"
area = "dien-bien.tuan-giao"
year = 2021
"""


class PlanImport(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"toml": EXAMPLE_TOML}]})

    toml: str = Field(min_length=1, max_length=200_000, description="the plan file (TOML), as demo/data/plans/")


From = Annotated[str | None, Query(alias="from", max_length=20, description="period start, dd/mm/yyyy or ISO")]
To = Annotated[str | None, Query(alias="to", max_length=20, description="period end, dd/mm/yyyy or ISO")]
Area = Annotated[str | None, Query(max_length=200, description="an area inside the plan's (default: the plan's)")]


def router(rt: Runtime) -> APIRouter:
    api = APIRouter(tags=["plans"], responses=ERRORS)
    plans = Plans(rt)

    @api.get("/plans", summary="The plans this user may read")
    def list_plans(user: SignedIn) -> list[dict[str, Any]]:
        keys = ("id", "title", "number", "year", "area_code", "issuer_agency_id", "basis")
        return [{k: p[k] for k in keys} for p in plans.access.plans_for(user)]

    @api.post("/plans", status_code=201, summary="Import a plan (admins); the same file twice changes nothing")
    def import_plan(body: PlanImport, user: SignedIn) -> dict[str, Any]:
        result = plans.import_text(user, body.toml)
        return {"id": result.plan_id, "created": result.created, "changed": result.changed, "reports": result.reports}

    @api.get("/plans/{plan_id}/progress", summary="Targets, KPIs, stages, durations, overdue work, reports")
    def progress(plan_id: str, user: SignedIn, start: From = None, end: To = None, area: Area = None) -> dict[str, Any]:
        return plans.progress(user, plan_id, day("from", start), day("to", end), area).as_json()

    @api.get("/plans/{plan_id}/report.xlsx", summary="The periodic report as an Excel workbook")
    def report(plan_id: str, user: SignedIn, start: From = None, end: To = None, area: Area = None) -> Response:
        figures = plans.progress(user, plan_id, day("from", start), day("to", end), area)
        name = f"bao-cao-{plan_id}-{figures.period_start:%Y%m%d}-{figures.period_end:%Y%m%d}.xlsx"
        content = build_workbook(figures, rt.engine.directory().name)
        return Response(content, media_type=XLSX, headers={"Content-Disposition": f'attachment; filename="{name}"'})

    @api.post("/plans/{plan_id}/reports/{report_id}/submit", summary="Mark a periodic report submitted")
    def submit(plan_id: Annotated[str, Path(max_length=200)], report_id: RowId, user: SignedIn) -> dict[str, Any]:
        return {"report_id": report_id, "submitted": plans.submit(user, plan_id, report_id)}

    return api


__all__ = ["router"]
