"""Hostile input refused at the door with 422 naming the field, before any route or database sees it.

What databases (PostgreSQL above all) cannot store or compare, and what would otherwise surface as a
server error: NUL characters and other control characters in any text, lone surrogates (not Unicode
text), integers beyond the range of an id column, and JSON nested deeper than any real request. It looks
at the path, the query string, and JSON or form bodies (already bounded in size by `admin.limits`).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qsl

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from admin.errors import error_body

MAX_INT = 2**31 - 1  # id columns are 32-bit integers on PostgreSQL
MAX_DEPTH = 32
TEXT_QUERY = frozenset({"q"})  # free text: a 12-digit citizen ID typed into the search box is text, not a number
ALLOWED_CONTROLS = {"\t", "\n", "\r"}


class Hostile(Exception):
    def __init__(self, field: str, code: str, message_vi: str, message_en: str) -> None:
        super().__init__(message_en)
        self.field, self.code, self.message_vi, self.message_en = field, code, message_vi, message_en


def check_text(field: str, text: str) -> None:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise Hostile(field, "field.not_unicode", "Văn bản không hợp lệ (Unicode).", "not valid Unicode text") from None
    if any(ch < " " and ch not in ALLOWED_CONTROLS for ch in text) or "\x7f" in text:
        raise Hostile(
            field,
            "field.control_character",
            "Văn bản chứa ký tự điều khiển (ví dụ NUL) không được chấp nhận.",
            "contains a control character (e.g. NUL)",
        )


def check_int(field: str, value: int) -> None:
    if not -MAX_INT - 1 <= value <= MAX_INT:
        raise Hostile(
            field,
            "field.out_of_range",
            f"Số vượt quá giới hạn cho phép (tối đa {MAX_INT}).",
            f"the number is beyond the accepted range (at most {MAX_INT})",
        )


def walk(field: str, value: Any, depth: int = 0) -> None:
    """Every text and integer of a decoded JSON value, with its dotted path."""
    if depth > MAX_DEPTH:
        raise Hostile(field, "field.too_deep", "Dữ liệu lồng nhau quá sâu.", f"nested deeper than {MAX_DEPTH} levels")
    if isinstance(value, str):
        check_text(field, value)
    elif isinstance(value, bool):
        return
    elif isinstance(value, int):
        check_int(field, value)
    elif isinstance(value, dict):
        for key, item in value.items():
            check_text(f"{field}.{key}" if field else str(key), key)
            walk(f"{field}.{key}" if field else str(key), item, depth + 1)
    elif isinstance(value, list):
        for i, item in enumerate(value):
            walk(f"{field}[{i}]", item, depth + 1)


def _query(raw: bytes) -> Iterator[tuple[str, str]]:
    try:
        yield from parse_qsl(raw.decode("latin-1"), keep_blank_values=True, encoding="utf-8", errors="strict")
    except UnicodeDecodeError:
        raise Hostile("query", "field.not_unicode", "Văn bản không hợp lệ (UTF-8).", "not valid UTF-8") from None


def check_url(scope: Scope) -> None:
    path: str = scope.get("path", "")
    check_text("path", path)
    for segment in path.split("/"):
        if segment.isascii() and segment.isdigit():
            check_int("path", int(segment))
    for name, value in _query(scope.get("query_string", b"")):
        check_text(name, value)
        if name not in TEXT_QUERY and value.isascii() and value.lstrip("-").isdigit():
            check_int(name, int(value))


def check_body(content_type: str, body: bytes) -> None:
    if content_type.startswith("application/json"):
        try:
            data = json.loads(body)
        except RecursionError:
            raise Hostile("body", "field.too_deep", "Dữ liệu lồng nhau quá sâu.", "nested too deep") from None
        except ValueError:
            return  # not JSON: the route's own validation says so
        walk("", data)
    elif content_type.startswith("application/x-www-form-urlencoded"):
        for name, value in _query(body):
            check_text(name, value)


class InputGuard:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        try:
            check_url(scope)
        except Hostile as err:
            await _refuse(send, err)
            return
        headers = dict(scope.get("headers", []))
        content_type = headers.get(b"content-type", b"").decode("latin-1").lower()
        if scope.get("method") not in ("POST", "PUT", "PATCH") or not content_type.startswith(
            ("application/json", "application/x-www-form-urlencoded")
        ):
            await self.app(scope, receive, send)
            return
        body, more = b"", True
        while more:
            message = await receive()
            if message["type"] != "http.request":  # the client went away
                return
            body += message.get("body", b"")
            more = message.get("more_body", False)
        try:
            check_body(content_type, body)
        except Hostile as err:
            await _refuse(send, err)
            return
        await self.app(scope, _replay(body, receive), send)


def _replay(body: bytes, receive: Receive) -> Receive:
    sent = False

    async def again() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return again


async def _refuse(send: Send, err: Hostile) -> None:
    fields = [{"field": err.field, "code": err.code, "message_vi": err.message_vi}]
    body = error_body(
        "validation.failed",
        f"Dữ liệu không hợp lệ — {err.field}: {err.message_vi}",
        f"Invalid input: {err.message_en}",
        fields,
    )
    payload = json.dumps(body, ensure_ascii=False).encode("utf-8")
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(payload)).encode())]
    await send({"type": "http.response.start", "status": 422, "headers": headers})
    await send({"type": "http.response.body", "body": payload})


__all__ = ["InputGuard", "MAX_DEPTH", "MAX_INT"]
