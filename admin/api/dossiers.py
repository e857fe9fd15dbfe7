"""One dossier: its detail, its transition log and the steps taken on it (always through `engine.fire`).

Lists never carry personal data; a dossier's detail carries "person" only for roles that need it
(`admin.access.dossier_for`).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field

from admin.access import dossier_for, may_read_log
from admin.api.params import MAX_ID, DossierId, refuse_long_texts
from admin.auth import Forbidden, SignedIn
from admin.errors import ERRORS
from workflow import preview, queries
from workflow.errors import DossierNotFound
from workflow.runtime import Runtime


class FireRequest(BaseModel):
    """One step on a dossier: the event and its payload (the fields of the step's form)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "event": "request_determination",
                    "payload": {"document": {"number": "3/CV-CA", "date": "2026-03-02"}},
                    "idempotency_key": "9b2f6c1e-2f4b-4a51-9d0c-6c0b8f1a7e11",
                    "expected_version": 1,
                }
            ]
        },
    )

    event: str = Field(min_length=1, max_length=64, description="the step's event, e.g. `request_determination`")
    payload: dict[str, Any] = Field(default_factory=dict, description="the step's fields (see its form)")
    idempotency_key: str | None = Field(
        None, max_length=128, description="the same key again replays the first answer instead of acting twice"
    )
    expected_version: int | None = Field(
        None, ge=0, le=2**31 - 1, description="refuse (409) if the dossier changed since this version"
    )


def router(rt: Runtime) -> APIRouter:
    api = APIRouter(tags=["dossiers"], responses=ERRORS)

    @api.get("/dossiers", summary="Dossiers (no personal data), newest first")
    def list_dossiers(
        _: SignedIn,
        agency: str | None = Query(None, max_length=200),
        state: str | None = Query(None, max_length=100),
        limit: int = Query(100, ge=1, le=1000),
        offset: int = Query(0, ge=0, le=MAX_ID),
    ) -> list[dict[str, Any]]:
        return queries.list_dossiers(rt.db, agency_id=agency, state=state, limit=limit, offset=offset)

    @api.get("/dossiers/{dossier_id}", summary="A dossier: state, deadlines, steps; the person only for some roles")
    def get_dossier(dossier_id: DossierId, user: SignedIn) -> dict[str, Any]:
        return dossier_for(rt, user, dossier_id)

    @api.get("/dossiers/{dossier_id}/history", summary="The dossier's transition log, refused attempts included")
    def get_history(dossier_id: DossierId, user: SignedIn) -> list[dict[str, Any]]:
        if not may_read_log(user, dossier_for(rt, user, dossier_id), rt.engine.directory()):
            raise Forbidden("read this dossier's transition log")
        rows = queries.history(rt.db, dossier_id)
        if not rows:
            raise DossierNotFound(dossier_id)
        return rows

    @api.get("/dossiers/{dossier_id}/actions", summary="Every step: available now or not, with every legal reason")
    def get_actions(dossier_id: DossierId, user: SignedIn) -> list[dict[str, Any]]:
        """Every step of the dossier's regime with `available` and, when not, every reason in legal terms
        (`reasons`: code, reason_vi, reason_en, basis); what each step needs typed (`needs`); whether it ends
        the dossier (`irreversible`); `steps_before`: 0 for this stage, n for a later one, -1 for a stage passed.
        The guards run on the stored facts; nothing is written. For a user who takes steps,
        `actor.not_authorised` marks the steps their agency may not take."""
        dossier_for(rt, user, dossier_id)  # 404 for a dossier the user may not read
        return preview.actions(rt.engine, dossier_id, rt.today(), user.actor if user.may_fire else None)

    @api.post("/dossiers/{dossier_id}/fire", summary="Take a step; refused with every legal reason (422)")
    def fire(dossier_id: DossierId, body: FireRequest, user: SignedIn) -> dict[str, Any]:
        if not user.may_fire:
            raise Forbidden("take steps")
        refuse_long_texts(body.payload, "payload")
        result = rt.engine.fire(
            dossier_id,
            body.event,
            user.actor,
            body.payload,
            idempotency_key=body.idempotency_key,
            expected_version=body.expected_version,
        )
        return result.as_dict()

    return api


__all__ = ["FireRequest", "router"]
