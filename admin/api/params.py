"""Path and query parameters shared by the API's areas, each with its bounds (a number or text outside
them is a 422 naming the parameter, never a database error)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path

MAX_ID = 2**63 - 1  # the largest id a database integer column holds

DossierId = Annotated[int, Path(ge=1, le=MAX_ID, description="the dossier's number", examples=[1])]
AgencyId = Annotated[str, Path(min_length=1, max_length=200, description="an agency id of the directory")]
RowId = Annotated[int, Path(ge=1, le=MAX_ID)]

__all__ = ["MAX_ID", "AgencyId", "DossierId", "RowId"]
