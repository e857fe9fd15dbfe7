"""A person: `GET /people/{id}`, `POST /people/{id}/episodes`, `PATCH /people/{id}` (identity correction).

Identity and earlier episodes go only to users entitled to the person's file (`admin.people.person_for`);
administrators get the list of dossiers; anyone else 404. Entering an episode or correcting identity is
for entitled staff and supervisors, through the engine, logged on every dossier's chain.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path
from pydantic import BaseModel, ConfigDict, Field

from admin.auth import CurrentUser, Forbidden, SignedIn
from admin.errors import ERRORS, ApiError, not_found
from admin.people import person_for
from workflow.people import PersonNotFound
from workflow.runtime import Runtime

PersonId = Annotated[int, Path(ge=1, le=2**31 - 1, description="the person's id (see a dossier's `person_id`)")]
EPISODE_EXAMPLE: Any = {
    "kind": "compulsory",
    "started_on": "2021-03-15",
    "ended_on": "2023-03-15",
    "document_number": "45/QĐ-TA",
    "document_issuer": "TAND huyện Tuần Giáo",
}
CORRECTION_EXAMPLE: Any = {"full_name": "Lò Văn Mình", "birth_date": "1990-05-02"}
DAY = "YYYY-MM-DD or dd/mm/yyyy"


class PersonFields(BaseModel):
    """A person's identity. Types and lengths are checked here; the rest (required, 12-digit ID, not in the
    future, a known commune) by `workflow.identity`, every problem at once in Vietnamese."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [CORRECTION_EXAMPLE]})

    full_name: str | None = Field(None, max_length=120, description="normalised to Unicode NFC")
    birth_date: str | None = Field(None, max_length=10, description=DAY)
    sex: str | None = Field(None, max_length=10, description="male | female")
    nationality: str | None = Field(None, max_length=2, description="ISO 3166 two-letter code, default VN")
    id_number: str | None = Field(None, max_length=12, description="the 12-digit personal ID number (CCCD)")
    residence_commune: str | None = Field(None, max_length=200, description="commune code of residence")
    address: str | None = Field(None, max_length=300, description="village, street, house number")


class EpisodeRequest(BaseModel):
    """An earlier rehab episode known from paper records."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [EPISODE_EXAMPLE]})

    kind: str | None = Field(None, max_length=20, description="compulsory | voluntary | post_rehab")
    started_on: str | None = Field(None, max_length=10, description=DAY)
    ended_on: str | None = Field(None, max_length=10, description=DAY)
    document_number: str | None = Field(None, max_length=60, description="the deciding document, e.g. 45/QĐ-TA")
    document_issuer: str | None = Field(None, max_length=200, description="who decided, e.g. TAND huyện Tuần Giáo")


def _found(rt: Runtime, user: CurrentUser, person_id: int) -> tuple[dict[str, Any], bool]:
    try:
        return person_for(rt, user, person_id)
    except PersonNotFound:
        raise not_found("người này", "Person", "person.not_found") from None


def _may_change(rt: Runtime, user: CurrentUser, person_id: int) -> None:
    _, entitled = _found(rt, user, person_id)
    if not (entitled and user.may_fire):
        raise Forbidden("change this person's identity or history")


def router(rt: Runtime) -> APIRouter:
    api = APIRouter(tags=["people"], responses=ERRORS)

    @api.get("/people/{person_id}", summary="A person's dossiers; identity and earlier episodes for entitled roles")
    def get_person(person_id: PersonId, user: SignedIn) -> dict[str, Any]:
        view, _ = _found(rt, user, person_id)
        return view

    @api.post(
        "/people/{person_id}/episodes",
        status_code=201,
        summary="Enter an earlier rehab episode from paper records (compulsory, voluntary, post_rehab)",
    )
    def add_episode(
        person_id: PersonId,
        user: SignedIn,
        body: EpisodeRequest,
    ) -> dict[str, Any]:
        _may_change(rt, user, person_id)
        episode = body.model_dump(exclude_none=True)
        return _or_gone(lambda: rt.engine.record_episode(person_id, episode, user.actor))

    @api.patch(
        "/people/{person_id}",
        summary="Correct identity fields; each dossier's log records which fields and who, never the values",
    )
    def correct(
        person_id: PersonId,
        user: SignedIn,
        body: PersonFields,
    ) -> dict[str, Any]:
        _may_change(rt, user, person_id)
        changes = body.model_dump(exclude_unset=True)
        return _or_gone(lambda: rt.engine.correct_identity(person_id, changes, user.actor))

    return api


def _or_gone(action: Any) -> dict[str, Any]:
    try:
        return dict(action())
    except PersonNotFound:
        raise not_found("người này", "Person", "person.not_found") from None


__all__ = ["ApiError", "EpisodeRequest", "PersonFields", "router"]
