"""The procuracy's pages over the transition log: verify the chains, check the log against a saved
anchor file (uploaded), and search the log across dossiers with an export of what was found.

Procurators and administrators only (`CurrentUser.may_audit`); a procurator searches their own area.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Annotated, Any
from urllib.parse import urlencode

import structlog
from fastapi import Depends, FastAPI, Request
from fastapi.responses import HTMLResponse
from pydantic import ValidationError
from starlette.datastructures import UploadFile

from admin.api.audit import Anchor
from admin.api.logs import LogFilters, log_query
from admin.auth import COOKIE, CurrentUser, Forbidden, SignedIn
from admin.errors import ApiError
from admin.forms import shared_label
from admin.render import TEMPLATES
from admin.replica import reading_replica
from states.labels import EVENT_LABELS
from workflow.audit import check_anchor, verify_chain
from workflow.audit_state import verify_state
from workflow.errors import DossierNotFound
from workflow.logsearch import search_log
from workflow.runtime import Runtime

log = structlog.get_logger(__name__)
PER_PAGE = 50
OUTCOMES = {"": "Tất cả", "applied": "Đã thực hiện", "refused": "Bị từ chối"}
EVENTS_EXTRA = {"open_dossier": "Mở hồ sơ", "reassign_agency": "Chuyển giao cho cơ quan kế thừa"}


async def uploaded_anchor(request: Request) -> bytes | None:
    """The uploaded anchor file's bytes (None if no file), once the form's CSRF token is checked."""
    async with request.form() as form:  # closes the uploaded file's temporary storage
        token = form.get("csrf")
        signer = request.app.state.auth.signer
        if not signer.csrf_ok(request.cookies.get(COOKIE), token if isinstance(token, str) else None):
            raise Forbidden("submit this form: it is stale or did not come from this site (reload the page)")
        upload = form.get("anchor")
        return await upload.read() if isinstance(upload, UploadFile) else None


def parse_day(text: str | None) -> date | None:
    """dd/mm/yyyy (as shown) or yyyy-mm-dd; None for an empty box; ValueError otherwise."""
    text = (text or "").strip()
    if not text:
        return None
    for pattern in ("%d/%m/%Y", "%Y-%m-%d"):
        try:
            return datetime.strptime(text, pattern).date()
        except ValueError:
            continue
    raise ValueError(text)


def event_labels(rt: Runtime) -> dict[str, str]:
    """Every event and step trigger of the configured regimes → its Vietnamese label."""
    labels = dict(EVENTS_EXTRA)
    outcomes: dict[str, set[str]] = {}
    for regime in rt.regimes.values():
        for step in regime.steps:
            labels.setdefault(step.trigger, step.label_vi)
            outcomes.setdefault(step.event.value, set()).add(step.label_vi)
    for event, named in outcomes.items():  # an event of several outcomes: their shared words, "(mọi kết quả)"
        shared = EVENT_LABELS[event][0] if event in EVENT_LABELS else shared_label(sorted(named))
        labels.setdefault(event, shared if len(named) == 1 else f"{shared} (mọi kết quả)")
    return labels


def _auditor(user: CurrentUser) -> None:
    if not user.may_audit:
        raise Forbidden("verify the transition log")


def audit_page_routes(app: FastAPI, rt: Runtime) -> None:
    render = TEMPLATES.TemplateResponse

    def audit_page(request: Request, user: CurrentUser, status: int = 200, **extra: Any) -> HTMLResponse:
        context = {
            "user": user,
            "report": None,
            "state": None,
            "dossier": None,
            "missing": None,
            "anchor": None,
            **extra,
        }
        return render(request, "audit.html", context, status_code=status)

    @app.get("/audit", response_class=HTMLResponse)
    def audit(request: Request, user: SignedIn, verify: bool = False, dossier: str = "") -> HTMLResponse:
        _auditor(user)
        only = int(dossier) if dossier.strip().isdigit() and len(dossier.strip()) < 19 else None
        if not verify:
            return audit_page(request, user, dossier=only)
        try:
            report = verify_chain(rt.db, only, keys=rt.keyring)
            state = verify_state(rt.engine, only, limit=200)
        except DossierNotFound:
            return audit_page(request, user, 404, dossier=only, missing=only)
        log.info("audit.verified", user=user.username, ok=report.ok, entries=report.entries, differing=state.found)
        return audit_page(request, user, report=report, state=state, dossier=only)

    @app.post("/audit/anchor/check", response_class=HTMLResponse)
    def anchor_check(
        request: Request,
        user: SignedIn,  # before the form: an anonymous post is 401, not a CSRF refusal
        content: Annotated[bytes | None, Depends(uploaded_anchor)],
    ) -> HTMLResponse:
        _auditor(user)
        try:
            anchor = Anchor.model_validate(json.loads(content or b""))
        except (ValueError, ValidationError):
            problem = "Tệp tải lên không phải bản neo hợp lệ (tệp .json tải từ trang này hoặc lệnh rehab audit anchor)."
            return audit_page(request, user, 422, anchor={"invalid": problem})
        broken = check_anchor(rt.db, anchor.model_dump(exclude_none=True), rt.keyring)
        log.info("audit.anchor_checked", user=user.username, ok=broken is None)
        result = {"ok": broken is None, "taken_at": anchor.taken_at, "chains": len(anchor.chains), "broken": broken}
        return audit_page(request, user, anchor=result)

    @app.get("/audit/log", response_class=HTMLResponse)
    def log_search(
        request: Request,
        user: SignedIn,
        agency: str = "",
        event: str = "",
        outcome: str = "",
        since: str = "",
        until: str = "",
        dossier: str = "",
        page: int = 1,
    ) -> HTMLResponse:
        _auditor(user)
        form = dict(agency=agency, event=event, outcome=outcome, since=since, until=until, dossier=dossier)
        problems: dict[str, str] = {}
        days: dict[str, date | None] = {}
        for key in ("since", "until"):
            try:
                days[key] = parse_day(form[key])
            except ValueError:
                problems[key] = "Ngày không hợp lệ: hãy nhập dd/mm/yyyy."
        number = dossier.strip()
        if number and (not number.isdigit() or len(number) > 18):
            problems["dossier"] = "Số hồ sơ phải là một số."
        if outcome not in OUTCOMES:
            problems["outcome"] = "Kết quả không hợp lệ."
        found, query_string = None, ""
        if not problems:
            filters = LogFilters(
                agency=agency or None,
                event=event or None,
                outcome=outcome or None,  # type: ignore[arg-type]
                dossier=int(number) if number else None,
                since=days["since"],
                until=days["until"],
            )
            try:
                query = log_query(rt, user, filters)
            except ApiError as err:
                problems = {f["field"]: f["message_vi"] for f in err.fields}
            else:
                found = search_log(
                    reading_replica(rt), query, rt.tz, page=max(1, min(page, 100_000)), per_page=PER_PAGE
                )
                api = {k: v for k, v in asdict_filters(filters).items() if v is not None}
                query_string = urlencode(api)
        directory = rt.engine.directory()
        context = {
            "user": user,
            "form": form,
            "problems": problems,
            "found": found,
            "export": query_string,
            "page_link": {k: v for k, v in form.items() if v},
            "agencies": sorted(directory.agencies.values(), key=lambda a: a.name_vi),
            "names": {a.id: a.name_vi for a in directory.agencies.values()},
            "events": event_labels(rt),
            "outcomes": OUTCOMES,
        }
        return render(request, "audit_log.html", context, status_code=422 if problems else 200)


def asdict_filters(filters: LogFilters) -> dict[str, Any]:
    values = {k: getattr(filters, k) for k in LogFilters.__dataclass_fields__}
    return {k: (v.isoformat() if isinstance(v, date) else v) for k, v in values.items()}


__all__ = ["audit_page_routes", "event_labels", "parse_day"]
