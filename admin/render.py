"""The Jinja2 environment of the pages: templates, Vietnam-time filters and the labels they share."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import Request
from fastapi.templating import Jinja2Templates

from admin.auth import COOKIE
from admin.forms import DATE_PATTERN
from states import labels
from states.registry import regimes_by_id
from workflow.documents import DOCUMENT_TYPES  # the .docx the system issues
from workflow.parties import TITLES

VN = ZoneInfo("Asia/Ho_Chi_Minh")
TEMPLATES = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))

STATUS_MARKS = {"confirmed": "✔ đã xác nhận", "to_verify": "◻ cần kiểm tra", "unconfirmed": "? chưa xác nhận"}
REGIMES = regimes_by_id()  # names only: configured regimes differ in rule values, never in names


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
TEMPLATES.env.globals["DOCUMENT_TYPES"] = DOCUMENT_TYPES
TEMPLATES.env.globals["SIGNER_TITLES"] = {f"title:{k}": vi for k, (vi, _) in TITLES.items()}  # workflow.parties
TEMPLATES.env.filters["doc_label"] = labels.doc_label


def state_label(state: str | None, regime_id: str | None = None) -> str:
    return labels.state_label(state, REGIMES.get(regime_id or "")) if state else ""


def step_label(trigger: str | None, regime_id: str | None = None) -> str:
    return labels.step_label(trigger, REGIMES.get(regime_id or "")) if trigger else ""


def rule_label(rule_id: str | None, regime_id: str | None = None) -> str:
    return labels.rule_label(rule_id, REGIMES.get(regime_id or "")) if rule_id else ""


def regime_label(regime_id: str | None) -> str:
    regime = REGIMES.get(regime_id or "")
    return regime.label_vi if regime else (regime_id or "")


TEMPLATES.env.globals.update(
    state_label=state_label,
    stage_label=lambda regime_id, state: state_label(state, regime_id),  # the inbox's older (regime, state) order
    step_label=step_label,
    rule_label=rule_label,
    regime_label=regime_label,
    track_label=labels.track_label,
    closing_reason_label=labels.closing_reason_label,
    agency_type_label=labels.agency_type_label,
    field_label=labels.field_label,
    DATE_PATTERN=DATE_PATTERN,
)


def csrf_token(request: Request) -> str:
    """The hidden `csrf` value every POST form of a page carries."""
    return str(request.app.state.auth.signer.csrf(request.cookies.get(COOKIE)))


TEMPLATES.env.globals["csrf_token"] = csrf_token


def may_open(rt: Any, user: Any) -> bool:
    """Staff of an agency of a kind that records violations are offered `/dossiers/new` (the engine decides)."""
    from workflow.intake import OPENERS

    kind = rt.engine.directory().type_of(user.agency_id)
    return bool(user.may_fire) and any(kind in kinds for kinds in OPENERS.values())


def may_open_here(request: Request, user: Any) -> bool:
    return user is not None and may_open(request.app.state.runtime, user)


TEMPLATES.env.globals["may_open"] = may_open_here
