"""Every built-in regime is a well-formed process: checked on the table, before any dossier runs on it."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable
from typing import Any

import pytest

from states import vn_2021
from states.model import DeadlineSpec, Doc, Regime, State, Status, Track
from states.registry import all_regimes, regimes_by_id
from workflow.machine import machine_for

REGIMES = all_regimes()
each_regime = pytest.mark.parametrize("regime", REGIMES, ids=[r.id for r in REGIMES])


def reachable(regime: Regime, start: tuple[State, ...], *, backwards: bool = False) -> set[State]:
    """States reachable from `start` following steps (or, backwards, states that can reach `start`)."""
    edges: dict[State, set[State]] = defaultdict(set)
    for step in regime.steps:
        for source in step.sources:
            if backwards:
                edges[step.dest].add(source)
            else:
                edges[source].add(step.dest)
    seen, todo = set(start), list(start)
    while todo:
        for nxt in edges[todo.pop()] - seen:
            seen.add(nxt)
            todo.append(nxt)
    return seen


def deadline_specs(regime: Regime) -> list[DeadlineSpec]:
    return [spec for stage in regime.stages.values() for spec in stage.deadlines] + [
        spec for step in regime.steps for spec in step.opens
    ]


def not_final(regime: Regime) -> list[State]:
    return [state for state, stage in regime.stages.items() if not stage.final]


# Known bugs of states/ (see the xfail reasons), marked on every regime that carries them.
VN_2021_RECORD_DEATH = vn_2021.STEPS_BY_NAME["record_death"]


def _inherits_record_death(regime: Regime) -> bool:
    return any(step is VN_2021_RECORD_DEATH for step in regime.steps)


def record_death_repeats_an_actor(regime: Regime) -> str | None:
    return None  # fixed: kept as the hook for the next known bug of a regime


def record_death_misses_new_states(regime: Regime) -> str | None:
    return None  # fixed in vn_2014.py: record_death, discontinue and transfer include legal_check


def regime_param(regime: Regime, known_bug: Callable[[Regime], str | None]) -> Any:
    reason = known_bug(regime)
    marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
    return pytest.param(regime, id=regime.id, marks=marks)


class TestGraph:
    @each_regime
    def test_every_state_is_reachable_from_an_initial_state(self, regime: Regime) -> None:
        unreachable = set(regime.stages) - reachable(regime, regime.initial_states)

        assert unreachable == set()

    @each_regime
    def test_a_final_state_is_reachable_from_every_state(self, regime: Regime) -> None:
        stuck = set(regime.stages) - reachable(regime, regime.final_states, backwards=True)

        assert stuck == set()

    @each_regime
    @pytest.mark.parametrize("track", list(Track), ids=[t.value for t in Track])
    def test_every_non_final_state_has_a_way_out_on_each_track(self, regime: Regime, track: Track) -> None:
        traps = [state for state in not_final(regime) if not regime.steps_from(state, track)]

        assert traps == []

    @each_regime
    def test_final_states_have_no_way_out(self, regime: Regime) -> None:
        exits = {state: regime.steps_from(state) for state in regime.final_states}

        assert {state: steps for state, steps in exits.items() if steps} == {}

    @each_regime
    def test_the_initial_states_are_stages_and_not_final(self, regime: Regime) -> None:
        assert regime.initial_states
        assert all(s in regime.stages and not regime.stages[s].final for s in regime.initial_states)

    @each_regime
    def test_every_step_leads_from_and_to_stages_of_the_regime(self, regime: Regime) -> None:
        strangers = [
            (step.name, state)
            for step in regime.steps
            for state in (*step.sources, step.dest)
            if state not in regime.stages
        ]

        assert strangers == []

    @each_regime
    def test_each_stage_is_filed_under_its_own_state(self, regime: Regime) -> None:
        assert [state for state, stage in regime.stages.items() if stage.state is not state] == []


class TestStages:
    @each_regime
    def test_every_non_final_stage_names_the_responsible_agency(self, regime: Regime) -> None:
        assert [state for state in not_final(regime) if regime.stages[state].agency is None] == []

    @each_regime
    def test_every_non_final_stage_has_a_deadline_or_says_why_not(self, regime: Regime) -> None:
        silent = [
            state
            for state in not_final(regime)
            if not regime.stages[state].deadlines and not regime.stages[state].no_deadline_reason.strip()
        ]

        assert silent == []

    @each_regime
    @pytest.mark.parametrize("track", list(Track), ids=[t.value for t in Track])
    def test_every_rule_a_deadline_names_exists_on_each_track(self, regime: Regime, track: Track) -> None:
        missing = []
        for spec in deadline_specs(regime):
            for rule_id in filter(None, (spec.rule, spec.plus_rule, spec.remind_before_rule)):
                try:
                    regime.rule(rule_id, track)
                except KeyError:
                    missing.append((spec.key, rule_id))

        assert missing == []

    @each_regime
    def test_a_deadline_stays_open_only_in_states_of_the_regime(self, regime: Regime) -> None:
        strangers = [(spec.key, s) for spec in deadline_specs(regime) for s in spec.spans if s not in regime.stages]

        assert strangers == []

    @each_regime
    def test_a_step_restarts_only_deadlines_the_regime_defines(self, regime: Regime) -> None:
        keys = {spec.key for spec in deadline_specs(regime)}

        assert [(step.name, key) for step in regime.steps for key in step.restarts if key not in keys] == []


class TestRules:
    @each_regime
    def test_a_rule_switch_replaces_a_rule_of_the_regime_by_another(self, regime: Regime) -> None:
        unknown = [
            (switch.rule, rule_id)
            for switch in regime.switches
            for rule_id in (switch.rule, switch.use)
            if rule_id not in regime.rules
        ]

        assert unknown == []
        assert [s.rule for s in regime.switches if not s.basis.strip()] == []

    @each_regime
    def test_every_rule_cites_its_basis_and_says_how_sure_we_are(self, regime: Regime) -> None:
        incomplete = [
            rule.id
            for rule in regime.rules.values()
            if not rule.basis.strip() or not isinstance(rule.status, Status) or not rule.label_vi.strip()
        ]

        assert incomplete == []

    @each_regime
    def test_every_rule_is_filed_under_its_own_id(self, regime: Regime) -> None:
        assert [key for key, rule in regime.rules.items() if rule.id != key] == []

    @each_regime
    def test_every_duration_is_a_whole_number_with_a_unit(self, regime: Regime) -> None:
        """Only an exclusion may be a switch without a unit (1 applies, 0 a deployment turned it off)."""
        switch = {r.id for r in regime.rules.values() if r.id.startswith("exclusion.") and r.value in (0, 1)}
        odd = [
            r.id
            for r in regime.rules.values()
            if (r.unit is None and r.id not in switch) or not isinstance(r.value, int) or r.value < 0
        ]

        assert odd == []


class TestSteps:
    @each_regime
    def test_step_names_are_unique(self, regime: Regime) -> None:
        twice = [name for name, n in Counter(step.name for step in regime.steps).items() if n > 1]

        assert twice == []

    @each_regime
    def test_steps_sharing_an_event_from_one_state_are_told_apart_by_their_outcome(self, regime: Regime) -> None:
        by_source: dict[tuple[State, str], list[str]] = defaultdict(list)
        for step in regime.steps:
            for source in step.sources:
                by_source[(source, step.event.value)].append(step.trigger)
        ambiguous = {
            key: triggers
            for key, triggers in by_source.items()
            if len(triggers) > 1 and (len(set(triggers)) != len(triggers) or key[1] in triggers)
        }

        assert ambiguous == {}

    @each_regime
    def test_every_step_into_a_final_state_gives_a_closing_reason(self, regime: Regime) -> None:
        final = set(regime.final_states)
        silent = [step.name for step in regime.steps if step.dest in final and step.closing_reason is None]

        assert silent == []

    @each_regime
    def test_only_steps_into_a_final_state_give_a_closing_reason(self, regime: Regime) -> None:
        final = set(regime.final_states)

        assert [s.name for s in regime.steps if s.closing_reason is not None and s.dest not in final] == []

    @each_regime
    def test_every_step_has_an_actor_a_citation_and_named_guards(self, regime: Regime) -> None:
        incomplete = [
            step.name
            for step in regime.steps
            if not step.actors or not step.basis.strip() or not all(callable(g) and g.__name__ for g in step.guards)
        ]

        assert incomplete == []

    @pytest.mark.parametrize("regime", [regime_param(r, record_death_repeats_an_actor) for r in REGIMES])
    def test_a_step_lists_each_actor_once(self, regime: Regime) -> None:
        repeated = [step.name for step in regime.steps if len(set(step.actors)) != len(step.actors)]

        assert repeated == []

    @pytest.mark.parametrize("regime", [regime_param(r, record_death_misses_new_states) for r in REGIMES])
    def test_the_death_of_the_person_can_be_recorded_in_every_state_before_the_end(self, regime: Regime) -> None:
        sources = {s for step in regime.steps if step.event.value == "record_death" for s in step.sources}

        assert set(not_final(regime)) - sources == set()


class TestVn2014:
    """The justice office's legality check sits between the reading period and the labour office."""

    REGIME = regimes_by_id()["vn-2014"]

    @pytest.mark.parametrize("event", ["discontinue", "transfer_to_criminal_proceedings"])
    def test_a_dossier_at_the_justice_office_can_be_discontinued_or_transferred(self, event: str) -> None:
        assert self.REGIME.candidates(State.LEGAL_CHECK, event)

    def test_the_labour_office_counts_its_days_from_the_justice_offices_opinion(self) -> None:
        spec = self.REGIME.stages[State.LABOUR_REVIEW].deadlines[0]

        assert spec.counted_from is Doc.LEGAL_CHECK_OPINION

    # Texts that took effect only from 2022 or later: a rule of a regime that ended on 31/12/2021 cannot be
    # confirmed (✔) on their strength (LEGAL-PROCESS.md §2a: differences are ◻ unless said).
    LATER_TEXTS = (
        "116/2021/NĐ-CP",
        "109/2021/NĐ-CP",
        "73/2021/QH14",
        "18/2021/TT-BYT",
        "03/2022/UBTVQH15",
        "01/2022/UBTVQH15",
        "67/2020/QH14",
    )

    def test_confirms_no_rule_on_a_text_that_took_effect_after_the_regime_ended(self) -> None:
        # a rule read only through a dated switch (PL 03/2022 for a case the court accepts from 01/02/2023)
        # applies once that text is in force: it may be confirmed
        switched_in = {sw.use for sw in self.REGIME.switches}
        anachronistic = [
            rule.id
            for rule in self.REGIME.rules.values()
            if rule.status is Status.CONFIRMED
            and rule.id not in switched_in
            and any(text in rule.basis for text in self.LATER_TEXTS)
        ]

        assert anachronistic == []


class TestMachine:
    @each_regime
    def test_has_exactly_the_regimes_triggers_and_no_to_state_shortcuts(self, regime: Regime) -> None:
        machine = machine_for(regime).machine

        assert set(machine.events) == {step.trigger for step in regime.steps}
        assert [name for name in machine.events if name.startswith("to_")] == []

    @each_regime
    def test_a_model_gets_no_auto_transition_methods(self, regime: Regime) -> None:
        class Probe:
            state: str

        machine = machine_for(regime).machine
        probe = Probe()
        machine.add_model(probe, initial=regime.initial_states[0].value)
        try:
            shortcuts = [name for name in dir(probe) if name.startswith("to_")]
        finally:
            machine.remove_model(probe)

        assert not hasattr(probe, "to_closed")
        assert shortcuts == []

    @each_regime
    def test_every_step_can_fire_from_each_of_its_sources(self, regime: Regime) -> None:
        stepper = machine_for(regime)

        missing = [(s.name, src) for s in regime.steps for src in s.sources if not stepper.can(src.value, s.trigger)]

        assert missing == []

    @each_regime
    def test_applying_a_step_leads_where_the_machines_trigger_leads(self, regime: Regime) -> None:
        stepper = machine_for(regime)

        class Probe:
            state: str

        probe = Probe()
        stepper.machine.add_model(probe, initial=regime.initial_states[0].value)
        differ = []
        try:
            for step in regime.steps:
                for source in step.sources:
                    probe.state = source.value
                    probe.trigger(step.trigger)  # type: ignore[attr-defined]
                    if stepper.apply(source.value, step) != probe.state:
                        differ.append((step.name, source.value))
        finally:
            stepper.machine.remove_model(probe)

        assert differ == []


class TestRuleOverrides:
    REGIME = regimes_by_id()["vn-2021"]

    def test_refuses_to_override_a_confirmed_rule_and_names_it(self) -> None:
        with pytest.raises(ValueError, match=r"reading\.period.*confirmed"):
            self.REGIME.with_rule_values({"reading.period": 5})

    def test_refuses_an_unknown_rule_and_names_it(self) -> None:
        with pytest.raises(ValueError, match=r"unknown rule 'reading\.perod'"):
            self.REGIME.with_rule_values({"reading.perod": 5})

    @pytest.mark.parametrize("value", [-1, True, "3"], ids=["negative", "bool", "text"])
    def test_refuses_a_value_that_is_not_a_whole_number(self, value: object) -> None:
        with pytest.raises(ValueError, match=r"limitation\.application"):
            self.REGIME.with_rule_values({"limitation.application": value})  # type: ignore[dict-item]

    def test_accepts_a_rule_still_to_verify_and_marks_it_as_configured(self) -> None:
        regime = self.REGIME.with_rule_values({"limitation.application": 6})

        rule = regime.rules["limitation.application"]
        assert (rule.value, rule.status) == (6, Status.TO_VERIFY)
        assert "cấu hình" in rule.note
        assert self.REGIME.rules["limitation.application"].value == 3
