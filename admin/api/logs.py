"""The procuracy's cross-dossier search of the transition log, and its export (JSON lines or CSV).

A procurator searches the dossiers of the area their procuracy serves; an administrator every dossier.
Refused attempts are entries like any other (`outcome=refused`), with every reason's code and text.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query
from fastapi.responses import StreamingResponse
from pydantic import BaseModel

from admin.api.params import MAX_ID
from admin.auth import CurrentUser, Forbidden, SignedIn
from admin.errors import ERRORS, field_error
from admin.replica import reading_replica
from workflow.logsearch import LogQuery, as_csv, as_json_lines, communes_served, iter_log, search_log
from workflow.runtime import Runtime


@dataclass(frozen=True, slots=True)
class LogFilters:
    """The search's query parameters, shared by the search and its export."""

    agency: Annotated[str | None, Query(max_length=200, description="the acting agency's id")] = None
    event: Annotated[str | None, Query(max_length=64, description="e.g. `decide`, `record_escort`")] = None
    outcome: Annotated[Literal["applied", "refused"] | None, Query(description="refused: refused attempts")] = None
    dossier: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None
    since: Annotated[date | None, Query(description="first day (Vietnam time), YYYY-MM-DD")] = None
    until: Annotated[date | None, Query(description="last day (Vietnam time), included")] = None


Filters = Annotated[LogFilters, Depends()]


class LogPageOut(BaseModel):
    entries: list[dict[str, Any]]
    total: int
    page: int
    per_page: int
    pages: int


def log_query(rt: Runtime, user: CurrentUser, filters: LogFilters) -> LogQuery:
    """The user's search, limited to what their role may read of the log."""
    if not user.may_audit:
        raise Forbidden("search the transition log")
    if filters.since and filters.until and filters.since > filters.until:
        raise field_error("until", "field.before_since", "Ngày cuối phải từ ngày đầu trở đi.", "until is before since")
    communes = None if user.is_admin else communes_served(rt.engine.directory(), user.agency_id)
    return LogQuery(**{k: getattr(filters, k) for k in LogFilters.__dataclass_fields__}, communes=communes)


def router(rt: Runtime) -> APIRouter:
    api = APIRouter(tags=["audit"], responses=ERRORS)

    @api.get("/audit/log", summary="Search the transition log across dossiers (newest first, paginated)")
    def search(
        user: SignedIn,
        filters: Filters,
        page: int = Query(1, ge=1, le=100_000),
        per_page: int = Query(50, ge=1, le=500),
    ) -> LogPageOut:
        found = search_log(reading_replica(rt), log_query(rt, user, filters), rt.tz, page=page, per_page=per_page)
        return LogPageOut(entries=found.entries, total=found.total, page=page, per_page=per_page, pages=found.pages)

    @api.get("/audit/log/export", summary="Every entry the search finds, as JSON lines or CSV (oldest first)")
    def export(user: SignedIn, filters: Filters, format: Literal["jsonl", "csv"] = "jsonl") -> StreamingResponse:
        entries = iter_log(reading_replica(rt), log_query(rt, user, filters), rt.tz)
        name = f"tim-nhat-ky-{rt.today():%Y%m%d}.{format}"
        headers = {"Content-Disposition": f'attachment; filename="{name}"'}
        if format == "csv":
            return StreamingResponse(as_csv(entries), media_type="text/csv; charset=utf-8", headers=headers)
        return StreamingResponse(as_json_lines(entries), media_type="application/x-ndjson", headers=headers)

    return api


__all__ = ["LogFilters", "log_query", "router"]
