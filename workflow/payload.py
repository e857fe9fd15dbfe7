"""Checking a step's payload: its document, attached documents and the facts it states.

A payload is JSON: {"document": {number, date, issuer, signer}, "attachments": [{type, number, date, ...}],
"<field>": value, "on": "YYYY-MM-DD", "note": "..."}. Dates are ISO (YYYY-MM-DD) or dd/mm/yyyy. A document's
issuer and signer are typed references (`workflow.parties`: `agency:<id>`, `title:<position>`, `user:<name>`,
`person`), never a typed name; its number has a digit (a name is not a number).

Every problem is reported at once, each naming its field with a reason in Vietnamese and English:
malformed values raise `InvalidInput` (with all of them in `errors`); a required field left out is
returned in `CleanPayload.missing`, which the engine reports beside the step's other unmet conditions.
A step's fields are required except the optional ones below and yes/no boxes (unticked states nothing).
"""

from __future__ import annotations

import re
from collections.abc import Container, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from handlers.facts import DocumentRef
from states.labels import doc_label, field_label, value_labels
from states.model import Doc, Event, Step
from workflow import parties
from workflow.errors import InvalidInput
from workflow.plausible import DateBounds, bad_text, implausible, too_early

GENERIC_FIELDS = {"document", "attachments", "on", "note"}
KNOWN_DOCS = {d.value for d in Doc}
# Personal data a step may state: kept in the dossier's data, written to the transition log as "(ẩn)".
PRIVATE_FIELDS = frozenset({"child_birth_date"})
NOTE_LIMIT = 2000
# Fields whose values are categories, never free text (a complainant's name would be personal data).
CHOICES: dict[str, tuple[str, ...]] = {
    "complainant": ("person", "representative", "procuracy", "compiler", "labour_office"),
    "management_place": ("home", "facility"),
    "facility_reason": ("no_stable_residence", "family_refused", "absconded_from_home"),
}
# Fields a step may leave out: the law does not require them (a date the step's document already gives,
# a count that is zero unless stated).
OPTIONAL_FIELDS = frozenset(
    {"notice_received_on", "decision_received_on", "days_held_pending", "commune_education_on"}  # last: one ground's
    # dates the step's own date stands for when left out; a reason only a complicated case needs (guarded)
    | {"absconded_on", "returned_on", "accepted_on", "move_reported_on", "complicated_reason"}
    # the day of the act a time limit waits for (left out: the step's own date)
    | {"person_received_on", "decision_sent_on", "complaint_forwarded_on", "execution_received_on"}
    | {"reviewed_on", "returned_home_on", "clarified_on", "postponement_ended_on"}
    # a minor's parent (the guard asks it of minors only); one of the exclusions recorded; a facility's reason
    | {"guardian_notice_received_on", "child_birth_date", "facility_reason"}
)
# Required, but reported by the step's own guard with its legal basis (the grounds of PCMT art. 32/33, the
# grounds of a postponement or an exemption, a minor's kind of facility): not reported twice.
GUARDED_FIELDS = frozenset(
    {"grounds", "ground", "facility_kind"}
    | {"requested_on", "absent_from", "absent_to", "post_rehab_years"}  # the time-limit guards name them
)
# Documents a step may carry besides its own (NĐ 116/2021, Điều 41: compiled by the commune and produced
# by no step; a resubmitted dossier carries the documents corrected after its return).
COMPILED = (Doc.CV, Doc.STATEMENT, Doc.COMPILER_PROPOSAL, Doc.RESIDENCE_CONFIRMATION)
ATTACHABLE: Mapping[Event, tuple[Doc, ...]] = {
    Event.NOTIFY_PERSON: COMPILED,
    Event.DECIDE_PENDING_MANAGEMENT: (Doc.FAMILY_COMMITMENT,),  # management at home (NĐ 116/2021 Mẫu 35)
    Event.RESUBMIT: (
        *COMPILED,
        Doc.VIOLATION_RECORD,
        Doc.DETERMINATION_RESULT,
        Doc.READING_NOTICE,
    ),
}
_FIELD_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,63}$")
_DMY = re.compile(r"^\s*(\d{1,2})/(\d{1,2})/(\d{4})\s*$")


@dataclass(frozen=True, slots=True)
class CleanPayload:
    facts: dict[str, Any]
    document: DocumentRef | None
    attachments: tuple[DocumentRef, ...] = ()
    on: date | None = None
    note: str = ""
    logged: dict[str, Any] = field(default_factory=dict)  # what the transition log records
    missing: tuple[dict[str, Any], ...] = ()  # required fields left out, as refusals naming the field

    @property
    def documents(self) -> tuple[DocumentRef, ...]:
        return ((self.document,) if self.document else ()) + self.attachments


def problem(name: str, code: str, vi: str, en: str, basis: str = "") -> dict[str, Any]:
    """One field's problem, shaped as a refusal (the engine logs it; pages show it beside the field)."""
    return {"code": code, "reason_vi": vi, "reason_en": en, "basis": basis, "unconfirmed": False, "field": name}


class _Problems:
    """Collects every problem of a payload instead of stopping at the first."""

    def __init__(self) -> None:
        self.found: list[dict[str, Any]] = []

    def add(self, name: str, code: str, vi: str, en: str, basis: str = "") -> None:
        self.found.append(problem(name, code, vi, en, basis))

    def raise_if_any(self, missing: tuple[dict[str, Any], ...] = ()) -> None:
        if self.found:
            first = self.found[0]
            raise InvalidInput(
                first["field"], first["reason_en"], reason_vi=first["reason_vi"], errors=[*self.found, *missing]
            )


def _date(value: Any) -> date:
    if isinstance(value, date):
        return value
    text = str(value).strip()
    dmy = _DMY.match(text)
    if dmy:
        return date(int(dmy[3]), int(dmy[2]), int(dmy[1]))
    return date.fromisoformat(text)


def _parse_date(name: str, value: Any, out: _Problems) -> date | None:
    try:
        when = _date(value)
    except (ValueError, TypeError):
        out.add(
            name,
            "payload.not_a_date",
            f"{field_label(name)}: không phải ngày hợp lệ (nhập theo dạng dd/mm/yyyy).",
            "is not a date (YYYY-MM-DD or dd/mm/yyyy)",
        )
        return None
    wrong = implausible(when)
    if wrong is not None:
        out.add(name, *wrong)
        return None
    return when


def parse_date(name: str, value: Any) -> date:
    """A date (ISO or dd/mm/yyyy), or `InvalidInput` naming the field."""
    out = _Problems()
    parsed = _parse_date(name, value, out)
    out.raise_if_any()
    assert parsed is not None
    return parsed


def _document(
    name: str,
    raw: Any,
    doc_type: str | None,
    today: date,
    out: _Problems,
    bounds: DateBounds,
    *,
    own: bool = True,
    agencies: Container[str] | None = None,
) -> DocumentRef | None:
    if not isinstance(raw, Mapping):
        out.add(
            name,
            "payload.invalid",
            "Văn bản phải có số và ngày.",
            "must be an object with number, date, issuer, signer",
        )
        return None
    kind = str(raw.get("type") or doc_type or "")
    if kind not in KNOWN_DOCS:
        out.add(
            f"{name}.type", "payload.unknown_document", "Loại văn bản không có trong danh mục.", "unknown document type"
        )
        return None
    label = doc_label(kind)
    number = str(raw.get("number", "")).strip()
    if not number:
        out.add(
            f"{name}.number",
            "payload.required",
            f"Chưa nhập số văn bản: {label} (ví dụ 12/QĐ-TA).",
            "the document number is required (e.g. 12/QĐ-TA)",
        )
    when = None
    if not str(raw.get("date", "")).strip():
        out.add(
            f"{name}.date", "payload.required", f"Chưa nhập ngày của văn bản: {label}.", "the document date is required"
        )
    else:
        when = _parse_date(f"{name}.date", raw["date"], out)
    if when is not None and when > today:
        out.add(
            f"{name}.date",
            "payload.future_date",
            f"Ngày của văn bản ({when:%d/%m/%Y}) chưa đến: không ghi nhận văn bản ban hành trong tương lai.",
            f"{when:%d/%m/%Y} is in the future",
        )
    early = too_early(when, bounds, own=own) if when is not None else None
    if early is not None:
        out.add(f"{name}.date", *early)
        when = None
    if number and not any(c.isdigit() for c in number):
        out.add(
            f"{name}.number",
            "payload.not_a_number",
            f"Số văn bản phải có chữ số (ví dụ 12/QĐ-TA), không nhập họ tên: {label}.",
            "a document number has digits (e.g. 12/QĐ-TA); a name is not accepted",
        )
        number = ""
    typed = _parties(name, raw, out, agencies)
    if not number or when is None or typed is None:
        return None
    return DocumentRef(kind, number, when, *typed)


def _parties(
    name: str, raw: Mapping[str, Any], out: _Problems, agencies: Container[str] | None
) -> tuple[str, str] | None:
    """The document's issuer and signer as typed references (`workflow.parties`), or None if either is not."""
    issuer, signer = (str(raw.get(part) or "").strip() for part in ("issuer", "signer"))
    wrong = {"issuer": parties.issuer_problem(issuer, agencies), "signer": parties.signer_problem(signer)}
    for part, problem_ in wrong.items():
        if problem_ is not None:  # the value is not echoed: it may be the person's name
            out.add(f"{name}.{part}", "payload.not_a_party", problem_[0], problem_[1])
    return None if any(wrong.values()) else (issuer, signer)


def parse_document(
    name: str,
    raw: Any,
    doc_type: str | None,
    today: date,
    bounds: DateBounds | None = None,
    agencies: Container[str] | None = None,
) -> DocumentRef:
    """A document reference, or `InvalidInput` naming every part that is missing or wrong."""
    out = _Problems()
    if isinstance(raw, Mapping):
        _valid_text(name, raw, out)
    ref = _document(name, raw, doc_type, today, out, bounds or DateBounds(), agencies=agencies)
    out.raise_if_any()
    assert ref is not None
    return ref


def valid_text(name: str, value: Any) -> None:
    """`InvalidInput` naming every text in `value` that is not plain Unicode text (see `_valid_text`)."""
    out = _Problems()
    _valid_text(name, value, out)
    out.raise_if_any()


def _valid_text(name: str, value: Any, out: _Problems) -> None:
    """Strings must be real Unicode text (no lone surrogates: the log hashes them as UTF-8) without control
    characters (PostgreSQL cannot store NUL)."""
    if isinstance(value, str):
        wrong = bad_text(value)
        if wrong is not None:
            out.add(name, *wrong)
    elif isinstance(value, Mapping):
        for key, item in value.items():
            _valid_text(f"{name}.{key}", key, out)
            _valid_text(f"{name}.{key}", item, out)
    elif isinstance(value, list):
        for i, item in enumerate(value):
            _valid_text(f"{name}[{i}]", item, out)


KIND_VI = {"int": "một số nguyên không âm", "bool": "có hoặc không", "str": "một nội dung", "date": "một ngày"}


def _coerce(name: str, kind: type, value: Any, out: _Problems) -> Any:
    if kind is date:
        parsed = _parse_date(name, value, out)
        return parsed.isoformat() if parsed else None
    if kind is bool and isinstance(value, bool):
        return value
    if kind is int and isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    if kind is str and isinstance(value, str) and value.strip():
        return value.strip()
    out.add(  # the value is not echoed: it may be personal data
        name,
        "payload.wrong_type",
        f"{field_label(name)}: phải là {KIND_VI.get(kind.__name__, kind.__name__)}.",
        f"must be {kind.__name__}" + (" >= 0" if kind is int else ""),
    )
    return None


def _facts(step: Step, payload: Mapping[str, Any], out: _Problems) -> dict[str, Any]:
    facts: dict[str, Any] = {}
    for name, kind in step.fields.items():
        if _blank(payload.get(name)):
            continue  # left out: `_missing` names it if the step requires it
        value = _coerce(name, kind, payload[name], out)
        if value is None:
            continue
        if name in CHOICES and value not in CHOICES[name]:
            named = value_labels(step.event.value, name) or {c: c for c in CHOICES[name]}
            out.add(
                name,
                "payload.not_a_choice",
                f"{field_label(name)}: phải chọn một trong: " + "; ".join(named.values()) + ".",
                "must be one of: " + ", ".join(CHOICES[name]),
            )
            continue
        facts[name] = value
    return facts


def required_fields(step: Step) -> tuple[str, ...]:
    """The fields the step cannot be taken without (its selector is checked when choosing the step)."""
    selector = step.when[0] if step.when else None
    return tuple(
        name
        for name, kind in step.fields.items()
        if kind is not bool and name not in OPTIONAL_FIELDS | GUARDED_FIELDS and name != selector
    )


def _missing(step: Step, payload: Mapping[str, Any]) -> tuple[dict[str, Any], ...]:
    return tuple(
        problem(
            name,
            "payload.required",
            f"Chưa nhập: {field_label(name)} (bắt buộc đối với bước «{step.label_vi}»).",
            f"required for '{step.label_en}'",
            step.basis,
        )
        for name in required_fields(step)
        if _blank(payload.get(name))
    )


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _attachments(
    raw: Any, today: date, out: _Problems, bounds: DateBounds, agencies: Container[str] | None
) -> tuple[DocumentRef, ...]:
    if not isinstance(raw, list):
        out.add("attachments", "payload.invalid", "Tài liệu kèm theo phải là một danh sách văn bản.", "must be a list")
        return ()
    found = (
        _document(f"attachments[{i}]", a, None, today, out, bounds, own=False, agencies=agencies)
        for i, a in enumerate(raw)
    )
    return tuple(d for d in found if d is not None)


def clean(
    step: Step,
    payload: Mapping[str, Any],
    today: date,
    bounds: DateBounds | None = None,
    agencies: Container[str] | None = None,
) -> CleanPayload:
    """Validate the payload against what the step accepts; unknown fields are errors; dates plausible
    (`bounds`: the dossier's); an issuer `agency:<id>` one of `agencies` (when given). Every malformed value
    is reported at once (`InvalidInput.errors`, with the required fields left out)."""
    bounds = bounds or DateBounds()
    if not isinstance(payload, Mapping):
        raise InvalidInput("payload", "must be a JSON object", reason_vi="Dữ liệu gửi lên phải là một đối tượng JSON.")
    out = _Problems()
    _valid_text("payload", payload, out)
    out.raise_if_any()  # nothing below may read or hash text that is not valid
    for raw_name in sorted(set(payload) - GENERIC_FIELDS - set(step.fields)):
        allowed = ", ".join(sorted(GENERIC_FIELDS | set(step.fields)))
        name = raw_name if _FIELD_NAME.match(raw_name) else "(khác)"  # not echoed unless a field's name: the log
        out.add(  # records the reasons, and a "field" could be anything typed
            name,
            "payload.unknown_field",
            f"Bước «{step.label_vi}» không nhận trường «{name}».",
            f"not accepted by step '{step.event.value}' (accepted: {allowed})",
        )
    facts = _facts(step, payload, out)
    document = None
    if step.produces is not None and "document" in payload:
        document = _document(
            "document", payload["document"], step.produces.value, today, out, bounds, agencies=agencies
        )
        if document is not None and document.type != step.produces.value:
            out.add(
                "document.type",
                "payload.wrong_document",
                f"Bước này lập văn bản: {doc_label(step.produces.value)}.",
                f"this step produces '{step.produces.value}'",
            )
    attachments = _attachments(payload.get("attachments", []), today, out, bounds, agencies)
    on = _parse_date("on", payload["on"], out) if "on" in payload else None
    if on is not None and on > today:
        out.add("on", "payload.future_date", f"Ngày {on:%d/%m/%Y} chưa đến.", f"{on:%d/%m/%Y} is in the future")
    early = too_early(on, DateBounds(bounds.first_document), own=True) if on is not None else None
    if early is not None:
        out.add("on", *early)
    note = str(payload.get("note", ""))
    if len(note) > NOTE_LIMIT:
        out.add("note", "payload.too_long", f"Ghi chú dài quá {NOTE_LIMIT} ký tự.", f"over {NOTE_LIMIT} characters")
    missing = _missing(step, payload)
    out.raise_if_any(missing)
    logged = {k: ("(ẩn)" if k in PRIVATE_FIELDS else v) for k, v in facts.items()}
    logged["documents"] = [d.as_json() for d in ((document,) if document else ()) + attachments]
    if on:
        logged["on"] = on.isoformat()
    if note:
        logged["note"] = note
    return CleanPayload(facts, document, attachments, on, note, logged, missing)
