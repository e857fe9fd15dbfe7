"""People and their history: identity corrections and earlier rehab episodes from paper records.

Both are changes a dossier's reader must be able to trace, so each writes an administrative entry on
the hash chain of the person's dossiers, in one transaction with the change: which fields were
corrected (never their values) or which kind of episode was entered and the counts the 24/36-month
rule now uses (vn-2026, `handlers.history`), and who did it. Called through `DossierEngine`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

import structlog
from sqlalchemy import Connection, Engine, func, insert, select, update

from handlers.history import COUNTED_KINDS as HISTORY_COUNTS
from states.model import State
from workflow.chain import GENESIS, seal
from workflow.db import is_postgres, reading
from workflow.errors import FieldProblem, InvalidFields, WorkflowError
from workflow.identity import clean_identity, parse_day, text
from workflow.intake import load_communes
from workflow.names import fold
from workflow.tables import Dossier, Person, PriorEpisode, TransitionLog

if TYPE_CHECKING:
    from workflow.engine import Actor, DossierEngine
    from workflow.signing import Signer

log = structlog.get_logger(__name__)
DOSSIER = Dossier.__table__  # type: ignore[attr-defined]
PERSON = Person.__table__  # type: ignore[attr-defined]
EPISODE = PriorEpisode.__table__  # type: ignore[attr-defined]
LOG = TransitionLog.__table__  # type: ignore[attr-defined]
EPISODE_KINDS = {
    "compulsory": "Cai nghiện bắt buộc",
    "voluntary": "Cai nghiện tự nguyện",
    "post_rehab": "Quản lý sau cai nghiện",
}
# "người cai nghiện ma túy từ lần thứ hai trở lên" (Luật 120/2025/QH15 ◻): rehab episodes, compulsory or
# voluntary; post-rehab supervision follows an episode and is not one.
COUNTED_KINDS = HISTORY_COUNTS
DATA_COPIES = ("birth_date", "sex", "nationality")  # identity facts the guards read from the dossier


class PersonNotFound(WorkflowError):
    def __init__(self, person_id: object) -> None:
        super().__init__(f"person {person_id} not found")
        self.person_id = person_id


# --------------------------------------------------------------------------- reading


def episode_counts(conn: Connection, person_id: int, before: date) -> dict[str, int]:
    """Earlier episodes from paper records that started before `before`, by kind."""
    rows = conn.execute(
        select(EPISODE.c.kind, func.count())
        .where(EPISODE.c.person_id == person_id, EPISODE.c.started_on < before)
        .group_by(EPISODE.c.kind)
    ).all()
    found = {str(r[0]): int(r[1]) for r in rows}
    return {kind: found.get(kind, 0) for kind in EPISODE_KINDS}


def dossier_brief(db: Engine, dossier_id: int) -> dict[str, Any]:
    """Regime, track, version, commune, responsible agency and person id of a dossier (no personal data)."""
    columns = (DOSSIER.c.regime, DOSSIER.c.track, DOSSIER.c.version, DOSSIER.c.commune_code, DOSSIER.c.agency_id)
    with reading(db) as conn:
        row = conn.execute(select(*columns, DOSSIER.c.person_id).where(DOSSIER.c.id == dossier_id)).first()
    return dict(row._asdict()) if row is not None else {}


def person_dossiers(db: Engine, person_id: int) -> list[dict[str, Any]] | None:
    """The person's dossiers (no personal data), newest first; None if there is no such person."""
    with reading(db) as conn:
        if conn.execute(select(PERSON.c.id).where(PERSON.c.id == person_id)).first() is None:
            return None
        rows = conn.execute(select(DOSSIER).where(DOSSIER.c.person_id == person_id).order_by(DOSSIER.c.id.desc()))
        return [
            {
                "id": r.id,
                "code": r.code,
                "regime": r.regime,
                "track": r.track,
                "state": r.state,
                "commune_code": r.commune_code,
                "agency_id": r.agency_id,
                "closing_reason": r.closing_reason,
                "opened_at": r.opened_at.isoformat(),
                "previous_dossier_id": r.previous_dossier_id,
                "earlier_episodes": {
                    "in_system": r.data.get("prior_episodes", 0),
                    "stated_voluntary": r.data.get("prior_voluntary_episodes", 0),
                    "recorded": r.data.get("recorded_episodes", {}),
                },
            }
            for r in rows
        ]


def person_identity(
    db: Engine, person_id: int, reveal: Callable[[str | None], str | None] = lambda stored: stored
) -> dict[str, Any] | None:
    """Identity and earlier episodes: personal data, for the roles entitled to it only (`reveal` decrypts the
    ID number: `DossierEngine.ids.reveal`)."""
    with reading(db) as conn:
        row = conn.execute(select(PERSON).where(PERSON.c.id == person_id)).first()
        if row is None:
            return None
        episodes = conn.execute(
            select(EPISODE).where(EPISODE.c.person_id == person_id).order_by(EPISODE.c.started_on)
        ).all()
        communes = load_communes(conn)
    residence = communes.get(row.residence_commune or "")
    return {
        "full_name": row.full_name,
        "birth_date": row.birth_date.isoformat(),
        "sex": row.sex,
        "nationality": row.nationality,
        "id_number": reveal(row.id_number),
        "residence_commune": row.residence_commune,
        "residence_commune_name": residence.name if residence else None,
        "address": row.address,
        "episodes": [_episode(e) for e in episodes],
    }


def _episode(e: Any) -> dict[str, Any]:
    return {
        "id": e.id,
        "kind": e.kind,
        "kind_vi": EPISODE_KINDS.get(e.kind, e.kind),
        "counted": e.kind in COUNTED_KINDS,
        "started_on": e.started_on.isoformat(),
        "ended_on": e.ended_on.isoformat() if e.ended_on else None,
        "document_number": e.document_number,
        "document_issuer": e.document_issuer,
        "entered_by": e.entered_by,
        "entered_at": e.entered_at.isoformat(),
    }


# --------------------------------------------------------------------------- checking


def clean_episode(raw: Mapping[str, Any], today: date) -> dict[str, Any]:
    """An episode as entered, every problem at once (InvalidFields)."""
    problems: list[FieldProblem] = []

    def bad(name: str, code: str, vi: str, en: str) -> None:
        problems.append(FieldProblem(name, code, vi, en))

    for unknown in sorted(set(raw) - {"kind", "started_on", "ended_on", "document_number", "document_issuer"}):
        bad(unknown, "unknown", "Trường không được hỗ trợ.", "Unknown field.")
    kind = text(raw.get("kind") or "")
    if kind not in EPISODE_KINDS:
        bad(
            "kind", "invalid", "Chọn loại: bắt buộc, tự nguyện hoặc quản lý sau cai.", "compulsory|voluntary|post_rehab"
        )
    started = _day(raw, "started_on", today, bad, required=True)
    ended = _day(raw, "ended_on", today, bad, required=False)
    if started and ended and ended < started:
        bad("ended_on", "before_start", "Ngày kết thúc trước ngày bắt đầu.", "Ends before it starts.")
    number, issuer = text(raw.get("document_number") or ""), text(raw.get("document_issuer") or "")
    for name, value, label, limit in (
        ("document_number", number, "Số quyết định", 60),
        ("document_issuer", issuer, "Cơ quan ra quyết định", 200),
    ):
        if not value:
            bad(name, "required", f"{label} là bắt buộc.", "Required.")
        elif len(value) > limit:
            bad(name, "too_long", f"{label} dài quá {limit} ký tự.", f"Over {limit} characters.")
    if problems:
        raise InvalidFields(problems)
    return {
        "kind": kind,
        "started_on": started,
        "ended_on": ended,
        "document_number": number,
        "document_issuer": issuer,
    }


def _day(raw: Mapping[str, Any], name: str, today: date, bad: Any, *, required: bool) -> date | None:
    value = raw.get(name)
    if value is None or str(value).strip() == "":
        if required:
            bad(name, "required", "Ngày bắt đầu là bắt buộc.", "Required.")
        return None
    day = parse_day(value)
    if day is None:
        bad(name, "invalid", "Ngày không hợp lệ (dd/mm/yyyy).", "Not a date (dd/mm/yyyy).")
    elif day > today:
        bad(name, "future", "Ngày không được ở tương lai.", "In the future.")
    return day if day is not None and day <= today else None


# --------------------------------------------------------------------------- writing


def _locked_dossiers(conn: Connection, person_id: int, *, open_only: bool) -> list[Any]:
    query = select(DOSSIER).where(DOSSIER.c.person_id == person_id).order_by(DOSSIER.c.id)
    if open_only:
        query = query.where(DOSSIER.c.state != State.CLOSED.value)
    if is_postgres(conn.engine):
        query = query.with_for_update()
    return list(conn.execute(query).all())


def _admin_entry(
    conn: Connection,
    row: Any,
    event: str,
    payload: dict[str, Any],
    actor: Actor,
    now: datetime,
    data: Any,
    signer: Signer,
) -> None:
    """One administrative entry on the dossier's chain; the dossier's version and tip move with it."""
    entry = {
        "dossier_id": row.id,
        "seq": row.last_seq + 1,
        "at": now,
        "kind": "admin",
        "actor": actor.user,
        "actor_agency": actor.agency_id,
        "event": event,
        "from_state": row.state,
        "to_state": row.state,
        "applied": True,
        "payload": payload,
        "reasons": [],
        "prev_hash": row.last_hash or GENESIS,
    }
    seal(entry, signer)
    conn.execute(insert(LOG).values(**entry))
    conn.execute(
        update(DOSSIER)
        .where(DOSSIER.c.id == row.id)
        .values(version=row.version + 1, updated_at=now, last_seq=entry["seq"], last_hash=entry["hash"], data=data)
    )


def _opened_on(data: Mapping[str, Any]) -> date:
    return date.fromisoformat(str(data.get("violation_on") or data.get("management_started_on")))


def record_episode(engine: DossierEngine, person_id: int, raw: Mapping[str, Any], actor: Actor) -> dict[str, Any]:
    """Enter an earlier episode; each open dossier of the person opened after it starts counts it."""
    now, today = engine._now()
    episode = clean_episode(raw, today)
    with engine.db.begin() as conn:
        if conn.execute(select(PERSON.c.id).where(PERSON.c.id == person_id)).first() is None:
            raise PersonNotFound(person_id)
        values = {**episode, "person_id": person_id, "entered_by": actor.user, "entered_at": now}
        episode_id = int(conn.execute(insert(EPISODE).values(**values).returning(EPISODE.c.id)).scalar_one())
        updated = []
        for row in _locked_dossiers(conn, person_id, open_only=True):
            if episode["started_on"] >= _opened_on(row.data):
                continue
            counts = episode_counts(conn, person_id, _opened_on(row.data))
            payload = {"episode_kind": episode["kind"], "recorded_episodes": counts}
            data = {**row.data, "recorded_episodes": counts}
            _admin_entry(conn, row, "record_prior_episode", payload, actor, now, data, engine.signer)
            updated.append(row.code)
    log.info("person.episode_recorded", person_id=person_id, kind=episode["kind"], dossiers=len(updated))
    return {"id": episode_id, "person_id": person_id, "kind": episode["kind"], "dossiers_updated": updated}


def correct_identity(engine: DossierEngine, person_id: int, changes: Mapping[str, Any], actor: Actor) -> dict[str, Any]:
    """Correct identity fields; every dossier of the person records which fields changed and who changed them."""
    now, today = engine._now()
    with reading(engine.db) as conn:
        communes = load_communes(conn)
    cleaned, problems = clean_identity(changes, today, communes=communes, partial=True, prefix="")
    if not changes:
        problems.append(FieldProblem("body", "empty", "Không có trường nào cần sửa.", "Nothing to correct."))
    if problems:
        raise InvalidFields(problems)
    with engine.db.begin() as conn:
        query = select(PERSON).where(PERSON.c.id == person_id)
        current = conn.execute(query.with_for_update() if is_postgres(conn.engine) else query).first()
        if current is None:
            raise PersonNotFound(person_id)
        stored = {**current._asdict(), "id_number": engine.ids.reveal(current.id_number)}  # kept encrypted
        changed = sorted(k for k, v in cleaned.items() if stored[k] != v)
        if not changed:
            return {"person_id": person_id, "changed": [], "dossiers_logged": []}
        values = {k: cleaned[k] for k in changed}
        if "id_number" in changed:
            values["id_number"] = engine.ids.seal(cleaned["id_number"])
            values["id_number_hash"] = engine.id_hash(cleaned["id_number"]) if cleaned["id_number"] else None
            _id_number_free(conn, values["id_number_hash"], person_id)
        if "full_name" in changed:  # the search column follows the name (workflow.names)
            values["name_folded"] = fold(cleaned["full_name"])
        conn.execute(update(PERSON).where(PERSON.c.id == person_id).values(**values))
        logged = []
        for row in _locked_dossiers(conn, person_id, open_only=False):
            data = {**row.data, **{k: _json(cleaned[k]) for k in changed if k in DATA_COPIES}}
            _admin_entry(conn, row, "correct_identity", {"fields": changed}, actor, now, data, engine.signer)
            logged.append(row.code)
    log.info("person.identity_corrected", person_id=person_id, fields=changed, dossiers=len(logged))
    return {"person_id": person_id, "changed": changed, "dossiers_logged": logged}


def _json(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date) else value


def _id_number_free(conn: Connection, digest: str | None, person_id: int) -> None:
    if digest is None:
        return
    other = conn.execute(select(PERSON.c.id).where(PERSON.c.id_number_hash == digest, PERSON.c.id != person_id))
    if other.first() is not None:
        raise InvalidFields(
            [
                FieldProblem(
                    "id_number",
                    "taken",
                    "Số định danh này đã được ghi cho một người khác trong hệ thống; hãy kiểm tra lại.",
                    "Another person already has this ID number.",
                )
            ]
        )


__all__ = [
    "COUNTED_KINDS",
    "EPISODE_KINDS",
    "PersonNotFound",
    "clean_episode",
    "correct_identity",
    "dossier_brief",
    "episode_counts",
    "person_dossiers",
    "person_identity",
    "record_episode",
]
