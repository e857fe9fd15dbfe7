"""Opening a dossier from its violation record (the first transition-log entry of its chain)."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import date
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, insert, select, update
from sqlalchemy.exc import IntegrityError

from handlers.eligibility import age_on
from handlers.facts import DocumentRef, DossierFacts
from handlers.verdict import Refused
from states.model import Regime, State, Track
from states.opening import START_GUARDS
from workflow import intake
from workflow.chain import GENESIS, seal
from workflow.db import reading
from workflow.errors import InvalidFields, InvalidInput, StepRefused
from workflow.idempotency import REQUEST, check_same
from workflow.identity import clean_identity
from workflow.payload import valid_text
from workflow.people import episode_counts
from workflow.stage_changes import DeadlineWriter
from workflow.store import Store
from workflow.tables import Dossier, IdempotencyKey, Outbox, Person, TransitionLog

if TYPE_CHECKING:
    from workflow.engine import Actor, DossierEngine, FireResult

DOSSIER = Dossier.__table__  # type: ignore[attr-defined]
PERSON = Person.__table__  # type: ignore[attr-defined]
LOG = TransitionLog.__table__  # type: ignore[attr-defined]
OUTBOX = Outbox.__table__  # type: ignore[attr-defined]
IDEM = IdempotencyKey.__table__  # type: ignore[attr-defined]
OPENERS = intake.OPENERS[State.VIOLATION_RECORDED]
OPEN_FACTS = intake.OPEN_FACTS
START_DOCUMENT = intake.START_DOCUMENT
PRIVATE_FACTS = frozenset({"child_birth_date"})  # a child's personal data: kept in the dossier, not on the chain


def _clean_person(person: Mapping[str, Any]) -> dict[str, Any]:
    """A person's identity, cleaned as when opening (for callers that write dossiers themselves, e.g. the
    Excel import): every problem at once, or the normalised fields."""
    who, problems = clean_identity(person, date.max)
    if problems:
        raise InvalidFields(problems)
    return who


def open_dossier(
    engine: DossierEngine,
    *,
    person: Mapping[str, Any],
    commune_code: str,
    violation: Mapping[str, Any],
    actor: Actor,
    facts: Mapping[str, Any],
    idempotency_key: str | None,
    previous_dossier_id: int | None,
    start_state: State | str | None = None,
    request: str = "",
) -> FireResult:
    """Open a dossier from its first document (a violation record, or under vn-2026 a drug-user management
    decision with `start_state="drug_user_management"`): the regime in force on its date, kept for life."""

    now, today = engine._now()
    for name, value in (("person", person), ("violation", violation), ("facts", facts)):
        valid_text(name, value)  # no NUL, no lone surrogate reaches a column or the chain
    intake_ = intake.check_opening(engine, person, commune_code, violation, start_state, facts, today)
    who, record, regime, initial = intake_.person, intake_.record, intake_.regime, intake_.initial
    age = age_on(who["birth_date"], record.date)
    track = Track.ADULT if age >= 18 else Track.MINOR
    data = {
        **intake_.facts,
        "birth_date": who["birth_date"].isoformat(),
        "nationality": who["nationality"],
        "sex": who["sex"],
        "documents": {record.type: record.as_json()},
    }
    data["violation_on" if record.type == "violation_record" else "management_started_on"] = record.date.isoformat()
    try:
        return _open_once(
            engine,
            who,
            regime,
            initial,
            track,
            data,
            commune_code,
            actor,
            now,
            today,
            idempotency_key,
            previous_dossier_id,
            request,
        )
    except IntegrityError:
        if not idempotency_key:
            raise
        # The same key was used at the same moment by another request (PostgreSQL): its result stands.
        with reading(engine.db) as conn:
            prior = conn.execute(select(IDEM.c.result).where(IDEM.c.key == idempotency_key)).first()
        if prior is None:
            raise
        return _replayed(prior.result, request)


def _replayed(stored: Mapping[str, Any], request: str) -> FireResult:
    """The first result of this key, if it came with the same request (else IdempotencyConflict, 409)."""
    from workflow.engine import FireResult

    check_same(stored, None, "open_dossier", request)
    kept = {k: v for k, v in stored.items() if k not in ("error", REQUEST)}
    return FireResult(**{**kept, "replayed": True})


def _open_once(
    engine: DossierEngine,
    who: dict[str, Any],
    regime: Any,
    initial: Any,
    track: Track,
    data: dict[str, Any],
    commune_code: str,
    actor: Actor,
    now: Any,
    today: date,
    idempotency_key: str | None,
    previous_dossier_id: int | None,
    request: str,
) -> FireResult:
    from workflow.engine import FireResult

    with engine.db.begin() as conn:
        if idempotency_key:
            prior = conn.execute(select(IDEM.c.result).where(IDEM.c.key == idempotency_key)).first()
            if prior is not None:
                return _replayed(prior.result, request)
        directory = engine.directory(conn)
        if commune_code not in directory.parents:
            raise InvalidInput("commune_code", f"unknown commune '{commune_code}'")
        current = directory.area_on(commune_code, today)  # a commune merged on 01/07/2025: today's commune
        if current != commune_code:
            data["commune_named"] = commune_code
            commune_code = current
        record_date = date.fromisoformat(next(iter(data["documents"].values()))["date"])
        refusals = intake.opener_refusals(directory, actor, initial, commune_code, record_date, today)
        refusals += _refusals(engine, regime, initial, track, data, today)
        if refusals:
            raise StepRefused(FireResult(None, "open_dossier", False, None, None, 0, 0, "", refusals))
        result = _insert(
            engine, conn, who, regime, initial, track, data, commune_code, actor, now, today, previous_dossier_id
        )
        if idempotency_key:
            conn.execute(
                insert(IDEM).values(
                    key=idempotency_key,
                    dossier_id=result.dossier_id,
                    result={**result.as_dict(), "error": None, REQUEST: request},
                    created_at=now,
                )
            )
    return result


def _refusals(
    engine: DossierEngine, regime: Regime, initial: State, track: Track, data: dict[str, Any], today: date
) -> list[dict[str, Any]]:
    """The person's exclusions and age (or, for drug-user management, the decision's timing)."""
    facts = DossierFacts(
        regime,
        track,
        initial.value,
        engine.policy.calendar,
        data,
        {k: DocumentRef.from_json(v) for k, v in data["documents"].items()},
        {},
        None,
    )
    return [v.as_dict() for g in START_GUARDS[initial] if isinstance(v := g(facts, today), Refused)]


def _person_id(engine: DossierEngine, conn: Connection, who: dict[str, Any]) -> int:
    digests = engine.ids.digests(who["id_number"]) if who["id_number"] else None
    if digests:  # this scheme's keyed hash, or the salted hash of a row written before it
        found = conn.execute(select(PERSON.c.id).where(PERSON.c.id_number_hash.in_(digests))).first()
        if found:
            return int(found.id)
    sealed = {**who, "id_number": engine.ids.seal(who["id_number"])}  # never stored in clear
    digest = digests[0] if digests else None
    inserted = conn.execute(insert(PERSON).values(**sealed, id_number_hash=digest).returning(PERSON.c.id))
    return int(inserted.scalar_one())


def _prior_episodes(conn: Connection, person_id: int) -> int:
    """Earlier dossiers of the same person (identified by the hash of the ID number) that reached the facility."""
    reached = (
        select(LOG.c.dossier_id)
        .join(DOSSIER, DOSSIER.c.id == LOG.c.dossier_id)
        .where(DOSSIER.c.person_id == person_id, LOG.c.to_state == State.IN_FACILITY.value, LOG.c.applied.is_(True))
        .distinct()
    )
    return len(conn.execute(reached).all())


def _insert(
    engine: DossierEngine,
    conn: Connection,
    who: dict[str, Any],
    regime: Regime,
    initial: State,
    track: Track,
    data: dict[str, Any],
    commune: str,
    actor: Actor,
    now: Any,
    today: date,
    previous: int | None,
) -> FireResult:
    from workflow.engine import FireResult

    stage = regime.stages[initial]
    directory = engine.directory(conn)
    agency_id = directory.resolve(stage.agency.value, commune, today) if stage.agency else None
    person_id = _person_id(engine, conn, who)
    data["prior_episodes"] = _prior_episodes(conn, person_id)
    record_date = date.fromisoformat(next(iter(data["documents"].values()))["date"])
    recorded = episode_counts(conn, person_id, record_date)
    if any(recorded.values()):  # earlier episodes entered from paper records (counted by handlers.history)
        data["recorded_episodes"] = recorded
    dossier_id = int(
        conn.execute(
            insert(DOSSIER)
            .values(
                code=f"tmp-{uuid.uuid4().hex}",
                person_id=person_id,
                regime=regime.id,
                track=track.value,
                state=initial.value,
                version=1,
                commune_code=commune,
                agency_id=agency_id,
                data=data,
                opened_at=now,
                updated_at=now,
                last_seq=0,
                last_hash="",
                previous_dossier_id=previous,
            )
            .returning(DOSSIER.c.id)
        ).scalar_one()
    )
    code = f"HS-{record_date.year}-{dossier_id:06d}"
    logged = {
        "regime": regime.id,
        "track": track.value,
        "commune_code": commune,
        **({"commune_named": data["commune_named"]} if "commune_named" in data else {}),
        "documents": list(data["documents"].values()),
        "prior_episodes": data["prior_episodes"],
        **{k: ("(ẩn)" if k in PRIVATE_FACTS else data[k]) for k in (*OPEN_FACTS, "recorded_episodes") if k in data},
    }
    entry = {
        "dossier_id": dossier_id,
        "seq": 1,
        "at": now,
        "kind": "open",
        "actor": actor.user,
        "actor_agency": actor.agency_id,
        "event": "open_dossier",
        "from_state": None,
        "to_state": initial.value,
        "applied": True,
        "payload": logged,
        "reasons": [],
        "prev_hash": GENESIS,
    }
    seal(entry, engine.signer)
    conn.execute(insert(LOG).values(**entry))
    conn.execute(
        update(DOSSIER).where(DOSSIER.c.id == dossier_id).values(code=code, last_seq=1, last_hash=entry["hash"])
    )
    store = Store(conn)
    writer = DeadlineWriter(store, engine.policy, directory, regime, track)
    due = writer.transition(dossier_id, commune, stage, None, data, record_date, now, today)
    store.flush()
    if agency_id:
        conn.execute(
            insert(OUTBOX).values(
                created_at=now,
                kind="stage_entered",
                dossier_id=dossier_id,
                agency_id=agency_id,
                status="pending",
                dedupe_key=f"step:{dossier_id}:1",
                context={
                    "dossier_code": code,
                    "regime": regime.id,
                    "stage": initial.value,
                    "stage_label_vi": stage.label_vi,
                    "stage_label_en": stage.label_en,
                    "event": "open_dossier",
                    "due_on": due.isoformat() if due else None,
                    "basis": regime.basis,
                },
            )
        )
    return FireResult(dossier_id, "open_dossier", True, None, initial.value, 1, 1, str(entry["hash"]), [], None, code)
