"""What each planned step carries: its actor, its document, the compiled attachments, a value for each field.

Documents get a placeholder number while planning; the executor numbers them in order per issuer and year.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from datetime import date, timedelta
from typing import Any

from demo import texts
from demo.people import DISTRICT_COMMUNES
from demo.plans import Case, Context, Plan
from demo.users import role_of
from states.model import AgencyType, Doc, Step, Track
from workflow.engine import Actor

PERSON_ACTOR = Actor("nguoi-bi-de-nghi", None, "person")
PERSON_FIRST = 0.7  # a complaint: lodged by the person, otherwise by the procuracy
PLACEHOLDER = "0/DEMO"
# NĐ 116/2021 art. 41: compiled by the commune, produced by no step of the process.
COMPILED_DOCUMENTS = (Doc.CV, Doc.STATEMENT, Doc.COMPILER_PROPOSAL)
FIELD_CHOICES = {
    "facility_kind": ("reform_school", "rehab_facility", "public_facility"),  # vn-2026 placement
    "management_place": ("facility",),  # managed at a facility while pending (NĐ 116/2021 art. 45)
}
LATE_EXCLUSION = {"pregnant": False, "sole_carer": True, "lacks_capacity": False}
DEFAULT_FACILITY = "Cơ sở cai nghiện ma túy tỉnh Điện Biên"
Marks = Mapping[str, date]  # dates the simulation remembers for later fields (when the person absconded)


class Payloads:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    def actor(
        self, types: list[AgencyType], case: Case, first: AgencyType | None, on: date, pref: float
    ) -> Actor | None:
        """The agency of an allowed type serving the commune that day; `first` (the stage's own agency) first."""
        if AgencyType.PERSON in types:
            first = AgencyType.PERSON if pref < PERSON_FIRST else AgencyType.PROCURACY
        for kind in sorted(types, key=lambda t: t is not first):
            if kind is AgencyType.PERSON:
                return PERSON_ACTOR
            agency = self.ctx.directory.resolve(kind.value, case.commune, on)
            if agency is not None:
                return Actor(self.ctx.users.get(agency, "admin"), agency, role_of(kind.value))
        return None

    def build(
        self,
        plan: Plan,
        step: Step,
        on: date,
        choices: Mapping[str, Any],
        marks: Marks,
        attach: bool,
        actor: Actor | None,
    ) -> dict[str, Any]:
        """The step's payload on `on`, from the values drawn once for the step."""
        payload: dict[str, Any] = (
            {"document": {"number": PLACEHOLDER, "date": on.isoformat()}} if step.produces else {"on": on.isoformat()}
        )
        if attach:
            payload["attachments"] = _attachments(plan, on, choices["_att"])
        for name, kind in step.fields.items():
            payload[name] = self._value(name, kind, plan, on, choices, marks, actor)
        return payload

    def choices(self, plan: Plan, step: Step, rng: random.Random) -> dict[str, Any]:
        """The step's field values, drawn once (dates and derived values are set for each tried day)."""
        choices = {name: self._draw(name, kind, plan.case, step, plan.data, rng) for name, kind in step.fields.items()}
        choices["_session_wd"], choices["_att"] = rng.randint(2, 5), (rng.randint(1, 3), rng.randint(0, 2))
        return choices

    def _value(
        self, name: str, kind: type, plan: Plan, on: date, choices: Mapping[str, Any], marks: Marks, actor: Actor | None
    ) -> Any:
        if name == "session_on":
            return self.ctx.calendar.add_working_days(on, int(choices["_session_wd"])).isoformat()
        if name == "commune_education_on":  # the commune-education decision came months before (vn-2014)
            return (plan.start - timedelta(days=200)).isoformat()
        if name == "days_held_pending":
            return min(int(choices[name]), max(0, (on - plan.start).days))
        if name == "requested_on":  # the person asked the day after receiving the decision (art. 57(5): 2 wd)
            decided = plan.data.get("documents", {}).get("court_decision", {}).get("date")
            asked = self.ctx.calendar.add_working_days(date.fromisoformat(decided), 1) if decided else on
            return min(asked, on).isoformat()
        if name in ("absent_from", "absent_to"):  # an unreported week, noticed a few days later
            return (on - timedelta(days=10 if name == "absent_from" else 3)).isoformat()
        if name == "facility_name":
            agency = self.ctx.directory.resolve(AgencyType.FACILITY.value, plan.case.commune, on)
            return self.ctx.directory.name(agency) if agency else DEFAULT_FACILITY
        if name == "complainant":  # a category, never a name
            kind_of = self.ctx.directory.type_of(actor.agency_id) if actor and actor.agency_id else None
            return {"procuracy": "procuracy", "labour_office": "labour_office", None: "person"}.get(kind_of, "compiler")
        return on.isoformat() if kind is date else choices[name]

    def _draw(self, name: str, kind: type, case: Case, step: Step, data: Mapping[str, Any], rng: random.Random) -> Any:
        if step.when is not None and step.when[0] == name:
            return step.when[1]
        if name == "grounds":
            drawn = texts.grounds(case.previous is not None and case.track is Track.ADULT, rng)
            if drawn in case.regime.grounds:
                return drawn
            # before 2022 (NĐ 221/2013 art. 3): commune education that failed, or no stable residence
            return "commune_education_still_addicted" if case.person.stable_residence else "no_stable_residence"
        if name == "term_months":
            return term(case, data, rng)
        if name in ("ground", "reason", "reasons"):
            return texts.text(name, step, case.person.sex, rng)
        if name == "complicated":
            return rng.random() < 0.1
        if name == "complicated_reason":
            return "Cần xác minh thêm tình trạng nghiện và nơi cư trú"
        if name == "post_rehab_years":  # vn-2014: the commune chairman decides 1 or 2 years
            return rng.choice((1, 2))
        if name == "days_held_pending":
            return 0 if rng.random() < 0.7 else rng.randint(3, 30)
        if name == "new_commune":
            return rng.choice([c.code for c in DISTRICT_COMMUNES if c.code != case.commune])
        if name in FIELD_CHOICES:
            return FIELD_CHOICES[name][0]
        if name in LATE_EXCLUSION:  # a young child raised alone: it never blocks a later escort
            return LATE_EXCLUSION[name]
        if name == "facility_reason":
            return "family_refused" if case.person.stable_residence else "no_stable_residence"
        if name in ("family_situation_stated", "child_protection_plan_stated"):
            return True  # Mẫu 39 states them (NĐ 116/2021 art. 53(2))
        return {bool: False, int: 0, str: "Theo hồ sơ"}.get(kind)


def _attachments(plan: Plan, on: date, back: tuple[int, int]) -> list[dict[str, str]]:
    """The documents the commune compiled (NĐ 116/2021 art. 41), dated a few days before the step."""
    dated = {
        Doc.CV: on - timedelta(days=back[0]),
        Doc.STATEMENT: on - timedelta(days=back[1]),
        Doc.COMPILER_PROPOSAL: on,
    }
    wanted = list(COMPILED_DOCUMENTS)
    if not plan.case.person.stable_residence:
        wanted.append(Doc.RESIDENCE_CONFIRMATION)
        dated[Doc.RESIDENCE_CONFIRMATION] = on - timedelta(days=back[0] + 1)
    have = plan.data.get("documents", {})
    return [
        {"type": d.value, "number": PLACEHOLDER, "date": max(plan.start, dated[d]).isoformat()}
        for d in wanted
        if d.value not in have
    ]


def term(case: Case, data: Mapping[str, Any], rng: random.Random) -> int:
    """A term in months within the regime's limits for the track, usually a round one."""
    try:
        lo = case.regime.rule("term.min", case.track).value
        hi = case.regime.rule("term.max", case.track).value
    except KeyError:
        return 12
    current = data.get("term_months")
    usual = [m for m in (6, 9, 12, 18, 24) if lo <= m <= hi and m != current] or list(range(lo, hi + 1))
    return rng.choice(usual) if rng.random() < 0.8 else rng.randint(lo, hi)


def alternatives(name: str, kind: type, case: Case, drawn: Any) -> list[Any]:
    """Other values worth trying for a field: the regime's own limits for '<x>_months', or listed choices."""
    if kind is int and name.endswith("_months"):
        stem = name.removesuffix("_months") + "."
        bases = {r.removesuffix(".minor").removesuffix(".adult") for r in case.regime.rules if r.startswith(stem)}
        values = sorted({case.regime.rule(b, case.track).value for b in bases})
        spread = list(range(values[0], values[-1] + 1)) if len(values) > 1 else []
        return [drawn, *values, *spread]
    return [drawn, *FIELD_CHOICES.get(name, ())]
