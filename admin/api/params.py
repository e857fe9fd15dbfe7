"""Path and query parameters shared by the API's areas, each with its bounds (a number or text outside
them is a 422 naming the parameter, never a database error)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated, Any

from fastapi import Path

from admin.errors import ApiError

MAX_ID = 2**63 - 1  # the largest id a database integer column holds

DossierId = Annotated[int, Path(ge=1, le=MAX_ID, description="the dossier's number", examples=[1])]
AgencyId = Annotated[str, Path(min_length=1, max_length=200, description="an agency id of the directory")]
RowId = Annotated[int, Path(ge=1, le=MAX_ID)]

TEXT_LIMIT = 2000  # any text inside a free-form object (a step's payload): the longest a note may be


def _long_texts(value: Any, path: str, limit: int) -> Iterator[str]:
    if isinstance(value, str):
        if len(value) > limit:
            yield path
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _long_texts(item, f"{path}.{key}", limit)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _long_texts(item, f"{path}.{index}", limit)


def refuse_long_texts(value: Any, path: str, limit: int = TEXT_LIMIT) -> None:
    """422 naming every text in `value` longer than `limit` (never cut short and stored)."""
    fields = [
        {"field": f, "code": "field.string_too_long", "message_vi": f"Quá dài: tối đa {limit} ký tự."}
        for f in _long_texts(value, path, limit)
    ]
    if fields:
        listed = "; ".join(f["field"] for f in fields)
        raise ApiError(422, "validation.failed", f"Dữ liệu quá dài — {listed}", "Text too long.", fields=fields)


__all__ = ["MAX_ID", "TEXT_LIMIT", "AgencyId", "DossierId", "RowId", "refuse_long_texts"]
