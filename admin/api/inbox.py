"""An agency's inbox: what waits for it, with deadlines."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from admin.api.params import AgencyId
from admin.auth import SignedIn
from admin.errors import ERRORS, not_found
from workflow import queries
from workflow.runtime import Runtime


def router(rt: Runtime) -> APIRouter:
    api = APIRouter(tags=["inbox"], responses=ERRORS)

    @api.get("/inbox/{agency_id}", summary="What waits for an agency")
    def get_inbox(_: SignedIn, agency_id: AgencyId) -> dict[str, Any]:
        if agency_id not in rt.engine.directory().agencies:
            raise not_found(f"cơ quan '{agency_id}'", f"agency '{agency_id}'", "agency.not_found")
        return queries.inbox(rt.db, agency_id, rt.today())

    return api


__all__ = ["router"]
