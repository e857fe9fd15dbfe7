"""Read side: what the CLI, the JSON API and the admin UI show. Never writes.

Personal data (name, ID number, address) is returned only when the caller asks for it
(`with_person=True`), which the web layer allows only to roles that need it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date
from typing import Any

from sqlalchemy import Engine, func, select

from states import labels
from states.model import Regime, State, Track
from states.registry import regimes_by_id
from workflow import parties, tally
from workflow.access import Scope, may_read_person, readable, readable_of_agency, redact_entry, redacted_fields
from workflow.db import reading
from workflow.inbox import AlertFilters, alerts
from workflow.tables import Agency, Area, Deadline, Dossier, Person, TransitionLog

DOSSIER = Dossier.__table__  # type: ignore[attr-defined]
LOG = TransitionLog.__table__  # type: ignore[attr-defined]
DEADLINE = Deadline.__table__  # type: ignore[attr-defined]
PERSON = Person.__table__  # type: ignore[attr-defined]
AGENCY = Agency.__table__  # type: ignore[attr-defined]
AREA = Area.__table__  # type: ignore[attr-defined]


BUILT_IN = regimes_by_id()  # for names only: a configured regime differs in rule values, never in names


def _stage_labels(regime: Regime, state: str) -> dict[str, Any]:
    stage = regime.stages.get(State(state))
    return {
        "state": state,
        "label_vi": stage.label_vi if stage else state,
        "label_en": stage.label_en if stage else state,
        "state_label_vi": labels.state_label(state, regime),
    }


def named(row: dict[str, Any]) -> dict[str, Any]:
    """A dossier row with the Vietnamese names of its codes (`*_label_vi`) beside them."""
    regime = BUILT_IN.get(str(row.get("regime")))
    if "state" in row:
        row["state_label_vi"] = labels.state_label(row["state"], regime)
    if "track" in row:
        row["track_label_vi"] = labels.track_label(row["track"])
    if "closing_reason" in row:
        row["closing_reason_label_vi"] = labels.closing_reason_label(row["closing_reason"])
    if "regime" in row and regime is not None:
        row["regime_label_vi"] = regime.label_vi
    return row


def available_steps(regime: Regime, state: str, track: str) -> list[dict[str, Any]]:
    steps = regime.steps_from(State(state), Track(track))
    return [
        {
            "event": s.event.value,
            "trigger": s.trigger,
            "when": list(s.when) if s.when else None,
            "label_vi": s.label_vi,
            "label_en": s.label_en,
            "actors": [a.value for a in s.actors],
            "actors_label_vi": [labels.agency_type_label(a.value) for a in s.actors],
            "produces": s.produces.value if s.produces else None,
            "produces_label_vi": labels.doc_label(s.produces.value) if s.produces else None,
            "dest": s.dest.value,
            "dest_label_vi": labels.state_label(s.dest.value, regime),
            "irreversible": regime.stages[s.dest].final,
            "fields": {k: v.__name__ for k, v in s.fields.items()},
            "basis": s.basis,
        }
        for s in steps
    ]


def deadline_rows(
    db: Engine,
    today: date,
    *,
    dossier_id: int | None = None,
    agency_id: str | None = None,
    overdue_only: bool = False,
    limit: int = 500,
    scope: Scope | None = None,
) -> list[dict[str, Any]]:
    """Open deadlines, soonest first; with `scope`, only those of dossiers the reader may read."""
    query = (
        select(DEADLINE, DOSSIER.c.code, DOSSIER.c.regime, AGENCY.c.name_vi.label("agency_name"))
        .join(DOSSIER, DOSSIER.c.id == DEADLINE.c.dossier_id)
        .outerjoin(AGENCY, AGENCY.c.id == DEADLINE.c.agency_id)
        .where(DEADLINE.c.closed_at.is_(None))
        .order_by(DEADLINE.c.due_on)
        .limit(limit)
    )
    if dossier_id is not None:
        query = query.where(DEADLINE.c.dossier_id == dossier_id)
    if agency_id is not None:
        query = query.where(DEADLINE.c.agency_id == agency_id)
    if overdue_only:  # a paused clock (a postponement, a suspended case) is never overdue
        query = query.where(DEADLINE.c.due_on < today, DEADLINE.c.paused_at.is_(None))
    if scope is not None:  # an agency's own deadlines are readable (it has the stage): no per-row check
        query = query.where(*(readable_of_agency(scope, agency_id) if agency_id else [readable(scope)]))
    with reading(db) as conn:
        rows = conn.execute(query).all()
    return [
        {
            "id": r.id,
            "dossier_id": r.dossier_id,
            "dossier_code": r.code,
            "regime": r.regime,
            "stage": r.stage,
            "stage_label_vi": labels.state_label(r.stage, BUILT_IN.get(r.regime)),
            "key": r.key,
            "rule_id": r.rule_id,
            "rule_label_vi": labels.deadline_label(r.key, r.rule_id, BUILT_IN.get(r.regime)),
            "agency_id": r.agency_id,
            "agency_name": r.agency_name or r.agency_id,
            "starts_on": r.starts_on.isoformat(),
            "due_on": r.due_on.isoformat(),
            "days_left": (r.due_on - today).days,
            "status_mark": r.status_mark,
            "status_label_vi": labels.status_label(r.status_mark),
            "basis": r.basis,
            "paused": r.paused_at is not None,
            "overdue": r.paused_at is None and r.due_on < today,
        }
        for r in rows
    ]


PERSONAL_FACTS = frozenset({"birth_date", "child_birth_date"})  # shown only with the person, by role


def dossier_view(
    db: Engine,
    regimes: Mapping[str, Regime],
    dossier_id: int,
    today: date,
    *,
    with_person: bool = False,
    reveal: Callable[[str | None], str | None] = lambda stored: stored,
) -> dict[str, Any] | None:
    """A dossier as the API and pages show it; `with_person` adds the person (ID number decrypted by
    `reveal`, `DossierEngine.ids.reveal`), for the roles that may read it."""
    with reading(db) as conn:
        row = conn.execute(select(DOSSIER).where(DOSSIER.c.id == dossier_id)).first()
        if row is None:
            return None
        agency = conn.execute(select(AGENCY.c.name_vi).where(AGENCY.c.id == row.agency_id)).scalar()
        commune = conn.execute(select(AREA.c.name).where(AREA.c.code == row.commune_code)).scalar()
        person = conn.execute(select(PERSON).where(PERSON.c.id == row.person_id)).first() if with_person else None
    regime = regimes[row.regime]
    data = dict(row.data)
    documents = _labelled_documents(db, data.pop("documents", {}), person.full_name if person else None)
    view = {
        "id": row.id,
        "code": row.code,
        "regime": {"id": regime.id, "label_vi": regime.label_vi, "label_en": regime.label_en},
        "track": row.track,
        "track_label_vi": labels.track_label(row.track),
        **_stage_labels(regime, row.state),
        "version": row.version,
        "commune": {"code": row.commune_code, "name": commune},
        "agency": {"id": row.agency_id, "name": agency},
        "closing_reason": row.closing_reason,
        "closing_reason_label_vi": labels.closing_reason_label(row.closing_reason),
        "facts": {k: v for k, v in data.items() if k not in PERSONAL_FACTS},
        "documents": {k: {**v, "label_vi": labels.doc_label(k)} for k, v in documents.items()},
        "opened_at": row.opened_at.isoformat(),
        "updated_at": row.updated_at.isoformat(),
        "log_entries": row.last_seq,
        "previous_dossier_id": row.previous_dossier_id,
        "person_id": row.person_id,
        "deadlines": deadline_rows(db, today, dossier_id=row.id),
        "available_steps": available_steps(regime, row.state, row.track),
    }
    if person is not None:
        view["person"] = {
            "full_name": person.full_name,
            "id_number": reveal(person.id_number),
            "birth_date": person.birth_date.isoformat(),
            "sex": person.sex,
            "nationality": person.nationality,
            "address": person.address,
            "child_birth_date": data.get("child_birth_date"),  # the exclusion for a young child (personal)
            "residence_commune": person.residence_commune,
        }
    return view


def agency_names(db: Engine, ids: set[str]) -> dict[str, str]:
    """The Vietnamese names of the agencies `ids` (those unknown are left out)."""
    if not ids:
        return {}
    with reading(db) as conn:
        rows = conn.execute(select(AGENCY.c.id, AGENCY.c.name_vi).where(AGENCY.c.id.in_(sorted(ids))))
        return {r.id: r.name_vi for r in rows}


def _labelled_documents(db: Engine, documents: Mapping[str, Any], person_name: str | None) -> dict[str, dict[str, Any]]:
    """Each document with its issuer's and signer's names (`workflow.parties`): the person's name in place of
    `person` only with `person_name` (a reader of the person); free text of before masked otherwise."""
    ids = {
        str(v.get("issuer", "")).removeprefix(parties.AGENCY)
        for v in documents.values()
        if str(v.get("issuer", "")).startswith(parties.AGENCY)
    }
    names = agency_names(db, ids)
    return {k: parties.labelled(v, names.get, person_name) for k, v in documents.items()}


def history(db: Engine, dossier_id: int) -> list[dict[str, Any]]:
    with reading(db) as conn:
        shown = [c for c in LOG.c if c.name not in ("body", "signature")]  # bytes: the export carries them
        rows = conn.execute(select(*shown).where(LOG.c.dossier_id == dossier_id).order_by(LOG.c.seq)).all()
        regime_id = conn.execute(select(DOSSIER.c.regime).where(DOSSIER.c.id == dossier_id)).scalar()
    regime = BUILT_IN.get(str(regime_id))
    return [_log_entry(r._asdict(), regime) for r in rows]


def _log_entry(entry: dict[str, Any], regime: Regime | None) -> dict[str, Any]:
    """A log entry with the names of its step and states (the codes stay: they are what was hashed)."""
    return {
        **entry,
        "at": entry["at"].isoformat(),
        "event_label_vi": labels.step_label(entry["event"], regime),
        "from_state_label_vi": labels.state_label(entry["from_state"], regime) if entry.get("from_state") else "",
        "to_state_label_vi": labels.state_label(entry["to_state"], regime) if entry.get("to_state") else "",
    }


def list_dossiers(
    db: Engine,
    *,
    agency_id: str | None = None,
    state: str | None = None,
    commune: str | None = None,
    limit: int = 200,
    offset: int = 0,
    scope: Scope | None = None,
) -> list[dict[str, Any]]:
    """Dossiers, newest first (no personal data); with `scope`, only those the reader may read."""
    query = (
        select(
            DOSSIER.c.id,
            DOSSIER.c.code,
            DOSSIER.c.regime,
            DOSSIER.c.track,
            DOSSIER.c.state,
            DOSSIER.c.commune_code,
            DOSSIER.c.agency_id,
            DOSSIER.c.version,
            DOSSIER.c.updated_at,
            DOSSIER.c.closing_reason,
        )
        .order_by(DOSSIER.c.id.desc())
        .limit(limit)
        .offset(offset)
    )
    if agency_id:
        query = query.where(DOSSIER.c.agency_id == agency_id)
    if state:
        query = query.where(DOSSIER.c.state == state)
    if commune:
        query = query.where(DOSSIER.c.commune_code == commune)
    if scope is not None:  # an agency's own dossiers are readable to it: no per-row check
        query = query.where(*(readable_of_agency(scope, agency_id) if agency_id else [readable(scope)]))
    with reading(db) as conn:
        return [named({**r._asdict(), "updated_at": r.updated_at.isoformat()}) for r in conn.execute(query)]


INBOX_ROWS = 50  # dossiers and deadlines an inbox shows (with their totals): a facility has thousands


def inbox(
    db: Engine,
    agency_id: str,
    today: date,
    *,
    unread_only: bool = True,
    scope: Scope | None = None,
    alert_filters: AlertFilters | None = None,
    rows: int = INBOX_ROWS,
) -> dict[str, Any]:
    """An agency's inbox: the dossiers whose current stage it must act on (the most recent `rows`), its deadlines
    (the `rows` soonest) with the totals of both, and a page of its alerts (`workflow.inbox`); with `scope`,
    dossiers and deadlines only where the reader may read them."""
    chosen = alert_filters or AlertFilters(status="unread" if unread_only else "all", page_size=INBOX_ROWS)
    # The reader's own inbox: every row below is readable to it (`readable_of_agency`), so the totals are
    # counted in the agency's indexes alone, without the per-row scope check (another agency's, with it).
    check = readable_of_agency(scope, agency_id) if scope is not None else []
    with reading(db) as conn:
        found = alerts(conn, agency_id, today, chosen)
        dossiers_total = conn.execute(
            select(func.count()).select_from(DOSSIER).where(DOSSIER.c.agency_id == agency_id, *check)
        ).scalar_one()
        deadlines = DEADLINE.join(DOSSIER, DOSSIER.c.id == DEADLINE.c.dossier_id) if check else DEADLINE
        deadlines_total = conn.execute(
            select(func.count())
            .select_from(deadlines)
            .where(DEADLINE.c.agency_id == agency_id, DEADLINE.c.closed_at.is_(None), *check)
        ).scalar_one()
    return {
        "agency_id": agency_id,
        "dossiers": list_dossiers(db, agency_id=agency_id, scope=scope, limit=rows),
        "dossiers_total": int(dossiers_total),
        "deadlines": deadline_rows(db, today, agency_id=agency_id, scope=scope, limit=rows),
        "deadlines_total": int(deadlines_total),
        "messages": found["items"],
        "alerts": {k: v for k, v in found.items() if k != "items"},
    }


def counts_by_state(db: Engine, scope: Scope | None = None) -> dict[str, int]:
    """The dossiers by stage (those `scope` may read), from the tally (`workflow.tally`)."""
    with reading(db) as conn:
        return tally.by_state(conn, scope or Scope(everything=True), {})


def export_log(db: Engine, dossier_id: int | None = None, scope: Scope | None = None) -> list[str]:
    """The transition log as canonical JSON lines, each with its hash, the server's signature (base64) and
    key id, for an external verifier (`rehab audit verify-export`, docs/audit.md).

    Free text is never on the chain (its digest is: `workflow.texts`). With `scope` (a signed-in reader), only
    the dossiers the reader may read, and in those whose person the reader may not read (an administrator;
    `workflow.access.may_read_person`) the health and identity facts are left out of the payload and named in
    `"redacted"`: such a line's hash and signature cannot be checked (its links can); the procuracy of the area
    exports every line whole."""
    import base64

    from workflow.chain import canonical

    query = select(LOG, DOSSIER.c.commune_code.label("_commune"), DOSSIER.c.agency_id.label("_agency"))
    query = query.join(DOSSIER, DOSSIER.c.id == LOG.c.dossier_id).order_by(LOG.c.dossier_id, LOG.c.seq)
    if dossier_id is not None:
        query = query.where(LOG.c.dossier_id == dossier_id)
    if scope is not None:
        query = query.where(readable(scope))
    lines = []
    with reading(db) as conn:
        for r in conn.execute(query):
            entry = {k: v for k, v in r._asdict().items() if not k.startswith("_")}
            del entry["body"]
            if entry["signature"] is not None:
                entry["signature"] = base64.b64encode(entry["signature"]).decode("ascii")
            hidden = redacted_fields(entry["payload"] or {})
            if scope is not None and hidden and not may_read_person(scope, r._commune, r._agency):
                entry = {**redact_entry(entry), "redacted": hidden}
            lines.append(canonical({**entry, "at": r.at}).decode("utf-8"))
    return lines


def commune_choices(db: Engine, today: date) -> list[tuple[str, str]]:
    """The communes in existence on the day, as (code, "name (district or province)") for a select."""
    with reading(db) as conn:
        rows = conn.execute(select(AREA)).all()
    names = {r.code: r.name for r in rows}
    current = [
        r
        for r in rows
        if r.level == "commune" and r.valid_from <= today and (r.valid_to is None or today <= r.valid_to)
    ]
    return sorted(
        ((r.code, f"{r.name} ({names.get(r.parent_code or '', '')})") for r in current),
        key=lambda choice: choice[1],
    )


def last_step(db: Engine, dossier_id: int) -> dict[str, Any] | None:
    """The dossier's last applied step (its event, time, agency and what it recorded), or None."""
    query = (
        select(LOG.c.dossier_id, LOG.c.seq, LOG.c.event, LOG.c.at, LOG.c.actor_agency, LOG.c.payload)
        .where(LOG.c.dossier_id == dossier_id, LOG.c.kind == "step")
        .order_by(LOG.c.seq.desc())
        .limit(1)
    )
    with reading(db) as conn:
        row = conn.execute(query).first()
    return {**row._asdict(), "at": row.at.isoformat()} if row else None
