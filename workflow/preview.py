"""What can be done with a dossier now, and why not: every step of its regime with its availability and
the legal reasons that block it, found by running the guards on the stored facts without writing anything.

A step of the current stage is blocked by a guard that refuses whatever the user would type (the reading
period runs, the decision is not in effect); a refusal that depends on the step's own input (its document,
its fields, the documents it may attach) is not a block: the form asks for that input. A step of a later
stage says which stage it needs and what stands before it (escort during the complaint period: the decision
is not in legal effect, the complaint period runs until a date). The pages and `GET .../actions` show this.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Mapping
from datetime import date
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, select

from handlers.facts import DocumentRef, DossierFacts
from handlers.verdict import Refused
from states import labels
from states.model import Regime, State, Step, Track
from workflow.db import reading
from workflow.errors import DossierNotFound
from workflow.payload import ATTACHABLE, GENERIC_FIELDS, required_fields
from workflow.store import DossierRow
from workflow.tables import Dossier

if TYPE_CHECKING:
    from workflow.engine import Actor, DossierEngine

DOSSIER = Dossier.__table__  # type: ignore[attr-defined]


def load_row(db: Engine, dossier_id: int) -> DossierRow:
    """The dossier as the engine reads it, from a read-only snapshot (no lock, nothing written)."""
    with reading(db) as conn:
        r = conn.execute(select(DOSSIER).where(DOSSIER.c.id == dossier_id)).first()
    if r is None:
        raise DossierNotFound(dossier_id)
    return DossierRow(
        r.id,
        r.code,
        r.regime,
        r.track,
        r.state,
        r.version,
        r.commune_code,
        r.agency_id,
        r.closing_reason,
        dict(r.data or {}),
        r.last_seq,
        r.last_hash or "",
    )


class _Watched(dict[str, Any]):
    """A mapping that remembers which keys a guard asked for."""

    def __init__(self, items: Mapping[str, Any] | None = None) -> None:
        super().__init__(items or {})
        self.asked: set[str] = set()

    def __contains__(self, key: object) -> bool:
        self.asked.add(str(key))
        return super().__contains__(key)

    def __getitem__(self, key: str) -> Any:
        self.asked.add(key)
        return super().__getitem__(key)

    def get(self, key: str, default: Any = None) -> Any:
        self.asked.add(key)
        return super().get(key, default)


def _input_dependent(step: Step, payload: _Watched, docs: _Watched) -> bool:
    """Whether what the guard asked for is the step's own input: a field, or a document it produces or attaches."""
    typed = {name for name, kind in step.fields.items() if kind is not bool}  # a box left unticked states nothing
    if payload.asked & (typed | GENERIC_FIELDS):
        return True
    missing = {d for d in docs.asked if d not in docs}
    mine = {d.value for d in ATTACHABLE.get(step.event, ())} | ({step.produces.value} if step.produces else set())
    return bool(missing) and missing <= mine


def blocking(engine: DossierEngine, regime: Regime, row: DossierRow, step: Step, today: date) -> list[dict[str, Any]]:
    """The step's guards that refuse on the stored facts whatever the step's input would be."""
    stored = {k: DocumentRef.from_json(v) for k, v in row.data.get("documents", {}).items()}
    found = []
    for guard in step.guards:
        payload, docs = _Watched(), _Watched(stored)
        facts = DossierFacts(regime, Track(row.track), row.state, engine.policy.calendar, row.data, docs, payload)
        verdict = guard(facts, today)
        if isinstance(verdict, Refused) and not _input_dependent(step, payload, docs):
            found.append(verdict.as_dict())
    return found


def first_step_towards(regime: Regime, track: Track, state: State, target: Step) -> tuple[Step, int] | None:
    """The step to take now on the shortest way to a stage where `target` can be taken, and how many steps
    that way has (closing steps are no way forward)."""
    seen = {state}
    queue: deque[tuple[State, Step | None, int]] = deque([(state, None, 0)])
    while queue:
        current, first, length = queue.popleft()
        if current in target.sources:
            return (first, length) if first is not None else None
        for step in regime.steps_from(current, track):
            if step.dest not in seen and not regime.stages[step.dest].final:
                seen.add(step.dest)
                queue.append((step.dest, first or step, length + 1))
    return None


def _unique(reasons: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    seen: set[tuple[str, str]] = set()
    out = []
    for r in reasons:
        if (r["code"], r["reason_vi"]) not in seen:
            seen.add((r["code"], r["reason_vi"]))
            out.append(r)
    return out


def _elsewhere(regime: Regime, row: DossierRow, step: Step, before: Step | None) -> dict[str, Any]:
    here = labels.state_label(row.state, regime)
    there = "; ".join(f"«{labels.state_label(s.value, regime)}»" for s in step.sources)
    if regime.stages[State(row.state)].final:
        vi, en, code = f"Hồ sơ đã kết thúc ({here}).", "The dossier is closed.", "step.dossier_closed"
    elif before is None:
        vi = f"Hồ sơ đang ở giai đoạn «{here}»; bước này chỉ thực hiện ở giai đoạn {there}, nay không còn áp dụng."
        en, code = f"The dossier is at '{row.state}'; this step belongs to a stage it has passed.", "step.stage_passed"
    else:
        vi = f"Hồ sơ đang ở giai đoạn «{here}»; bước này thực hiện ở giai đoạn {there}."
        vi += f" Trước hết cần: «{before.label_vi}»."
        en = f"The dossier is at '{row.state}'; first '{before.trigger}' must be taken."
        code = "step.other_stage"
    return {"code": code, "reason_vi": vi, "reason_en": en, "basis": step.basis, "unconfirmed": False}


def _needs(step: Step) -> list[dict[str, str]]:
    needs = [{"field": "document", "label_vi": labels.doc_label(step.produces.value)}] if step.produces else []
    return needs + [{"field": f, "label_vi": labels.field_label(f)} for f in required_fields(step)]


def actions(engine: DossierEngine, dossier_id: int, today: date, actor: Actor | None = None) -> list[dict[str, Any]]:
    """Every step of the dossier's regime and track: whether it can be taken now, and every reason it cannot.

    With an actor, a step the actor's agency may not take says so too. Nothing is written."""
    row = load_row(engine.db, dossier_id)
    regime, track, state = engine.regimes[row.regime], Track(row.track), State(row.state)
    out = []
    for step in regime.steps:
        if track not in step.tracks:
            continue
        reasons = blocking(engine, regime, row, step, today)
        distance = 0
        if state not in step.sources:
            way = first_step_towards(regime, track, state, step)
            before, distance = way if way else (None, -1)
            ahead = blocking(engine, regime, row, before, today) if before else []
            reasons = [*reasons, *ahead, _elsewhere(regime, row, step, before)]
        elif actor is not None:
            reasons = engine.authorise(step, actor, row.commune_code, today) + reasons
        out.append(_action(regime, step, state in step.sources, distance, _unique(reasons)))
    return out


def _action(regime: Regime, step: Step, in_state: bool, distance: int, reasons: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "trigger": step.trigger,
        "event": step.event.value,
        "label_vi": step.label_vi,
        "label_en": step.label_en,
        "actors": [a.value for a in step.actors],
        "actors_label_vi": [labels.agency_type_label(a.value) for a in step.actors],
        "in_current_stage": in_state,
        "steps_before": distance,  # 0: this stage; n: n steps first; -1: a stage the dossier has passed
        "available": in_state and not reasons,
        "reasons": reasons,
        "needs": _needs(step),
        "irreversible": regime.stages[step.dest].final,
        "basis": step.basis,
    }


__all__ = ["actions", "blocking", "first_step_towards", "load_row"]
