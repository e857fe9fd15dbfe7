"""Importing existing cases from Excel (admins): an upload page and `POST /api/v1/import/dossiers`."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, Response

from admin.auth import CurrentUser, Forbidden, SignedIn
from admin.errors import ApiError
from admin.pages import posted_form
from admin.render import TEMPLATES
from workflow.importing import ImportRejected, import_workbook, template_workbook
from workflow.runtime import Runtime

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MAX_BYTES = 5 * 1024 * 1024


def run_import(rt: Runtime, user: CurrentUser, content: bytes) -> dict[str, Any]:
    if not user.is_admin:
        raise Forbidden("import dossiers")
    try:
        report = import_workbook(rt.engine, content, user.actor)
    except ImportRejected as err:
        fields = [
            {"field": f"row {p.row}: {p.column}", "code": "import.bad_row", "message_vi": str(p)} for p in err.problems
        ]
        vi = f"Tệp có {len(err.problems)} lỗi; chưa nhập hồ sơ nào."
        raise ApiError(
            422, "import.rejected", vi, "The file has bad rows; nothing was imported.", fields=fields
        ) from err
    return {"sha256": report.sha256, "imported": report.imported, "skipped_rows": report.skipped}


def import_pages(app: FastAPI, rt: Runtime) -> None:
    @app.get("/import", response_class=HTMLResponse)
    def import_page(request: Request, user: SignedIn) -> HTMLResponse:
        if not user.is_admin:
            raise Forbidden("import dossiers")
        return TEMPLATES.TemplateResponse(request, "import.html", {"user": user, "result": None, "problems": []})

    @app.post("/import", response_class=HTMLResponse)
    async def import_post(request: Request, user: SignedIn) -> HTMLResponse:
        await posted_form(request)
        upload = (await request.form()).get("file")
        content = await upload.read(MAX_BYTES + 1) if upload is not None and not isinstance(upload, str) else b""
        context: dict[str, Any] = {"user": user, "result": None, "problems": []}
        try:
            context["result"] = run_import(rt, user, content)
        except ApiError as err:
            if err.status != 422:
                raise
            context["problems"] = [f["message_vi"] for f in err.fields]
        status = 422 if context["problems"] else 200
        return TEMPLATES.TemplateResponse(request, "import.html", context, status_code=status)

    @app.get("/import/template.xlsx")
    def template(user: SignedIn) -> Response:
        headers = {"Content-Disposition": 'attachment; filename="mau-nhap-ho-so.xlsx"'}
        return Response(template_workbook(), media_type=XLSX, headers=headers)
