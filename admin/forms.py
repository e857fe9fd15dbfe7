"""The step forms of the dossier page: built from `available_steps`, read back into an engine payload.

The forms only collect input; the engine checks it (`workflow.payload.clean`, then the guards) and
refuses with the field and the reason. Empty inputs are left out of the payload, so a missing value is
reported by the rule that needs it rather than as a malformed one.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from handlers.labels import doc_label_vi  # pure labels shared with the engine's messages

FIELD_LABELS = {
    "grounds": "Căn cứ áp dụng",
    "notice_received_on": "Ngày người bị đề nghị nhận thông báo",
    "reason": "Lý do",
    "reasons": "Lý do trả lại hồ sơ",
    "facility_name": "Tên cơ sở cai nghiện",
    "facility_kind": "Loại cơ sở",
    "session_on": "Ngày mở phiên họp",
    "term_months": "Thời hạn (tháng)",
    "outcome": "Kết quả",
    "determination_outcome": "Kết quả xác định",
    "complainant": "Người khiếu nại, kiến nghị (person, representative, procuracy, compiler, labour_office)",
    "complicated": "Vụ việc phức tạp",
    "days_absconded": "Số ngày bỏ trốn",
    "days_held_pending": "Số ngày bị tạm giữ chờ lập hồ sơ",
    "decision_received_on": "Ngày người bị đề nghị nhận quyết định",
    "ground": "Lý do",
    "monitoring_months": "Thời hạn giám sát điện tử (tháng)",
    "moved_on": "Ngày chuyển đi",
    "new_commune": "Mã xã nơi chuyển đến",
    "term_reduced_by_court": "Tòa án đã giảm thời hạn",
}
GROUND_LABELS = {
    "no_voluntary_rehab": "Không đăng ký, không thực hiện cai nghiện tự nguyện",
    "used_during_voluntary": "Sử dụng ma túy trong thời gian cai nghiện tự nguyện",
    "substitution_breach": "Vi phạm khi điều trị nghiện bằng thuốc thay thế",
    "relapse_in_post_rehab": "Sử dụng ma túy trong thời gian quản lý sau cai",
}
POSTPONEMENT_GROUNDS = {"serious_illness": "Đang ốm nặng", "family_hardship": "Gia đình có khó khăn đặc biệt"}
EXEMPTION_GROUNDS = {
    "incurable_illness": "Mắc bệnh hiểm nghèo",
    "voluntary_rehab_not_addicted": "Đã tự nguyện cai nghiện, không còn nghiện",
    "pregnant": "Đang mang thai",
}
FACILITY_KINDS = {
    "reform_school": "Trường giáo dưỡng",
    "rehab_facility": "Cơ sở cai nghiện bắt buộc",
    "public_facility": "Cơ sở cai nghiện công lập",
}
CHOICES = {("postpone", "ground"): POSTPONEMENT_GROUNDS, ("exempt", "ground"): EXEMPTION_GROUNDS}
INPUT_KINDS = {"date": "date", "int": "number", "bool": "checkbox"}
# Compiled by the commune (NĐ 116/2021, Điều 41) and produced by no step: attached when notifying the person.
ATTACHMENTS = ("cv", "statement", "compiler_proposal")
ATTACHING_EVENTS = frozenset({"notify_person"})


@dataclass(frozen=True, slots=True)
class Input:
    name: str
    label: str
    kind: str  # date | number | checkbox | select | text
    options: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True, slots=True)
class StepForm:
    event: str
    label: str
    basis: str
    document: str | None  # label of the document the step produces, if it produces one
    inputs: tuple[Input, ...] = ()
    attachments: tuple[tuple[str, str], ...] = field(default_factory=tuple)  # (document type, label)


def step_forms(steps: Iterable[Mapping[str, Any]], grounds: Iterable[str]) -> list[StepForm]:
    """One form per event: steps of one event that differ by outcome share a form with a select."""
    groups: dict[str, list[Mapping[str, Any]]] = {}
    for step in steps:
        groups.setdefault(step["event"], []).append(step)
    return [_form(event, group, tuple(grounds)) for event, group in groups.items()]


def _form(event: str, group: list[Mapping[str, Any]], grounds: tuple[str, ...]) -> StepForm:
    when = next((s["when"][0] for s in group if s["when"]), None)
    inputs = []
    if when is not None:
        options = tuple((str(s["when"][1]), s["label_vi"]) for s in group if s["when"])
        inputs.append(Input(when, FIELD_LABELS.get(when, when), "select", options))
    for name, kind in _fields(group).items():
        if name != when:
            inputs.append(_input(event, name, kind, grounds, _only_when(group, name)))
    produces = next((s["produces"] for s in group if s["produces"]), None)
    attachments = tuple((t, doc_label_vi(t)) for t in ATTACHMENTS) if event in ATTACHING_EVENTS else ()
    return StepForm(
        event,
        _label(group),
        group[0]["basis"],
        doc_label_vi(produces) if produces else None,
        tuple(inputs),
        attachments,
    )


def _fields(group: list[Mapping[str, Any]]) -> dict[str, str]:
    fields: dict[str, str] = {}
    for step in group:
        fields.update(step["fields"])
    return fields


def _label(group: list[Mapping[str, Any]]) -> str:
    """The steps' shared words ("Ghi nhận kết quả: nghiện / không nghiện" → "Ghi nhận kết quả"), else all labels."""
    labels = [s["label_vi"] for s in group]
    if len(labels) == 1:
        return labels[0]
    common = os.path.commonprefix(labels)
    if any(len(label) > len(common) and label[len(common)] not in " :" for label in labels):
        common = common[: max(common.rfind(" "), common.rfind(":"), 0)]
    return common.rstrip(" :") or " / ".join(labels)


def _only_when(group: list[Mapping[str, Any]], name: str) -> str:
    """ " (chỉ khi: …)" when only some outcomes of the event accept the field (the engine refuses it otherwise)."""
    takers = [s["label_vi"] for s in group if name in s["fields"]]
    return "" if len(takers) == len(group) else f" (chỉ khi: {'; '.join(takers)})"


def _input(event: str, name: str, kind: str, grounds: tuple[str, ...], note: str = "") -> Input:
    label = FIELD_LABELS.get(name, name) + note
    choices = _choices(event, name, grounds)
    if choices:
        return Input(name, label, "select", tuple(choices.items()))
    return Input(name, label, INPUT_KINDS.get(kind, "text"))


def _choices(event: str, name: str, grounds: tuple[str, ...]) -> dict[str, str]:
    if name == "grounds":
        return {g: GROUND_LABELS.get(g, g) for g in grounds}
    if name == "facility_kind":
        return FACILITY_KINDS
    return CHOICES.get((event, name), {})


# ----------------------------------------------------------------------------- reading a posted form


def payload_from_form(form: Mapping[str, str], steps: Iterable[Mapping[str, Any]], event: str) -> dict[str, Any]:
    """The engine payload for `event` from the posted form (inputs named `document.*`, `field.*`, `att.*`)."""
    group = [s for s in steps if s["event"] == event]
    payload: dict[str, Any] = {}
    if any(s["produces"] for s in group):
        document = _document(form, "document")
        if document:
            payload["document"] = document
    for name, kind in _fields(group).items():
        value = _value(kind, form.get(f"field.{name}", ""))
        if value is not None:
            payload[name] = value
    if event in ATTACHING_EVENTS:
        attached = [{"type": t, **d} for t in ATTACHMENTS if (d := _document(form, f"att.{t}"))]
        if attached:
            payload["attachments"] = attached
    return payload


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
            return raw  # the engine answers "must be int" for this field
    return raw


__all__ = ["ATTACHMENTS", "Input", "StepForm", "payload_from_form", "step_forms"]
