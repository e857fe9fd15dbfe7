"""The step forms of the dossier page: built from `available_steps`, read back into an engine payload.

Generic: a form is derived from the step's data (its fields and their types, the document it produces, the
documents it may attach, whether it ends the dossier), so a new step gets its form without code here.
The forms only collect input; the engine checks it (`workflow.payload.clean`, then the guards) and refuses
with the field and the reason, which the page shows beside that field. Empty inputs are left out of the
payload, so a missing value is reported as missing. Dates are typed dd/mm/yyyy whatever the browser's locale.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from states.labels import doc_label, field_label, value_labels
from vocabulary import Doc, Event
from workflow.parties import PERSON
from workflow.payload import ATTACHABLE, OPTIONAL_FIELDS

INPUT_KINDS = {"date": "date", "int": "number", "bool": "checkbox"}
LONG_TEXT = frozenset({"reason", "reasons"})  # free text that needs room (a return's reasons)
DATE_PATTERN = r"\d{1,2}/\d{1,2}/\d{4}"
UNMARKED = frozenset({"facility_kind"})  # required only for a minor (the guard says so)
# Refusals of guards about one field: shown beside it as well as in the list of reasons.
CODE_FIELDS = {
    "grounds.missing": "grounds",
    "postponement.ground_invalid": "ground",
    "exemption.ground_invalid": "ground",
    "decision.term_out_of_range": "term_months",
    "decision.term_not_per_history": "term_months",
    "term.not_shortened": "term_months",
    "placement.not_for_age": "facility_kind",
    "commune.unknown": "new_commune",
}
BY_THE_PERSON = {"issuer": PERSON, "signer": PERSON}  # the person's own statement: a reference, never the name
ATTACHMENTS = tuple(d.value for d in ATTACHABLE[Event.NOTIFY_PERSON])  # kept for callers of the old name


@dataclass(frozen=True, slots=True)
class Input:
    name: str
    label: str
    kind: str  # date | number | checkbox | select | text | textarea
    options: tuple[tuple[str, str], ...] = ()
    required: bool = False


@dataclass(frozen=True, slots=True)
class StepForm:
    event: str
    label: str
    basis: str
    document: str | None  # label of the document the step produces, if it produces one
    inputs: tuple[Input, ...] = ()
    attachments: tuple[tuple[str, str], ...] = field(default_factory=tuple)  # (document type, label)
    irreversible: bool = False  # ends the dossier: asks for confirmation
    triggers: tuple[str, ...] = ()  # the steps the form may take (one per outcome)


def step_forms(
    steps: Iterable[Mapping[str, Any]],
    grounds: Iterable[str],
    choices: Mapping[str, tuple[tuple[str, str], ...]] | None = None,
) -> list[StepForm]:
    """One form per event: steps of one event that differ by outcome share a form with a select.

    `choices` gives the options of fields whose values come from the directory (`new_commune`: communes,
    `facility_name`: facilities), so no code is ever typed by hand."""
    groups: dict[str, list[Mapping[str, Any]]] = {}
    for step in steps:
        groups.setdefault(step["event"], []).append(step)
    return [_form(event, group, tuple(grounds), choices or {}) for event, group in groups.items()]


def _form(event: str, group: list[Mapping[str, Any]], grounds: tuple[str, ...], choices: Mapping[str, Any]) -> StepForm:
    when = next((s["when"][0] for s in group if s["when"]), None)
    inputs = []
    if when is not None:
        options = tuple((str(s["when"][1]), s["label_vi"]) for s in group if s["when"])
        inputs.append(Input(when, field_label(when), "select", options, required=True))
    for name, kind in _fields(group).items():
        if name != when:
            inputs.append(_input(event, name, kind, grounds, choices, _only_when(group, name)))
    produces = next((s["produces"] for s in group if s["produces"]), None)
    return StepForm(
        event,
        _label(group),
        group[0]["basis"],
        doc_label(produces) if produces else None,
        tuple(inputs),
        tuple((d.value, doc_label(d.value)) for d in _attachable(event)),
        all(s.get("irreversible", False) for s in group),
        tuple(s["trigger"] for s in group),
    )


def _fields(group: list[Mapping[str, Any]]) -> dict[str, str]:
    fields: dict[str, str] = {}
    for step in group:
        fields.update(step["fields"])
    return fields


def _label(group: list[Mapping[str, Any]]) -> str:
    return shared_label([str(s["label_vi"]) for s in group])


def shared_label(labels: list[str]) -> str:
    """The labels' shared words ("Ghi nhận kết quả: nghiện / không nghiện" → "Ghi nhận kết quả"), else all."""
    if len(labels) == 1:
        return str(labels[0])
    common = os.path.commonprefix(labels)
    if any(len(label) > len(common) and label[len(common)] not in " :" for label in labels):
        common = common[: max(common.rfind(" "), common.rfind(":"), 0)]
    return common.rstrip(" :") or " / ".join(labels)


def _only_when(group: list[Mapping[str, Any]], name: str) -> str:
    """ " (chỉ khi: …)" when only some outcomes of the event accept the field (the engine refuses it otherwise)."""
    takers = [s["label_vi"] for s in group if name in s["fields"]]
    return "" if len(takers) == len(group) else f" (chỉ khi: {'; '.join(takers)})"


def _input(
    event: str, name: str, kind: str, grounds: tuple[str, ...], choices: Mapping[str, Any], note: str = ""
) -> Input:
    label = field_label(name) + note
    # marked with * (no HTML `required`: the server reports every missing field at once, in Vietnamese)
    required = kind != "bool" and not note and name not in OPTIONAL_FIELDS | UNMARKED
    options = _choices(event, name, grounds, choices)
    if options:
        return Input(name, label, "select", options, required)
    if kind == "str" and name in LONG_TEXT:
        return Input(name, label, "textarea", required=required)
    return Input(name, label, INPUT_KINDS.get(kind, "text"), required=required)


def _choices(
    event: str, name: str, grounds: tuple[str, ...], choices: Mapping[str, Any]
) -> tuple[tuple[str, str], ...]:
    if name in choices:
        return tuple(choices[name])
    named = value_labels(event, name)
    if name == "grounds":
        return tuple((g, named.get(g, g)) for g in grounds)
    return tuple(named.items())


# ----------------------------------------------------------------------------- reading a posted form


def payload_from_form(form: Mapping[str, str], steps: Iterable[Mapping[str, Any]], event: str) -> dict[str, Any]:
    """The engine payload for `event` from the posted form (inputs named `document.*`, `field.*`, `att.*`)."""
    group = [s for s in steps if s["event"] == event]
    payload: dict[str, Any] = {}
    if any(s["produces"] for s in group):
        document = _document(form, "document")
        signer = form.get("document.signer", "").strip()  # a position from the list (`workflow.parties`)
        if document and signer:
            document["signer"] = signer
        if document:
            payload["document"] = document
    for name, kind in _fields(group).items():
        value = _value(kind, form.get(f"field.{name}", ""))
        if value is not None:
            payload[name] = value
    attached = [
        {"type": t, **d, **(BY_THE_PERSON if t == Doc.STATEMENT.value else {})}
        for t in attachment_order(form, event)
        if (d := _document(form, f"att.{t}"))
    ]
    if attached:
        payload["attachments"] = attached
    return payload


def attachment_order(form: Mapping[str, str], event: str) -> list[str]:
    """The attached document types in the order the payload lists them (errors name `attachments[i]`)."""
    return [d.value for d in _attachable(event) if _document(form, f"att.{d.value}")]


def _attachable(event: str) -> tuple[Doc, ...]:
    return ATTACHABLE.get(Event(event), ()) if event in {e.value for e in Event} else ()


def field_of(refusal: Mapping[str, Any], form: Mapping[str, str], event: str) -> str | None:
    """The form input a refusal is about: `document.number`, `field.moved_on`, `att.cv.date`, or None."""
    name = str(refusal.get("field") or CODE_FIELDS.get(str(refusal.get("code")), "") or "")
    if not name:
        return None
    if name.startswith("document") or name in ("on", "note", "confirm"):
        return name
    if name.startswith("attachments["):
        index, _, rest = name.removeprefix("attachments[").partition("]")
        order = attachment_order(form, event)
        kind = order[int(index)] if index.isdigit() and int(index) < len(order) else ""
        return f"att.{kind}{rest}" if kind else "attachments"
    return f"field.{name}"


def errors_by_input(refusals: Iterable[Mapping[str, Any]], form: Mapping[str, str], event: str) -> dict[str, list[str]]:
    """Each input's messages, for the page to show beside it."""
    found: dict[str, list[str]] = {}
    for refusal in refusals:
        name = field_of(refusal, form, event)
        if name:
            found.setdefault(name, []).append(str(refusal.get("reason_vi", "")))
    return found


def _document(form: Mapping[str, str], prefix: str) -> dict[str, str]:
    """Number and date, each only if given: the engine names whichever part is missing."""
    parts = {key: form.get(f"{prefix}.{key}", "").strip() for key in ("number", "date")}
    return {k: v for k, v in parts.items() if v} if any(parts.values()) else {}


def _value(kind: str, raw: str) -> Any:
    raw = raw.strip()
    if kind == "bool":
        return True if raw else None  # an unticked box states nothing
    if not raw:
        return None
    if kind == "int":
        try:
            return int(raw)
        except ValueError:
            return raw  # the engine answers "must be a whole number" for this field
    return raw


def ddmmyyyy(value: date) -> str:
    return f"{value:%d/%m/%Y}"


__all__ = [
    "ATTACHMENTS",
    "DATE_PATTERN",
    "Input",
    "StepForm",
    "ddmmyyyy",
    "errors_by_input",
    "field_of",
    "payload_from_form",
    "shared_label",
    "step_forms",
]
