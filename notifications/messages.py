"""What an agency is told: an outbox row's kind and context rendered into a subject and a body.

Templates live in ``notifications/templates/{kind}.{lang}.txt.j2``. The first line a template
renders is the subject; the rest, after one blank line, is the body. Vietnamese is the default.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined

KINDS: tuple[str, ...] = (
    "stage_entered",
    "reminder",
    "due",
    "overdue",
    "escalation",
    "reassigned",
    "refused",
)
REPORT_KINDS: tuple[str, ...] = ("report_alert",)  # about an agency's periodic report, not a dossier
# Messages about many dossiers at once (no single dossier code): an agency's whole work handed over.
SUMMARY_KINDS: tuple[str, ...] = ("work_reassigned",)
LANGUAGES: tuple[str, ...] = ("vi", "en")

TEMPLATES = Path(__file__).resolve().parent / "templates"

# Every optional context key has a default, so a template under StrictUndefined never meets a
# missing key; a typo in a template still fails loudly.
DEFAULTS: dict[str, object] = {
    "dossier_code": "",
    "regime": "",
    "stage": "",
    "stage_label_vi": "",
    "stage_label_en": "",
    "due_on": None,
    "days_left": None,
    "rule_label_vi": "",
    "rule_label_en": "",
    "basis": "",
    "status_mark": "confirmed",
    "late": False,
    "agency_name": "",
    "escalated_from": "",
    "escalated_from_name": "",
    "event": "",
    "event_label_vi": "",
    "event_label_en": "",
    "actor": "",
    "alert_kind": "reminder",
    "plan_id": "",
    "plan_title": "",
    "report_period": "",
    "plan_year": "",
    "from_agency_name": "",
    "count": 0,
    "codes": (),
}

# CMND numbers have 9 digits, CCCD numbers 12: no run of 9 or more digits reaches a subject.
_ID_LIKE = re.compile(r"\d{9,}")
_SPACES = re.compile(r"\s+")


class UnknownMessageKind(LookupError):
    def __init__(self, kind: str, lang: str) -> None:
        super().__init__(
            f"No message template for kind {kind!r} in language {lang!r}; "
            f"kinds: {', '.join(KINDS + REPORT_KINDS + SUMMARY_KINDS)}; languages: {', '.join(LANGUAGES)}"
        )
        self.kind = kind
        self.lang = lang


@dataclass(frozen=True, slots=True)
class Message:
    subject: str
    body: str


def format_date(value: object) -> str:
    """An ISO date (or date-time) as dd/mm/yyyy (HH:MM); anything else as given."""
    if isinstance(value, datetime):
        return f"{value:%d/%m/%Y %H:%M}"
    if isinstance(value, date):
        return f"{value:%d/%m/%Y}"
    if not value:
        return ""
    try:
        parsed = datetime.fromisoformat(str(value))
    except ValueError:
        return str(value)
    has_time = "T" in str(value) or " " in str(value).strip()
    return format_date(parsed if has_time else parsed.date())


def safe_subject(subject: str) -> str:
    """One line, with any personal-ID-like digit run removed."""
    return _SPACES.sub(" ", _ID_LIKE.sub("", subject)).strip()


def _environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        undefined=StrictUndefined,
        autoescape=False,  # plain text for e-mail and inbox; never rendered as HTML
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
    )
    env.filters["ddmmyyyy"] = format_date
    env.filters["absolute"] = abs
    return env


_ENV = _environment()


def template_name(kind: str, lang: str) -> str:
    if kind not in KINDS + REPORT_KINDS + SUMMARY_KINDS or lang not in LANGUAGES:
        raise UnknownMessageKind(kind, lang)
    return f"{kind}.{lang}.txt.j2"


def render(kind: str, context: Mapping[str, object], lang: str = "vi") -> Message:
    """Render one outbox message. Unknown keys are ignored; missing optional keys get defaults."""
    values = {**DEFAULTS, **{k: v for k, v in context.items() if v is not None}}
    text = _ENV.get_template(template_name(kind, lang)).render(values)
    subject, _, body = text.strip().partition("\n")
    return Message(subject=safe_subject(subject), body=body.strip() + "\n")
