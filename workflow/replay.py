"""Replaying a dossier's chain as the engine wrote it: what its row and open deadlines must be.

The opening (or import) entry's facts, every applied step through the engine's own functions
(`merge_step_data`, the step's destination in the regime, `DeadlineWriter` and `plan_deadline` over an
in-memory store), the administrative entries (a handover to a successor agency, an earlier episode entered
from paper records). Facts the chain does not carry (personal data: the identity copies, a value written
"(ẩn)") are taken from the row. `workflow.audit_state` compares the result with the database.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any

from states.model import Regime, State, Step, Track
from workflow.deadlines import local_date
from workflow.intake import OPEN_FACTS
from workflow.payload import CleanPayload
from workflow.stage_changes import DeadlineWriter
from workflow.store import OpenDeadline

if TYPE_CHECKING:
    from workflow.directory import Directory
    from workflow.engine import DossierEngine

HIDDEN = "(ẩn)"  # a private value on the chain (workflow.payload.PRIVATE_FIELDS)
OFF_CHAIN = frozenset({"birth_date", "sex", "nationality"})  # identity copies: personal data, never on the chain
IMPORT_META = frozenset({"source_sha256", "row", "regime", "track", "commune_code", "documents"})


# --------------------------------------------------------------------------- the deadlines, in memory


class MemoryDeadlines:
    """The part of `workflow.store.Store` that `DeadlineWriter` uses, kept in memory for one dossier."""

    def __init__(self) -> None:
        self.rows: dict[int, dict[str, Any]] = {}

    def open_deadlines(self, _dossier_id: int) -> list[OpenDeadline]:
        return [
            OpenDeadline(
                i, r["key"], r["spans"], r["paused_at"], r["due_on"], r["due_at"], r["remind_on"], r["agency_type"]
            )
            for i, r in self.rows.items()
            if r["closed_at"] is None
        ]

    def close_deadlines(self, ids: Sequence[int], now: datetime) -> None:
        for i in ids:
            self.rows[i]["closed_at"] = now

    def pause_deadlines(self, ids: Sequence[int], now: datetime) -> None:
        for i in ids:
            self.rows[i]["paused_at"] = now

    def retarget_deadline(self, deadline: OpenDeadline, agency_id: str | None) -> None:
        self.rows[deadline.id]["agency_id"] = agency_id

    def shift_deadline(self, deadline: OpenDeadline, due_on: date, due_at: datetime, remind_on: date) -> None:
        self.rows[deadline.id].update(paused_at=None, due_on=due_on, due_at=due_at, remind_on=remind_on)

    def insert_deadlines(self, rows: Sequence[Mapping[str, Any]]) -> None:
        for r in rows:
            self.rows[len(self.rows) + 1] = dict(r)

    def reassign(self, old: str, new: str) -> None:
        for r in self.rows.values():
            if r["closed_at"] is None and r["agency_id"] == old:
                r["agency_id"] = new

    def still_open(self) -> list[dict[str, Any]]:
        return [r for r in self.rows.values() if r["closed_at"] is None]


# --------------------------------------------------------------------------- replaying one chain


@dataclass(slots=True)
class Derived:
    """What a dossier's chain says its row and open deadlines must be."""

    regime: str = ""
    track: str = ""
    state: str = ""
    version: int = 0
    commune_code: str = ""
    agency_id: str | None = None
    closing_reason: str | None = None
    data: dict[str, Any] = field(default_factory=dict)
    deadlines: MemoryDeadlines = field(default_factory=MemoryDeadlines)
    problems: list[tuple[str, str]] = field(default_factory=list)  # (field, problem) found while replaying


class Replay:
    """Replays entries of one chain in order, as the engine wrote them."""

    def __init__(self, engine: DossierEngine, directory: Directory, dossier_id: int, row_data: Mapping[str, Any]):
        self.engine, self.directory, self.dossier_id = engine, directory, dossier_id
        self.private = row_data  # facts the chain does not carry
        self.d = Derived()

    # ---------------------------------------------------------------- entry kinds

    def entry(self, e: Any) -> None:
        if not e.applied:
            return  # a refusal changes nothing (its to_state is the state it was refused in)
        if e.kind in ("open", "import"):
            self._open(e)
        elif e.kind == "step":
            self._step(e)
        elif e.kind == "admin":
            self._admin(e)
        else:
            self.d.problems.append(("log", f"entry {e.seq} is of an unknown kind '{e.kind}'"))

    def _regime(self, e: Any) -> Regime | None:
        regime = self.engine.regimes.get(str(e.payload.get("regime", "")))
        if regime is None:
            self.d.problems.append(("regime", f"entry {e.seq} names an unknown regime '{e.payload.get('regime')}'"))
        return regime

    def _open(self, e: Any) -> None:
        p, d = e.payload, self.d
        regime = self._regime(e)
        if regime is None or e.seq != 1:
            if e.seq != 1:
                d.problems.append(("log", f"entry {e.seq} opens the dossier again"))
            return
        d.regime, d.track, d.state, d.version = regime.id, str(p["track"]), str(e.to_state), 1
        d.commune_code = str(p["commune_code"])
        documents = {str(doc["type"]): dict(doc) for doc in p.get("documents", [])}
        data: dict[str, Any] = {k: v for k, v in p.items() if k in OPEN_FACTS or k == "recorded_episodes"}
        if e.kind == "import":
            data = {k: v for k, v in p.items() if k not in IMPORT_META}
            data["imported_from"] = p.get("source_sha256")
            data["violation_on"] = documents.get("violation_record", {}).get("date")
            legal = max(date.fromisoformat(str(doc["date"])) for doc in documents.values())
        else:
            first = next(iter(documents.values()))
            data["violation_on" if first["type"] == "violation_record" else "management_started_on"] = first["date"]
            data["prior_episodes"] = p.get("prior_episodes")
            if "commune_named" in p:
                data["commune_named"] = p["commune_named"]
            legal = date.fromisoformat(str(first["date"]))
        data.update({k: self.private.get(k) for k in OFF_CHAIN if k in self.private})
        data["documents"] = documents
        d.data = self._unhide(data)
        now, today = utc(e.at), local_date(e.at, self.engine.policy.tz)
        stage = regime.stages[State(d.state)]
        d.agency_id = self.directory.resolve(stage.agency.value, d.commune_code, today) if stage.agency else None
        writer = DeadlineWriter(d.deadlines, self.engine.policy, self.directory, regime, Track(d.track))  # type: ignore[arg-type]
        writer.transition(self.dossier_id, d.commune_code, stage, None, d.data, legal, now, today)

    def _step(self, e: Any) -> None:
        from workflow.engine import _track_on, merge_step_data

        d = self.d
        regime = self.engine.regimes.get(d.regime)
        if regime is None:
            return
        if e.from_state != d.state:
            d.problems.append(("log", f"entry {e.seq} starts from '{e.from_state}', the chain was in '{d.state}'"))
        track = Track(d.track)
        step = _step_of(regime, track, d.state, str(e.event))
        if step is None:
            d.problems.append(("log", f"entry {e.seq}: no step '{e.event}' of {regime.id} from '{d.state}'"))
            d.state, d.version = str(e.to_state), d.version + 1
            return
        new_state = step.dest.value  # what the regime's machine (workflow.machine) gives: the step's destination
        if new_state != e.to_state:
            d.problems.append(
                ("log", f"entry {e.seq} says '{e.to_state}', the step '{e.event}' leads to '{new_state}'")
            )
        cp = self._payload(step, e.payload)
        now, today = utc(e.at), local_date(e.at, self.engine.policy.tz)
        legal = cp.document.date if cp.document else (cp.on or today)
        d.data = merge_step_data(d.data, cp, step, legal)
        if step.sets_track:
            d.track = _track_on(d.data, legal).value
        if step.moves_commune:
            d.commune_code = self.directory.area_on(str(d.data["new_commune"]), today)
        stage = regime.stages[State(new_state)]
        d.agency_id = self.directory.resolve(stage.agency.value, d.commune_code, today) if stage.agency else None
        d.state, d.version = new_state, d.version + 1
        if step.closing_reason is not None:
            d.closing_reason = step.closing_reason.value
        writer = DeadlineWriter(d.deadlines, self.engine.policy, self.directory, regime, Track(d.track))  # type: ignore[arg-type]
        writer.transition(self.dossier_id, d.commune_code, stage, step, d.data, legal, now, today)

    def _admin(self, e: Any) -> None:
        d, p = self.d, e.payload
        d.version += 1
        if e.event == "reassign_agency":
            d.agency_id = str(p["to_agency"])
            d.deadlines.reassign(str(p["from_agency"]), str(p["to_agency"]))
        elif e.event == "record_prior_episode":
            d.data = {**d.data, "recorded_episodes": p["recorded_episodes"]}
        # correct_identity: the corrected identity copies are personal data, read from the row (OFF_CHAIN)

    # ---------------------------------------------------------------- payloads

    def _payload(self, step: Step, logged: Mapping[str, Any]) -> CleanPayload:
        """The step's checked payload as the engine had it, from what the chain recorded of it."""
        from handlers.facts import DocumentRef

        facts = self._unhide({k: v for k, v in logged.items() if k in step.fields})
        docs = [DocumentRef.from_json(doc) for doc in logged.get("documents", [])]
        own = step.produces is not None and bool(docs) and docs[0].type == step.produces.value
        document = docs[0] if own else None
        on = date.fromisoformat(str(logged["on"])) if logged.get("on") else None
        return CleanPayload(facts, document, tuple(docs[1:] if own else docs), on, str(logged.get("note", "")))

    def _unhide(self, facts: dict[str, Any]) -> dict[str, Any]:
        return {k: (self.private.get(k) if v == HIDDEN else v) for k, v in facts.items()}


def _step_of(regime: Regime, track: Track, state: str, trigger: str) -> Step | None:
    try:
        source = State(state)
    except ValueError:
        return None
    return next((s for s in regime.steps_from(source, track) if s.trigger == trigger), None)


def utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def derive(engine: DossierEngine, directory: Directory, row: Any, entries: Sequence[Any]) -> Derived:
    replay = Replay(engine, directory, row.id, row.data or {})
    for e in entries:
        try:
            replay.entry(e)
        except (KeyError, ValueError, TypeError, AttributeError) as err:  # an entry the replay cannot read
            replay.d.problems.append(("log", f"entry {e.seq} cannot be replayed ({type(err).__name__}: {err})"))
            break
    return replay.d


__all__ = ["Derived", "MemoryDeadlines", "Replay", "derive", "utc"]
