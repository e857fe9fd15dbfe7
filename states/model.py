"""The vocabulary of the process: states, events, agencies, documents, rules, stages, steps, regimes.

Everything here is data. A regime is a complete, immutable definition of the procedure as one
legal text set describes it; a later regime is an earlier one plus its differences (`Regime.revise`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

from handlers.facts import DossierFacts
from handlers.facts import Guard as Guard
from vocabulary import (  # re-exported: the process is read through states.model
    STATUS_MARK as STATUS_MARK,
)
from vocabulary import (
    UNIT_EN as UNIT_EN,
)
from vocabulary import (
    UNIT_VI as UNIT_VI,
)
from vocabulary import (
    AgencyType as AgencyType,
)
from vocabulary import (
    ClosingReason as ClosingReason,
)
from vocabulary import (
    Doc as Doc,
)
from vocabulary import (
    Event as Event,
)
from vocabulary import (
    Rule as Rule,
)
from vocabulary import (
    State as State,
)
from vocabulary import (
    Status as Status,
)
from vocabulary import (
    Track as Track,
)
from vocabulary import (
    Unit as Unit,
)


@dataclass(frozen=True, slots=True)
class DeadlineSpec:
    """A time limit opened when a stage is entered (or by a step), closed when the stage is left.

    `rule` names the duration; `counted_from` the document whose date starts the count (None: the
    legal date of the step that entered the stage); `from_fact` a dossier date that starts it instead
    when recorded (the day the person received the notice). `length_fact` takes the length from a dossier
    fact instead (the court's term in months). `ends` computes the due date from the whole dossier (the
    term's end: absconding added, time managed while pending deducted), exactly, not moved to a working
    day: the same function the guards use. The responsible agency is the stage's unless given.
    """

    key: str
    rule: str
    counted_from: Doc | None = None
    agency: AgencyType | None = None
    length_fact: str | None = None
    plus_rule: str | None = None  # a second period that follows the first (read 3 wd, then send within 1 wd)
    remind_before_rule: str | None = None  # the reminder's lead time, when the law sets one
    escalate_to: tuple[AgencyType, ...] = (AgencyType.DISTRICT_COMMITTEE, AgencyType.PROCURACY)
    spans: tuple[State, ...] = ()  # further states in which this deadline stays open (limitation periods)
    rule_if: tuple[str, str] | None = None  # (fact, rule): a longer limit when the fact holds (complicated case)
    from_fact: str | None = None
    ends: Callable[[DossierFacts], date | None] | None = None
    unless_fact: str | None = None  # not opened when this act is recorded (a date on or after the start)


@dataclass(frozen=True, slots=True)
class Stage:
    state: State
    label_vi: str
    label_en: str
    agency: AgencyType | None
    deadlines: tuple[DeadlineSpec, ...] = ()
    no_deadline_reason: str = ""
    final: bool = False
    clock_paused: bool = False  # evasion, a suspended court case: open deadlines of the dossier pause while here


@dataclass(frozen=True, slots=True)
class Step:
    """One legal act: who does it, from which states, to which state, under which conditions."""

    event: Event
    sources: tuple[State, ...]
    dest: State
    actors: tuple[AgencyType, ...]
    label_vi: str
    label_en: str
    guards: tuple[Guard, ...] = ()
    produces: Doc | None = None
    fields: Mapping[str, type] = field(default_factory=dict)
    closing_reason: ClosingReason | None = None
    when: tuple[str, Any] | None = None  # (payload field, value) selecting between steps of one event
    tracks: tuple[Track, ...] = (Track.ADULT, Track.MINOR)
    opens: tuple[DeadlineSpec, ...] = ()
    stamps: tuple[str, ...] = ()  # facts set to the step's legal date (e.g. decision_effective_on)
    restarts: tuple[str, ...] = ()  # deadline keys this step closes and opens anew (evasion restarts a limitation)
    basis: str = ""
    key: str = ""  # identity for `Regime.revise` when one trigger has several steps from different sources
    moves_commune: bool = False  # the dossier passes to the commune in its `new_commune` fact
    # (start fact, end fact, list fact): the step ends a period (an absconding) begun at the start fact's date;
    # [start, end] is appended to the list, so every episode counts (NĐ 116/2021 art. 56(4))
    ends_period: tuple[str, str, str] | None = None
    # (list fact, "open" | "close"): a dated period starts or ends on the step's legal date; the total of its
    # closed periods is kept in the fact PERIOD_TOTALS names (pending facility time, a suspended term)
    periods: tuple[tuple[str, str], ...] = ()
    sets_track: bool = False  # the track follows the age on this step's date (a violation after user management)

    @property
    def trigger(self) -> str:
        """The trigger name in the regime's state machine: the event, and the outcome it selects."""
        suffix = f"__{self.when[1]}" if self.when else ""
        return f"{self.event.value}{suffix}"

    @property
    def name(self) -> str:
        return self.key or self.trigger

    def matches(self, payload: Mapping[str, Any]) -> bool:
        return self.when is None or payload.get(self.when[0]) == self.when[1]


# Dated periods a dossier records ([start, end] pairs) -> the fact holding their total in days.
PERIOD_TOTALS: Mapping[str, str] = {
    "pending_facility_periods": "days_managed_at_facility_pending",  # NĐ 116/2021 art. 44(3): deducted
    "suspension_periods": "days_term_suspended",  # art. 58: not served while suspended (◻)
}


@dataclass(frozen=True, slots=True)
class RuleSwitch:
    """Another law reaching into dossiers of a regime: when the document `after` is dated from `from_date`
    (to `until`, if given), rule `rule` is read as rule `use` (e.g. post-rehab supervision under Law 120/2025
    for a person still in the facility on 1/7/2026; PL 09/2014 for a court case accepted before 1/2/2023).
    `tracks` limits the switch to some tracks (PL 09/2014 governed adults only)."""

    rule: str
    use: str
    after: Doc
    from_date: date
    basis: str
    until: date | None = None
    tracks: tuple[Track, ...] = (Track.ADULT, Track.MINOR)

    def applies(self, rule_id: str, track: Track | None, dates: Mapping[str, date]) -> bool:
        on = dates.get(self.after.value)
        if self.rule != rule_id or on is None or on < self.from_date:
            return False
        if self.until is not None and on > self.until:
            return False
        return track is None or track in self.tracks


@dataclass(frozen=True, slots=True)
class Regime:
    id: str
    label_vi: str
    label_en: str
    in_force_from: date
    in_force_to: date | None
    basis: str
    initial_states: tuple[State, ...]
    stages: Mapping[State, Stage]
    steps: tuple[Step, ...]
    rules: Mapping[str, Rule]
    notes: tuple[str, ...] = ()
    # grounds for compulsory rehab (PCMT 73/2021 art. 32; Law 120/2025 art. 35 adds monitoring breaches)
    grounds: tuple[str, ...] = (
        "no_voluntary_rehab",
        "used_during_voluntary",
        "substitution_breach",
        "relapse_in_post_rehab",
    )
    switches: tuple[RuleSwitch, ...] = ()
    # names of agency types as this regime's readers know them (the successors after the 2025 reform)
    agency_labels: Mapping[AgencyType, str] = field(default_factory=dict)
    grounds_basis: str = "Luật PCMT 73/2021/QH14, Điều 32 khoản 1–4; Điều 33 khoản 1"
    adult_only_grounds: tuple[str, ...] = ("relapse_in_post_rehab",)  # not for minors (PCMT art. 33(1))

    def rule(self, rule_id: str, track: Track | None = None, dates: Mapping[str, date] | None = None) -> Rule:
        """The rule, preferring a track-specific variant `<id>.<track>`.

        `dates` (document type -> date) lets a `RuleSwitch` pick the rule a later law makes apply.
        """
        for switch in self.switches:
            if switch.applies(rule_id, track, dates or {}):
                rule_id = switch.use
                break
        if track is not None and f"{rule_id}.{track.value}" in self.rules:
            return self.rules[f"{rule_id}.{track.value}"]
        try:
            return self.rules[rule_id]
        except KeyError:
            raise KeyError(f"regime {self.id} has no rule {rule_id!r}") from None

    def steps_from(self, state: State, track: Track | None = None) -> tuple[Step, ...]:
        return tuple(s for s in self.steps if state in s.sources and (track is None or track in s.tracks))

    def candidates(self, state: State, event: str) -> tuple[Step, ...]:
        return tuple(s for s in self.steps if s.event.value == event and state in s.sources)

    @property
    def states(self) -> tuple[State, ...]:
        return tuple(self.stages)

    @property
    def final_states(self) -> tuple[State, ...]:
        return tuple(s for s, st in self.stages.items() if st.final)

    def revise(
        self,
        *,
        id: str,
        label_vi: str,
        label_en: str,
        in_force: tuple[date, date | None],
        basis: str,
        stages: Mapping[State, Stage] | None = None,
        drop_states: tuple[State, ...] = (),
        steps: tuple[Step, ...] = (),
        drop_steps: tuple[str, ...] = (),
        rules: Mapping[str, Rule] | None = None,
        initial_states: tuple[State, ...] | None = None,
        notes: tuple[str, ...] = (),
        switches: tuple[RuleSwitch, ...] | None = None,
    ) -> Regime:
        """A later (or earlier) regime: this one with the differences the law made.

        `steps` replace steps of the same name and add new ones; `drop_steps` removes by name;
        `switches` replace the earlier regime's rule switches (None keeps them).
        """
        new_stages = {k: v for k, v in self.stages.items() if k not in drop_states}
        new_stages.update(stages or {})
        replaced = {s.name for s in steps} | set(drop_steps)
        kept = tuple(s for s in self.steps if s.name not in replaced)
        new_rules = dict(self.rules)
        new_rules.update(rules or {})
        return replace(
            self,
            id=id,
            label_vi=label_vi,
            label_en=label_en,
            in_force_from=in_force[0],
            in_force_to=in_force[1],
            basis=basis,
            initial_states=initial_states or self.initial_states,
            stages=new_stages,
            steps=kept + steps,
            rules=new_rules,
            notes=notes,
            switches=self.switches if switches is None else switches,
        )

    def with_rule_values(self, overrides: Mapping[str, int]) -> Regime:
        """The regime with configured values for rules a legal officer corrected.

        Confirmed rules cannot be overridden: a typo in config must not silently change the law.
        """
        new_rules = dict(self.rules)
        for rule_id, value in overrides.items():
            if rule_id not in self.rules:
                raise ValueError(f"regime {self.id}: unknown rule {rule_id!r} in config")
            rule = self.rules[rule_id]
            if rule.status is Status.CONFIRMED:
                raise ValueError(
                    f"regime {self.id}: rule {rule_id!r} is confirmed ({rule.basis}) and cannot be overridden"
                )
            if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                raise ValueError(f"regime {self.id}: rule {rule_id!r} needs a whole number >= 0, got {value!r}")
            new_rules[rule_id] = replace(rule, value=value, note=f"{rule.note} (giá trị cấu hình)".strip())
        return replace(self, rules=new_rules)
