"""Random walks over the whole process: whatever is fired, the engine keeps the law and the log.

After every attempt: the state is one of the regime's, the log holds exactly one entry per attempt,
the chain verifies, and no step applied while one of its guards refused.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule
from sqlalchemy import func, select

from handlers.facts import DossierFacts
from handlers.verdict import Refused
from states.model import State, Track
from tests.journeys import AGENCY_OF, Clock, actor, attachments, doc, make_runtime, open_adult
from workflow.audit import verify_chain
from workflow.engine import _documents
from workflow.errors import InvalidInput, WorkflowError
from workflow.payload import clean
from workflow.tables import Dossier, TransitionLog

LOG = TransitionLog.__table__
DOSSIER = Dossier.__table__
_SHARED: dict[str, Any] = {}


def shared_runtime(tmp_root: Path) -> tuple[Any, Clock]:
    if "rt" not in _SHARED:
        _SHARED["rt"], _SHARED["clock"] = make_runtime(f"sqlite:///{tmp_root}/stateful.db")
    return _SHARED["rt"], _SHARED["clock"]


EVENTS = sorted(
    {
        "request_determination",
        "record_determination",
        "close_not_eligible",
        "notify_person",
        "send_to_labour",
        "return_for_supplementation",
        "resubmit",
        "propose_to_court",
        "return_incomplete",
        "accept",
        "open_session",
        "decide",
        "lodge_complaint",
        "end_complaint_period",
        "resolve_complaint",
        "record_escort",
        "postpone",
        "resume",
        "exempt",
        "report_absconding",
        "record_found",
        "expire_limitation",
        "record_completion",
        "report_return",
        "propose_post_rehab",
        "decide_post_rehab",
        "end_supervision",
        "report_relapse",
        "discontinue",
        "record_death",
        "no_such_step",
    }
)

payload_values = st.fixed_dictionaries(
    {},
    optional={
        "determination_outcome": st.sampled_from(["addicted", "not_addicted", "maybe"]),
        "outcome": st.sampled_from(["apply", "reject", "discontinue", "uphold", "amend", "annul", "x"]),
        "term_months": st.integers(min_value=0, max_value=40),
        "grounds": st.sampled_from(["no_voluntary_rehab", "relapse_in_post_rehab", "unknown"]),
        "ground": st.sampled_from(["serious_illness", "pregnant", "incurable_illness", "boredom"]),
        "reasons": st.text(min_size=1, max_size=10),
        "facility_name": st.just("Cơ sở cai nghiện ma túy tỉnh Điện Biên"),
    },
)


class ProcessWalk(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.rt, self.clock = _SHARED["rt"], _SHARED["clock"]
        self.clock.now = datetime(2023, 3, 1, 2, tzinfo=UTC)
        self.dossier_id = open_adult(self.rt, self.clock, id_number=None).dossier_id
        self.attempts = 1  # the opening entry

    @rule(
        event=st.sampled_from(EVENTS),
        agency=st.sampled_from(sorted(AGENCY_OF)),
        values=payload_values,
        with_document=st.booleans(),
        with_attachments=st.booleans(),
        days=st.integers(0, 30),
    )
    def random_fire(
        self, event: str, agency: str, values: dict[str, Any], with_document: bool, with_attachments: bool, days: int
    ) -> None:
        self.fire(event, agency, values, with_document, with_attachments, days)

    def fire(
        self, event: str, agency: str, values: dict[str, Any], with_document: bool, with_attachments: bool, days: int
    ) -> None:
        self.clock.advance(days=days)
        payload = dict(values)
        if with_document:
            payload["document"] = doc("9/HS", self.clock.today)
        if with_attachments:
            payload["attachments"] = attachments(self.clock.today)
        refused_before = self._guards_refuse(event, agency, payload)
        self.attempts += 1
        try:
            result = self.rt.engine.fire(self.dossier_id, event, actor(agency), payload)
        except WorkflowError:
            return
        assert result.applied
        assert not refused_before, f"{event} applied although a guard refused: {refused_before}"

    @rule(data=st.data(), days=st.integers(0, 12))
    def advance(self, data: st.DataObject, days: int) -> None:
        """A plausible next step: one the definition offers, by an agency allowed to take it."""
        row = self._row()
        regime = self.rt.regimes[row.regime]
        options = regime.steps_from(State(row.state), Track(row.track))
        if not options:
            return
        # forward: a step to another, open state (side steps that stay, like a management decision, wait)
        forward = [o for o in options if o.dest not in (State.CLOSED, State(row.state))]
        if forward and data.draw(st.integers(0, 9)) > 0:
            options = forward
        step = data.draw(st.sampled_from(options))
        agencies = [a.value for a in step.actors if a.value in AGENCY_OF] or ["commune_police"]
        payload = data.draw(payload_values)
        if step.when:
            payload[step.when[0]] = step.when[1]
        if "term_months" in step.fields:
            payload["term_months"] = data.draw(st.integers(4, 26))
        for name, kind in step.fields.items():
            if kind is int and name not in payload:
                payload[name] = data.draw(st.integers(0, 30))
        payload = {k: v for k, v in payload.items() if k in step.fields}
        self.fire(
            step.event.value,
            data.draw(st.sampled_from(agencies)),
            payload,
            True,
            step.event.value == "notify_person",
            days,
        )

    @rule(data=st.data(), days=st.integers(0, 12))
    def advance_again(self, data: st.DataObject, days: int) -> None:
        """Weighs plausible steps twice as often as random ones, so walks reach the later stages."""
        self.advance(data, days)

    def _guards_refuse(self, event: str, agency: str, payload: dict[str, Any]) -> list[str]:
        row = self._row()
        regime = self.rt.regimes[row.regime]
        steps = [s for s in regime.candidates(State(row.state), event) if s.matches(payload)]
        if len(steps) != 1:
            return []
        try:
            cp = clean(steps[0], payload, self.clock.today)
        except InvalidInput:
            return []
        facts = DossierFacts(
            regime,
            Track(row.track),
            row.state,
            self.rt.calendar,
            row.data,
            _documents(row.data, cp),
            cp.facts,
            cp.document,
        )
        return [v.code for g in steps[0].guards if isinstance(v := g(facts, self.clock.today), Refused)]

    def _row(self) -> Any:
        with self.rt.db.connect() as conn:
            return conn.execute(select(DOSSIER).where(DOSSIER.c.id == self.dossier_id)).one()

    @invariant()
    def state_is_in_the_definition(self) -> None:
        row = self._row()
        assert State(row.state) in self.rt.regimes[row.regime].stages

    @invariant()
    def one_log_entry_per_attempt(self) -> None:
        with self.rt.db.connect() as conn:
            count = conn.execute(select(func.count()).select_from(LOG).where(LOG.c.dossier_id == self.dossier_id))
            assert count.scalar_one() == self.attempts

    @invariant()
    def the_chain_verifies(self) -> None:
        assert verify_chain(self.rt.db, self.dossier_id).ok


@pytest.fixture(scope="module", autouse=True)
def _runtime(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    shared_runtime(tmp_path_factory.mktemp("stateful"))
    yield
    _SHARED.pop("rt").db.dispose()


TestProcessWalk = ProcessWalk.TestCase
TestProcessWalk.settings = settings(
    max_examples=40,
    derandomize=True,
    stateful_step_count=50,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)


def test_the_walks_reach_deep_into_the_process() -> None:
    """Guard against a walk that never leaves the first stages (a test that cannot fail)."""
    with _SHARED["rt"].db.connect() as conn:
        reached = set(conn.execute(select(LOG.c.to_state).where(LOG.c.applied.is_(True))).scalars())
    assert {"person_reading", "labour_review", "court_received"} <= reached, reached
