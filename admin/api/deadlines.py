"""Open deadlines across dossiers, by agency, overdue first."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query

from admin.auth import SignedIn
from admin.errors import ERRORS
from workflow import queries
from workflow.runtime import Runtime


def router(rt: Runtime) -> APIRouter:
    api = APIRouter(tags=["deadlines"], responses=ERRORS)

    @api.get("/deadlines", summary="Open deadlines (no personal data)")
    def deadlines(
        _: SignedIn, agency: str | None = Query(None, max_length=200), overdue: bool = False
    ) -> list[dict[str, Any]]:
        return queries.deadline_rows(rt.db, rt.today(), agency_id=agency, overdue_only=overdue)

    return api


__all__ = ["router"]
