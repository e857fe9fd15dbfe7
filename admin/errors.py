"""One error shape for the whole JSON API, and the handlers that map every failure onto it.

Every answer of status >= 400 under `/api/` has this body (`ErrorBody`):

    {"code": "step.refused",                      stable dotted code, never reworded
     "message_vi": "…", "message_en": "…",        one sentence each, Vietnamese first
     "fields": [{"field": "person.full_name", "code": "field.string_too_long", "message_vi": "…"}],
     "reasons": [{"code": "documents.missing", "reason_vi": "…", "reason_en": "…", "basis": "…"}]}

`fields` names every bad input field (all at once, not the first one); `reasons` lists every legal
reason a step was refused. Routes raise `ApiError` (or a workflow error) and never build bodies
themselves; `ERRORS` documents the shape in the OpenAPI schema. Pages (paths outside `/api/`) get the
Vietnamese error page instead; sign-in redirects stay in `install_error_handlers`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException

from admin.auth import Forbidden, NotAuthenticated
from workflow.agencies import ReassignError
from workflow.errors import (
    DossierNotFound,
    IdempotencyConflict,
    InvalidInput,
    OutsideJurisdiction,
    StepNotAvailable,
    StepRefused,
    VersionConflict,
)
from workflow.refusal_limit import TooManyRefusals
from workflow.users import UserNotFound

CHALLENGE = {"WWW-Authenticate": 'Basic realm="rehab", charset="UTF-8"'}


class FieldProblem(BaseModel):
    field: str = Field(description="dotted path of the input field, e.g. `person.full_name` or `limit`")
    code: str = Field(description="stable code, e.g. `field.missing`, `field.string_too_long`")
    message_vi: str


class ErrorBody(BaseModel):
    """The body of every error answer under /api/."""

    code: str = Field(description="stable dotted code, e.g. `step.refused`, `dossier.not_found`")
    message_vi: str
    message_en: str
    fields: list[FieldProblem] = Field(default_factory=list)
    reasons: list[dict[str, Any]] = Field(
        default_factory=list, description="every legal reason (code, reason_vi, reason_en, basis)"
    )


class ApiError(Exception):
    """A failure a route reports: status, stable code, both messages, and optionally fields and reasons."""

    def __init__(
        self,
        status: int,
        code: str,
        message_vi: str,
        message_en: str,
        *,
        fields: Sequence[Mapping[str, str]] = (),
        reasons: Sequence[Mapping[str, Any]] = (),
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message_en)
        self.status, self.code = status, code
        self.message_vi, self.message_en = message_vi, message_en
        self.fields, self.reasons = list(fields), list(reasons)
        self.headers = dict(headers or {})

    def body(self) -> dict[str, Any]:
        return error_body(self.code, self.message_vi, self.message_en, self.fields, self.reasons)


def not_found(what_vi: str, what_en: str, code: str = "not_found") -> ApiError:
    """404 for something that does not exist (or that the user may not know exists)."""
    return ApiError(404, code, f"Không tìm thấy {what_vi}.", f"{what_en} not found.")


def field_error(field: str, code: str, message_vi: str, message_en: str | None = None, status: int = 422) -> ApiError:
    """A single bad input field, in the shape of a validation failure."""
    return ApiError(
        status,
        "validation.failed",
        f"Dữ liệu không hợp lệ: {message_vi}",
        f"Invalid input: {message_en or field}",
        fields=[{"field": field, "code": code, "message_vi": message_vi}],
    )


def error_body(
    code: str,
    message_vi: str,
    message_en: str,
    fields: Sequence[Mapping[str, str]] = (),
    reasons: Sequence[Mapping[str, Any]] = (),
) -> dict[str, Any]:
    return {
        "code": code,
        "message_vi": message_vi,
        "message_en": message_en,
        "fields": [dict(f) for f in fields],
        "reasons": [dict(r) for r in reasons],
    }


def _example(code: str, vi: str, en: str, **extra: Any) -> dict[str, Any]:
    return {"application/json": {"example": error_body(code, vi, en, **extra)}}


ERRORS: dict[int | str, dict[str, Any]] = {
    401: {
        "model": ErrorBody,
        "description": "Not signed in",
        "content": _example("auth.required", "Cần đăng nhập.", "Authentication required."),
    },
    403: {
        "model": ErrorBody,
        "description": "The user's role may not do this",
        "content": _example("auth.forbidden", "Vai trò của bạn không được làm việc này.", "Your role may not do this."),
    },
    404: {"model": ErrorBody, "description": "Not found (or not visible to this user)"},
    413: {"model": ErrorBody, "description": "Request body over the configured limit"},
    429: {
        "model": ErrorBody,
        "description": "Too many failed logins, or a user refused too often lately (see Retry-After)",
    },
    422: {
        "model": ErrorBody,
        "description": "Invalid input (every field named) or a step the law refuses (every reason listed)",
        "content": _example(
            "validation.failed",
            "Dữ liệu không hợp lệ.",
            "Invalid input.",
            fields=[{"field": "basis", "code": "field.missing", "message_vi": "Trường này là bắt buộc."}],
        ),
    },
}
"""`responses=` for every API router: the error shape in the OpenAPI schema."""


# ----------------------------------------------------------------------------- validation messages

_VI: dict[str, str] = {
    "missing": "Trường này là bắt buộc.",
    "extra_forbidden": "Trường này không được chấp nhận.",
    "string_too_long": "Quá dài: tối đa {max_length} ký tự.",
    "string_too_short": "Quá ngắn: tối thiểu {min_length} ký tự.",
    "too_long": "Quá nhiều phần tử: tối đa {max_length}.",
    "too_short": "Quá ít phần tử: tối thiểu {min_length}.",
    "string_type": "Phải là chuỗi ký tự.",
    "string_pattern_mismatch": "Không đúng định dạng.",
    "string_unicode": "Văn bản không hợp lệ (Unicode).",
    "int_type": "Phải là số nguyên.",
    "int_parsing": "Phải là số nguyên.",
    "int_from_float": "Phải là số nguyên.",
    "float_type": "Phải là số.",
    "float_parsing": "Phải là số.",
    "bool_type": "Phải là đúng/sai (true/false).",
    "bool_parsing": "Phải là đúng/sai (true/false).",
    "greater_than": "Phải lớn hơn {gt}.",
    "greater_than_equal": "Phải lớn hơn hoặc bằng {ge}.",
    "less_than": "Phải nhỏ hơn {lt}.",
    "less_than_equal": "Phải nhỏ hơn hoặc bằng {le}.",
    "date_type": "Phải là ngày (YYYY-MM-DD hoặc dd/mm/yyyy).",
    "date_parsing": "Không phải ngày hợp lệ (YYYY-MM-DD).",
    "date_from_datetime_parsing": "Không phải ngày hợp lệ (YYYY-MM-DD).",
    "date_from_datetime_inexact": "Chỉ nhập ngày, không nhập giờ.",
    "datetime_type": "Phải là thời điểm (ISO 8601).",
    "datetime_parsing": "Không phải thời điểm hợp lệ (ISO 8601).",
    "datetime_from_date_parsing": "Không phải thời điểm hợp lệ (ISO 8601).",
    "literal_error": "Phải là một trong: {expected}.",
    "enum": "Phải là một trong: {expected}.",
    "dict_type": "Phải là một đối tượng JSON.",
    "list_type": "Phải là một danh sách.",
    "model_type": "Phải là một đối tượng JSON.",
    "model_attributes_type": "Phải là một đối tượng JSON.",
    "json_invalid": "Nội dung không phải JSON hợp lệ.",
    "json_type": "Nội dung không phải JSON hợp lệ.",
    "none_required": "Không được nhập giá trị.",
    "value_error": "Giá trị không hợp lệ: {error}.",
    "assertion_error": "Giá trị không hợp lệ.",
    "uuid_parsing": "Không phải mã UUID hợp lệ.",
}


def message_vi(error: Mapping[str, Any]) -> str:
    """The Vietnamese message of one pydantic error (`type` and `ctx` as in `RequestValidationError.errors()`)."""
    template = _VI.get(str(error.get("type", "")), "Giá trị không hợp lệ.")
    ctx = {k: str(v) for k, v in (error.get("ctx") or {}).items()}
    try:
        return template.format(**ctx)
    except (KeyError, IndexError):
        return template.split(":")[0].rstrip(".") + "."


def field_path(loc: Sequence[Any]) -> str:
    """`("body", "person", "full_name")` → `person.full_name`; `("query", "limit")` → `limit`."""
    parts = [str(p) for p in loc]
    if parts and parts[0] in ("body", "query", "path", "header", "cookie", "form"):
        parts = parts[1:]
    return ".".join(parts) or "body"


def validation_fields(errors: Sequence[Mapping[str, Any]]) -> list[dict[str, str]]:
    """Every bad field of a validation failure, once each, with its Vietnamese message."""
    seen: dict[str, dict[str, str]] = {}
    for error in errors:
        field = field_path(error.get("loc", ()))
        if field not in seen:
            seen[field] = {
                "field": field,
                "code": f"field.{error.get('type', 'invalid')}",
                "message_vi": message_vi(error),
            }
    return list(seen.values())


# ----------------------------------------------------------------------------- mapping errors

_HTTP: dict[int, tuple[str, str, str]] = {
    400: ("request.bad", "Yêu cầu không hợp lệ.", "Bad request."),
    401: ("auth.required", "Cần đăng nhập.", "Authentication required."),
    403: ("auth.forbidden", "Không có quyền thực hiện thao tác này.", "Forbidden."),
    404: ("not_found", "Không tìm thấy địa chỉ này.", "Not found."),
    405: ("method.not_allowed", "Phương thức không được hỗ trợ ở địa chỉ này.", "Method not allowed."),
    406: ("request.not_acceptable", "Không thể trả lời ở định dạng yêu cầu.", "Not acceptable."),
    413: ("request.too_large", "Nội dung gửi lên quá lớn.", "Request body too large."),
    415: ("request.unsupported_media", "Kiểu nội dung không được hỗ trợ.", "Unsupported media type."),
    429: ("request.too_many", "Quá nhiều yêu cầu; hãy thử lại sau.", "Too many requests."),
}


def _from_http(exc: HTTPException) -> ApiError:
    code, vi, en = _HTTP.get(exc.status_code, ("http.error", "Lỗi yêu cầu.", "Request failed."))
    detail = exc.detail if isinstance(exc.detail, str) else ""
    if detail and detail not in ("Not Found", "Method Not Allowed"):
        en = detail
    return ApiError(exc.status_code, code, vi, en, headers=getattr(exc, "headers", None))


def _from_workflow(exc: Exception) -> ApiError:
    if isinstance(exc, DossierNotFound):
        return ApiError(404, "dossier.not_found", f"Không tìm thấy hồ sơ số {exc.dossier_id}.", str(exc))
    if isinstance(exc, StepRefused):
        return ApiError(
            422,
            "step.refused",
            "Bước này bị từ chối theo quy định pháp luật; xem các lý do.",
            str(exc),
            reasons=[dict(r) for r in exc.result.refusals],
        )
    if isinstance(exc, StepNotAvailable):
        reasons = list(getattr(exc.result, "refusals", None) or [])
        if not reasons:
            reasons = [{"code": "step.not_available", "available": exc.available}]
        vi = "Bước này không thực hiện được ở giai đoạn hiện tại của hồ sơ."
        return ApiError(409, "step.not_available", vi, str(exc), reasons=reasons)
    if isinstance(exc, VersionConflict):
        vi = "Hồ sơ đã được người khác cập nhật; hãy tải lại và thử lại."
        return ApiError(409, "version.conflict", vi, str(exc))
    if isinstance(exc, OutsideJurisdiction):
        vi = "Cơ quan của bạn không có thẩm quyền đối với hồ sơ này (hồ sơ thuộc địa bàn khác)."
        return ApiError(403, "auth.outside_jurisdiction", vi, str(exc))
    if isinstance(exc, IdempotencyConflict):
        vi = "Mã chống gửi trùng (idempotency_key) đã được dùng cho một yêu cầu khác; hãy dùng mã mới."
        return ApiError(409, "idempotency.conflict", vi, str(exc))
    if isinstance(exc, InvalidInput):  # every bad field at once, each with its Vietnamese message
        reason_vi = exc.reason_vi or exc.reason
        fields = [{"field": e["field"], "code": e["code"], "message_vi": e["reason_vi"]} for e in exc.errors]
        return ApiError(422, "validation.failed", f"Dữ liệu không hợp lệ: {reason_vi}", str(exc), fields=fields)
    if isinstance(exc, TooManyRefusals):
        vi = (
            f"Bạn đã bị từ chối quá nhiều lần trong thời gian ngắn; hãy thử lại sau {exc.seconds} giây "
            "(mỗi lần bị từ chối được ghi vĩnh viễn vào nhật ký của hồ sơ)."
        )
        return ApiError(429, "step.too_many_refusals", vi, str(exc), headers={"Retry-After": str(exc.seconds)})
    if isinstance(exc, UserNotFound):
        return ApiError(404, "user.not_found", f"Không tìm thấy người dùng '{exc.username}'.", str(exc))
    if isinstance(exc, ReassignError):
        return ApiError(422, "reassign.refused", f"Không chuyển giao được: {exc.message_vi}", str(exc))
    if isinstance(exc, Forbidden):
        vi = "Vai trò của bạn không được thực hiện thao tác này."
        return ApiError(403, "auth.forbidden", vi, str(exc))
    if isinstance(exc, NotAuthenticated):
        return ApiError(401, "auth.required", "Cần đăng nhập.", "Authentication required.", headers=CHALLENGE)
    raise TypeError(f"not a mapped error: {type(exc).__name__}")  # pragma: no cover - registration bug


def is_api(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def api_response(err: ApiError) -> JSONResponse:
    return JSONResponse(status_code=err.status, content=err.body(), headers=err.headers or None)


def _page(request: Request, status: int, title: str, message: str) -> Response:
    from admin.render import TEMPLATES  # the page renderer imports auth; errors stays importable alone

    user = request.app.state.auth.user_of(request)
    context = {"user": user, "title": title, "message": message}
    return TEMPLATES.TemplateResponse(request, "error.html", context, status_code=status)


_PAGE_TITLES = {401: "Cần đăng nhập", 403: "Không có quyền", 404: "Không tìm thấy", 413: "Nội dung quá lớn"}


def _page_for(request: Request, err: ApiError) -> Response:
    title = _PAGE_TITLES.get(err.status, "Không thực hiện được")
    return _page(request, err.status, title, err.message_vi)


def install_error_handlers(app: FastAPI) -> None:
    """Every error → the one JSON shape under /api/, the Vietnamese error page elsewhere."""

    @app.exception_handler(ApiError)
    async def api_error(request: Request, err: ApiError) -> Response:
        return api_response(err) if is_api(request) else _page_for(request, err)

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> Response:
        err = _from_http(exc)
        return api_response(err) if is_api(request) else _page_for(request, err)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError) -> Response:
        fields = validation_fields(exc.errors())
        listed = "; ".join(f"{f['field']}: {f['message_vi']}" for f in fields)
        err = ApiError(422, "validation.failed", f"Dữ liệu không hợp lệ — {listed}", "Invalid input.", fields=fields)
        return api_response(err) if is_api(request) else _page_for(request, err)

    @app.exception_handler(NotAuthenticated)
    async def not_authenticated(request: Request, exc: NotAuthenticated) -> Response:
        if is_api(request):
            return api_response(_from_workflow(exc))
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        back = target if request.method == "GET" else "/"
        return RedirectResponse(f"/login?next={quote(back, safe='')}", status_code=303)

    async def mapped(request: Request, exc: Exception) -> Response:
        err = _from_workflow(exc)
        return api_response(err) if is_api(request) else _page_for(request, err)

    for kind in (
        Forbidden,
        DossierNotFound,
        StepRefused,
        StepNotAvailable,
        VersionConflict,
        IdempotencyConflict,
        OutsideJurisdiction,
        InvalidInput,
        ReassignError,
        UserNotFound,
        TooManyRefusals,
    ):
        app.add_exception_handler(kind, mapped)


__all__ = [
    "ERRORS",
    "ApiError",
    "ErrorBody",
    "FieldProblem",
    "api_response",
    "error_body",
    "field_error",
    "field_path",
    "install_error_handlers",
    "is_api",
    "message_vi",
    "not_found",
    "validation_fields",
]
