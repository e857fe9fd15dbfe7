"""Running the plans through the engine: `open_dossier` and `fire`, the demo's clock on each step's legal date.

Nothing here writes the dossier, log or deadline tables: every step passes the engine's guards, every deadline is
opened and closed by the engine, every hash chain verifies. Documents get their real numbers here, in order per
issuer, type and year, with the issuing agency and the usual signer's position (`workflow.parties`); the
person's own statement is issued and signed by `person`, a reference, never their name.
"""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import structlog

from demo.payloads import PERSON_ACTOR
from demo.people import People
from demo.plans import Case, Context, Plan, Planned
from demo.report import DemoReport
from demo.texts import doc_suffix
from demo.timeline import opening_facts
from states.model import Doc
from states.opening import START_DOCUMENT
from workflow.engine import Actor
from workflow.errors import StepRefused, WorkflowError
from workflow.parties import PERSON, of_agency

log = structlog.get_logger(__name__)

OFFICE_OPENS, OFFICE_MINUTES = time(7, 30), 420  # a working day's first step: between 7:30 and 14:30


class Executor:
    def __init__(self, ctx: Context, people: People, report: DemoReport) -> None:
        self.ctx, self.people, self.report = ctx, people, report
        self.numbers: dict[tuple[str, str, int], int] = {}

    def execute(self, plans: list[Plan]) -> None:
        for plan in sorted(plans, key=lambda p: p.start):  # a relapse's earlier dossier is opened first
            self._execute(plan)

    def _execute(self, plan: Plan) -> None:
        moments = Moments(self.ctx.tz, random.Random(plan.case.seed))
        self.ctx.clock.now = moments.on(plan.start)
        opened = self._open(plan)
        if opened is None:
            return
        plan.dossier_id, code = opened
        self.report.relapses += plan.case.previous is not None
        for planned in plan.steps:
            self.ctx.clock.now = moments.on(planned.on)
            try:
                self.ctx.rt.engine.fire(
                    plan.dossier_id,
                    planned.step.event.value,
                    planned.actor or PERSON_ACTOR,
                    self._numbered(planned, plan.case),
                )
            except WorkflowError as err:
                self._failed(err, plan.case, planned.step.name, planned.on, code)
                return
            self.report.steps += 1

    def _open(self, plan: Plan) -> tuple[int, str] | None:
        case, person = plan.case, plan.case.person
        try:
            opened = self.ctx.rt.engine.open_dossier(
                person={
                    "full_name": person.full_name,
                    "id_number": person.id_number,
                    "birth_date": person.born(plan.start).isoformat(),
                    "sex": person.sex,
                    "nationality": "VN",
                    "address": person.address,
                },
                commune_code=case.commune,
                violation=self._opening_document(plan),
                actor=plan.opener,
                facts=opening_facts(case, plan.start),
                previous_dossier_id=case.previous.dossier_id if case.previous else None,
                **({} if case.initial is case.regime.initial_states[0] else {"start_state": case.initial.value}),
            )
        except WorkflowError as err:
            self._failed(err, case, "open_dossier", plan.start)
            return None
        assert opened.dossier_id is not None
        return opened.dossier_id, opened.code

    def _opening_document(self, plan: Plan) -> dict[str, str]:
        kind = START_DOCUMENT.get(plan.case.initial, Doc.VIOLATION_RECORD.value)
        return {"type": kind, **self._document(kind, plan.opener, plan.start, plan.case)}

    def _failed(self, err: WorkflowError, case: Case, step: str, on: date, code: str = "") -> None:
        refused = isinstance(err, StepRefused)
        self.report.refused += refused
        self.report.failed += not refused
        log.warning(
            "demo.step_refused" if refused else "demo.step_failed",
            dossier=code,
            regime=case.regime.id,
            target=case.target.label,
            step=step,
            on=on.isoformat(),
            codes=[r["code"] for r in err.result.refusals] if isinstance(err, StepRefused) else [],
            error=str(err),
        )

    def _numbered(self, planned: Planned, case: Case) -> dict[str, Any]:
        """The planned payload with real document numbers, issuers and signers."""
        payload = dict(planned.payload)
        actor = planned.actor or PERSON_ACTOR
        if "document" in payload and planned.step.produces is not None:
            payload["document"] = self._document(planned.step.produces.value, actor, planned.on, case)
        if "attachments" in payload:
            payload["attachments"] = [self._attachment(a, actor, case) for a in payload["attachments"]]
        return payload

    def _attachment(self, attachment: dict[str, str], actor: Actor, case: Case) -> dict[str, str]:
        """A compiled document: the person's own statement, the rest by the compiling agency."""
        kind = attachment["type"]
        issuer = PERSON_ACTOR if kind == Doc.STATEMENT.value else actor
        return {"type": kind, **self._document(kind, issuer, date.fromisoformat(attachment["date"]), case)}

    def _document(self, doc_type: str, actor: Actor, on: date, case: Case) -> dict[str, str]:
        key = (actor.agency_id or "person", doc_type, on.year)
        rng = self.ctx.rng
        self.numbers[key] = self.numbers.get(key, rng.randint(1, 40)) + rng.randint(1, 3)
        if actor.agency_id is None:  # the person's own statement: a reference to them, never their name
            issuer = signer = PERSON
        else:
            issuer, signer = of_agency(actor.agency_id, self.ctx.directory.type_of(actor.agency_id))
        return {
            "number": f"{self.numbers[key]}/{doc_suffix(doc_type)}",
            "date": on.isoformat(),
            "issuer": issuer,
            "signer": signer,
        }


class Moments:
    """Clock times for one dossier: office hours on each legal date, always moving forward."""

    def __init__(self, tz: ZoneInfo, rng: random.Random) -> None:
        self.tz, self.rng = tz, rng
        self.last: datetime | None = None

    def on(self, day: date) -> datetime:
        last = self.last
        if last is None or day > last.date():
            moment = datetime.combine(day, OFFICE_OPENS, tzinfo=self.tz) + timedelta(
                minutes=self.rng.randint(0, OFFICE_MINUTES)
            )
        else:
            end_of_day = datetime.combine(day, time(23, 59), tzinfo=self.tz)
            moment = max(
                min(last + timedelta(minutes=self.rng.randint(3, 40)), end_of_day), last + timedelta(microseconds=1)
            )
        self.last = moment
        return moment
