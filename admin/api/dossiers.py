"""Dossiers: the list and search, one dossier's detail, its transition log, the steps taken on it (always
through `engine.fire`).

Everything is restricted to what the user may read (`workflow.access`): another dossier is 404, as one that
does not exist. A dossier's detail carries "person" and health facts only for readers of personal data
(`admin.access.dossier_for`); a list item carries the person's name only for them, never an ID number.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, ConfigDict, Field

from admin.access import dossier_for, history_for, readable_or_404
from admin.api.params import DossierId, refuse_long_texts
from admin.auth import Forbidden, SignedIn
from admin.errors import ERRORS, not_found
from admin.lists import Lists
from workflow import preview
from workflow.errors import DossierNotFound
from workflow.refusal_limit import fire_limited
from workflow.runtime import Runtime
from workflow.search import SORTS_VI


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
    payload: dict[str, Any] = Field(
        default_factory=dict,
        description="the step's fields (see its form). A document's `issuer` is `agency:<id>` or `person`, its "
        "`signer` `title:<position>`, `user:<username>` or `person`: never a name (422 otherwise). Free text "
        "(`note`, `reason`, `reasons`) is kept beside the transition log, which holds only its salted SHA-256.",
    )
    idempotency_key: str | None = Field(
        None, max_length=128, description="the same key again replays the first answer instead of acting twice"
    )
    expected_version: int | None = Field(
        None, ge=0, le=2**31 - 1, description="refuse (409) if the dossier changed since this version"
    )


def router(rt: Runtime) -> APIRouter:
    api = APIRouter(tags=["dossiers"], responses=ERRORS)

    lists = Lists(rt)

    @api.get("/dossiers", summary="Dossiers the user may read: search, filters, sort, pages, counts by stage")
    def list_dossiers(
        user: SignedIn,
        q: str | None = Query(
            None, max_length=200, description="a dossier code, an ID number, or a name (no diacritics needed)"
        ),
        state: str | None = Query(None, max_length=64, description="stage, e.g. `labour_review`"),
        commune: str | None = Query(None, max_length=200, description="commune code where the dossier is"),
        agency: str | None = Query(None, max_length=200, description="agency now responsible"),
        regime: str | None = Query(None, max_length=32, description="legal regime, e.g. `vn-2026`"),
        track: str | None = Query(None, max_length=16, description="`adult` or `minor`"),
        overdue: str | None = Query(None, max_length=5, description="`true`: only dossiers with an overdue deadline"),
        date_from: str | None = Query(
            None, alias="from", max_length=10, description="opened on or after (dd/mm/yyyy or yyyy-mm-dd)"
        ),
        date_to: str | None = Query(None, alias="to", max_length=10, description="opened on or before"),
        sort: str | None = Query(None, max_length=16, description="one of: " + ", ".join(SORTS_VI)),
        page: str | None = Query(None, max_length=9, description="page number, from 1"),
        page_size: str | None = Query(None, max_length=3, description="items per page, 1 to 200 (25)"),
    ) -> dict[str, Any]:
        raw = {"q": q, "state": state, "commune": commune, "agency": agency, "regime": regime, "track": track}
        raw |= {"overdue": overdue, "from": date_from, "to": date_to, "sort": sort, "page": page}
        return lists.page(user, {**raw, "page_size": page_size}).as_dict()

    @api.get("/dossiers/by-code/{code}", summary="The dossier with this code (as typed into the address bar)")
    def by_code(user: SignedIn, code: str = Path(max_length=40)) -> dict[str, Any]:
        try:
            found = lists.by_code(user, code)
        except DossierNotFound:
            shown = code.strip().upper()
            raise not_found(f"hồ sơ có mã {shown}", f"Dossier {shown}", "dossier.not_found") from None
        return {"id": found, "code": code.strip().upper(), "url": f"/dossiers/{found}"}

    @api.get("/dossiers/{dossier_id}", summary="A dossier: state, deadlines, steps; the person only for some roles")
    def get_dossier(dossier_id: DossierId, user: SignedIn) -> dict[str, Any]:
        return dossier_for(rt, user, dossier_id)

    @api.get("/dossiers/{dossier_id}/history", summary="The dossier's transition log, refused attempts included")
    def get_history(dossier_id: DossierId, user: SignedIn) -> list[dict[str, Any]]:
        rows = history_for(rt, user, dossier_for(rt, user, dossier_id))
        if rows is None:
            raise Forbidden("read this dossier's transition log")
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

    @api.post(
        "/dossiers/{dossier_id}/fire",
        summary="Take a step; refused with every legal reason (422); 429 for a user refused too often lately",
    )
    def fire(dossier_id: DossierId, body: FireRequest, user: SignedIn) -> dict[str, Any]:
        if not user.may_fire:
            raise Forbidden("take steps")
        refuse_long_texts(body.payload, "payload")
        readable_or_404(rt, user, dossier_id)  # a dossier the user may not read does not exist for them
        result = fire_limited(
            rt,
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
