"""Credentials kept server-side: web sessions and API bearer tokens, each stored only as a SHA-256 digest.

A session or token works while its row is live (not revoked, not expired): logging out, an admin's
revocation, or `revoke_user_credentials` (a disabled user, a reset password) ends it everywhere at once,
in every process. The random values themselves are shown once (the cookie, the issued token) and never
stored or logged.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import structlog
from sqlalchemy import Engine, delete, select, update

from workflow.db import reading
from workflow.tables import ApiToken, User, WebSession

log = structlog.get_logger(__name__)

SESSION = WebSession.__table__  # type: ignore[attr-defined]
TOKEN = ApiToken.__table__  # type: ignore[attr-defined]
TOKEN_PREFIX = "rhb_"
TOUCH_EVERY = timedelta(minutes=5)  # last_seen_at is written at most this often per session
KEEP_ENDED = timedelta(days=30)  # ended sessions stay listed for the admin this long


def digest(secret: str) -> str:
    """What is stored for a random secret (it has 256 bits: a plain SHA-256 cannot be reversed)."""
    return hashlib.sha256(secret.encode("utf-8", "replace")).hexdigest()


@dataclass(frozen=True, slots=True)
class SessionInfo:
    id: int
    username: str
    created_at: datetime
    expires_at: datetime
    last_seen_at: datetime
    revoked_at: datetime | None

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "username": self.username,
            "created_at": self.created_at.isoformat(),
            "expires_at": self.expires_at.isoformat(),
            "last_seen_at": self.last_seen_at.isoformat(),
            "revoked_at": self.revoked_at.isoformat() if self.revoked_at else None,
        }


@dataclass(frozen=True, slots=True)
class TokenInfo:
    id: int
    prefix: str
    username: str
    label: str
    created_by: str
    created_at: datetime
    expires_at: datetime | None
    last_used_at: datetime | None
    revoked_at: datetime | None

    def as_dict(self) -> dict[str, Any]:
        def when(value: datetime | None) -> str | None:
            return value.isoformat() if value else None

        return {
            "id": self.id,
            "prefix": self.prefix,
            "username": self.username,
            "label": self.label,
            "created_by": self.created_by,
            "created_at": when(self.created_at),
            "expires_at": when(self.expires_at),
            "last_used_at": when(self.last_used_at),
            "revoked_at": when(self.revoked_at),
        }


# ----------------------------------------------------------------------------- web sessions


def start_session(db: Engine, username: str, now: datetime, hours: int) -> str:
    """A new session for `username`; returns the random token the cookie carries (stored only hashed)."""
    token = secrets.token_urlsafe(32)
    row = {
        "token_hash": digest(token),
        "username": username,
        "created_at": now,
        "expires_at": now + timedelta(hours=hours),
        "last_seen_at": now,
    }
    with db.begin() as conn:
        conn.execute(delete(SESSION).where(SESSION.c.expires_at < now - KEEP_ENDED))
        conn.execute(SESSION.insert().values(**row))
    return token


def session_user(db: Engine, token: str, now: datetime) -> str | None:
    """The username of a live session; None if the token is unknown, revoked or expired."""
    with reading(db) as conn:
        row = conn.execute(
            select(SESSION.c.id, SESSION.c.username, SESSION.c.last_seen_at).where(
                SESSION.c.token_hash == digest(token), SESSION.c.revoked_at.is_(None), SESSION.c.expires_at > now
            )
        ).first()
    if row is None:
        return None
    if now - row.last_seen_at > TOUCH_EVERY:
        with db.begin() as conn:
            conn.execute(update(SESSION).where(SESSION.c.id == row.id).values(last_seen_at=now))
    return str(row.username)


def end_session(db: Engine, token: str, now: datetime) -> None:
    """Logout: the session's cookie no longer works, wherever it was copied to."""
    with db.begin() as conn:
        conn.execute(
            update(SESSION)
            .where(SESSION.c.token_hash == digest(token), SESSION.c.revoked_at.is_(None))
            .values(revoked_at=now)
        )


def _session(row: Any) -> SessionInfo:
    return SessionInfo(row.id, row.username, row.created_at, row.expires_at, row.last_seen_at, row.revoked_at)


def live_sessions(db: Engine, now: datetime, username: str | None = None) -> list[SessionInfo]:
    """Sessions still usable, newest first (for the admin, or for one user)."""
    query = select(SESSION).where(SESSION.c.revoked_at.is_(None), SESSION.c.expires_at > now)
    if username is not None:
        query = query.where(SESSION.c.username == username)
    with reading(db) as conn:
        return [_session(r) for r in conn.execute(query.order_by(SESSION.c.id.desc()))]


def revoke_session(db: Engine, session_id: int, now: datetime) -> SessionInfo | None:
    """An admin ends one session; None if there is no such live session."""
    with db.begin() as conn:
        row = conn.execute(select(SESSION).where(SESSION.c.id == session_id, SESSION.c.revoked_at.is_(None))).first()
        if row is None:
            return None
        conn.execute(update(SESSION).where(SESSION.c.id == session_id).values(revoked_at=now))
    log.info("auth.session_revoked", session_id=session_id)
    return _session(row)


# ----------------------------------------------------------------------------- API tokens


def user_exists(db: Engine, username: str) -> bool:
    users = User.__table__  # type: ignore[attr-defined]
    with reading(db) as conn:
        return conn.execute(select(users.c.username).where(users.c.username == username)).first() is not None


def _token(row: Any) -> TokenInfo:
    return TokenInfo(
        row.id,
        row.prefix,
        row.username,
        row.label,
        row.created_by,
        row.created_at,
        row.expires_at,
        row.last_used_at,
        row.revoked_at,
    )


def issue_token(
    db: Engine, username: str, *, by: str, label: str, now: datetime, expires_at: datetime | None = None
) -> tuple[str, TokenInfo]:
    """A new bearer token for `username`: (the token, shown once; its stored record)."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    row = {
        "token_hash": digest(token),
        "prefix": token[:10],
        "username": username,
        "label": label,
        "created_by": by,
        "created_at": now,
        "expires_at": expires_at,
    }
    with db.begin() as conn:
        token_id = conn.execute(TOKEN.insert().values(**row)).inserted_primary_key[0]  # type: ignore[index]
        stored = conn.execute(select(TOKEN).where(TOKEN.c.id == token_id)).one()
    log.info("auth.token_issued", token_id=token_id, by=by)
    return token, _token(stored)


def token_user(db: Engine, token: str, now: datetime) -> str | None:
    """The username of a live token; None if unknown, revoked or expired. Marks its last use (hourly)."""
    if not token.startswith(TOKEN_PREFIX) or len(token) > 200:
        return None
    with reading(db) as conn:
        row = conn.execute(
            select(TOKEN.c.id, TOKEN.c.username, TOKEN.c.expires_at, TOKEN.c.last_used_at).where(
                TOKEN.c.token_hash == digest(token), TOKEN.c.revoked_at.is_(None)
            )
        ).first()
    if row is None or (row.expires_at is not None and row.expires_at <= now):
        return None
    if row.last_used_at is None or now - row.last_used_at > timedelta(hours=1):
        with db.begin() as conn:
            conn.execute(update(TOKEN).where(TOKEN.c.id == row.id).values(last_used_at=now))
    return str(row.username)


def get_token(db: Engine, token_id: int) -> TokenInfo | None:
    with reading(db) as conn:
        row = conn.execute(select(TOKEN).where(TOKEN.c.id == token_id)).first()
    return _token(row) if row is not None else None


def list_tokens(db: Engine, username: str | None = None) -> list[TokenInfo]:
    """Every token (revoked ones too, marked), newest first; never the token itself."""
    query = select(TOKEN).order_by(TOKEN.c.id.desc())
    if username is not None:
        query = query.where(TOKEN.c.username == username)
    with reading(db) as conn:
        return [_token(r) for r in conn.execute(query)]


def revoke_token(db: Engine, token_id: int, now: datetime) -> TokenInfo | None:
    """Revoke one token; None if there is no such live token."""
    with db.begin() as conn:
        row = conn.execute(select(TOKEN).where(TOKEN.c.id == token_id, TOKEN.c.revoked_at.is_(None))).first()
        if row is None:
            return None
        conn.execute(update(TOKEN).where(TOKEN.c.id == token_id).values(revoked_at=now))
    log.info("auth.token_revoked", token_id=token_id)
    return _token(row)


def revoke_user_credentials(db: Engine, username: str, now: datetime) -> tuple[int, int]:
    """End every session and revoke every token of `username` (a disabled user, a reset password).

    Returns (sessions ended, tokens revoked).
    """
    with db.begin() as conn:
        sessions = conn.execute(
            update(SESSION).where(SESSION.c.username == username, SESSION.c.revoked_at.is_(None)).values(revoked_at=now)
        ).rowcount
        tokens = conn.execute(
            update(TOKEN).where(TOKEN.c.username == username, TOKEN.c.revoked_at.is_(None)).values(revoked_at=now)
        ).rowcount
    log.info("auth.credentials_revoked", sessions=sessions, tokens=tokens)
    return sessions, tokens


__all__ = [
    "SessionInfo",
    "TokenInfo",
    "digest",
    "end_session",
    "get_token",
    "issue_token",
    "list_tokens",
    "live_sessions",
    "revoke_session",
    "revoke_token",
    "revoke_user_credentials",
    "session_user",
    "start_session",
    "token_user",
    "user_exists",
]
