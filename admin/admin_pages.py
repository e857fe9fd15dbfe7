"""Administration pages (administrators only): users, notifications that failed every retry, and
handing an abolished agency's work to a successor chosen from a list. The same `workflow` functions as
`/api/v1/users`, `/api/v1/deliveries` and `/api/v1/agencies`; administrators never see personal data.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from admin.api.params import AgencyId, RowId
from admin.api.users import NewUser, UserChange
from admin.auth import CurrentUser, Forbidden, SignedIn
from admin.errors import validation_fields
from admin.pages import Posted, reassign_for
from admin.render import TEMPLATES
from states.docs import AGENCY_VI
from workflow import users
from workflow.agencies import ReassignError, successor_candidates
from workflow.errors import InvalidInput
from workflow.runtime import Runtime

Problems = dict[str, str]  # field -> Vietnamese message


def _admin(user: CurrentUser) -> None:
    if not user.is_admin:
        raise Forbidden("administer the system")


def _problems(err: ValidationError | InvalidInput) -> Problems:
    if isinstance(err, InvalidInput):
        return {err.field: err.reason_vi or err.reason}
    return {f["field"]: f["message_vi"] for f in validation_fields(err.errors())}


def agency_choices(rt: Runtime) -> list[tuple[str, list[tuple[str, str]]]]:
    """Agencies in office today, grouped under their kind's Vietnamese name, for the agency select."""
    today = rt.today()
    groups: dict[str, list[tuple[str, str]]] = {}
    for agency in sorted(rt.engine.directory().agencies.values(), key=lambda a: a.name_vi):
        if agency.valid_on(today):
            label = AGENCY_VI.get(agency.type, agency.type)  # type: ignore[call-overload]
            groups.setdefault(label, []).append((agency.id, agency.name_vi))
    return sorted(groups.items())


def admin_page_routes(app: FastAPI, rt: Runtime) -> None:
    render = TEMPLATES.TemplateResponse

    def users_page(request: Request, user: CurrentUser, status: int = 200, **extra: Any) -> HTMLResponse:
        context = {
            "user": user,
            "users": users.list_users(rt.db),
            "roles": users.ROLES,
            "agencies": agency_choices(rt),
            "names": {a.id: a.name_vi for a in rt.engine.directory().agencies.values()},
            "problems": {},
            "values": {},
            **extra,
        }
        return render(request, "admin_users.html", context, status_code=status)

    @app.get("/admin/users", response_class=HTMLResponse)
    def users_list(request: Request, user: SignedIn, done: str | None = None) -> HTMLResponse:
        _admin(user)
        return users_page(request, user, notice=done)

    @app.post("/admin/users", response_class=HTMLResponse)
    def users_create(request: Request, user: SignedIn, form: Posted) -> Response:
        _admin(user)
        values = {k: form.get(k, "").strip() for k in ("username", "display_name", "role", "agency_id")}
        try:
            body = NewUser.model_validate(
                {**values, "agency_id": values["agency_id"] or None, "password": form.get("password", "")}
            )
            created = users.create_user(rt.db, **body.model_dump(), by=user.username, today=rt.today())
        except (ValidationError, InvalidInput) as err:
            return users_page(request, user, 422, problems=_problems(err), values=values)
        return RedirectResponse(f"/admin/users/{created.username}?done=created", status_code=303)

    def user_page(request: Request, user: CurrentUser, username: str, status: int = 200, **extra: Any) -> HTMLResponse:
        context = {
            "user": user,
            "u": users.get_user(rt.db, username),
            "roles": users.ROLES,
            "agencies": agency_choices(rt),
            "problems": {},
            **extra,
        }
        return render(request, "admin_user.html", context, status_code=status)

    @app.get("/admin/users/{username}", response_class=HTMLResponse)
    def user_detail(request: Request, username: str, user: SignedIn, done: str | None = None) -> HTMLResponse:
        _admin(user)
        return user_page(request, user, username, notice=DONE.get(done or ""))

    @app.post("/admin/users/{username}", response_class=HTMLResponse)
    def user_change(request: Request, username: str, user: SignedIn, form: Posted) -> Response:
        _admin(user)
        try:
            body = UserChange(
                role=form.get("role", ""),  # type: ignore[arg-type]
                agency_id=form.get("agency_id") or None,
                display_name=form.get("display_name", ""),
            )
            users.change_user(rt.db, username, **body.model_dump(), by=user.username, today=rt.today())
        except (ValidationError, InvalidInput) as err:
            return user_page(request, user, username, 422, problems=_problems(err))
        return RedirectResponse(f"/admin/users/{username}?done=changed", status_code=303)

    @app.post("/admin/users/{username}/password", response_class=HTMLResponse)
    def user_password(request: Request, username: str, user: SignedIn, form: Posted) -> Response:
        _admin(user)
        try:
            generated = users.reset_password(rt.db, username, form.get("password") or None, by=user.username)
        except InvalidInput as err:
            return user_page(request, user, username, 422, problems=_problems(err))
        return user_page(request, user, username, notice=DONE["password"], generated=generated)

    @app.post("/admin/users/{username}/{action}", response_class=HTMLResponse)
    def user_disable(request: Request, username: str, action: str, user: SignedIn, form: Posted) -> Response:
        _admin(user)
        if action not in ("disable", "enable"):
            return user_page(request, user, username, 404)
        try:
            users.set_disabled(rt.db, username, action == "disable", by=user.username)
        except InvalidInput as err:
            return user_page(request, user, username, 422, problems=_problems(err))
        return RedirectResponse(f"/admin/users/{username}?done={action}d", status_code=303)

    @app.get("/admin/deliveries", response_class=HTMLResponse)
    def deliveries(request: Request, user: SignedIn, done: int | None = None) -> HTMLResponse:
        from notifications.worker import dead_letters

        _admin(user)
        context = {"user": user, "dead": dead_letters(rt.db), "retried": done}
        return render(request, "admin_deliveries.html", context)

    @app.post("/admin/deliveries/{delivery_id}/retry", response_class=HTMLResponse)
    def retry(request: Request, delivery_id: RowId, user: SignedIn, form: Posted) -> Response:
        from notifications.worker import DeadLetterNotFound, retry_dead

        _admin(user)
        try:
            retry_dead(rt.db, delivery_id, rt.now())
        except DeadLetterNotFound:
            pass  # already retried (a double click): the list shows what is left
        return RedirectResponse(f"/admin/deliveries?done={delivery_id}", status_code=303)

    def agencies_page(request: Request, user: CurrentUser, status: int = 200, **extra: Any) -> HTMLResponse:
        directory = rt.engine.directory()
        today = rt.today()
        ended = sorted((a for a in directory.agencies.values() if a.valid_to), key=lambda a: (a.valid_to, a.name_vi))
        context = {
            "user": user,
            "ended": [(a, successor_candidates(directory, a.id, today)) for a in ended],
            "today": today,
            "names": {a.id: a.name_vi for a in directory.agencies.values()},
            **extra,
        }
        return render(request, "admin_agencies.html", context, status_code=status)

    @app.get("/admin/agencies", response_class=HTMLResponse)
    def agencies(request: Request, user: SignedIn) -> HTMLResponse:
        _admin(user)
        return agencies_page(request, user)

    @app.post("/admin/agencies/{agency_id}/reassign", response_class=HTMLResponse)
    def reassign(request: Request, agency_id: AgencyId, user: SignedIn, form: Posted) -> Response:
        _admin(user)
        basis, successor = form.get("basis", "").strip(), form.get("successor_id") or None
        try:
            report = reassign_for(rt, agency_id, user.username, basis, successor)
        except ReassignError as err:
            failed = {"agency": agency_id, "message": err.message_vi, "basis": basis, "successor": successor}
            return agencies_page(request, user, 422, failed=failed)
        return agencies_page(request, user, report=report)


DONE = {
    "created": "Đã tạo người dùng.",
    "changed": "Đã lưu thay đổi.",
    "password": "Đã đặt lại mật khẩu.",
    "disabled": "Đã khóa tài khoản: người dùng không đăng nhập và không dùng API được nữa.",
    "enabled": "Đã mở khóa tài khoản.",
}

__all__ = ["admin_page_routes", "agency_choices"]
