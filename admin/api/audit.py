"""The procuracy's tools over the transition log: verify the chains, take an anchor, check the log
against a saved anchor, export the log."""

from __future__ import annotations

from collections.abc import Iterator

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import BaseModel, ConfigDict, Field

from admin.access import readable_or_404, scope_for
from admin.api.params import MAX_ID
from admin.auth import CurrentUser, Forbidden, SignedIn
from admin.errors import ERRORS
from admin.replica import reading_replica
from workflow import queries
from workflow.audit import Break, check_anchor, take_anchor, verify_chain
from workflow.audit_state import verify_state
from workflow.runtime import Runtime
from workflow.texts import verify_texts


class Anchor(BaseModel):
    """A saved anchor file (as `GET /audit/anchor` gave it): every chain's tip and one root digest, signed by
    the server (key id, public key, Ed25519 signature in base64; anchors taken before signing have none)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "taken_at": "2026-03-02T08:00:00+00:00",
                    "chains": {"1": [3, "5f0c…"], "2": [7, "a91e…"]},
                    "root": "0d6b…",
                }
            ]
        },
    )

    taken_at: str = Field(max_length=64)
    chains: dict[str, tuple[int, str]] = Field(max_length=10_000_000)
    root: str = Field(max_length=128)
    key_id: str | None = Field(default=None, max_length=64)
    public_key: str | None = Field(default=None, max_length=128)
    signature: str | None = Field(default=None, max_length=256)


class AuditAnswer(BaseModel):
    ok: bool
    entries: int | None = None
    dossiers: int | None = None
    first_break: str | None = None


class VerifyAnswer(AuditAnswer):
    """The chains, then the dossiers: each one whose row or open deadlines differ from what its chain derives
    (`workflow.audit_state`), the first 200 of them named, with how many differences there are in all."""

    differences: list[str] = Field(default_factory=list)
    differences_found: int = 0
    texts: int | None = Field(None, description="free texts beside the chain checked against their digests")
    text_problems: list[str] = Field(default_factory=list, description="each text that differs from its digest")


def _auditor(user: CurrentUser, action: str) -> None:
    if not user.may_audit:
        raise Forbidden(action)


def _answer(broken: Break | None, entries: int | None = None, dossiers: int | None = None) -> AuditAnswer:
    described = broken.describe() if broken else None
    return AuditAnswer(ok=broken is None, first_break=described, entries=entries, dossiers=dossiers)


def router(rt: Runtime) -> APIRouter:
    api = APIRouter(tags=["audit"], responses=ERRORS)

    @api.get(
        "/audit/verify",
        summary="Recompute every hash and link, and re-derive each dossier from its chain (one dossier, or all)",
    )
    def audit(user: SignedIn, dossier: int | None = Query(None, ge=1, le=MAX_ID)) -> VerifyAnswer:
        _auditor(user, "verify the transition log")
        if dossier is not None:
            readable_or_404(rt, user, dossier)  # another area's dossier does not exist for this procuracy
        report = verify_chain(rt.db, dossier, keys=rt.keyring)
        state = verify_state(rt.engine, dossier, limit=200)
        texts, problems = verify_texts(rt.db, dossier)  # the free texts beside the chain (`workflow.texts`)
        return VerifyAnswer(
            ok=report.ok and state.ok and not problems,
            entries=report.entries,
            dossiers=report.dossiers,
            first_break=report.first_break.describe() if report.first_break else None,
            differences=[m.describe() for m in state.mismatches],
            differences_found=state.found,
            texts=texts,
            text_problems=[p.describe() for p in problems],
        )

    @api.get("/audit/anchor", summary="Every chain's tip and one digest: save it outside the database")
    def anchor(user: SignedIn) -> JSONResponse:
        _auditor(user, "take an anchor of the transition log")
        data = take_anchor(rt.db, rt.now().isoformat(), rt.signer)
        name = f"neo-nhat-ky-{rt.today():%Y%m%d}.json"
        return JSONResponse(data, headers={"Content-Disposition": f'attachment; filename="{name}"'})

    @api.post("/audit/anchor/check", summary="Check the log against a saved anchor: was any entry rewritten?")
    def check(body: Anchor, user: SignedIn) -> AuditAnswer:
        _auditor(user, "check the transition log against an anchor")
        return _answer(check_anchor(rt.db, body.model_dump(exclude_none=True), rt.keyring))

    @api.get(
        "/audit/export",
        summary="The transition log as canonical JSON lines, each with its hash (the dossiers the user may read)",
        description="Free text typed into steps is never on the chain: a line holds its salted SHA-256. For a "
        "dossier whose person the user may not read (an administrator), health and identity facts are left out "
        "of the payload and named in `redacted` (that line's own hash cannot be recomputed; its links can).",
    )
    def export(user: SignedIn, dossier: int | None = Query(None, ge=1, le=MAX_ID)) -> StreamingResponse:
        _auditor(user, "export the transition log")
        scope = readable_or_404(rt, user, dossier) if dossier is not None else scope_for(rt, user)
        lines = queries.export_log(reading_replica(rt), dossier, scope)  # health facts only where readable
        name = f"nhat-ky-ho-so-{dossier}.jsonl" if dossier is not None else "nhat-ky.jsonl"

        def stream() -> Iterator[str]:
            for line in lines:
                yield line + "\n"

        headers = {"Content-Disposition": f'attachment; filename="{name}"'}
        return StreamingResponse(stream(), media_type="application/x-ndjson", headers=headers)

    return api


__all__ = ["Anchor", "AuditAnswer", "router"]
