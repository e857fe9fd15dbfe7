"""Open deadlines across dossiers, by agency, overdue first."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query

from admin.access import scope_for
from admin.auth import SignedIn
from admin.errors import ERRORS
from admin.replica import reading_replica
from workflow import queries
from workflow.runtime import Runtime


def router(rt: Runtime) -> APIRouter:
    api = APIRouter(tags=["deadlines"], responses=ERRORS)

    @api.get("/deadlines", summary="Open deadlines of the dossiers the user may read (no personal data)")
    def deadlines(
        user: SignedIn, agency: str | None = Query(None, max_length=200), overdue: bool = False
    ) -> list[dict[str, Any]]:
        scope = scope_for(rt, user)
        return queries.deadline_rows(
            reading_replica(rt), rt.today(), agency_id=agency, overdue_only=overdue, scope=scope
        )

    return api


__all__ = ["router"]
