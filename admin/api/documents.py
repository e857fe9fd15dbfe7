"""Official documents of a dossier as .docx (NĐ 30/2020 layout), for the roles that may read the person's
file: the recorded number, date, issuer and signer from the chain, or a draft with blanks."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Path
from fastapi.responses import Response

from admin.access import dossier_for
from admin.api.params import DossierId
from admin.auth import Forbidden, SignedIn
from admin.errors import ERRORS, not_found
from workflow.documents import DOCUMENT_TYPES, build_docx, issued, place_of
from workflow.runtime import Runtime

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def router(rt: Runtime) -> APIRouter:
    api = APIRouter(tags=["documents"], responses=ERRORS)

    def readable(user: Any, dossier_id: int) -> dict[str, Any]:
        view = dossier_for(rt, user, dossier_id)
        if "person" not in view:
            raise Forbidden("read this person's documents")
        return view

    @api.get("/dossiers/{dossier_id}/documents", summary="The documents the system can issue for a dossier")
    def list_documents(dossier_id: DossierId, user: SignedIn) -> list[dict[str, Any]]:
        view = readable(user, dossier_id)
        out = []
        for doc_type, label in DOCUMENT_TYPES.items():
            doc = issued(view, doc_type)
            number = doc.number or None
            day = doc.date.isoformat() if doc.date else None
            url = f"/api/v1/dossiers/{dossier_id}/documents/{doc_type}.docx"
            out.append(
                {"type": doc_type, "label_vi": label, "number": number, "date": day, "draft": doc.draft, "url": url}
            )
        return out

    @api.get("/dossiers/{dossier_id}/documents/{doc_type}.docx", summary="One document as .docx")
    def document(dossier_id: DossierId, user: SignedIn, doc_type: str = Path(max_length=60)) -> Response:
        if doc_type not in DOCUMENT_TYPES:
            raise not_found(f"mẫu văn bản '{doc_type}'", f"document type '{doc_type}'", "document.unknown_type")
        view = readable(user, dossier_id)
        agency = rt.engine.directory().name(user.agency_id) if user.agency_id else str(view["agency"]["name"] or "")
        doc, content = build_docx(view, doc_type, agency=agency, place=place_of(view))
        name = f"{view['code']}-{doc_type}{'-nhap' if doc.draft else ''}.docx"
        disposition = f"attachment; filename=\"{name}\"; filename*=UTF-8''{quote(name)}"
        return Response(content, media_type=DOCX, headers={"Content-Disposition": disposition})

    return api


__all__ = ["router"]
