"""Finding dossiers: the header's search box, the dossier list page with filters (`Lists` also serves
`GET /api/v1/dossiers`, in `admin.api.dossiers`), and a dossier code typed into the address bar
(`/ho-so/CODE`, `/dossiers/by-code/CODE`).

Everything is restricted to what the user may read (`workflow.access`): a code the user may not read is
"not found", word for word as a code that does not exist.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select

from admin.access import scope_for
from admin.auth import CurrentUser, SignedIn
from admin.render import TEMPLATES
from admin.replica import reading_replica
from states.model import State
from vocabulary import TRACK_LABELS
from workflow import search
from workflow.db import reading
from workflow.errors import DossierNotFound
from workflow.runtime import Runtime
from workflow.tables import Area

AREA = Area.__table__
FILTER_NAMES = (
    "q",
    "state",
    "commune",
    "agency",
    "regime",
    "track",
    "overdue",
    "from",
    "to",
    "sort",
    "page",
    "page_size",
)
TRACKS_VI = {track.value: names[0] for track, names in TRACK_LABELS.items()}  # the one table of names


def state_options(rt: Runtime) -> list[tuple[str, str]]:
    """Every stage as (state, Vietnamese label of the newest regime that has it), in process order."""
    labels: dict[str, str] = {}
    for regime in sorted(rt.regimes.values(), key=lambda r: r.in_force_from):
        labels.update({s.value: stage.label_vi for s, stage in regime.stages.items()})
    return [(s.value, labels[s.value]) for s in State if s.value in labels]


def commune_options(rt: Runtime) -> list[tuple[str, str]]:
    with reading(reading_replica(rt)) as conn:
        rows = conn.execute(select(AREA.c.code, AREA.c.name).where(AREA.c.level == "commune")).all()
    return sorted(((r.code, r.name) for r in rows), key=lambda pair: pair[1])


class Lists:
    """The search and list reads of one runtime, shared by the pages and the API."""

    def __init__(self, rt: Runtime) -> None:
        self.rt = rt

    def page(self, user: CurrentUser, raw: Mapping[str, str | None]) -> search.Page:
        rt = self.rt
        filters = search.parse_filters(raw, rt.regimes)
        with reading(reading_replica(rt)) as conn:
            return search.search(
                conn,
                scope_for(rt, user),
                filters,
                today=rt.today(),
                tz=rt.tz,
                id_hash=rt.engine.id_hash,
            )

    def by_code(self, user: CurrentUser, code: str) -> int:
        with reading(reading_replica(self.rt)) as conn:
            found = search.find_by_code(conn, scope_for(self.rt, user), code)
        if found is None:
            raise DossierNotFound(code.strip().upper())
        return found


def raw_filters(request: Request) -> dict[str, str | None]:
    return {name: request.query_params.get(name) for name in FILTER_NAMES}


def _link(raw: Mapping[str, str | None], **changes: Any) -> str:
    merged = {k: v for k, v in {**raw, **changes}.items() if v not in (None, "")}
    return "/dossiers" + (f"?{urlencode(merged)}" if merged else "")


def list_routes(app: FastAPI, rt: Runtime) -> None:
    lists = Lists(rt)

    def go_to_code(request: Request, user: CurrentUser, code: str) -> Response:
        try:
            return RedirectResponse(f"/dossiers/{lists.by_code(user, code)}", status_code=303)
        except DossierNotFound:
            return code_not_found(request, user, code)

    @app.get("/ho-so/{code}", response_class=HTMLResponse)
    def by_code_vi(request: Request, code: str, user: SignedIn) -> Response:
        return go_to_code(request, user, code)

    @app.get("/dossiers/by-code/{code}", response_class=HTMLResponse)
    def by_code_en(request: Request, code: str, user: SignedIn) -> Response:
        return go_to_code(request, user, code)

    @app.get("/dossiers", response_class=HTMLResponse)
    def dossier_list(request: Request, user: SignedIn) -> Response:
        raw = raw_filters(request)
        q = (raw.get("q") or "").strip()
        if search.looks_like_code(q):
            return go_to_code(request, user, q)
        context: dict[str, Any] = {"user": user, "raw": raw, "result": None, "error": None}
        status = 200
        try:
            context["result"] = lists.page(user, raw)
        except search.BadFilter as err:
            context["error"], status = err, 422
        context |= {
            "states": state_options(rt),
            "communes": commune_options(rt),
            "agencies": sorted(
                ((a.id, a.name_vi) for a in rt.engine.directory().agencies.values()), key=lambda p: p[1]
            ),
            "regimes": [(r.id, r.label_vi) for r in rt.regimes.values()],
            "tracks": TRACKS_VI,
            "sorts": search.SORTS_VI,
            "page_sizes": search.PAGE_SIZES,
            "link": lambda **changes: _link(raw, **changes),
        }
        return TEMPLATES.TemplateResponse(request, "dossiers.html", context, status_code=status)

    def code_not_found(request: Request, user: CurrentUser, code: str) -> Response:
        context = {
            "user": user,
            "title": "Không tìm thấy hồ sơ",
            "message": f"Không tìm thấy hồ sơ có mã {code.strip().upper()}. Hãy kiểm tra lại mã hồ sơ, "
            "hoặc tìm theo họ tên, số định danh.",
        }
        return TEMPLATES.TemplateResponse(request, "error.html", context, status_code=404)


__all__ = ["FILTER_NAMES", "Lists", "list_routes", "raw_filters"]
