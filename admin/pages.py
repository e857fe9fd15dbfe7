"""The HTML pages: home (the user's inbox first), agency inboxes, the dossier with its step forms, audit.

Every page needs a session (`current_user`); what a page offers follows the user's role, and the engine
still decides every step. Personal data reaches only the dossier page, and only through `dossier_for`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import asdict
from typing import Annotated, Any

import structlog
from fastapi import Depends, FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from admin.access import dossier_for, history_for, scope_for, steps_for
from admin.api.params import DossierId
from admin.auth import COOKIE, CurrentUser, Forbidden, SignedIn
from admin.dossier_view import confirmation_missing, page_context
from admin.forms import errors_by_input, payload_from_form
from admin.inbox_view import inbox_context, may_view_inbox
from admin.render import TEMPLATES, state_label
from admin.replica import reading_replica
from workflow import queries
from workflow.agencies import ReassignError, reassign
from workflow.errors import InvalidInput, StepNotAvailable, StepRefused, VersionConflict
from workflow.refusal_limit import TooManyRefusals, fire_limited
from workflow.runtime import Runtime

log = structlog.get_logger(__name__)

CONFLICT = "Hồ sơ đã được người khác cập nhật, hãy tải lại trang"
NOT_AVAILABLE = "Bước này không thực hiện được ở giai đoạn hiện tại của hồ sơ; hãy tải lại trang."


def too_many_refusals(seconds: int) -> str:
    return (
        f"Bạn đã bị từ chối quá nhiều lần trong thời gian ngắn; hãy kiểm tra lại hồ sơ và thử lại sau {seconds} giây "
        "(mỗi lần bị từ chối được ghi vĩnh viễn vào nhật ký của hồ sơ)."
    )


async def posted_form(request: Request) -> dict[str, str]:
    """The posted form's text fields (read here so the route itself can run in the thread pool), once its
    CSRF token shows it came from a page this session was served."""
    form = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
    if not request.app.state.auth.signer.csrf_ok(request.cookies.get(COOKIE), form.pop("csrf", None)):
        raise Forbidden("submit this form: it is stale or did not come from this site (reload the page)")
    return form


Posted = Annotated[dict[str, str], Depends(posted_form)]


def reassign_for(rt: Runtime, agency_id: str, user: str, basis: str, successor_id: str | None) -> dict[str, Any]:
    """Hand everything open of an abolished agency to its successor (logged on each dossier's chain)."""
    report = reassign(
        rt.db, agency_id, actor=user, basis=basis, now=rt.now(), successor_id=successor_id, signer=rt.signer
    )
    rt.engine.reload_directory()
    return asdict(report)


def stage_labeller(rt: Runtime) -> Callable[[str, str], str]:
    """`stage_label(regime id, state)` for the templates: the stage's Vietnamese label, else the state."""

    def label(regime_id: str, state: str) -> str:
        return state_label(state, regime_id)

    return label


def page_routes(app: FastAPI, rt: Runtime) -> None:
    render = TEMPLATES.TemplateResponse

    @app.get("/", response_class=HTMLResponse)
    def home(request: Request, user: SignedIn) -> HTMLResponse:
        today = rt.today()
        directory = rt.engine.directory()
        scope = scope_for(rt, user)  # the overview counts and lists only the dossiers the user may read
        agencies = sorted(directory.agencies.values(), key=lambda a: a.id)
        context: dict[str, Any] = {
            "user": user,
            "today": today,
            "own_name": directory.name(user.agency_id),
            "counts": queries.counts_by_state(reading_replica(rt), scope),
            "overdue": queries.deadline_rows(reading_replica(rt), today, overdue_only=True, limit=50, scope=scope),
            "agencies": [a for a in agencies if a.id != user.agency_id and may_view_inbox(rt, user, a.id)],
            "stage_label": stage_labeller(rt),
            "own": None,
        }
        if user.agency_id:
            inbox = inbox_context(rt, user, user.agency_id, {"status": "unread"})
            context |= {**inbox, "own": inbox["box"], "back": "/"}
        if user.is_admin:
            from notifications.worker import dead_letters

            context["dead"] = dead_letters(rt.db)
            context["abolished"] = [a for a in agencies if a.valid_to]
        return render(request, "home.html", context)

    def inbox_page(request: Request, user: CurrentUser, agency_id: str, status: int = 200, **extra: Any) -> Response:
        directory = rt.engine.directory()
        agency = directory.agencies.get(agency_id)
        today = rt.today()
        heirs = [a for a in directory.agencies.values() if a.valid_on(today) and a.id != agency_id]
        context = {
            "user": user,
            **inbox_context(rt, user, agency_id, dict(request.query_params)),
            "back": str(request.url.path) + (f"?{request.url.query}" if request.url.query else ""),
            "agency_name": directory.name(agency_id),
            "agency": agency,
            "successor_name": directory.name(agency.successor_id) if agency and agency.successor_id else "",
            "successors": sorted(((a.id, a.name_vi) for a in heirs), key=lambda c: c[1]),
            "stage_label": stage_labeller(rt),
            **extra,
        }
        return render(request, "inbox.html", context, status_code=status)

    @app.get("/inbox/{agency_id}", response_class=HTMLResponse)
    def inbox(request: Request, agency_id: str, user: SignedIn) -> Response:
        return inbox_page(request, user, agency_id)

    @app.post("/inbox/{agency_id}/reassign", response_class=HTMLResponse)
    def reassign_page(
        request: Request,
        agency_id: str,
        user: SignedIn,  # before the form: an anonymous post is 401, not a CSRF refusal
        form: Posted,
    ) -> Response:
        if not user.is_admin:
            raise Forbidden("reassign an agency's work")
        try:
            successor = form.get("successor_id", "").strip() or None
            report = reassign_for(rt, agency_id, user.username, form.get("basis", "").strip(), successor)
            report["to_agency_name"] = rt.engine.directory().name(report.get("to_agency"))
        except ReassignError as err:
            return inbox_page(request, user, agency_id, 422, error=err.message_vi)
        return inbox_page(request, user, agency_id, report=report)

    def dossier_page(
        request: Request, user: CurrentUser, dossier_id: int, status: int = 200, **extra: Any
    ) -> HTMLResponse:
        view = dossier_for(rt, user, dossier_id)
        offered = steps_for(user, view, rt.engine.directory(), rt.today())
        context = {
            "user": user,
            **page_context(rt, user, view, offered),
            "log": history_for(rt, user, view),
            "posted": {},
            "field_errors": {},
            **extra,
        }
        return render(request, "dossier.html", context, status_code=status)

    @app.get("/dossiers/{dossier_id}", response_class=HTMLResponse)
    def dossier(request: Request, dossier_id: DossierId, user: SignedIn, done: str | None = None) -> HTMLResponse:
        notice = None
        if done:
            view = dossier_for(rt, user, dossier_id)
            labels = {s.trigger: s.label_vi for s in rt.regimes[view["regime"]["id"]].steps}
            notice = f"Đã thực hiện: {labels[done]}." if done in labels else None
            notice = f"Đã mở hồ sơ {view['code']}." if done == "open_dossier" else notice
        return dossier_page(request, user, dossier_id, notice=notice)

    @app.post("/dossiers/{dossier_id}/fire", response_class=HTMLResponse)
    def fire(
        request: Request,
        dossier_id: DossierId,
        user: SignedIn,  # before the form: an anonymous post is 401, not a CSRF refusal
        form: Posted,
    ) -> Response:
        if not user.may_fire:
            raise Forbidden("take steps")
        view = dossier_for(rt, user, dossier_id)
        event = form.get("event", "")
        payload = payload_from_form(form, view["available_steps"], event)
        if isinstance(payload.get("document"), dict) and user.agency_id:  # issued by the user's agency
            payload["document"].setdefault("issuer", f"agency:{user.agency_id}")

        def again(status: int, refusals: list[Mapping[str, Any]] | None = None, **extra: Any) -> HTMLResponse:
            """The page again with everything typed kept, and each problem beside its field."""
            posted = {"event": event, "values": form}
            errors = errors_by_input(refusals or [], form, event)
            return dossier_page(
                request, user, dossier_id, status, posted=posted, refusals=refusals, field_errors=errors, **extra
            )

        unconfirmed = confirmation_missing(view, event, form)
        if unconfirmed is not None:  # checked without writing anything: nothing is attempted until confirmed
            problems = rt.engine.dry_run(dossier_id, event, user.actor, payload)
            return again(422, [unconfirmed, *problems], unconfirmed=True)
        try:
            result = fire_limited(
                rt,
                dossier_id,
                event,
                user.actor,
                payload,
                idempotency_key=form.get("idempotency_key") or None,
                expected_version=_int(form.get("expected_version")),
            )
        except TooManyRefusals as err:
            page = again(429, error=too_many_refusals(err.seconds))
            page.headers["Retry-After"] = str(err.seconds)
            return page
        except (StepRefused, InvalidInput) as err:
            return again(422, _refusals(err))
        except VersionConflict:
            return again(409, error=CONFLICT)
        except StepNotAvailable:
            return again(409, error=NOT_AVAILABLE)
        return RedirectResponse(f"/dossiers/{dossier_id}?done={result.event}", status_code=303)


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value else None
    except ValueError:
        return None


def _refusals(err: StepRefused | InvalidInput) -> list[Mapping[str, Any]]:
    result = getattr(err, "result", None)
    if result is not None and result.refusals:
        return list(result.refusals)
    return list(getattr(err, "errors", None) or [])


__all__ = ["page_routes", "posted_form", "reassign_for"]
