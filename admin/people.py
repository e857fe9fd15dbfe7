"""A person and their history: the page `/people/{id}` (the API is `admin.api.people`).

Identity and earlier episodes are personal data: shown to a user entitled to read the person's file for
at least one of their dossiers (`access.may_see_person`); administrators see only the list of dossiers;
anyone else is told the person does not exist (404). Entitled staff and supervisors may enter earlier
episodes from paper records and correct identity fields; both go through the engine and are logged on
every dossier's chain (which fields, and who; never the values).
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from admin.access import may_see_person
from admin.auth import CurrentUser, SignedIn
from admin.pages import Posted, stage_labeller
from admin.render import TEMPLATES
from workflow.db import reading
from workflow.errors import InvalidInput, problems_of
from workflow.identity import FIELD_LABELS_VI, IDENTITY_FIELDS, SEXES
from workflow.intake import load_communes
from workflow.people import EPISODE_KINDS, PersonNotFound, person_dossiers, person_identity
from workflow.runtime import Runtime

EPISODE_FIELDS = ("kind", "started_on", "ended_on", "document_number", "document_issuer")


def person_for(rt: Runtime, user: CurrentUser, person_id: int) -> tuple[dict[str, Any], bool]:
    """What `user` may see of the person, and whether it includes personal data; PersonNotFound otherwise."""
    dossiers = person_dossiers(rt.db, person_id)
    if dossiers is None:
        raise PersonNotFound(person_id)
    directory, today = rt.engine.directory(), rt.today()
    entitled = any(
        may_see_person(
            user, {"agency": {"id": d["agency_id"]}, "commune": {"code": d["commune_code"]}}, directory, today
        )
        for d in dossiers
    )
    if not entitled and not user.is_admin:
        raise PersonNotFound(person_id)  # nobody else learns the person exists
    view: dict[str, Any] = {"id": person_id, "dossiers": dossiers}
    if entitled:
        identity = person_identity(rt.db, person_id, rt.engine.ids.reveal) or {}
        view["episodes"] = identity.pop("episodes", [])
        view["identity"] = identity
    return view, entitled


def _may_change(rt: Runtime, user: CurrentUser, person_id: int) -> bool:
    _, entitled = person_for(rt, user, person_id)
    return entitled and user.may_fire


def people_pages(app: FastAPI, rt: Runtime) -> None:
    def page(request: Request, user: CurrentUser, person_id: int, status: int = 200, **extra: Any) -> Response:
        try:
            view, entitled = person_for(rt, user, person_id)
        except PersonNotFound:
            context = {"user": user, "title": "Không tìm thấy", "message": f"Không có người số {person_id}."}
            return TEMPLATES.TemplateResponse(request, "error.html", context, status_code=404)
        with reading(rt.db) as conn:
            communes = load_communes(conn)
        context = {
            "user": user,
            "p": view,
            "entitled": entitled,
            "may_change": entitled and user.may_fire,
            "stage_label": stage_labeller(rt),
            "communes": communes,
            "kinds": EPISODE_KINDS,
            "sexes": SEXES,
            "labels": FIELD_LABELS_VI,
            "values": {},
            "errors": {},
            **extra,
        }
        return TEMPLATES.TemplateResponse(request, "person.html", context, status_code=status)

    @app.get("/people/{person_id}", response_class=HTMLResponse)
    def person_page(request: Request, person_id: int, user: SignedIn, done: str = "") -> Response:
        notice = {"episode": "Đã ghi lần cai nghiện trước đây.", "identity": "Đã sửa thông tin nhân thân."}.get(done)
        return page(request, user, person_id, notice=notice)

    def posted(request: Request, user: CurrentUser, person_id: int, form: dict[str, str], which: str) -> Response:
        if not _may_change(rt, user, person_id):
            return page(request, user, person_id, 403, error="Vai trò của bạn chỉ được xem thông tin này.")
        fields = IDENTITY_FIELDS if which == "identity" else EPISODE_FIELDS
        body = {k: form.get(f"{which}.{k}", "") for k in fields if f"{which}.{k}" in form}
        try:
            if which == "identity":
                rt.engine.correct_identity(person_id, _identity_changes(rt, person_id, body), user.actor)
            else:
                rt.engine.record_episode(person_id, body, user.actor)
        except InvalidInput as err:
            errors: dict[str, list[str]] = {}
            for problem in problems_of(err):
                errors.setdefault(f"{which}.{problem.field}", []).append(problem.message_vi)
            return page(request, user, person_id, 422, values=form, errors=errors, open_form=which)
        return RedirectResponse(f"/people/{person_id}?done={which}", status_code=303)

    @app.post("/people/{person_id}/episodes", response_class=HTMLResponse)
    def episode_form(request: Request, person_id: int, user: SignedIn, form: Posted) -> Response:
        return posted(request, user, person_id, form, "episode")

    @app.post("/people/{person_id}/identity", response_class=HTMLResponse)
    def identity_form(request: Request, person_id: int, user: SignedIn, form: Posted) -> Response:
        return posted(request, user, person_id, form, "identity")


def _identity_changes(rt: Runtime, person_id: int, form: dict[str, str]) -> dict[str, Any]:
    """Only the fields the form changed (an untouched field is not a correction)."""
    current = person_identity(rt.db, person_id, rt.engine.ids.reveal) or {}
    from workflow.identity import parse_day, text

    changes: dict[str, Any] = {}
    for key, value in form.items():
        now = current.get(key)
        if key == "birth_date":
            day = parse_day(value)
            same = day is not None and day.isoformat() == now
        else:
            same = text(value) == text(now or "")
        if not same:
            changes[key] = value
    return changes or {"full_name": current.get("full_name", "")}


__all__ = ["people_pages", "person_for"]
