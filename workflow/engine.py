"""The only path that changes a dossier.

`fire()` does, in one database transaction: load (row-locked), guard, apply through the regime's
state machine, append the hash-chained transition-log entry, close and open deadlines, and queue
notifications. Every attempt on an existing dossier is logged, refused or not. A replayed
idempotency key returns the first result and writes nothing.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime
from typing import Any

import structlog
from sqlalchemy import Connection, Engine
from sqlalchemy.exc import IntegrityError

from handlers.eligibility import age_on
from handlers.facts import DocumentRef, DossierFacts
from handlers.labels import doc_label_en, doc_label_vi
from handlers.verdict import Refused
from states.labels import EN, agency_type_label, field_label, state_label, step_label
from states.model import PERIOD_TOTALS, Regime, State, Step, Track
from workflow.chain import GENESIS, seal
from workflow.db import reading
from workflow.deadlines import DeadlinePolicy, local_date
from workflow.directory import Directory
from workflow.errors import (
    DossierNotFound,
    InvalidInput,
    OutsideJurisdiction,
    StepNotAvailable,
    StepRefused,
    VersionConflict,
)
from workflow.idcrypt import IdProtector
from workflow.idempotency import REQUEST, check_same, fingerprint, scoped_key
from workflow.jurisdiction import OUTSIDE, is_foreign, record
from workflow.machine import machine_for
from workflow.metrics import record_step
from workflow.payload import CleanPayload, clean
from workflow.plausible import DateBounds
from workflow.signing import Signer, development_signer
from workflow.stage_changes import DeadlineWriter
from workflow.store import DossierRow, Store, transaction
from workflow.texts import FREE_TEXT, off_chain

log = structlog.get_logger(__name__)
DIRECTORY_TTL = 60.0  # seconds


@dataclass(frozen=True, slots=True)
class Actor:
    """Who acts: a user of an agency (None for the person or the system) and their role."""

    user: str
    agency_id: str | None = None
    role: str = "staff"  # staff | supervisor | procurator | admin | person | system


@dataclass(frozen=True, slots=True)
class FireResult:
    dossier_id: int | None
    event: str
    applied: bool
    from_state: str | None
    to_state: str | None
    version: int
    seq: int
    hash: str
    refusals: list[dict[str, Any]] = field(default_factory=list)
    closing_reason: str | None = None
    code: str = ""
    replayed: bool = False

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class _Outcome:
    result: FireResult
    error: Exception | None = None


def _refusal(code: str, vi: str, en: str, basis: str = "", **extra: Any) -> dict[str, Any]:
    return {"code": code, "reason_vi": vi, "reason_en": en, "basis": basis, "unconfirmed": False, **extra}


def _not_available(regime: Regime, err: StepNotAvailable) -> dict[str, Any]:
    """One language per text, names from the regime: never the typed step code (a request's text) on the chain."""
    known = any(s.event.value == err.event for s in regime.steps)
    step_vi = f"«{step_label(err.event, regime)}»" if known else "được yêu cầu"
    step_en = f"'{step_label(err.event, regime, EN)}'" if known else "requested"
    names_vi = "; ".join(step_label(e, regime) for e in err.available) or "không có"
    names_en = "; ".join(step_label(e, regime, EN) for e in err.available) or "none"
    return _refusal(
        "step.not_available",
        f"Bước {step_vi} không thực hiện được khi hồ sơ ở giai đoạn «{state_label(err.state, regime)}». "
        f"Các bước có thể làm: {names_vi}.",
        f"The {step_en} step is not available at the stage '{state_label(err.state, regime, EN)}'. "
        f"Steps available: {names_en}.",
    )


class DossierEngine:
    def __init__(
        self,
        db: Engine,
        regimes: Mapping[str, Regime],
        policy: DeadlinePolicy,
        *,
        clock: Callable[[], datetime] | None = None,
        id_salt: str = "",
        id_key: str = "",
        signer: Signer | None = None,
    ) -> None:
        self.db = db
        self.regimes = dict(regimes)
        self.policy = policy
        self.clock = clock or (lambda: datetime.now(UTC))
        self.id_salt = id_salt
        self.ids = IdProtector(id_salt, id_key or id_salt)
        self.signer = signer or development_signer()  # the runtime passes the configured key
        self._directory: Directory | None = None
        self._loaded_at = 0.0
        self._steps: dict[tuple[int, str, str], tuple[Regime, tuple[Step, ...]]] = {}

    # ------------------------------------------------------------------ collaborators

    def directory(self, conn: Connection | None = None) -> Directory:
        """The agencies, cached; reloaded after DIRECTORY_TTL seconds so that a reassignment made by
        another process (`rehab agencies reassign`) reaches a long-running server."""
        if self._directory is None or time.monotonic() - self._loaded_at > DIRECTORY_TTL:
            if conn is not None:
                self._directory = Directory.load(conn)
            else:
                with reading(self.db) as c:
                    self._directory = Directory.load(c)
            self._loaded_at = time.monotonic()
        return self._directory

    def reload_directory(self) -> None:
        self._directory = None

    def _now(self) -> tuple[datetime, date]:
        now = self.clock()
        return now.astimezone(UTC), local_date(now, self.policy.tz)

    def text_salt(self, name: str, text: str) -> str:
        """The salt of a free text kept beside the chain (`workflow.texts`): keyed, so not guessable."""
        return self.ids.keyed("entry_text", f"{name}\x1f{text}")[:32]

    def id_hash(self, id_number: str) -> str:
        """The keyed hash (HMAC-SHA256) that matches a person across dossiers (`workflow.idcrypt`)."""
        return self.ids.digest(id_number)

    # ------------------------------------------------------------------ fire

    def fire(
        self,
        dossier_id: int,
        event: str,
        actor: Actor,
        payload: Mapping[str, Any] | None = None,
        *,
        idempotency_key: str | None = None,
        expected_version: int | None = None,
    ) -> FireResult:
        self.directory()  # loaded before the write transaction starts
        key = scoped_key(actor.user, idempotency_key) if idempotency_key else None
        request = fingerprint(dossier_id, event, payload or {}, expected_version) if key else ""  # a key's request
        try:
            outcome = self._fire_once(dossier_id, event, actor, payload, key, request, expected_version)
        except OutsideJurisdiction:
            at = self.clock()
            record(
                self.db,
                OUTSIDE,
                username=actor.user,
                agency_id=actor.agency_id,
                dossier_id=dossier_id,
                event=event,
                at=at,
            )
            raise
        except (IntegrityError, self.db.dialect.loaded_dbapi.IntegrityError):
            # The same key, at the same moment, on another dossier (PostgreSQL): the first one stands.
            # (The store writes through the driver: its own IntegrityError, not SQLAlchemy's.)
            prior = self._prior(key) if key else None
            if prior is None:
                raise
            check_same(prior, dossier_id, event, request)
            outcome = _replay(prior)
        if not outcome.result.replayed:
            record_step(event, self.directory().type_of(actor.agency_id), outcome.result.applied)
        (log.debug if outcome.error is None else log.info)(
            "dossier.fire",
            dossier_id=dossier_id,
            step=event,
            applied=outcome.result.applied,
            to_state=outcome.result.to_state,
            replayed=outcome.result.replayed,
        )
        if outcome.error is not None:
            raise outcome.error
        return outcome.result

    def dry_run(self, dossier_id: int, event: str, actor: Actor, payload: Mapping[str, Any]) -> list[dict[str, Any]]:
        """Every reason `fire` would refuse the step now, found without writing anything (not even the log):
        a form checked before an irreversible step is confirmed. [] means it would be applied."""
        from workflow.preview import load_row

        row = load_row(self.db, dossier_id)
        now, today = self._now()
        regime, track = self.regimes[row.regime], Track(row.track)
        try:
            step = self._choose(regime, track, row.state, event, payload)
            cp = clean(step, payload, today, DateBounds.of(row.data), self.directory().agencies)
        except InvalidInput as err:
            return [dict(e) for e in err.errors]
        except StepNotAvailable as err:
            return [_not_available(regime, err)]
        return self._check(regime, track, row, step, cp, actor, today)

    def authorise(self, step: Step, actor: Actor, commune: str, on: date) -> list[dict[str, Any]]:
        """Whether the actor's agency may take the step for a dossier of the commune on the day."""
        return self._authorise(step, actor, commune, on)

    def _fire_once(
        self,
        dossier_id: int,
        event: str,
        actor: Actor,
        payload: Mapping[str, Any] | None,
        key: str | None,
        request: str,
        expected_version: int | None,
    ) -> _Outcome:
        with transaction(self.db) as store:
            row = store.load(dossier_id)
            if row is None:
                raise DossierNotFound(dossier_id)
            now, today = self._now()  # after the lock: entries of one chain never go back in time
            if is_foreign(self.directory(), actor.agency_id, actor.role, row.commune_code):
                raise OutsideJurisdiction(dossier_id, actor.agency_id)  # never on this dossier's chain
            prior = store.prior(key) if key else None
            if prior is not None:
                check_same(prior, dossier_id, event, request)
                outcome = _replay(prior)
            else:
                outcome = self._attempt(store, row, event, actor, dict(payload or {}), expected_version, now, today)
                if key:
                    record = {**outcome.result.as_dict(), "error": _error_record(outcome.error), REQUEST: request}
                    store.remember(key, dossier_id, record, now)
            if store.flush(commit=True) == 0:  # the row lock makes this impossible; a guard against a changed setup
                raise VersionConflict(dossier_id, row.version, -1)
        return outcome

    def _prior(self, key: str) -> dict[str, Any] | None:
        with reading(self.db) as conn:
            return Store(conn).prior(key)

    def _attempt(
        self,
        store: Store,
        row: DossierRow,
        event: str,
        actor: Actor,
        payload: dict[str, Any],
        expected_version: int | None,
        now: datetime,
        today: date,
    ) -> _Outcome:
        regime = self.regimes[row.regime]
        track = Track(row.track)
        if expected_version is not None and expected_version != row.version:
            err = VersionConflict(row.id, expected_version, row.version)
            return self._refuse(
                store,
                row,
                event,
                actor,
                now,
                {"expected_version": expected_version},
                [_refusal("version.conflict", "Hồ sơ đã thay đổi, hãy tải lại.", str(err))],
                err,
            )
        try:
            step = self._choose(regime, track, row.state, event, payload)
            cp = clean(step, payload, today, DateBounds.of(row.data), self.directory().agencies)
        except (StepNotAvailable, InvalidInput) as err:
            if isinstance(err, InvalidInput):
                reasons = [dict(e) for e in err.errors]  # every malformed value at once, each naming its field
            else:
                reasons = [_not_available(regime, err)]
            return self._refuse(
                store,
                row,
                event,
                actor,
                now,
                {"fields": sorted(str(k).encode("utf-8", "replace").decode() for k in payload)},
                reasons,
                err,
            )
        refusals = self._check(regime, track, row, step, cp, actor, today)
        if refusals:
            outcome = self._refuse(store, row, event, actor, now, cp.logged, refusals, None)
            outcome.error = StepRefused(outcome.result)
            return outcome
        return self._apply(store, regime, track, row, step, cp, actor, now, today)

    def _choose(self, regime: Regime, track: Track, state: str, event: str, payload: Mapping[str, Any]) -> Step:
        candidates = [s for s in self._candidates(regime, state, event) if track in s.tracks]
        if not candidates:
            available = sorted({s.event.value for s in regime.steps_from(State(state), track)})
            raise StepNotAvailable(state, event, available)
        matching = [s for s in candidates if s.matches(payload)]
        if len(matching) != 1:
            name = next(s.when[0] for s in candidates if s.when)
            options = ", ".join(str(s.when[1]) for s in candidates if s.when)
            named = "; ".join(s.label_vi for s in candidates if s.when)
            raise InvalidInput(
                name, f"must be one of: {options}", reason_vi=f"Chưa chọn {field_label(name).lower()}: {named}."
            )
        return matching[0]

    def _candidates(self, regime: Regime, state: str, event: str) -> tuple[Step, ...]:
        """The regime's steps of the event from the state, looked up once (only events the regime has are kept)."""
        key = (id(regime), state, event)
        known = self._steps.get(key)
        if known is not None and known[0] is regime:
            return known[1]
        found = regime.candidates(State(state), event)
        if found:
            self._steps[key] = (regime, found)
        return found

    def _check(
        self,
        regime: Regime,
        track: Track,
        row: DossierRow,
        step: Step,
        cp: CleanPayload,
        actor: Actor,
        today: date,
    ) -> list[dict[str, Any]]:
        """Every unmet condition: who acts, the step's own document, then every guard of the step."""
        refusals = self._authorise(step, actor, row.commune_code, today)
        refusals += [dict(m) for m in cp.missing]  # required fields left out, beside every other condition
        if "new_commune" in cp.facts and cp.facts["new_commune"] not in self.directory().parents:
            refusals.append(
                _refusal(
                    "commune.unknown",
                    "Không có xã/phường này trong danh mục địa bàn.",
                    "The destination commune is not in the list of communes.",
                    step.basis,
                    field="new_commune",
                )
            )
        if step.produces is not None and cp.document is None:
            refusals.append(
                _refusal(
                    "documents.missing",
                    f"Bước này cần văn bản: {doc_label_vi(step.produces.value)}.",
                    f"This step needs its document: {doc_label_en(step.produces.value)}.",
                    step.basis,
                    field="document",
                )
            )
        facts = DossierFacts(
            regime,
            track,
            row.state,
            self.policy.calendar,
            row.data,
            _documents(row.data, cp),
            {**cp.facts},
            cp.document,
        )
        for guard in step.guards:
            verdict = guard(facts, today)
            if isinstance(verdict, Refused):
                refusals.append(verdict.as_dict())
        return refusals

    def _authorise(self, step: Step, actor: Actor, commune: str, on: date) -> list[dict[str, Any]]:
        directory = self.directory()
        kind = "person" if actor.role == "person" else directory.type_of(actor.agency_id)
        acting = {"person"} if actor.role == "person" else directory.acts_for(actor.agency_id, on)
        allowed = [a.value for a in step.actors]
        if not acting & set(allowed):  # a successor acts for the abolished agency it replaced
            return [
                _refusal(
                    "actor.not_authorised",
                    f"Cơ quan của người thực hiện ({agency_type_label(kind) or 'không rõ'}) không có thẩm quyền "
                    "thực hiện bước này; bước này do: " + "; ".join(agency_type_label(a) for a in allowed) + ".",
                    f"The actor's agency ({kind or 'unknown'}) may not take this step; allowed: "
                    + ", ".join(allowed)
                    + ".",
                    step.basis,
                )
            ]
        agency = directory.agencies.get(actor.agency_id or "")
        if agency is not None and not (agency.valid_on(on) and agency.serves(directory.lineage(commune))):
            return [
                _refusal(
                    "actor.outside_jurisdiction",
                    f"{agency.name_vi} không phụ trách địa bàn của hồ sơ này (hoặc đã hết hiệu lực).",
                    f"{agency.id} does not serve this dossier's commune on {on:%d/%m/%Y}.",
                    step.basis,
                )
            ]
        return []

    # ------------------------------------------------------------------ writing

    def _append(self, store: Store, row: DossierRow, entry: dict[str, Any]) -> str:
        entry["seq"] = row.last_seq + 1
        entry["prev_hash"] = row.last_hash or GENESIS
        entry["payload"], texts = off_chain(entry["payload"], applied=entry["applied"], salt=self.text_salt)
        seal(entry, self.signer)
        store.append(entry)
        for text in texts:
            store.keep_text(text.row(row.id, entry["seq"], entry["at"]))
        return str(entry["hash"])

    def _refuse(
        self,
        store: Store,
        row: DossierRow,
        event: str,
        actor: Actor,
        now: datetime,
        logged: Mapping[str, Any],
        refusals: list[dict[str, Any]],
        error: Exception | None,
    ) -> _Outcome:
        entry = {
            "dossier_id": row.id,
            "at": now,
            "kind": "refusal",
            "actor": actor.user,
            "actor_agency": actor.agency_id,
            "event": event,
            "from_state": row.state,
            "to_state": row.state,
            "applied": False,
            "payload": dict(logged),
            "reasons": refusals,
        }
        digest = self._append(store, row, entry)
        store.move_tip(row.id, row.last_seq + 1, digest)
        result = FireResult(
            row.id, event, False, row.state, row.state, row.version, row.last_seq + 1, digest, refusals, None, row.code
        )
        if error is not None and hasattr(error, "result"):
            error.result = result
        return _Outcome(result, error)

    def _apply(
        self,
        store: Store,
        regime: Regime,
        track: Track,
        row: DossierRow,
        step: Step,
        cp: CleanPayload,
        actor: Actor,
        now: datetime,
        today: date,
    ) -> _Outcome:
        new_state = machine_for(regime).apply(row.state, step)
        legal_date = cp.document.date if cp.document else (cp.on or today)
        data = merge_step_data(row.data, cp, step, legal_date)
        track = _track_on(data, legal_date) if step.sets_track else track
        stage = regime.stages[State(new_state)]
        directory = self.directory()
        # a move names the person's new commune; one merged on 01/07/2025 is today's commune that took it in
        commune = directory.area_on(str(data["new_commune"]), today) if step.moves_commune else row.commune_code
        agency_id = directory.resolve(stage.agency.value, commune, today) if stage.agency else None
        entry = {
            "dossier_id": row.id,
            "at": now,
            "kind": "step",
            "actor": actor.user,
            "actor_agency": actor.agency_id,
            "event": step.trigger,
            "from_state": row.state,
            "to_state": new_state,
            "applied": True,
            "payload": cp.logged,
            "reasons": [],
        }
        digest = self._append(store, row, entry)
        closing = step.closing_reason.value if step.closing_reason else row.closing_reason
        store.apply(
            row,
            state=new_state,
            agency_id=agency_id,
            data=data,
            now=now,
            seq=row.last_seq + 1,
            digest=digest,
            closing_reason=closing,
            commune_code=commune,
            track=track.value,
        )
        writer = DeadlineWriter(store, self.policy, directory, regime, track)
        due = writer.transition(row.id, commune, stage, step, data, legal_date, now, today)
        self._notify(store, row, regime, stage, agency_id, step, due, now)
        result = FireResult(
            row.id,
            step.trigger,
            True,
            row.state,
            new_state,
            row.version + 1,
            row.last_seq + 1,
            digest,
            [],
            step.closing_reason.value if step.closing_reason else None,
            row.code,
        )
        return _Outcome(result)

    def _notify(
        self,
        store: Store,
        row: DossierRow,
        regime: Regime,
        stage: Any,
        agency_id: str | None,
        step: Step,
        due: date | None,
        now: datetime,
    ) -> None:
        if agency_id is None:
            return
        context = {
            "dossier_code": row.code,
            "regime": regime.id,
            "stage": stage.state.value,
            "stage_label_vi": stage.label_vi,
            "stage_label_en": stage.label_en,
            "event": step.trigger,
            "event_label_vi": step.label_vi,
            "event_label_en": step.label_en,
            "due_on": due.isoformat() if due else None,
            "basis": step.basis,
        }
        store.queue(
            {
                "created_at": now,
                "kind": "stage_entered",
                "dossier_id": row.id,
                "agency_id": agency_id,
                "context": context,
                "status": "pending",
                "dedupe_key": f"step:{row.id}:{row.last_seq + 1}",
            },
        )

    # ------------------------------------------------------------------ open

    def open_dossier(
        self,
        *,
        person: Mapping[str, Any],
        commune_code: str,
        violation: Mapping[str, Any],
        actor: Actor,
        facts: Mapping[str, Any] | None = None,
        idempotency_key: str | None = None,
        previous_dossier_id: int | None = None,
        start_state: str | None = None,
    ) -> FireResult:
        """Open a dossier from its violation record: the regime in force on that date, kept for life."""
        from workflow.opening import open_dossier

        request = fingerprint(person, commune_code, violation, facts or {}, previous_dossier_id, start_state)
        return open_dossier(
            self,
            person=person,
            commune_code=commune_code,
            violation=violation,
            actor=actor,
            facts=facts or {},
            idempotency_key=scoped_key(actor.user, idempotency_key) if idempotency_key else None,
            previous_dossier_id=previous_dossier_id,
            start_state=start_state,
            request=request,
        )

    # ------------------------------------------------------------------ people

    def record_episode(self, person_id: int, episode: Mapping[str, Any], actor: Actor) -> dict[str, Any]:
        """Enter an earlier rehab episode from paper records (logged on the person's open dossiers)."""
        from workflow.people import record_episode

        return record_episode(self, person_id, episode, actor)

    def correct_identity(self, person_id: int, changes: Mapping[str, Any], actor: Actor) -> dict[str, Any]:
        """Correct identity fields (the changed field names, never values, logged on each dossier's chain)."""
        from workflow.people import correct_identity

        return correct_identity(self, person_id, changes, actor)


def _documents(data: Mapping[str, Any], cp: CleanPayload) -> dict[str, DocumentRef]:
    docs = {k: DocumentRef.from_json(v) for k, v in data.get("documents", {}).items()}
    docs.update({d.type: d for d in cp.attachments})
    return docs


def merge_step_data(data: Mapping[str, Any], cp: CleanPayload, step: Step, legal_date: date) -> dict[str, Any]:
    """The dossier data after the step: its facts, stamped dates, ended and dated periods and documents."""
    merged = {k: v for k, v in data.items() if k != "documents"}
    merged.update({k: v for k, v in cp.facts.items() if k not in FREE_TEXT})  # free text: beside the chain only
    for stamp in step.stamps:  # the step's legal date, unless the payload states that date itself
        if stamp not in cp.facts:
            merged[stamp] = legal_date.isoformat()
    if step.ends_period is not None:  # every episode is kept: a second absconding never erases the first
        start, end, into = step.ends_period
        if merged.get(start) and merged.get(end):
            merged[into] = [*merged.get(into, []), [merged[start], merged[end]]]
    _track_periods(merged, step, legal_date)
    documents = dict(data.get("documents", {}))
    documents.update({d.type: d.as_json() for d in cp.documents})
    merged["documents"] = documents
    return merged


def _track_on(data: Mapping[str, Any], on: date) -> Track:
    """Adults from 18, minors from 12 to under 18, on the day (the violation of a person managed earlier)."""
    return Track.ADULT if age_on(date.fromisoformat(str(data["birth_date"])), on) >= 18 else Track.MINOR


def _track_periods(merged: dict[str, Any], step: Step, legal_date: date) -> None:
    """Open or close the dated periods the step names; keep the total of the closed ones in days."""
    for name, op in step.periods:
        if "=" in op:  # "<fact>=<value>": open when the step states that value, else close
            fact, value = op.split("=", 1)
            op = "open" if merged.get(fact) == value else "close"
        periods = [list(p) for p in merged.get(name, [])]
        still_open = bool(periods) and periods[-1][1] is None
        if op == "open" and not still_open:
            periods.append([legal_date.isoformat(), None])
        elif op == "close" and still_open:
            periods[-1][1] = max(legal_date.isoformat(), periods[-1][0])
        merged[name] = periods
        merged[PERIOD_TOTALS[name]] = sum(
            (date.fromisoformat(end) - date.fromisoformat(start)).days for start, end in periods if end is not None
        )


def _error_record(error: Exception | None) -> dict[str, Any] | None:
    if error is None:
        return None
    return {"type": type(error).__name__, "message": str(error), "field": getattr(error, "field", None)}


def _replay(prior: Mapping[str, Any]) -> _Outcome:
    stored = {k: v for k, v in prior.items() if k not in ("error", REQUEST)}
    stored["replayed"] = True
    result = FireResult(**stored)
    record = prior.get("error")
    if record is None:
        return _Outcome(result)
    error: Exception
    if record["type"] == "StepRefused":
        error = StepRefused(result)
    elif record["type"] == "VersionConflict":
        error = VersionConflict(result.dossier_id or 0, -1, result.version, result)
    elif record["type"] == "InvalidInput":
        error = InvalidInput(record.get("field") or "payload", record["message"], result)
    else:
        error = StepNotAvailable(result.from_state or "", result.event, [], result)
    return _Outcome(result, error)


__all__ = ["Actor", "DossierEngine", "FireResult", "merge_step_data"]
