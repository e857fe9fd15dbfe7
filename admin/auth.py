"""Who is asking: a server-side session (cookie), a bearer token or HTTP Basic for /api/, and the user's role.

The session cookie carries a random token, signed (HMAC-SHA256 with an expiry) so that garbage is
refused without a database read; the session itself lives in `web_session` (`workflow.credentials`),
so logging out or an admin's revocation ends it everywhere. The user row is read again on every request,
so a removed user or a changed role takes effect at once. Failed logins are throttled in the database
(`workflow.throttle`), per username and per client address, shared by every process.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from typing import Annotated

import structlog
from fastapi import Depends, Request
from sqlalchemy import Engine, select

from workflow import credentials
from workflow.db import reading
from workflow.engine import Actor
from workflow.passwords import ITERATIONS, hash_password, verify_password
from workflow.tables import User
from workflow.throttle import Throttle

log = structlog.get_logger(__name__)

USER = User.__table__
COOKIE = "rehab_session"
DEVICE_COOKIE = "rehab_device"  # "this browser signed in as U before": exempt from U's distributed-attack delay
DEV_SECRET = "dev-only-change-me"

ROLE_LABELS = {
    "staff": "Cán bộ",
    "supervisor": "Lãnh đạo",
    "procurator": "Kiểm sát viên (chỉ xem)",
    "admin": "Quản trị hệ thống",
}


@cache
def _dummy_hash(iterations: int) -> str:
    """Checked when the username is unknown, with the iterations of real hashes: the same work either way."""
    return hash_password("not-a-password", iterations=iterations)


def utc_now() -> datetime:
    return datetime.now(UTC)


class NotAuthenticated(Exception):
    """No valid session or credentials: pages redirect to the login form, the API answers 401."""


class Throttled(Exception):
    """Too many failed logins from this client or for this username lately: 429 with Retry-After."""

    def __init__(self, seconds: float) -> None:
        super().__init__(f"too many failed logins; retry in {int(seconds) + 1} s")
        self.seconds = int(seconds) + 1


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
    """`<base64url(json{u, exp})>.<hex hmac>`: a value and an expiry (Unix seconds), both signed.

    `purpose` separates keys: a device cookie can never pass for a session cookie."""

    def __init__(
        self, secret: str, hours: int, clock: Callable[[], float] = time.time, purpose: str = "session"
    ) -> None:
        if not secret:
            raise ValueError("session_secret must not be empty")
        self._key = hashlib.sha256(f"rehab-{purpose}:".encode() + secret.encode("utf-8")).digest()
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

    def sign(self, value: str) -> str:
        raw = json.dumps({"u": value, "exp": int(self.clock()) + self.max_age}, separators=(",", ":"))
        body = base64.urlsafe_b64encode(raw.encode("utf-8")).rstrip(b"=")
        return f"{body.decode('ascii')}.{self._mac(body)}"

    def unsign(self, signed: str | None) -> str | None:
        """The value in a valid, unexpired signed text; None for anything else."""
        body_text, _, mac = (signed or "").partition(".")
        body = body_text.encode("ascii", "ignore")
        if not body or not mac.isascii() or not hmac.compare_digest(self._mac(body), mac):
            return None
        try:
            data = json.loads(base64.urlsafe_b64decode(body + b"=" * (-len(body) % 4)))
            value, expires = str(data["u"]), int(data["exp"])
        except (ValueError, KeyError, TypeError, binascii.Error):
            return None
        return value if expires > self.clock() else None


class Users:
    """Reads users for authentication (a disabled user is no user); changes go through `workflow.users`."""

    def __init__(self, db: Engine) -> None:
        self.db = db
        self._iterations: int | None = None

    def get(self, username: str) -> CurrentUser | None:
        with reading(self.db) as conn:
            row = conn.execute(select(USER).where(USER.c.username == username)).first()
        if row is None or row.disabled:
            return None
        return CurrentUser(row.username, row.role, row.agency_id, row.display_name or row.username)

    def _dummy(self) -> str:
        """A hash as slow as the stored ones (their iteration count, read once)."""
        if self._iterations is None:
            with reading(self.db) as conn:
                stored = conn.execute(select(USER.c.password_hash).limit(1)).scalar()
            parts = (stored or "").split("$")
            self._iterations = int(parts[1]) if len(parts) == 4 and parts[1].isdigit() else ITERATIONS
        return _dummy_hash(self._iterations)

    def authenticate(self, username: str, password: str) -> CurrentUser | None:
        """The user if the password matches; None otherwise, without saying which part was wrong."""
        with reading(self.db) as conn:
            row = conn.execute(select(USER).where(USER.c.username == username.strip())).first()
        stored = row.password_hash if row is not None else self._dummy()
        if not verify_password(password, stored) or row is None or row.disabled:
            log.info("auth.login_failed")  # no username: a mistyped password is often someone's real one
            return None
        return CurrentUser(row.username, row.role, row.agency_id, row.display_name or row.username)


def client_address(request: Request) -> str:
    """The client's address (uvicorn puts a trusted proxy's X-Forwarded-For here, nothing else does)."""
    return request.client.host if request.client else "unknown"


class Auth:
    """Who sent a request: the session cookie, or (for /api/ only) a bearer token or HTTP Basic credentials."""

    def __init__(
        self,
        db: Engine,
        secret: str,
        *,
        session_hours: int = 12,
        secure_cookies: bool = False,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self.db, self.clock = db, clock
        self.users = Users(db)
        self.signer = SessionSigner(secret, session_hours)
        self.devices = SessionSigner(secret, 24 * 180, purpose="device")
        self.session_hours = session_hours
        self.secure_cookies = secure_cookies
        self.throttle = Throttle(db, lambda text: self.signer.keyed("throttle", text))
        self._recent: dict[str, tuple[str, float]] = {}

    # ------------------------------------------------------------------ passwords

    def authenticate(
        self, username: str, password: str, address: str, *, device: str | None = None
    ) -> CurrentUser | None:
        """The user if the password matches; None if not. Throttled (before any hashing) when this client or
        this username has failed too often lately."""
        trusted = device is not None and self.devices.unsign(device) == username.strip().casefold()
        wait = self.throttle.wait(username, address, self.clock(), trusted_device=trusted)
        if wait > 0:
            log.info("auth.throttled", retry_after=int(wait) + 1)
            raise Throttled(wait)
        user = self.users.authenticate(username, password)
        if user is None:
            self.throttle.failed(username, address, self.clock())
        else:
            self.throttle.succeeded(username, address)
        return user

    def device_cookie(self, user: CurrentUser) -> str:
        return self.devices.sign(user.username.casefold())

    def _basic(self, username: str, password: str, address: str) -> CurrentUser | None:
        """HTTP Basic for scripts: a password checked in the last minute is not hashed again (PBKDF2 is
        deliberately slow); the cache holds a keyed digest of the credentials, never the password."""
        key = self.signer.keyed("basic", f"{username}\x00{password}")
        cached = self._recent.get(key)
        if cached is not None and cached[1] > time.monotonic():
            return self.users.get(cached[0])  # re-read: a changed role or removed user takes effect
        user = self.authenticate(username, password, address)
        if user is not None:
            if len(self._recent) > 10_000:
                self._recent.clear()
            self._recent[key] = (user.username, time.monotonic() + 60.0)
        return user

    # ------------------------------------------------------------------ sessions

    def open_session(self, user: CurrentUser) -> str:
        """A new server-side session; returns the signed cookie value."""
        token = credentials.start_session(self.db, user.username, self.clock(), self.session_hours)
        return self.signer.sign(token)

    def close_session(self, cookie: str | None) -> None:
        token = self.signer.unsign(cookie)
        if token is not None:
            credentials.end_session(self.db, token, self.clock())

    def session_user(self, cookie: str | None) -> CurrentUser | None:
        token = self.signer.unsign(cookie)
        username = credentials.session_user(self.db, token, self.clock()) if token is not None else None
        return self.users.get(username) if username is not None else None

    def user_of(self, request: Request) -> CurrentUser | None:
        """An /api/ request with an Authorization header is judged by it alone; otherwise the cookie."""
        header = request.headers.get("authorization")
        if request.url.path.startswith("/api/") and header is not None:
            token = bearer_token(header)
            if token is not None:
                username = credentials.token_user(self.db, token, self.clock())
                return self.users.get(username) if username is not None else None
            basic = basic_credentials(header)
            return self._basic(*basic, client_address(request)) if basic else None
        return self.session_user(request.cookies.get(COOKIE))


def current_user(request: Request) -> CurrentUser:
    """FastAPI dependency of every page and API route but /login and the health checks."""
    user: CurrentUser | None = request.app.state.auth.user_of(request)
    if user is None:
        raise NotAuthenticated()
    return user


SignedIn = Annotated[CurrentUser, Depends(current_user)]


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


def bearer_token(header: str | None) -> str | None:
    """The token of an `Authorization: Bearer …` header; None if it is another scheme."""
    scheme, _, token = (header or "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def safe_next(target: str | None) -> str:
    """A local path to return to after login; anything else (other hosts, `//evil`) goes home."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


__all__ = [
    "COOKIE",
    "DEVICE_COOKIE",
    "Auth",
    "DEV_SECRET",
    "CurrentUser",
    "Forbidden",
    "NotAuthenticated",
    "SignedIn",
    "SessionSigner",
    "Throttled",
    "Users",
    "basic_credentials",
    "bearer_token",
    "client_address",
    "current_user",
    "safe_next",
]
