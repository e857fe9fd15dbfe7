"""Idempotency keys: scoped to the user who sent them and bound to the request they first came with.

A key is stored as a digest of (user, key), so two users' keys never meet and a long key costs a fixed
64 characters in the index. The stored result carries a digest of the request (dossier, step, body,
expected version): the same key with the same request replays the first result; with another request
it is an `IdempotencyConflict` (409), never a replay of something else.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

from workflow.errors import IdempotencyConflict, InvalidInput

MAX_KEY_LENGTH = 128
REQUEST = "request"  # the stored result's field holding the request's digest


def scoped_key(user: str, key: str) -> str:
    """The stored form of `key` sent by `user`; InvalidInput (422) for a key too long or not plain text."""
    if len(key) > MAX_KEY_LENGTH:
        raise InvalidInput(
            "idempotency_key",
            f"longer than {MAX_KEY_LENGTH} characters",
            reason_vi=f"mã chống gửi trùng dài quá {MAX_KEY_LENGTH} ký tự",
        )
    if not key.isprintable():  # no control characters, no lone surrogates
        raise InvalidInput(
            "idempotency_key",
            "must be printable text (e.g. a UUID)",
            reason_vi="mã chống gửi trùng chỉ gồm ký tự in được (ví dụ một UUID)",
        )
    return "u1:" + hashlib.sha256(f"{user}\x00{key}".encode()).hexdigest()


def fingerprint(*parts: Any) -> str:
    """A digest of a request's parts (canonical JSON; any text, even invalid Unicode, is digestible)."""
    canonical = json.dumps(parts, sort_keys=True, ensure_ascii=True, default=str, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("ascii")).hexdigest()


def check_same(prior: Mapping[str, Any], dossier_id: int | None, event: str, request: str) -> None:
    """A replay must be the same request; raise IdempotencyConflict naming what differs."""
    if dossier_id is not None and prior.get("dossier_id") != dossier_id:
        raise IdempotencyConflict("already used for another dossier")
    if str(prior.get("event", "")).split("__")[0] != event:
        raise IdempotencyConflict("already used for another step")
    if prior.get(REQUEST) not in (None, request):
        raise IdempotencyConflict("already used for a request with a different body")


__all__ = ["MAX_KEY_LENGTH", "REQUEST", "check_same", "fingerprint", "scoped_key"]
