"""What opening a dossier checks before anything is written.

Input first, every field at once (`InvalidFields`): the person's identity, the commune where the record
was made (it must exist on the record's date), the opening document, the regime in force on its date,
the stated facts. Then who opens it (`opener_refusals`), as refusals with their legal basis: an agency
that may open dossiers, in office on the record's date and today, serving the commune.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, select

from handlers.facts import DocumentRef
from states.model import Regime, State
from states.registry import BUILT_IN, NoRegimeForDate, regime_for
from workflow.db import reading
from workflow.directory import Directory
from workflow.errors import FieldProblem, InvalidFields, InvalidInput
from workflow.identity import clean_identity, parse_day
from workflow.payload import parse_document
from workflow.tables import Area

if TYPE_CHECKING:
    from workflow.engine import Actor, DossierEngine

AREA = Area.__table__  # type: ignore[attr-defined]
# Who records the violation and opens the dossier (NĐ 116/2021 art. 33; from 2025 the commune police, or a
# provincial police unit for a case it detected itself, TTLT 03/2025 ◻); the user-management decision is
# the commune police's (Luật 120/2025/QH15, arts. 24-25 ◻).
OPENERS: dict[State, tuple[str, ...]] = {
    State.VIOLATION_RECORDED: ("commune_police", "commune_committee", "district_police", "provincial_police"),
    State.DRUG_USER_MANAGEMENT: ("commune_police",),
}
OPENERS_BASIS = {
    State.VIOLATION_RECORDED: "Nghị định 116/2021/NĐ-CP, Điều 33; Thông tư liên tịch 03/2025 (◻)",
    State.DRUG_USER_MANAGEMENT: "Luật Phòng, chống ma túy 120/2025/QH15, Điều 24, 25 (◻)",
}
START_DOCUMENT = {State.VIOLATION_RECORDED: "violation_record", State.DRUG_USER_MANAGEMENT: "user_management_decision"}
GROUNDS = frozenset(g for regime in BUILT_IN for g in regime.grounds)  # the grounds of every regime
OPEN_FACTS: dict[str, type] = {
    "pregnant": bool,
    "child_birth_date": date,  # the youngest child the person raises (exclusion under 36 months)
    "sole_carer": bool,  # the person is the only one raising that child
    "lacks_capacity": bool,
    "stable_residence": bool,
    "grounds": str,
    "last_violation_on": date,
    "prior_voluntary_episodes": int,
    "positive_test_on": date,
}


@dataclass(frozen=True, slots=True)
class Commune:
    code: str
    name: str
    parent_name: str
    valid_from: date
    valid_to: date | None
    successor_code: str | None

    def valid_on(self, day: date) -> bool:
        return self.valid_from <= day and (self.valid_to is None or day <= self.valid_to)


def load_communes(conn: Connection) -> dict[str, Commune]:
    """Every commune (and ward) with its district or province name, by code."""
    parents = {r.code: r.name for r in conn.execute(select(AREA.c.code, AREA.c.name))}
    rows = conn.execute(select(AREA).where(AREA.c.level == "commune").order_by(AREA.c.name)).all()
    return {
        r.code: Commune(
            r.code, r.name, parents.get(r.parent_code or "", ""), r.valid_from, r.valid_to, r.successor_code
        )
        for r in rows
    }


@dataclass(frozen=True, slots=True)
class Intake:
    person: dict[str, Any]
    record: DocumentRef
    regime: Regime
    initial: State
    facts: dict[str, Any]


def _problem(err: InvalidInput) -> FieldProblem:
    """An opening error in Vietnamese (the English reason kept as it was)."""
    vi = {
        "violation.number": "Số văn bản là bắt buộc.",
        "violation.type": "Loại văn bản mở hồ sơ không đúng.",
        "start_state": "Chế độ pháp lý áp dụng vào ngày này không có giai đoạn bắt đầu đã chọn"
        " (quản lý người sử dụng trái phép chất ma túy chỉ có từ ngày 01/07/2026).",
    }.get(err.field, "")
    if err.field == "violation.date":
        if "future" in err.reason:
            vi = "Ngày lập văn bản không được ở tương lai."
        elif "regime" in err.reason:
            vi = "Chưa có chế độ pháp lý nào được cấu hình cho ngày này."
        else:
            vi = "Ngày lập văn bản là bắt buộc, dạng dd/mm/yyyy."
    if err.errors and err.errors[0].get("code") in ("payload.not_a_party", "payload.not_a_number"):
        vi = err.reason_vi  # a typed party or a number with digits (`workflow.parties`): the payload's own words
    return FieldProblem(err.field, "invalid", vi or f"Không hợp lệ: {err.reason}", err.reason)


def _document_problems(violation: Any) -> list[FieldProblem]:
    """The opening document's number and date, both reported if both are missing."""
    if not isinstance(violation, Mapping):
        return [FieldProblem("violation", "invalid", "Thiếu văn bản mở hồ sơ (số, ngày).", "must be an object")]
    found = []
    if not str(violation.get("number") or "").strip():
        found.append(
            FieldProblem("violation.number", "required", "Số văn bản là bắt buộc.", "the document number is required")
        )
    if not str(violation.get("date") or "").strip():
        found.append(
            FieldProblem("violation.date", "required", "Ngày lập văn bản là bắt buộc.", "the document date is required")
        )
    elif parse_day(violation["date"]) is None:
        found.append(
            FieldProblem("violation.date", "invalid", "Ngày lập văn bản không hợp lệ (dd/mm/yyyy).", "is not a date")
        )
    return found


def _start(
    engine: DossierEngine, violation: Mapping[str, Any], start_state: State | str | None, today: date
) -> tuple[DocumentRef, Regime, State]:
    """The opening document, the regime in force on its date and the initial state the dossier starts in."""
    try:
        state = State(start_state) if start_state is not None else None
    except ValueError:
        raise InvalidInput("start_state", f"unknown state '{start_state}'") from None
    expected = START_DOCUMENT.get(state or State.VIOLATION_RECORDED)
    if expected is None:
        raise InvalidInput("start_state", f"a dossier cannot start in '{state}' (one of: {', '.join(START_DOCUMENT)})")
    raw = violation
    if isinstance(violation, Mapping) and "date" in violation and parse_day(violation["date"]) is not None:
        raw = {**violation, "date": parse_day(violation["date"])}  # dd/mm/yyyy as typed on the page
    record = parse_document("violation", raw, expected, today, agencies=engine.directory().agencies)
    if record.type != expected:
        raise InvalidInput("violation.type", f"the opening document must be a {expected}")
    try:
        regime = regime_for(record.date, engine.regimes)
    except NoRegimeForDate as err:
        raise InvalidInput("violation.date", str(err)) from None
    chosen = state or regime.initial_states[0]
    if chosen not in regime.initial_states:
        raise InvalidInput(
            "start_state",
            f"regime {regime.id}, in force on {record.date:%d/%m/%Y}, has no "
            f"initial state '{chosen}' (it starts in: {', '.join(regime.initial_states)})",
        )
    return record, regime, chosen


def _clean_facts(facts: Mapping[str, Any], problems: list[FieldProblem]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in facts.items():
        kind = OPEN_FACTS.get(key)
        if kind is None:
            problems.append(
                FieldProblem(
                    f"facts.{key}",
                    "unknown",
                    "Tình tiết không được hỗ trợ.",
                    f"unknown fact (accepted: {', '.join(OPEN_FACTS)})",
                )
            )
        elif kind is date:
            day = parse_day(value)
            if day is None:
                problems.append(
                    FieldProblem(f"facts.{key}", "invalid", "Ngày không hợp lệ (dd/mm/yyyy).", "not a date")
                )
            else:
                out[key] = day.isoformat()
        elif key == "grounds" and value not in GROUNDS:  # a category, never free text: it goes on the chain
            problems.append(
                FieldProblem(
                    "facts.grounds",
                    "invalid",
                    "Căn cứ áp dụng phải là một trong: " + ", ".join(sorted(GROUNDS)) + ".",
                    "must be one of: " + ", ".join(sorted(GROUNDS)),
                )
            )
        elif isinstance(value, kind) and (kind is not int or (isinstance(value, int) and _whole(value))):
            out[key] = value
        else:
            what = "a whole number >= 0" if kind is int else kind.__name__
            problems.append(FieldProblem(f"facts.{key}", "invalid", "Giá trị không hợp lệ.", f"must be {what}"))
    return out


def _existed(commune: Commune, communes: Mapping[str, Commune], day: date) -> bool:
    """The commune existed on the day, or is the successor of one that did (a record made before a merger
    is filed under today's commune); a commune merged away later is taken to today's by the engine."""
    if commune.valid_from <= day:
        return True
    return any(c.successor_code == commune.code and c.valid_from <= day for c in communes.values())


def _whole(value: int) -> bool:
    return not isinstance(value, bool) and value >= 0


def check_opening(
    engine: DossierEngine,
    person: Mapping[str, Any],
    commune_code: str,
    violation: Mapping[str, Any],
    start_state: State | str | None,
    facts: Mapping[str, Any],
    today: date,
) -> Intake:
    """Every problem of the request at once, or what the dossier opens with."""
    with reading(engine.db) as conn:
        communes = load_communes(conn)
    who, problems = clean_identity(person if isinstance(person, Mapping) else {}, today, communes=communes)
    opening: tuple[DocumentRef, Regime, State] | None = None
    document = _document_problems(violation)
    problems += document
    try:
        opening = None if document else _start(engine, violation, start_state, today)
    except InvalidInput as err:
        problems.append(_problem(err))
    commune = communes.get(commune_code)
    if commune is None:
        problems.append(
            FieldProblem(
                "commune_code",
                "unknown",
                "Xã/phường nơi lập biên bản không có trong danh mục.",
                f"unknown commune '{commune_code}'",
            )
        )
    elif opening is not None and not _existed(commune, communes, opening[0].date):
        problems.append(
            FieldProblem(
                "commune_code",
                "not_yet_in_existence",
                f"{commune.name} chưa thành lập vào ngày {opening[0].date:%d/%m/%Y}; hãy chọn xã/phường lúc đó.",
                f"{commune.name} did not exist yet on {opening[0].date:%d/%m/%Y}.",
            )
        )
    clean_facts = _clean_facts(facts, problems)
    if problems or opening is None:
        raise InvalidFields(problems)
    return Intake(who, *opening, clean_facts)


def _refusal(code: str, vi: str, en: str, basis: str) -> dict[str, Any]:
    return {"code": code, "reason_vi": vi, "reason_en": en, "basis": basis, "unconfirmed": "◻" in basis}


def _in_office_then(directory: Directory, agency: Any, day: date) -> bool:
    """In office on the record's date, itself or as the successor of an agency that was (a merged commune's
    police enter the records of the communes they replaced)."""
    if agency.valid_on(day):
        return True
    return any(
        other.valid_on(day) and agency.id in directory.successors(other.id) for other in directory.agencies.values()
    )


def opener_refusals(
    directory: Directory, actor: Actor, initial: State, commune: str, record_date: date, today: date
) -> list[dict[str, Any]]:
    """Every reason the actor's agency may not open this dossier: its kind, its time in office, its area."""
    basis = OPENERS_BASIS[initial]
    agency = directory.agencies.get(actor.agency_id or "")
    if agency is None or not directory.acts_for(agency.id, today) & set(OPENERS[initial]):
        return [
            _refusal(
                "actor.not_authorised",
                "Chỉ Công an, UBND cấp xã hoặc đơn vị Công an cấp tỉnh (đối với vụ việc do mình phát hiện) được "
                "lập biên bản và mở hồ sơ."
                if initial is State.VIOLATION_RECORDED
                else "Chỉ Công an cấp xã được quyết định quản lý người sử dụng trái phép chất ma túy.",
                f"The actor's agency ({agency.type if agency else 'none'}) may not open this dossier; allowed: "
                + ", ".join(OPENERS[initial])
                + ".",
                basis,
            )
        ]
    found = []
    if not agency.valid_on(today):
        found.append(
            _refusal(
                "actor.not_in_office",
                f"{agency.name_vi} không còn (hoặc chưa) hoạt động vào ngày {today:%d/%m/%Y}.",
                f"{agency.id} is not in office on {today:%d/%m/%Y}.",
                basis,
            )
        )
    elif not _in_office_then(directory, agency, record_date):
        found.append(
            _refusal(
                "actor.not_in_office",
                f"{agency.name_vi} (và các cơ quan mà nó kế thừa) chưa hoạt động vào ngày lập văn bản "
                f"({record_date:%d/%m/%Y}).",
                f"Neither {agency.id} nor an agency it succeeded was in office on {record_date:%d/%m/%Y}.",
                basis,
            )
        )
    if not agency.serves(directory.lineage(commune)):
        found.append(
            _refusal(
                "actor.outside_jurisdiction",
                f"{agency.name_vi} không phụ trách địa bàn nơi lập biên bản.",
                f"{agency.id} does not serve the commune {commune}.",
                basis,
            )
        )
    return found


REQUEST_KEYS = ("person", "commune", "violation_record", "user_management_decision", "facts")


def _renamed(err: InvalidInput, document_key: str) -> InvalidFields:
    problems = err.problems if isinstance(err, InvalidFields) else [_problem(err)]
    names = {"violation": document_key, "commune_code": "commune", "start_state": document_key}
    out = []
    for p in problems:
        head, dot, rest = p.field.partition(".")
        out.append(FieldProblem(names.get(head, head) + dot + rest, p.code, p.message_vi, p.message_en))
    return InvalidFields(out)


def _request_problems(body: Mapping[str, Any]) -> list[FieldProblem]:
    found = [
        FieldProblem(k, "unknown", "Trường không được hỗ trợ.", f"unknown field (accepted: {', '.join(REQUEST_KEYS)})")
        for k in sorted(set(body) - set(REQUEST_KEYS))
    ]
    documents = [k for k in START_DOCUMENT.values() if k in body]
    if len(documents) != 1:
        found.append(
            FieldProblem(
                "violation_record",
                "required",
                "Cần đúng một văn bản mở hồ sơ: biên bản vi phạm hoặc quyết định quản lý người sử dụng ma túy.",
                "Exactly one opening document: violation_record or user_management_decision.",
            )
        )
    for key, kind in (("person", Mapping), ("facts", Mapping), ("commune", str)):
        if key in body and not isinstance(body[key], kind):
            found.append(FieldProblem(key, "invalid", "Kiểu dữ liệu không đúng.", f"must be {kind.__name__}"))
    if not str(body.get("commune") or "").strip():
        found.append(
            FieldProblem("commune", "required", "Chọn xã/phường nơi lập biên bản.", "The commune is required.")
        )
    return found


def open_request(engine: DossierEngine, body: Any, actor: Actor, idempotency_key: str | None) -> Any:
    """Open a dossier from a request body (API, page, `rehab open --json`), errors named by the body's fields:

    {"person": {...}, "commune": CODE, "violation_record": {"number", "date"} (or, from 01/07/2026,
    "user_management_decision"), "facts": {...}}
    """
    if not isinstance(body, Mapping):
        raise InvalidFields([FieldProblem("body", "invalid", "Cần một đối tượng JSON.", "must be a JSON object")])
    problems = _request_problems(body)
    document_key = next((k for k in START_DOCUMENT.values() if k in body), "violation_record")
    start = next(state for state, key in START_DOCUMENT.items() if key == document_key)
    document = body.get(document_key)
    args: dict[str, Any] = {
        "person": body["person"] if isinstance(body.get("person"), Mapping) else {},
        "commune_code": str(body.get("commune") or "").strip(),
        "violation": {**document, "type": document_key} if isinstance(document, Mapping) else document,
        "start_state": None if start is State.VIOLATION_RECORDED else start.value,
        "facts": body["facts"] if isinstance(body.get("facts"), Mapping) else {},
    }
    try:
        if problems:  # the body's own shape is wrong: still report every other field, then stop
            check_opening(engine, today=engine._now()[1], **args)
            raise InvalidFields(problems)
        return engine.open_dossier(actor=actor, idempotency_key=idempotency_key, previous_dossier_id=None, **args)
    except InvalidFields as err:
        if err.problems is problems:
            raise
        renamed = _renamed(err, document_key).problems
        seen = {p.field for p in problems}
        raise InvalidFields(problems + [p for p in renamed if p.field not in seen]) from None
    except InvalidInput as err:
        if err.field == "idempotency_key":
            raise
        raise _renamed(err, document_key) from None


__all__ = [
    "open_request",
    "OPENERS",
    "OPEN_FACTS",
    "START_DOCUMENT",
    "Commune",
    "Intake",
    "check_opening",
    "load_communes",
]
