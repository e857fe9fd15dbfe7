"""The JSON API: the same reads and the same engine as the pages, for scripts (session or HTTP Basic).

The actor of every change is the authenticated user; a body cannot name another user or agency.
Lists never carry personal data; a dossier's detail carries "person" only for roles that need it.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import asdict
from typing import Any

from fastapi import FastAPI, Query
from fastapi.responses import JSONResponse, PlainTextResponse, StreamingResponse
from pydantic import BaseModel, ConfigDict, Field

from admin.access import dossier_for, may_read_log
from admin.auth import Forbidden, SignedIn
from admin.pages import reassign_for
from workflow import queries
from workflow.audit import take_anchor, verify_chain
from workflow.errors import DossierNotFound, InvalidInput
from workflow.runtime import Runtime


class ReassignRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    basis: str = Field(min_length=1)
    successor_id: str | None = None


class FireRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    event: str = Field(min_length=1)
    payload: dict[str, Any] = Field(default_factory=dict)
    idempotency_key: str | None = None
    expected_version: int | None = None


def api_routes(app: FastAPI, rt: Runtime) -> None:
    @app.get("/healthz", response_class=PlainTextResponse)
    def health() -> str:
        return "ok"

    @app.get("/api/dossiers")
    def list_dossiers(
        _: SignedIn,
        agency: str | None = None,
        state: str | None = None,
        limit: int = Query(100, ge=1, le=1000),
        offset: int = Query(0, ge=0),
    ) -> list[dict[str, Any]]:
        return queries.list_dossiers(rt.db, agency_id=agency, state=state, limit=limit, offset=offset)

    @app.get("/api/dossiers/{dossier_id}")
    def get_dossier(dossier_id: int, user: SignedIn) -> dict[str, Any]:
        return dossier_for(rt, user, dossier_id)

    @app.get("/api/dossiers/{dossier_id}/history")
    def get_history(dossier_id: int, user: SignedIn) -> list[dict[str, Any]]:
        if not may_read_log(user, dossier_for(rt, user, dossier_id)):
            raise Forbidden("read this dossier's transition log")
        rows = queries.history(rt.db, dossier_id)
        if not rows:
            raise DossierNotFound(dossier_id)
        return rows

    @app.post("/api/dossiers/{dossier_id}/fire")
    def fire(dossier_id: int, body: FireRequest, user: SignedIn) -> dict[str, Any]:
        if not user.may_fire:
            raise Forbidden("take steps")
        result = rt.engine.fire(
            dossier_id,
            body.event,
            user.actor,
            body.payload,
            idempotency_key=body.idempotency_key,
            expected_version=body.expected_version,
        )
        return result.as_dict()

    @app.get("/api/inbox/{agency_id}")
    def get_inbox(agency_id: str, _: SignedIn) -> dict[str, Any]:
        if agency_id not in rt.engine.directory().agencies:
            raise InvalidInput("agency_id", f"unknown agency '{agency_id}'")
        return queries.inbox(rt.db, agency_id, rt.today())

    @app.get("/api/deadlines")
    def deadlines(_: SignedIn, agency: str | None = None, overdue: bool = False) -> list[dict[str, Any]]:
        return queries.deadline_rows(rt.db, rt.today(), agency_id=agency, overdue_only=overdue)

    @app.post("/api/agencies/{agency_id}/reassign")
    def reassign_agency(agency_id: str, body: ReassignRequest, user: SignedIn) -> dict[str, Any]:
        if not user.is_admin:
            raise Forbidden("reassign an agency's work")
        return reassign_for(rt, agency_id, user.username, body.basis, body.successor_id)

    @app.get("/api/deliveries/dead")
    def dead_deliveries(user: SignedIn) -> list[dict[str, Any]]:
        """Deliveries that failed every retry: for administrators to fix the address and retry."""
        from notifications.worker import dead_letters

        if not user.is_admin:
            raise Forbidden("see dead letters")
        return [asdict(d) for d in dead_letters(rt.db)]

    @app.get("/api/audit/verify")
    def audit(user: SignedIn, dossier: int | None = None) -> dict[str, Any]:
        if not user.may_audit:
            raise Forbidden("verify the transition log")
        report = verify_chain(rt.db, dossier)
        broken = report.first_break.describe() if report.first_break else None
        return {"ok": report.ok, "entries": report.entries, "dossiers": report.dossiers, "first_break": broken}

    @app.get("/api/audit/anchor")
    def anchor(user: SignedIn) -> JSONResponse:
        """Every chain's tip and one digest over them: the procuracy keeps it, and a later
        `rehab audit verify --anchor FILE` shows any entry rewritten since."""
        if not user.may_audit:
            raise Forbidden("take an anchor of the transition log")
        data = take_anchor(rt.db, rt.now().isoformat())
        name = f"neo-nhat-ky-{rt.today():%Y%m%d}.json"
        return JSONResponse(data, headers={"Content-Disposition": f'attachment; filename="{name}"'})

    @app.get("/api/audit/export")
    def export(user: SignedIn, dossier: int | None = None) -> StreamingResponse:
        """The transition log as canonical JSON lines (each with its hash), for an external verifier."""
        if not user.may_audit:
            raise Forbidden("export the transition log")
        lines = queries.export_log(rt.db, dossier)
        name = f"nhat-ky-ho-so-{dossier}.jsonl" if dossier is not None else "nhat-ky.jsonl"

        def stream() -> Iterator[str]:
            for line in lines:
                yield line + "\n"

        headers = {"Content-Disposition": f'attachment; filename="{name}"'}
        return StreamingResponse(stream(), media_type="application/x-ndjson", headers=headers)


__all__ = ["FireRequest", "ReassignRequest", "api_routes"]
