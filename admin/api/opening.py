"""Opening a dossier: `POST /dossiers` (the same `workflow.intake.open_request` as the page and the CLI).

Who may: staff of the agencies that record violations; the engine decides and refuses (422) with every
legal reason (exclusions, age, an agency not in office on the record's date or not serving the commune).
Bad input is 422 with every field named. The `Idempotency-Key` header replays the first opening.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Header
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from admin.api.people import DAY, PersonFields
from admin.auth import Forbidden, SignedIn
from admin.errors import ERRORS
from workflow.intake import open_request
from workflow.people import dossier_brief
from workflow.runtime import Runtime

OPEN_EXAMPLE: Any = {
    "person": {
        "full_name": "Lò Văn Minh",
        "birth_date": "1990-05-01",
        "sex": "male",
        "nationality": "VN",
        "id_number": "011090001234",
        "residence_commune": "dien-bien.tuan-giao.quai-cang",
    },
    "commune": "dien-bien.tuan-giao.quai-cang",
    "violation_record": {"number": "12/BB-VPHC", "date": "2026-08-03"},
    "facts": {"stable_residence": True},
}
MANAGEMENT_EXAMPLE: Any = {
    "person": {"full_name": "Quàng Văn Sơn", "birth_date": "1995-02-11", "id_number": "011095002345"},
    "commune": "dien-bien.tuan-giao.quai-cang",
    "user_management_decision": {"number": "5/QĐ-CAX", "date": "2026-08-04"},
    "facts": {"positive_test_on": "2026-08-03"},
}
OPENED_EXAMPLE: Any = {
    "id": 1,
    "code": "HS-2026-000001",
    "regime": "vn-2026",
    "track": "adult",
    "state": "violation_recorded",
    "version": 1,
    "commune_code": "dien-bien.tuan-giao.quai-cang",
    "agency_id": "dien-bien.tuan-giao.quai-cang.commune_police",
    "person_id": 1,
    "url": "/dossiers/1",
    "replayed": False,
}


class OpeningDocument(BaseModel):
    model_config = ConfigDict(extra="forbid")

    number: str | None = Field(None, max_length=60, description="e.g. 12/BB-VPHC")
    date: str | None = Field(None, max_length=10, description=DAY)
    issuer: str | None = Field(
        None, max_length=200, description="`agency:<agency id>` (the issuing agency) or `person`; never a name"
    )
    signer: str | None = Field(
        None,
        max_length=200,
        description="`title:<position>` (e.g. `title:police_chief`), `user:<username>` or `person`; never a name",
    )


class OpeningFacts(BaseModel):
    """Facts known at opening: the exclusions the law checks, and the positive test of a management decision."""

    model_config = ConfigDict(extra="forbid")

    pregnant: bool | None = None
    child_birth_date: str | None = Field(None, max_length=10, description="the youngest child raised; " + DAY)
    sole_carer: bool | None = Field(None, description="the only person raising that child")
    lacks_capacity: bool | None = None
    stable_residence: bool | None = None
    grounds: str | None = Field(None, max_length=64)
    last_violation_on: str | None = Field(None, max_length=10, description=DAY)
    prior_voluntary_episodes: int | None = Field(None, ge=0, le=50)
    positive_test_on: str | None = Field(None, max_length=10, description=DAY)


class OpenRequest(BaseModel):
    """The person, the commune where the record was made and the opening document (exactly one of the two)."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [OPEN_EXAMPLE, MANAGEMENT_EXAMPLE]})

    person: PersonFields = Field(default_factory=lambda: PersonFields.model_validate({}))
    commune: str | None = Field(None, max_length=200, description="commune code where the violation was recorded")
    violation_record: OpeningDocument | None = None
    user_management_decision: OpeningDocument | None = Field(None, description="vn-2026: instead of a record")
    facts: OpeningFacts = Field(default_factory=lambda: OpeningFacts.model_validate({}))


def router(rt: Runtime) -> APIRouter:
    api = APIRouter(tags=["dossiers"], responses=ERRORS)

    @api.post(
        "/dossiers",
        status_code=201,
        summary="Open a dossier from its violation record (or, from 01/07/2026, a drug-user management decision)",
        responses={201: {"description": "Opened", "content": {"application/json": {"example": OPENED_EXAMPLE}}}},
    )
    def open_dossier(
        user: SignedIn,
        body: OpenRequest,
        idempotency_key: Annotated[
            str | None,
            Header(alias="Idempotency-Key", max_length=128, description="the same key again replays the first answer"),
        ] = None,
    ) -> JSONResponse:
        if not user.may_fire:
            raise Forbidden("open a dossier")
        result = open_request(rt.engine, body.model_dump(exclude_none=True), user.actor, idempotency_key)
        opened = {
            "id": result.dossier_id,
            "code": result.code,
            **dossier_brief(rt.db, result.dossier_id or 0),
            "state": result.to_state,
            "url": f"/dossiers/{result.dossier_id}",
            "replayed": result.replayed,
        }
        return JSONResponse(opened, status_code=201)

    return api


__all__ = ["OPEN_EXAMPLE", "router"]
