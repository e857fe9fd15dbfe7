"""Opening a dossier: the page `/dossiers/new` (`POST /api/v1/dossiers` is `admin.api.opening`), through
`engine.open_dossier`.

Who may: staff of the agencies that record violations (commune police, commune committee, a provincial
police unit for its own cases; under vn-2026 the commune police's drug-user management decision). The
engine decides and refuses with every reason; the page shows every field error beside its field and
keeps everything typed.
"""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from admin.auth import CurrentUser, SignedIn
from admin.pages import Posted
from admin.render import TEMPLATES, may_open
from states.model import State
from workflow.db import reading
from workflow.errors import InvalidInput, StepRefused, problems_of
from workflow.identity import SEXES
from workflow.intake import OPENERS, Commune, load_communes, open_request
from workflow.runtime import Runtime

FACT_BOXES = {
    "pregnant": "Đang mang thai",
    "sole_carer": "Là người duy nhất nuôi con dưới 36 tháng tuổi",
    "lacks_capacity": "Mất năng lực hành vi dân sự",
}
DOCUMENT_KINDS = {
    "violation_record": "Biên bản vi phạm hành chính (sử dụng trái phép chất ma túy)",
    "user_management_decision": "Quyết định quản lý người sử dụng trái phép chất ma túy (từ 01/07/2026)",
}


def _communes(rt: Runtime, user: CurrentUser) -> list[Commune]:
    """Communes in existence today, those the user's agency serves first (by Vietnamese name)."""
    with reading(rt.db) as conn:
        every = [c for c in load_communes(conn).values() if c.valid_on(rt.today())]
    directory = rt.engine.directory()
    agency = directory.agencies.get(user.agency_id or "")
    mine = [c for c in every if agency is not None and agency.serves(directory.lineage(c.code))]
    return mine + [c for c in every if c not in mine]


def _defaults(rt: Runtime, user: CurrentUser) -> dict[str, str]:
    """A commune agency's own commune is preselected; the nationality is Vietnamese unless changed."""
    served = [c for c in _communes(rt, user)[:2] if _serves(rt, user, c)]
    return {"commune": served[0].code if len(served) == 1 else "", "person.nationality": "VN"}


def _serves(rt: Runtime, user: CurrentUser, commune: Commune) -> bool:
    directory = rt.engine.directory()
    agency = directory.agencies.get(user.agency_id or "")
    return agency is not None and agency.serves(directory.lineage(commune.code))


def form_body(form: dict[str, str]) -> tuple[dict[str, Any], str]:
    """The page's form as an API body, and the opening document's kind."""
    kind = form.get("document_kind") or "violation_record"
    person = {k.removeprefix("person."): v.strip() for k, v in form.items() if k.startswith("person.") and v.strip()}
    facts: dict[str, Any] = {k: True for k in FACT_BOXES if form.get(f"facts.{k}")}
    if form.get("facts.no_stable_residence"):
        facts["stable_residence"] = False
    for name in ("positive_test_on", "child_birth_date"):
        if form.get(f"facts.{name}", "").strip():
            facts[name] = form[f"facts.{name}"].strip()
    document = {"number": form.get("document.number", "").strip(), "date": form.get("document.date", "").strip()}
    body = {"person": person, "commune": form.get("commune", ""), kind: document, "facts": facts}
    return body, kind


def _field_errors(err: InvalidInput, kind: str) -> dict[str, list[str]]:
    """Field errors keyed by the form's input names."""
    errors: dict[str, list[str]] = {}
    for problem in problems_of(err):
        name = problem.field.replace(f"{kind}.", "document.", 1) if problem.field.startswith(kind) else problem.field
        name = "document.date" if name == kind else name
        errors.setdefault(name, []).append(problem.message_vi)
    return errors


def open_routes(app: FastAPI, rt: Runtime) -> None:
    def page(request: Request, user: CurrentUser, status: int = 200, **extra: Any) -> HTMLResponse:
        context = {
            "user": user,
            "communes": _communes(rt, user),
            "sexes": SEXES,
            "fact_boxes": FACT_BOXES,
            "document_kinds": DOCUMENT_KINDS,
            "may_manage": rt.engine.directory().type_of(user.agency_id) in OPENERS[State.DRUG_USER_MANAGEMENT],
            "values": _defaults(rt, user),
            "errors": {},
            "key": str(uuid.uuid4()),  # a double submit replays the first opening, never opens twice
            **extra,
        }
        return TEMPLATES.TemplateResponse(request, "dossier_new.html", context, status_code=status)

    @app.get("/dossiers/new", response_class=HTMLResponse)
    def new_dossier(request: Request, user: SignedIn) -> Response:
        if not may_open(rt, user):
            return _forbidden_page(request, user)
        return page(request, user)

    @app.post("/dossiers/new", response_class=HTMLResponse)
    def open_from_page(request: Request, user: SignedIn, form: Posted) -> Response:
        if not may_open(rt, user):
            return _forbidden_page(request, user)
        body, kind = form_body(form)
        try:
            result = open_request(rt.engine, body, user.actor, form.get("idempotency_key") or None)
        except StepRefused as err:
            return page(request, user, 422, values=form, refusals=err.result.refusals, key=form.get("idempotency_key"))
        except InvalidInput as err:
            errors = _field_errors(err, kind)
            return page(request, user, 422, values=form, errors=errors, key=form.get("idempotency_key"))
        return RedirectResponse(f"/dossiers/{result.dossier_id}?done=open_dossier", status_code=303)

    def _forbidden_page(request: Request, user: CurrentUser) -> HTMLResponse:
        context = {
            "user": user,
            "title": "Không có quyền",
            "message": "Chỉ cán bộ Công an, UBND cấp xã hoặc đơn vị Công an cấp tỉnh được mở hồ sơ.",
        }
        return TEMPLATES.TemplateResponse(request, "error.html", context, status_code=403)


__all__ = ["form_body", "open_routes"]
