"""Administration of the running system: an abolished agency's work to its successor, and the
notifications that failed every retry (dead letters). Administrators only; never personal data."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from admin.api.params import AgencyId, RowId
from admin.auth import CurrentUser, Forbidden, SignedIn
from admin.errors import ERRORS, not_found
from admin.pages import reassign_for
from workflow.agencies import successor_candidates
from workflow.runtime import Runtime


class ReassignRequest(BaseModel):
    """The legal basis of the abolition and, if the directory names none, the successor."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"basis": "Nghị định 02/2025/NĐ-CP", "successor_id": "ca.dienbien"}]},
    )

    basis: str = Field(min_length=1, max_length=500, description="the document that abolished the agency")
    successor_id: str | None = Field(None, max_length=200, description="one of GET …/successors")


class Agency(BaseModel):
    id: str
    name_vi: str
    type: str


def _admin(user: CurrentUser, action: str) -> None:
    if not user.is_admin:
        raise Forbidden(action)


def router(rt: Runtime) -> APIRouter:
    api = APIRouter(tags=["administration"], responses=ERRORS)

    @api.get("/agencies/{agency_id}/successors", summary="Who may take over an abolished agency's work today")
    def successors(user: SignedIn, agency_id: AgencyId) -> list[Agency]:
        _admin(user, "reassign an agency's work")
        directory = rt.engine.directory()
        if agency_id not in directory.agencies:
            raise not_found(f"cơ quan '{agency_id}'", f"agency '{agency_id}'", "agency.not_found")
        return [
            Agency(id=a.id, name_vi=a.name_vi, type=a.type)
            for a in successor_candidates(directory, agency_id, rt.today())
        ]

    @api.post("/agencies/{agency_id}/reassign", summary="Hand an abolished agency's open work to its successor")
    def reassign_agency(body: ReassignRequest, user: SignedIn, agency_id: AgencyId) -> dict[str, Any]:
        _admin(user, "reassign an agency's work")
        return reassign_for(rt, agency_id, user.username, body.basis, body.successor_id)

    @api.get("/deliveries/dead", summary="Notifications that failed every retry")
    def dead_deliveries(user: SignedIn) -> list[dict[str, Any]]:
        from notifications.worker import dead_letters

        _admin(user, "see dead letters")
        return [asdict(d) for d in dead_letters(rt.db)]

    @api.post("/deliveries/{delivery_id}/retry", summary="Give a dead notification a fresh set of attempts")
    def retry(user: SignedIn, delivery_id: RowId) -> dict[str, Any]:
        from notifications.worker import DeadLetterNotFound, retry_dead

        _admin(user, "retry dead letters")
        try:
            retry_dead(rt.db, delivery_id, rt.now())
        except DeadLetterNotFound:
            raise not_found(
                f"thông báo lỗi số {delivery_id}", f"dead delivery {delivery_id}", "delivery.not_found"
            ) from None
        return {"delivery_id": delivery_id, "status": "pending"}

    return api


__all__ = ["ReassignRequest", "router"]
