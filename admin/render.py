"""The Jinja2 environment of the pages: templates, Vietnam-time filters and the labels they share."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from fastapi import Request
from fastapi.templating import Jinja2Templates

from admin.auth import COOKIE
from handlers.labels import doc_label_vi  # pure labels, shared with the engine's messages

VN = ZoneInfo("Asia/Ho_Chi_Minh")
TEMPLATES = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))

STATUS_MARKS = {"confirmed": "✔ đã xác nhận", "to_verify": "◻ cần kiểm tra", "unconfirmed": "? chưa xác nhận"}


def vn_time(value: str | datetime | None) -> str:
    """Stored UTC → shown in Vietnam time, dd/mm/yyyy HH:MM."""
    if not value:
        return ""
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    return moment.astimezone(VN).strftime("%d/%m/%Y %H:%M")


def vn_date(value: str | date | None) -> str:
    if not value:
        return ""
    day = date.fromisoformat(value) if isinstance(value, str) else value
    return day.strftime("%d/%m/%Y")


TEMPLATES.env.filters["vn_time"] = vn_time
TEMPLATES.env.filters["vn_date"] = vn_date
TEMPLATES.env.globals["STATUS_MARKS"] = STATUS_MARKS
TEMPLATES.env.filters["doc_label"] = doc_label_vi


def csrf_token(request: Request) -> str:
    """The hidden `csrf` value every POST form of a page carries."""
    return str(request.app.state.auth.signer.csrf(request.cookies.get(COOKIE)))


TEMPLATES.env.globals["csrf_token"] = csrf_token
