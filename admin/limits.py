"""Request bodies over a stated size are refused with 413 before any route reads them.

`BodyLimit` is plain ASGI middleware: it refuses at once when `Content-Length` says too much, and
counts the bytes of a streamed (chunked) body as they arrive, refusing as soon as the count passes the
limit, so neither kind of request can make the server hold more than `max_bytes` of one body.
The limit is `Settings.max_body_bytes` (REHAB_MAX_BODY_BYTES, 256 KiB by default); a few exact paths
have their own (`larger`: the anchor file upload, `max_anchor_bytes`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from admin.errors import error_body


class BodyTooLarge(HTTPException):
    """Raised inside `receive` when a streamed body passes the limit: an HTTPException, so FastAPI's body
    reading passes it on (instead of turning it into a 400) and `admin.errors` answers 413."""

    def __init__(self) -> None:
        super().__init__(413, "Request body too large.")


def _kib(n: int) -> str:
    return f"{n // 1024} KiB" if n % 1024 == 0 else f"{n} bytes"


class BodyLimit:
    def __init__(self, app: ASGIApp, max_bytes: int, larger: Mapping[str, int] | None = None) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.larger = dict(larger or {})  # exact paths with a limit of their own (an anchor file upload)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.larger.get(str(scope.get("path", "")), self.max_bytes)
        declared = _content_length(scope)
        if declared is not None and declared > limit:
            await self._refuse(scope, send, limit)
            return
        seen = 0
        started = False

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise BodyTooLarge()
            return message

        async def watched(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counted, watched)
        except BodyTooLarge:
            if started:  # pragma: no cover - a route that answers before reading its body
                raise
            await self._refuse(scope, send, limit)

    async def _refuse(self, scope: Scope, send: Send, max_bytes: int) -> None:
        limit = _kib(max_bytes)
        if str(scope.get("path", "")).startswith("/api/"):
            body = error_body(
                "request.too_large",
                f"Nội dung gửi lên quá lớn (tối đa {limit}).",
                f"Request body too large (limit {limit}).",
            )
            payload, kind = json.dumps(body, ensure_ascii=False).encode("utf-8"), b"application/json"
        else:
            payload, kind = f"Nội dung gửi lên quá lớn (tối đa {limit}).".encode(), b"text/plain; charset=utf-8"
        headers = [(b"content-type", kind), (b"content-length", str(len(payload)).encode()), (b"connection", b"close")]
        await send({"type": "http.response.start", "status": 413, "headers": headers})
        await send({"type": "http.response.body", "body": payload})


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


__all__ = ["BodyLimit", "BodyTooLarge"]
