"""What the dossier page shows besides the dossier itself: its step forms with their choices, the steps
that cannot be taken yet and why, a return's reasons, the court's decision, and the confirmation an
irreversible step asks for. Everything here reads; only `DossierEngine.fire` changes a dossier.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from admin.access import scope_for
from admin.auth import CurrentUser
from admin.forms import StepForm, ddmmyyyy, step_forms
from workflow import preview, queries
from workflow.runtime import Runtime
from workflow.texts import reveal, side_texts

RETURNS = frozenset({"return_for_supplementation", "return_incomplete"})
CONFIRM_FIELD = "confirm"


def _choices(rt: Runtime) -> dict[str, tuple[tuple[str, str], ...]]:
    """Options read from the directory: destination communes, facilities in office today."""
    today = rt.today()
    facilities = sorted(
        a.name_vi for a in rt.engine.directory().agencies.values() if a.type == "facility" and a.valid_on(today)
    )
    return {
        "new_commune": tuple(queries.commune_choices(rt.db, today)),
        "facility_name": tuple((name, name) for name in facilities),
    }


def _acting(rt: Runtime, user: CurrentUser) -> frozenset[str]:
    return rt.engine.directory().acts_for(user.agency_id, rt.today()) if user.may_fire else frozenset()


def _blocked(actions: list[dict[str, Any]], acting: frozenset[str], offered: set[str]) -> list[dict[str, Any]]:
    """Steps of this stage the user's agency cannot take yet, and the next stage's steps that wait for a legal
    reason (a period running, a decision not in effect), with every reason. A user who takes no steps sees
    those of every agency."""
    mine = [a for a in actions if not acting or acting & set(a["actors"])]
    here = [a for a in mine if a["in_current_stage"] and a["reasons"] and a["trigger"] in offered]
    ahead = [a for a in mine if a["steps_before"] == 1 and _legal(a["reasons"])]
    return here + ahead


def _legal(reasons: list[dict[str, Any]]) -> bool:
    """A reason in law besides "another stage" (the next stage's steps worth showing: they wait for something)."""
    return any(not str(r["code"]).startswith("step.") for r in reasons)


def _returned(rt: Runtime, user: CurrentUser, view: Mapping[str, Any]) -> dict[str, Any] | None:
    """A dossier sent back for supplementing: why (the text beside the chain, for a reader of the person or the
    agency that wrote it), by whom, with which letter (until it is resubmitted)."""
    last = queries.last_step(rt.db, view["id"])
    if last is None or str(last["event"]).split("__")[0] not in RETURNS:
        return None
    scope = scope_for(rt, user)
    entitled = "person" in view or last.get("actor_agency") in scope.agencies
    payload = reveal([last], side_texts(rt.db, view["id"]), lambda _: entitled)[0].get("payload") or {}
    letters = [d for d in payload.get("documents", []) if d.get("type") == "return_letter"]
    reasons = payload.get("reasons", "")
    return {
        "reasons": reasons if isinstance(reasons, str) else "(ẩn)",
        "at": last["at"],
        "by": rt.engine.directory().name(last.get("actor_agency")),
        "letter": letters[0] if letters else None,
        "by_court": str(last["event"]).startswith("return_incomplete"),
    }


def _court(view: Mapping[str, Any]) -> dict[str, Any] | None:
    """The court's session and decision as the dossier holds them, with the term's single end date (the
    facility's deadline, which counts days absconded and held)."""
    facts, documents = view["facts"], view["documents"]
    if not any(k in facts for k in ("session_on", "term_months")):
        return None
    term_end = next((t["due_on"] for t in view["deadlines"] if t["key"] == "term"), None)
    return {
        "session_on": facts.get("session_on"),
        "term_months": facts.get("term_months"),
        "decision": documents.get("court_decision"),
        "effective_on": facts.get("decision_effective_on"),
        "admitted_on": facts.get("admitted_on"),
        "term_end": term_end,
    }


def page_context(
    rt: Runtime, user: CurrentUser, view: Mapping[str, Any], offered: list[dict[str, Any]]
) -> dict[str, Any]:
    regime = rt.regimes[view["regime"]["id"]]
    forms = step_forms(offered, regime.grounds, _choices(rt))
    actions = preview.actions(rt.engine, view["id"], rt.today(), user.actor if user.may_fire else None)
    by_trigger = {a["trigger"]: a for a in actions}
    blocking = {f.event: _form_reasons(f, by_trigger) for f in forms}
    stage = regime.stages.get(next(s for s in regime.stages if s.value == view["state"]))
    return {
        "d": view,
        "person": view.get("person"),
        "regime_notes": regime.notes,
        "forms": forms,
        "form_blocked": blocking,
        "blocked": _blocked(actions, _acting(rt, user), {s["trigger"] for s in offered}),
        "keys": {f.event: str(uuid.uuid4()) for f in forms},  # a double submit replays, never re-applies
        "today": rt.today().isoformat(),
        "today_dmy": ddmmyyyy(rt.today()),
        "returned": _returned(rt, user, view),
        "court": _court(view),
        "paused": bool(stage and stage.clock_paused),
        "pause_reason": stage.no_deadline_reason if stage else "",
        "agency_name": rt.engine.directory().name,
    }


def _form_reasons(form: StepForm, by_trigger: Mapping[str, dict[str, Any]]) -> list[dict[str, Any]]:
    """Reasons that block every outcome of the form's step (a block of one outcome only is the engine's to say)."""
    per = [by_trigger[t]["reasons"] for t in form.triggers if t in by_trigger]
    if not per or not all(per):
        return []
    shared = [r for r in per[0] if all(r in other for other in per[1:])]
    return shared or per[0]


def confirmation_missing(view: Mapping[str, Any], event: str, form: Mapping[str, str]) -> dict[str, Any] | None:
    """An irreversible step (one that ends the dossier) is taken only with its box ticked; else the problem."""
    steps = [s for s in view["available_steps"] if s["event"] == event]
    if not steps or not all(s.get("irreversible") for s in steps) or form.get(CONFIRM_FIELD):
        return None
    return {
        "code": "confirmation.missing",
        "reason_vi": "Bước này kết thúc hồ sơ và không thể hoàn tác: hãy đánh dấu ô xác nhận rồi gửi lại.",
        "reason_en": "This step closes the dossier and cannot be undone: tick the confirmation box.",
        "basis": "",
        "unconfirmed": False,
        "field": CONFIRM_FIELD,
    }


__all__ = ["CONFIRM_FIELD", "confirmation_missing", "page_context"]
