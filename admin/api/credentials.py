"""Sessions and API tokens: listed and revoked by admins (everyone's) and by each user (their own).

`/api/v1/sessions` and `/api/v1/tokens`; the page `/admin/security` (admin/security_page.py) does the same
in a browser. An issued token is shown once, in the answer that issues it; only its digest is stored.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from fastapi import APIRouter, FastAPI, Path, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field

from admin.auth import CurrentUser, Forbidden, SignedIn, Throttled, Users, utc_now
from admin.errors import ERRORS, ApiError, api_response, not_found
from workflow import credentials
from workflow.errors import InvalidInput
from workflow.runtime import Runtime

MAX_ID = 2**63 - 1


class TokenRequest(BaseModel):
    """A new bearer token: what it is for, whose (admins may name another user), how long it lasts."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"label": "xuất nhật ký hằng đêm", "username": "vks.tuangiao", "expires_in_days": 90}]
        },
    )

    label: str = Field(min_length=1, max_length=100)
    username: str | None = Field(default=None, max_length=100)  # another user's: admins only
    expires_in_days: int | None = Field(default=None, ge=1, le=3650)


def NotFound(what: str, ident: int) -> ApiError:  # noqa: N802  (reads as the exception it builds)
    """No such session or token (or not one this user may see): 404."""
    what_vi = {"token": "mã truy cập", "session": "phiên đăng nhập"}[what]
    return not_found(f"{what_vi} số {ident}", f"{what.capitalize()} {ident}", f"{what}.not_found")


def install_credential_errors(app: FastAPI) -> None:
    """Too many failed logins through HTTP Basic: 429 with Retry-After, in the API's error shape."""

    @app.exception_handler(Throttled)
    async def throttled(_: Request, err: Throttled) -> Response:
        return api_response(
            ApiError(
                429,
                "auth.throttled",
                f"Đăng nhập sai quá nhiều lần; hãy thử lại sau {err.seconds} giây.",
                f"Too many failed logins; retry in {err.seconds} s.",
                headers={"Retry-After": str(err.seconds)},
            )
        )


def _owner(user: CurrentUser, username: str | None) -> str:
    """Whose tokens or sessions this request is about: anyone's for an admin, else the user's own."""
    if username is None or username == user.username:
        return user.username
    if not user.is_admin:
        raise Forbidden("manage another user's sessions or tokens")
    return username


def issue(rt: Runtime, user: CurrentUser, body: TokenRequest) -> dict[str, Any]:
    owner = _owner(user, body.username)
    if Users(rt.db).get(owner) is None:
        raise InvalidInput("username", f"no user '{owner}'", reason_vi=f"không có người dùng '{owner}'")
    now = utc_now()
    expires = now + timedelta(days=body.expires_in_days) if body.expires_in_days else None
    token, info = credentials.issue_token(rt.db, owner, by=user.username, label=body.label, now=now, expires_at=expires)
    return {"token": token, **info.as_dict()}


def revoke_token_for(rt: Runtime, user: CurrentUser, token_id: int) -> dict[str, Any]:
    info = credentials.get_token(rt.db, token_id)
    if info is None or (info.username != user.username and not user.is_admin):
        raise NotFound("token", token_id)
    revoked = credentials.revoke_token(rt.db, token_id, utc_now())
    return {"revoked": revoked is not None, **info.as_dict()}


def revoke_session_for(rt: Runtime, user: CurrentUser, session_id: int) -> dict[str, Any]:
    mine = {s.id for s in credentials.live_sessions(rt.db, utc_now(), user.username)}
    if session_id not in mine and not user.is_admin:
        raise NotFound("session", session_id)
    revoked = credentials.revoke_session(rt.db, session_id, utc_now())
    if revoked is None:
        raise NotFound("session", session_id)
    return {"revoked": True, **revoked.as_dict()}


def router(rt: Runtime) -> APIRouter:
    api = APIRouter(tags=["sessions and tokens"], responses=ERRORS)

    @api.get("/sessions", summary="Live web sessions (admins: everyone's; others: their own)")
    def list_sessions(user: SignedIn, username: str | None = Query(None, max_length=100)) -> list[dict[str, Any]]:
        owner = None if user.is_admin and username is None else _owner(user, username)
        return [s.as_dict() for s in credentials.live_sessions(rt.db, utc_now(), owner)]

    @api.delete("/sessions/{session_id}", summary="End a session: its cookie stops working at once")
    def delete_session(user: SignedIn, session_id: int = Path(ge=1, le=MAX_ID)) -> dict[str, Any]:
        return revoke_session_for(rt, user, session_id)

    @api.get("/tokens", summary="API tokens (never the token itself)")
    def list_tokens(user: SignedIn, username: str | None = Query(None, max_length=100)) -> list[dict[str, Any]]:
        owner = None if user.is_admin and username is None else _owner(user, username)
        return [t.as_dict() for t in credentials.list_tokens(rt.db, owner)]

    @api.post("/tokens", status_code=201, summary="Issue a bearer token, shown once in this answer")
    def create_token(body: TokenRequest, user: SignedIn) -> dict[str, Any]:
        return issue(rt, user, body)

    @api.delete("/tokens/{token_id}", summary="Revoke a token")
    def delete_token(user: SignedIn, token_id: int = Path(ge=1, le=MAX_ID)) -> dict[str, Any]:
        return revoke_token_for(rt, user, token_id)

    @api.get("/security/events", summary="Attempts refused before any chain (e.g. outside jurisdiction)")
    def security_events(user: SignedIn, limit: int = Query(200, ge=1, le=1000)) -> list[dict[str, Any]]:
        if not user.is_admin:
            raise Forbidden("read the security log")
        from workflow.jurisdiction import recent

        return recent(rt.db, limit)

    return api


__all__ = ["TokenRequest", "install_credential_errors", "issue", "revoke_session_for", "revoke_token_for", "router"]
