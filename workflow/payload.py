"""Checking a step's payload: its document, attached documents and the facts it states.

A payload is JSON: {"document": {number, date, issuer, signer}, "attachments": [{type, number, date, ...}],
"<field>": value, "on": "YYYY-MM-DD", "note": "..."}. Each error names the field and the reason.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from handlers.facts import DocumentRef
from states.model import Doc, Step
from workflow.errors import InvalidInput

GENERIC_FIELDS = {"document", "attachments", "on", "note"}
KNOWN_DOCS = {d.value for d in Doc}
# Personal data a step may state: kept in the dossier's data, written to the transition log as "(ẩn)".
PRIVATE_FIELDS = frozenset({"child_birth_date"})
# Fields whose values are categories, never free text (a complainant's name would be personal data).
CHOICES: dict[str, tuple[str, ...]] = {
    "complainant": ("person", "representative", "procuracy", "compiler", "labour_office"),
}


@dataclass(frozen=True, slots=True)
class CleanPayload:
    facts: dict[str, Any]
    document: DocumentRef | None
    attachments: tuple[DocumentRef, ...] = ()
    on: date | None = None
    note: str = ""
    logged: dict[str, Any] = field(default_factory=dict)  # what the transition log records

    @property
    def documents(self) -> tuple[DocumentRef, ...]:
        return ((self.document,) if self.document else ()) + self.attachments


def parse_date(name: str, value: Any) -> date:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise InvalidInput(name, "is not a date (YYYY-MM-DD)") from None


def parse_document(name: str, raw: Any, doc_type: str | None, today: date) -> DocumentRef:
    if not isinstance(raw, Mapping):
        raise InvalidInput(name, "must be an object with number, date, issuer, signer")
    _valid_text(name, raw)
    kind = str(raw.get("type") or doc_type or "")
    if kind not in KNOWN_DOCS:
        raise InvalidInput(f"{name}.type", "unknown document type")
    number = str(raw.get("number", "")).strip()
    if not number:
        raise InvalidInput(f"{name}.number", "the document number is required (e.g. 12/QĐ-TA)")
    if "date" not in raw:
        raise InvalidInput(f"{name}.date", "the document date is required")
    when = parse_date(f"{name}.date", raw["date"])
    if when > today:
        raise InvalidInput(f"{name}.date", f"{when:%d/%m/%Y} is in the future")
    return DocumentRef(kind, number, when, str(raw.get("issuer", "")), str(raw.get("signer", "")))


def _valid_text(name: str, value: Any) -> Any:
    """Strings must be real Unicode text (no lone surrogates): the log hashes them as UTF-8."""
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise InvalidInput(name, "contains characters that are not valid text") from None
    elif isinstance(value, Mapping):
        for key, item in value.items():
            _valid_text(f"{name}.{key}", key)
            _valid_text(f"{name}.{key}", item)
    elif isinstance(value, list):
        for i, item in enumerate(value):
            _valid_text(f"{name}[{i}]", item)
    return value


def _coerce(name: str, kind: type, value: Any) -> Any:
    if kind is date:
        return parse_date(name, value).isoformat()
    if kind is bool and isinstance(value, bool):
        return value
    if kind is int and isinstance(value, int) and not isinstance(value, bool):
        return value
    if kind is str and isinstance(value, str) and value.strip():
        return value.strip()
    raise InvalidInput(name, f"must be {kind.__name__}")  # the value is not echoed: it may be personal data


def clean(step: Step, payload: Mapping[str, Any], today: date) -> CleanPayload:
    """Validate the payload against what the step accepts; unknown fields are errors."""
    if not isinstance(payload, Mapping):
        raise InvalidInput("payload", "must be a JSON object")
    _valid_text("payload", payload)
    unknown = sorted(set(payload) - GENERIC_FIELDS - set(step.fields))
    if unknown:
        allowed = ", ".join(sorted(GENERIC_FIELDS | set(step.fields)))
        raise InvalidInput(unknown[0], f"not accepted by step '{step.event.value}' (accepted: {allowed})")
    facts = {k: _coerce(k, step.fields[k], v) for k, v in payload.items() if k in step.fields}
    for name, value in facts.items():
        if name in CHOICES and value not in CHOICES[name]:
            raise InvalidInput(name, "must be one of: " + ", ".join(CHOICES[name]))
    document = None
    if step.produces is not None and "document" in payload:
        document = parse_document("document", payload["document"], step.produces.value, today)
        if document.type != step.produces.value:
            raise InvalidInput("document.type", f"this step produces '{step.produces.value}'")
    raw_attachments = payload.get("attachments", [])
    if not isinstance(raw_attachments, list):
        raise InvalidInput("attachments", "must be a list of documents")
    attachments = tuple(parse_document(f"attachments[{i}]", a, None, today) for i, a in enumerate(raw_attachments))
    on = parse_date("on", payload["on"]) if "on" in payload else None
    if on is not None and on > today:
        raise InvalidInput("on", f"{on:%d/%m/%Y} is in the future")
    note = str(payload.get("note", ""))[:2000]
    logged = {k: ("(ẩn)" if k in PRIVATE_FIELDS else v) for k, v in facts.items()}
    logged["documents"] = [d.as_json() for d in ((document,) if document else ()) + attachments]
    if on:
        logged["on"] = on.isoformat()
    if note:
        logged["note"] = note
    return CleanPayload(facts, document, attachments, on, note, logged)
