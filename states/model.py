"""The vocabulary of the process: states, events, agencies, documents, rules, stages, steps, regimes.

Everything here is data. A regime is a complete, immutable definition of the procedure as one
legal text set describes it; a later regime is an earlier one plus its differences (`Regime.revise`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from handlers.calendar import Unit

if TYPE_CHECKING:
    from handlers.facts import DossierFacts
    from handlers.verdict import Verdict

Guard = Callable[["DossierFacts", date], "Verdict"]


class Status(StrEnum):
    """How sure we are of a rule (marks of LEGAL-PROCESS.md)."""

    CONFIRMED = "confirmed"  # ✔ checked against the published text
    TO_VERIFY = "to_verify"  # ◻ best available reading; overridable default
    UNCONFIRMED = "unconfirmed"  # ? not known yet; a configured value the deployment must accept


STATUS_MARK = {Status.CONFIRMED: "✔", Status.TO_VERIFY: "◻", Status.UNCONFIRMED: "?"}


class Track(StrEnum):
    ADULT = "adult"  # from 18
    MINOR = "minor"  # 12 to under 18


class State(StrEnum):
    DRUG_USER_MANAGEMENT = "drug_user_management"  # vn-2026 only
    VIOLATION_RECORDED = "violation_recorded"
    DETERMINATION_REQUESTED = "determination_requested"
    DOSSIER_COMPILING = "dossier_compiling"
    PERSON_READING = "person_reading"
    LEGAL_CHECK = "legal_check"  # vn-2014 only
    LABOUR_REVIEW = "labour_review"
    SUPPLEMENTING = "supplementing"
    COURT_RECEIVED = "court_received"
    COURT_ACCEPTED = "court_accepted"
    SESSION_SCHEDULED = "session_scheduled"
    COURT_SUSPENDED = "court_suspended"
    COMPLAINT_PERIOD = "complaint_period"
    COMPLAINT_REVIEW = "complaint_review"
    AWAITING_ESCORT = "awaiting_escort"
    POSTPONED = "postponed"
    ABSCONDED_BEFORE_ADMISSION = "absconded_before_admission"
    IN_FACILITY = "in_facility"
    ABSCONDED_FROM_FACILITY = "absconded_from_facility"
    COMPLETION_CERTIFIED = "completion_certified"
    RETURN_REPORTED = "return_reported"
    POST_REHAB_PROPOSED = "post_rehab_proposed"
    POST_REHAB_SUPERVISION = "post_rehab_supervision"
    CLOSED = "closed"


class Event(StrEnum):
    RECORD_VIOLATION = "record_violation"
    END_USER_MANAGEMENT = "end_user_management"
    RECORD_MOVE = "record_move"  # vn-2026: a managed person moves house
    NOTIFY_MOVE = "notify_move"  # vn-2026: the old commune police notify the new one
    REQUEST_DETERMINATION = "request_determination"
    RECORD_DETERMINATION = "record_determination"
    CLOSE_NOT_ELIGIBLE = "close_not_eligible"
    NOTIFY_PERSON = "notify_person"
    SEND_TO_LABOUR = "send_to_labour"
    SEND_TO_LEGAL_CHECK = "send_to_legal_check"
    PASS_LEGAL_CHECK = "pass_legal_check"
    RETURN_FOR_SUPPLEMENTATION = "return_for_supplementation"
    RESUBMIT = "resubmit"
    PROPOSE_TO_COURT = "propose_to_court"
    RETURN_INCOMPLETE = "return_incomplete"
    ACCEPT = "accept"
    OPEN_SESSION = "open_session"
    DECIDE = "decide"
    RESUME_CASE = "resume_case"
    LODGE_COMPLAINT = "lodge_complaint"
    END_COMPLAINT_PERIOD = "end_complaint_period"
    RESOLVE_COMPLAINT = "resolve_complaint"
    RECORD_ESCORT = "record_escort"
    POSTPONE = "postpone"
    EXTEND_ESCORT = "extend_escort"
    RESUME = "resume"
    EXEMPT = "exempt"
    REPORT_ABSCONDING = "report_absconding"
    RECORD_FOUND = "record_found"
    EXPIRE_LIMITATION = "expire_limitation"
    TRANSFER_TO_ADULT_FACILITY = "transfer_to_adult_facility"
    REDUCE_TERM = "reduce_term"
    RECORD_COMPLETION = "record_completion"
    REPORT_RETURN = "report_return"
    PROPOSE_POST_REHAB = "propose_post_rehab"
    DECIDE_POST_REHAB = "decide_post_rehab"
    ORDER_ELECTRONIC_MONITORING = "order_electronic_monitoring"
    END_SUPERVISION = "end_supervision"
    REPORT_RELAPSE = "report_relapse"
    DISCONTINUE = "discontinue"
    RECORD_DEATH = "record_death"
    TRANSFER_TO_CRIMINAL_PROCEEDINGS = "transfer_to_criminal_proceedings"


class AgencyType(StrEnum):
    COMMUNE_POLICE = "commune_police"
    COMMUNE_COMMITTEE = "commune_committee"
    HEALTH_FACILITY = "health_facility"
    JUSTICE_OFFICE = "justice_office"
    LABOUR_OFFICE = "labour_office"
    DISTRICT_COURT = "district_court"
    REGIONAL_COURT = "regional_court"
    PROVINCIAL_COURT = "provincial_court"
    PROCURACY = "procuracy"
    DISTRICT_POLICE = "district_police"
    PROVINCIAL_POLICE = "provincial_police"
    FACILITY = "facility"
    DISTRICT_COMMITTEE = "district_committee"
    PROVINCIAL_COMMITTEE = "provincial_committee"
    PERSON = "person"  # the person or their representative: acts, but is not an agency with an inbox


class Doc(StrEnum):
    """Documents a step produces; each is stored with number, date, issuer and signer."""

    USER_MANAGEMENT_DECISION = "user_management_decision"
    VIOLATION_RECORD = "violation_record"  # Mẫu 27
    DETERMINATION_REQUEST = "determination_request"
    DETERMINATION_RESULT = "determination_result"
    CV = "cv"  # Mẫu 30
    STATEMENT = "statement"  # Mẫu 31
    COMPILER_PROPOSAL = "compiler_proposal"  # Mẫu 29
    RESIDENCE_CONFIRMATION = "residence_confirmation"  # no stable residence
    READING_NOTICE = "reading_notice"  # Mẫu 32
    TRANSFER_LETTER = "transfer_letter"
    LEGAL_CHECK_OPINION = "legal_check_opinion"
    RETURN_LETTER = "return_letter"  # Mẫu 33
    LABOUR_PROPOSAL = "labour_proposal"  # Mẫu 34 / 39
    ACCEPTANCE_NOTICE = "acceptance_notice"
    SESSION_DECISION = "session_decision"
    COURT_DECISION = "court_decision"
    SUSPENSION_DECISION = "suspension_decision"
    RESUMPTION_DECISION = "resumption_decision"
    COMPLAINT = "complaint"
    COMPLAINT_DECISION = "complaint_decision"
    POSTPONEMENT_DECISION = "postponement_decision"
    FACILITY_FULL_NOTICE = "facility_full_notice"
    EXEMPTION_DECISION = "exemption_decision"
    HANDOVER_RECORD = "handover_record"  # Mẫu 40
    SEARCH_DECISION = "search_decision"  # Mẫu 41
    FOUND_RECORD = "found_record"
    TRANSFER_DECISION = "transfer_decision"
    TERM_REDUCTION_DECISION = "term_reduction_decision"
    COMPLETION_CERTIFICATE = "completion_certificate"  # Mẫu 46
    RETURN_REPORT = "return_report"
    POST_REHAB_PROPOSAL = "post_rehab_proposal"  # Mẫu 50
    POST_REHAB_DECISION = "post_rehab_decision"  # Mẫu 51
    MONITORING_ORDER = "monitoring_order"
    MOVE_NOTICE = "move_notice"  # vn-2026: old commune police to the new one
    SUPERVISION_CERTIFICATE = "supervision_certificate"  # Mẫu 54
    RELAPSE_RECORD = "relapse_record"
    DISCONTINUATION_DECISION = "discontinuation_decision"
    DEATH_RECORD = "death_record"
    CRIMINAL_TRANSFER = "criminal_transfer"


class ClosingReason(StrEnum):
    NOT_ADDICTED = "not_addicted"
    NOT_ELIGIBLE = "not_eligible"
    COURT_REJECTED = "court_rejected"
    DISCONTINUED = "discontinued"
    DECISION_ANNULLED = "decision_annulled"
    EXEMPTED = "exempted"
    LIMITATION_EXPIRED = "limitation_expired"
    SUPERVISION_COMPLETED = "supervision_completed"
    RELAPSED = "relapsed"
    TRANSFERRED_TO_CRIMINAL_PROCEEDINGS = "transferred_to_criminal_proceedings"
    DECEASED = "deceased"
    MANAGEMENT_COMPLETED = "management_completed"


@dataclass(frozen=True, slots=True)
class Rule:
    """A legal value (a duration or a limit) with its citation and how sure we are of it."""

    id: str
    value: int
    unit: Unit | None
    basis: str
    status: Status
    label_vi: str
    label_en: str
    note: str = ""

    def describe_vi(self) -> str:
        return f"{self.label_vi}: {self.value} {UNIT_VI.get(self.unit, '')}".strip()


UNIT_VI: Mapping[Unit | None, str] = {
    Unit.CALENDAR_DAYS: "ngày",
    Unit.WORKING_DAYS: "ngày làm việc",
    Unit.HOURS: "giờ",
    Unit.MONTHS: "tháng",
    Unit.YEARS: "năm",
    None: "",
}
UNIT_EN: Mapping[Unit | None, str] = {
    Unit.CALENDAR_DAYS: "days",
    Unit.WORKING_DAYS: "working days",
    Unit.HOURS: "hours",
    Unit.MONTHS: "months",
    Unit.YEARS: "years",
    None: "",
}


@dataclass(frozen=True, slots=True)
class DeadlineSpec:
    """A time limit opened when a stage is entered (or by a step), closed when the stage is left.

    `rule` names the duration; `counted_from` the document whose date starts the count (None: the
    legal date of the step that entered the stage). `length_fact` takes the length from a dossier
    fact instead (the court's term in months). The responsible agency is the stage's unless given.
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


@dataclass(frozen=True, slots=True)
class Stage:
    state: State
    label_vi: str
    label_en: str
    agency: AgencyType | None
    deadlines: tuple[DeadlineSpec, ...] = ()
    no_deadline_reason: str = ""
    final: bool = False
    clock_paused: bool = False  # postponement: open deadlines of the dossier pause while here


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


@dataclass(frozen=True, slots=True)
class RuleSwitch:
    """A later law reaching into dossiers of an earlier regime: from `from_date` (the date of the document
    `after`), rule `rule` is read as rule `use` (e.g. post-rehab supervision under Law 120/2025 for a
    person still in the facility on 1/7/2026)."""

    rule: str
    use: str
    after: Doc
    from_date: date
    basis: str


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

    def rule(self, rule_id: str, track: Track | None = None, dates: Mapping[str, date] | None = None) -> Rule:
        """The rule, preferring a track-specific variant `<id>.<track>`.

        `dates` (document type -> date) lets a `RuleSwitch` pick the rule a later law makes apply.
        """
        for switch in self.switches:
            on = (dates or {}).get(switch.after.value)
            if switch.rule == rule_id and on is not None and on >= switch.from_date:
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
    ) -> Regime:
        """A later (or earlier) regime: this one with the differences the law made.

        `steps` replace steps of the same name and add new ones; `drop_steps` removes by name.
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
