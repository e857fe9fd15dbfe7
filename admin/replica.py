"""Reads that may lag go to the streaming replica (`REHAB_DATABASE_READ_URL`), except right after a write.

`reading_replica(rt)` is what the list, search, inbox, deadline, log and report reads use; a dossier's own page
and everything checked before a write (sign-in, sessions, tokens, access to a dossier) read the primary.
A client that has just written must see its write: every successful write (POST, PUT, PATCH, DELETE answered
below 400) sets a short-lived cookie, `rehab_fresh`, and while it lasts that client's reads stay on the primary
(`read_after_write_seconds`, 30 s by default: far above a healthy replica's lag). The cookie only chooses a
database: forging it gains nothing but reads from the primary. Without a replica nothing of this happens.
"""

from __future__ import annotations

import time
from contextvars import ContextVar
from http.cookies import CookieError, SimpleCookie

from sqlalchemy import Engine
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from workflow.runtime import Runtime

FRESH_COOKIE = "rehab_fresh"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_fresh: ContextVar[bool] = ContextVar("rehab_fresh_reads", default=False)
wall_clock = time.time  # seconds since the epoch (tests move it)


def reading_replica(rt: Runtime) -> Engine:
    """The engine for this request's lists, search, inboxes and reports (see the module's docstring)."""
    return rt.reading_replica(fresh=_fresh.get())


class ReadYourWrites:
    """An ASGI middleware: marks the request fresh from its cookie, and sets the cookie after a write."""

    def __init__(self, app: ASGIApp, *, seconds: int, secure: bool) -> None:
        self.app, self.seconds = app, seconds
        self.attributes = f"; Max-Age={seconds}; Path=/; HttpOnly; SameSite=Lax" + ("; Secure" if secure else "")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        token = _fresh.set(_until(scope) > wall_clock())
        writes = scope["method"] not in SAFE_METHODS

        async def marking(message: Message) -> None:
            if writes and message["type"] == "http.response.start" and message["status"] < 400:
                until = int(wall_clock()) + self.seconds
                cookie = f"{FRESH_COOKIE}={until}{self.attributes}".encode("latin-1")
                message["headers"] = [*message.get("headers", []), (b"set-cookie", cookie)]
            await send(message)

        try:
            await self.app(scope, receive, marking)
        finally:
            _fresh.reset(token)


def _until(scope: Scope) -> int:
    """The time the request's `rehab_fresh` cookie names (0 if none or unreadable)."""
    for name, value in scope.get("headers", []):
        if name == b"cookie":
            try:
                morsel = SimpleCookie(value.decode("latin-1")).get(FRESH_COOKIE)
            except CookieError:
                continue
            if morsel is not None and morsel.value.isdigit() and len(morsel.value) <= 12:
                return int(morsel.value)
    return 0


__all__ = ["FRESH_COOKIE", "ReadYourWrites", "reading_replica"]
