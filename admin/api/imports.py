"""Importing existing cases from an .xlsx (admins): every row checked, all rows imported or none."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, UploadFile

from admin.auth import SignedIn
from admin.errors import ERRORS, ApiError
from admin.imports import MAX_BYTES, run_import
from workflow.runtime import Runtime


def router(rt: Runtime) -> APIRouter:
    api = APIRouter(tags=["import"], responses=ERRORS)

    @api.post("/import/dossiers", summary="Import existing cases from an .xlsx (admins; all rows or none)")
    async def import_dossiers(file: UploadFile, user: SignedIn) -> dict[str, Any]:
        content = await file.read(MAX_BYTES + 1)
        if len(content) > MAX_BYTES:
            raise ApiError(413, "import.too_large", "Tệp quá lớn (tối đa 5 MB).", "File over 5 MB.")
        return run_import(rt, user, content)

    return api


__all__ = ["router"]
