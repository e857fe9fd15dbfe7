"""Who is asking: the signed session cookie, HTTP Basic for scripts, and the user's role.

The cookie holds only the username and an expiry, signed with HMAC-SHA256 over both (so the expiry
cannot be stretched); the user row is read again on every request, so a removed user or a changed role
takes effect at once. Passwords are checked with `workflow.passwords.verify_password`.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Annotated

import structlog
from fastapi import Depends, FastAPI, Form, Request
from fastapi.responses import RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from sqlalchemy import Engine, select

from workflow.db import reading
from workflow.engine import Actor
from workflow.passwords import hash_password, verify_password
from workflow.tables import User

log = structlog.get_logger(__name__)

USER = User.__table__
COOKIE = "rehab_session"
TOO_MANY = "Đăng nhập sai quá nhiều lần; hãy thử lại sau 15 phút."
DEV_SECRET = "dev-only-change-me"

ROLE_LABELS = {
    "staff": "Cán bộ",
    "supervisor": "Lãnh đạo",
    "procurator": "Kiểm sát viên (chỉ xem)",
    "admin": "Quản trị hệ thống",
}


@cache
def _dummy_hash() -> str:
    """Checked when the username is unknown, so a wrong username costs about as much as a wrong password."""
    return hash_password("not-a-password", iterations=20_000)


class NotAuthenticated(Exception):
    """No valid session or credentials: pages redirect to the login form, the API answers 401."""


class Forbidden(Exception):
    """Authenticated, but the user's role may not do this (403)."""

    def __init__(self, action: str) -> None:
        super().__init__(f"your role may not {action}")
        self.action = action


@dataclass(frozen=True, slots=True)
class CurrentUser:
    username: str
    role: str  # staff | supervisor | procurator | admin
    agency_id: str | None
    display_name: str

    @property
    def actor(self) -> Actor:
        return Actor(self.username, self.agency_id, self.role)

    @property
    def may_fire(self) -> bool:
        """Staff and supervisors act for their agency; the procurator only reads; admins do not take steps."""
        return self.role in ("staff", "supervisor") and self.agency_id is not None

    @property
    def may_audit(self) -> bool:
        return self.role in ("procurator", "admin")

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    @property
    def role_label(self) -> str:
        return ROLE_LABELS.get(self.role, self.role)


class SessionSigner:
    """`<base64url(json{u, exp})>.<hex hmac>`: the username and an expiry (Unix seconds), both signed."""

    def __init__(self, secret: str, hours: int, clock: Callable[[], float] = time.time) -> None:
        if not secret:
            raise ValueError("session_secret must not be empty")
        self._key = hashlib.sha256(b"rehab-session:" + secret.encode("utf-8")).digest()
        self.max_age = hours * 3600
        self.clock = clock

    def _mac(self, body: bytes) -> str:
        return hmac.new(self._key, body, hashlib.sha256).hexdigest()

    def keyed(self, purpose: str, text: str) -> str:
        """A digest of `text` under the server's key (nothing can be derived from it without the key)."""
        return self._mac(f"{purpose}:".encode() + text.encode("utf-8", "replace"))[:32]

    def csrf(self, cookie: str | None) -> str:
        """The form token of a session: only pages served to that session carry it (no cross-site posts)."""
        return self.keyed("csrf", cookie or "")

    def csrf_ok(self, cookie: str | None, token: str | None) -> bool:
        return bool(cookie) and token is not None and token.isascii() and hmac.compare_digest(self.csrf(cookie), token)

    def sign(self, username: str) -> str:
        raw = json.dumps({"u": username, "exp": int(self.clock()) + self.max_age}, separators=(",", ":"))
        body = base64.urlsafe_b64encode(raw.encode("utf-8")).rstrip(b"=")
        return f"{body.decode('ascii')}.{self._mac(body)}"

    def unsign(self, value: str | None) -> str | None:
        """The username in a valid, unexpired cookie; None for anything else."""
        body_text, _, mac = (value or "").partition(".")
        body = body_text.encode("ascii", "ignore")
        if not body or not mac.isascii() or not hmac.compare_digest(self._mac(body), mac):
            return None
        try:
            data = json.loads(base64.urlsafe_b64decode(body + b"=" * (-len(body) % 4)))
            username, expires = str(data["u"]), int(data["exp"])
        except (ValueError, KeyError, TypeError, binascii.Error):
            return None
        return username if expires > self.clock() else None


class Users:
    """Reads users for authentication (a disabled user is no user); changes go through `workflow.users`."""

    def __init__(self, db: Engine) -> None:
        self.db = db

    def get(self, username: str) -> CurrentUser | None:
        with reading(self.db) as conn:
            row = conn.execute(select(USER).where(USER.c.username == username)).first()
        if row is None or row.disabled:
            return None
        return CurrentUser(row.username, row.role, row.agency_id, row.display_name or row.username)

    def authenticate(self, username: str, password: str) -> CurrentUser | None:
        """The user if the password matches; None otherwise, without saying which part was wrong."""
        with reading(self.db) as conn:
            row = conn.execute(select(USER).where(USER.c.username == username.strip())).first()
        stored = row.password_hash if row is not None else _dummy_hash()
        if not verify_password(password, stored) or row is None or row.disabled:
            log.info("auth.login_failed")  # no username: a mistyped password is often someone's real one
            return None
        return CurrentUser(row.username, row.role, row.agency_id, row.display_name or row.username)


class Throttle:
    """Failed logins per username: after `limit` failures within `window` seconds, no more tries until
    the oldest failure ages out (password guessing is slowed without locking anyone out for good)."""

    def __init__(self, limit: int = 5, window: float = 900.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.limit, self.window, self.clock = limit, window, clock
        self._failures: dict[str, deque[float]] = {}

    def _recent(self, username: str) -> deque[float]:
        failures = self._failures.setdefault(username.strip().lower(), deque())
        while failures and self.clock() - failures[0] > self.window:
            failures.popleft()
        return failures

    def blocked(self, username: str) -> bool:
        return len(self._recent(username)) >= self.limit

    def failed(self, username: str) -> None:
        self._recent(username).append(self.clock())

    def succeeded(self, username: str) -> None:
        self._failures.pop(username.strip().lower(), None)


class Auth:
    """Who sent a request: the session cookie, or (for /api/ only) HTTP Basic credentials."""

    def __init__(self, users: Users, signer: SessionSigner, throttle: Throttle | None = None) -> None:
        self.users = users
        self.signer = signer
        self.throttle = throttle or Throttle()
        self._recent: dict[str, tuple[str, float]] = {}

    def _basic(self, username: str, password: str) -> CurrentUser | None:
        """HTTP Basic for scripts: a password checked in the last minute is not hashed again (PBKDF2 is
        deliberately slow); the cache holds a keyed digest of the credentials, never the password."""
        key = self.signer.keyed("basic", f"{username}\x00{password}")
        cached = self._recent.get(key)
        if cached is not None and cached[1] > time.monotonic():
            return self.users.get(cached[0])  # re-read: a changed role or removed user takes effect
        user = self.authenticate(username, password)
        if user is not None:
            self._recent[key] = (user.username, time.monotonic() + 60.0)
        return user

    def authenticate(self, username: str, password: str) -> CurrentUser | None:
        """The user, unless the password is wrong or this username has failed too often lately."""
        if self.throttle.blocked(username):
            log.info("auth.throttled")
            return None
        user = self.users.authenticate(username, password)
        if user is None:
            self.throttle.failed(username)
        else:
            self.throttle.succeeded(username)
        return user

    def user_of(self, request: Request) -> CurrentUser | None:
        """An /api/ request with an Authorization header is judged by it alone; otherwise the cookie."""
        if request.url.path.startswith("/api/") and "authorization" in request.headers:
            credentials = basic_credentials(request.headers["authorization"])
            return self._basic(*credentials) if credentials else None
        username = self.signer.unsign(request.cookies.get(COOKIE))
        return self.users.get(username) if username is not None else None


def current_user(request: Request) -> CurrentUser:
    """FastAPI dependency of every page and API route but /login and /healthz."""
    user: CurrentUser | None = request.app.state.auth.user_of(request)
    if user is None:
        raise NotAuthenticated()
    return user


SignedIn = Annotated[CurrentUser, Depends(current_user)]


def login_routes(app: FastAPI, templates: Jinja2Templates, auth: Auth) -> None:
    @app.get("/login", response_model=None)
    def login_form(request: Request, next: str = "/") -> Response:
        if auth.user_of(request) is not None:
            return RedirectResponse(safe_next(next), status_code=303)
        return templates.TemplateResponse(request, "login.html", {"next": safe_next(next)})

    @app.post("/login", response_model=None)
    def login(request: Request, username: str = Form(""), password: str = Form(""), next: str = Form("/")) -> Response:
        throttled = auth.throttle.blocked(username)
        user = None if throttled else auth.authenticate(username, password)
        if user is None:
            error = TOO_MANY if throttled else "Sai tên đăng nhập hoặc mật khẩu"
            context = {"next": safe_next(next), "username": username, "error": error}
            return templates.TemplateResponse(request, "login.html", context, status_code=429 if throttled else 401)
        response = RedirectResponse(safe_next(next), status_code=303)
        response.set_cookie(
            COOKIE,
            auth.signer.sign(user.username),
            max_age=auth.signer.max_age,
            httponly=True,
            samesite="lax",
            secure=request.url.scheme == "https",
            path="/",
        )
        log.info("auth.login", user=user.username, role=user.role)
        return response

    @app.post("/logout")
    def logout() -> RedirectResponse:
        response = RedirectResponse("/login", status_code=303)
        response.delete_cookie(COOKIE, path="/")
        return response


def basic_credentials(header: str | None) -> tuple[str, str] | None:
    """(username, password) from an `Authorization: Basic …` header; None if absent or malformed."""
    scheme, _, encoded = (header or "").partition(" ")
    if scheme.lower() != "basic" or not encoded:
        return None
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    username, sep, password = decoded.partition(":")
    return (username, password) if sep else None


def safe_next(target: str | None) -> str:
    """A local path to return to after login; anything else (other hosts, `//evil`) goes home."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


__all__ = [
    "COOKIE",
    "Auth",
    "DEV_SECRET",
    "CurrentUser",
    "Forbidden",
    "NotAuthenticated",
    "SignedIn",
    "SessionSigner",
    "Users",
    "basic_credentials",
    "current_user",
    "login_routes",
    "safe_next",
]
