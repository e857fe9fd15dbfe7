"""Opening a dossier from its violation record (the first transition-log entry of its chain)."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import date
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, insert, select, update
from sqlalchemy.exc import IntegrityError

from handlers.eligibility import NOT_EXCLUDED, age_on
from handlers.facts import DocumentRef, DossierFacts
from handlers.verdict import Refused
from handlers.vn2026 import management_decided_in_time
from states.model import Guard, Regime, State, Track
from states.registry import NoRegimeForDate, regime_for
from workflow.chain import GENESIS, entry_hash
from workflow.db import reading
from workflow.errors import InvalidInput, StepRefused
from workflow.payload import parse_date, parse_document
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
OPENERS = ("commune_police", "commune_committee", "district_police", "provincial_police")
OPENERS_BASIS = "Nghị định 116/2021/NĐ-CP, Điều 33"
OPEN_FACTS: dict[str, type] = {
    "pregnant": bool,
    "child_birth_date": date,  # the youngest child the person raises (exclusion under 36 months)
    "sole_carer": bool,  # the person is the only one raising that child
    "lacks_capacity": bool,
    "stable_residence": bool,
    "grounds": str,
    "last_violation_on": date,
    "prior_voluntary_episodes": int,
    "positive_test_on": date,
}
PRIVATE_FACTS = frozenset({"child_birth_date"})  # a child's personal data: kept in the dossier, not on the chain
# The document that opens a dossier in each initial state, and what is checked before it opens.
START_DOCUMENT = {State.VIOLATION_RECORDED: "violation_record", State.DRUG_USER_MANAGEMENT: "user_management_decision"}
START_GUARDS: dict[State, tuple[Guard, ...]] = {
    State.VIOLATION_RECORDED: NOT_EXCLUDED,
    State.DRUG_USER_MANAGEMENT: (management_decided_in_time,),
}
PERSON_FIELDS = ("full_name", "id_number", "birth_date", "sex", "nationality", "address")


def _clean_person(person: Mapping[str, Any]) -> dict[str, Any]:
    unknown = sorted(set(person) - set(PERSON_FIELDS))
    if unknown:
        raise InvalidInput(f"person.{unknown[0]}", "unknown field")
    name = str(person.get("full_name", "")).strip()
    if not name:
        raise InvalidInput("person.full_name", "the person's full name is required")
    if "birth_date" not in person:
        raise InvalidInput("person.birth_date", "the birth date is required")
    sex = str(person.get("sex", "male"))
    if sex not in ("male", "female"):
        raise InvalidInput("person.sex", "must be 'male' or 'female'")
    id_number = str(person.get("id_number") or "").strip() or None
    if id_number is not None and not (id_number.isdigit() and len(id_number) in (9, 12)):
        raise InvalidInput("person.id_number", "must be 9 or 12 digits (CMND/CCCD)")
    return {
        "full_name": name,
        "id_number": id_number,
        "birth_date": parse_date("person.birth_date", person["birth_date"]),
        "sex": sex,
        "nationality": str(person.get("nationality", "VN")).upper(),
        "address": str(person.get("address", "")),
    }


def _clean_facts(facts: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in facts.items():
        kind = OPEN_FACTS.get(key)
        if kind is None:
            raise InvalidInput(f"facts.{key}", f"unknown fact (accepted: {', '.join(OPEN_FACTS)})")
        if kind is date:
            out[key] = parse_date(f"facts.{key}", value).isoformat()
        elif isinstance(value, kind) and (
            kind is not int or (isinstance(value, int) and not isinstance(value, bool) and value >= 0)
        ):
            out[key] = value
        else:
            raise InvalidInput(f"facts.{key}", f"must be {'a whole number >= 0' if kind is int else kind.__name__}")
    return out


def _start(
    engine: DossierEngine, violation: Mapping[str, Any], start_state: State | str | None, today: date
) -> tuple[DocumentRef, Regime, State]:
    """The opening document, the regime in force on its date and the initial state the dossier starts in."""
    try:
        state = State(start_state) if start_state is not None else None
    except ValueError:
        raise InvalidInput("start_state", f"unknown state '{start_state}'") from None
    expected = START_DOCUMENT.get(state or State.VIOLATION_RECORDED)
    if expected is None:
        raise InvalidInput("start_state", f"a dossier cannot start in '{state}' (one of: {', '.join(START_DOCUMENT)})")
    record = parse_document("violation", violation, expected, today)
    if record.type != expected:
        raise InvalidInput("violation.type", f"the opening document must be a {expected}")
    try:
        regime = regime_for(record.date, engine.regimes)
    except NoRegimeForDate as err:
        raise InvalidInput("violation.date", str(err)) from None
    chosen = state or regime.initial_states[0]
    if chosen not in regime.initial_states:
        raise InvalidInput(
            "start_state",
            f"regime {regime.id}, in force on {record.date:%d/%m/%Y}, has no "
            f"initial state '{chosen}' (it starts in: {', '.join(regime.initial_states)})",
        )
    return record, regime, chosen


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
) -> FireResult:
    """Open a dossier from its first document (a violation record, or under vn-2026 a drug-user management
    decision with `start_state="drug_user_management"`): the regime in force on its date, kept for life."""

    now, today = engine._now()
    who = _clean_person(person)
    record, regime, initial = _start(engine, violation, start_state, today)
    age = age_on(who["birth_date"], record.date)
    track = Track.ADULT if age >= 18 else Track.MINOR
    data = {
        **_clean_facts(facts),
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
        )
    except IntegrityError:
        if not idempotency_key:
            raise
        # The same key was used at the same moment by another request (PostgreSQL): its result stands.
        with reading(engine.db) as conn:
            prior = conn.execute(select(IDEM.c.result).where(IDEM.c.key == idempotency_key)).first()
        if prior is None:
            raise
        return _replayed(prior.result)


def _replayed(stored: Mapping[str, Any]) -> FireResult:
    from workflow.engine import FireResult

    return FireResult(**{**{k: v for k, v in stored.items() if k != "error"}, "replayed": True})


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
) -> FireResult:
    from workflow.engine import FireResult

    with engine.db.begin() as conn:
        if idempotency_key:
            prior = conn.execute(select(IDEM.c.result).where(IDEM.c.key == idempotency_key)).first()
            if prior is not None:
                return _replayed(prior.result)
        directory = engine.directory(conn)
        if commune_code not in directory.parents:
            raise InvalidInput("commune_code", f"unknown commune '{commune_code}'")
        current = directory.area_on(commune_code, today)  # a commune merged on 01/07/2025: today's commune
        if current != commune_code:
            data["commune_named"] = commune_code
            commune_code = current
        refusals = _refusals(engine, regime, initial, track, data, actor, commune_code, today)
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
                    result={**result.as_dict(), "error": None},
                    created_at=now,
                )
            )
    return result


def _refusals(
    engine: DossierEngine,
    regime: Regime,
    initial: State,
    track: Track,
    data: dict[str, Any],
    actor: Actor,
    commune: str,
    today: date,
) -> list[dict[str, Any]]:
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
    found = [v.as_dict() for g in START_GUARDS[initial] if isinstance(v := g(facts, today), Refused)]
    return _opener_refusals(engine, actor, commune, today) + found


def _opener_refusals(engine: DossierEngine, actor: Actor, commune: str, today: date) -> list[dict[str, Any]]:
    """Like `fire()`'s check of the actor: an opening agency type (or its successor), in office today and
    serving the dossier's commune. An abolished district police cannot open a dossier, nor another commune's."""
    directory = engine.directory()
    if not directory.acts_for(actor.agency_id, today) & set(OPENERS):
        return [
            _opening_refusal(
                "actor.not_authorised",
                "Chỉ Công an, UBND cấp xã hoặc Công an cấp huyện/tỉnh được lập biên bản và mở hồ sơ.",
                "Only police or the commune committee may open a dossier.",
            )
        ]
    agency = directory.agencies[str(actor.agency_id)]
    if not (agency.valid_on(today) and agency.serves(directory.lineage(commune))):
        return [
            _opening_refusal(
                "actor.outside_jurisdiction",
                f"{agency.name_vi} không phụ trách địa bàn của hồ sơ này vào ngày {today:%d/%m/%Y} "
                "(hoặc đã hết hiệu lực).",
                f"{agency.id} does not serve this dossier's commune on {today:%d/%m/%Y} (or is no longer in office).",
            )
        ]
    return []


def _opening_refusal(code: str, vi: str, en: str) -> dict[str, Any]:
    return {"code": code, "reason_vi": vi, "reason_en": en, "basis": OPENERS_BASIS, "unconfirmed": False}


def _person_id(engine: DossierEngine, conn: Connection, who: dict[str, Any]) -> int:
    digest = engine.id_hash(who["id_number"]) if who["id_number"] else None
    if digest:
        found = conn.execute(select(PERSON.c.id).where(PERSON.c.id_number_hash == digest)).first()
        if found:
            return int(found.id)
    inserted = conn.execute(insert(PERSON).values(**who, id_number_hash=digest).returning(PERSON.c.id))
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
    record_date = date.fromisoformat(next(iter(data["documents"].values()))["date"])
    code = f"HS-{record_date.year}-{dossier_id:06d}"
    logged = {
        "regime": regime.id,
        "track": track.value,
        "commune_code": commune,
        **({"commune_named": data["commune_named"]} if "commune_named" in data else {}),
        "documents": list(data["documents"].values()),
        "prior_episodes": data["prior_episodes"],
        **{k: ("(ẩn)" if k in PRIVATE_FACTS else data[k]) for k in OPEN_FACTS if k in data},
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
    entry["hash"] = entry_hash(entry)
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
