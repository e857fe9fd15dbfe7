"""What must hold in a database after any number of crashes: each check returns the problems it finds.

Used by the crash tests (tests/integration/test_crash.py) after their processes were killed and a clean
run finished what they left; every problem names the row it is about, never a person.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, select

from states.model import Regime, State
from workflow.db import reading
from workflow.settings import Settings
from workflow.sweep import alert_times
from workflow.tables import Alert, Deadline, Delivery, Dossier, InboxItem, Outbox, TransitionLog

T_LOG = TransitionLog.__table__  # type: ignore[attr-defined]
T_DOSSIER = Dossier.__table__  # type: ignore[attr-defined]
T_DEADLINE = Deadline.__table__  # type: ignore[attr-defined]
T_ALERT = Alert.__table__  # type: ignore[attr-defined]
T_OUTBOX = Outbox.__table__  # type: ignore[attr-defined]
T_DELIVERY = Delivery.__table__  # type: ignore[attr-defined]
T_INBOX = InboxItem.__table__  # type: ignore[attr-defined]


def utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def rows(db: Engine, table: Any) -> list[Any]:
    with reading(db) as conn:
        return list(conn.execute(select(table).order_by(table.c[next(iter(table.primary_key.columns)).name])))


def dossiers_match_their_chains(db: Engine, regimes: dict[str, Regime]) -> list[str]:
    """Each dossier's state is the to_state of its last applied entry, its tip is its last entry, and every
    applied entry into a stage with a responsible agency queued its one stage_entered message."""
    problems: list[str] = []
    entries: dict[int, list[Any]] = defaultdict(list)
    for entry in rows(db, T_LOG):
        entries[entry.dossier_id].append(entry)
    queued = {o.dedupe_key for o in rows(db, T_OUTBOX) if o.kind == "stage_entered"}
    for dossier in rows(db, T_DOSSIER):
        chain = sorted(entries.pop(dossier.id, []), key=lambda e: e.seq)
        applied = [e for e in chain if e.applied]
        if not applied:
            problems.append(f"dossier {dossier.id}: no applied entry")
            continue
        if dossier.state != applied[-1].to_state:
            problems.append(f"dossier {dossier.id}: state {dossier.state}, last entry says {applied[-1].to_state}")
        if (dossier.last_seq, dossier.last_hash) != (chain[-1].seq, chain[-1].hash):
            problems.append(f"dossier {dossier.id}: tip {dossier.last_seq} is not its last entry {chain[-1].seq}")
        regime = regimes[dossier.regime]
        for entry in applied:
            stage = regime.stages.get(State(entry.to_state))
            wanted = stage is not None and stage.agency is not None
            if wanted and f"step:{dossier.id}:{entry.seq}" not in queued:
                problems.append(f"dossier {dossier.id}: entry {entry.seq} into {entry.to_state} queued no message")
    problems += [f"log entries of dossier {d} without a dossier row" for d in entries]
    return problems


def nothing_orphaned(db: Engine) -> list[str]:
    """Deadlines, alerts, outbox rows, deliveries and inbox items all point at rows that exist, and the open
    deadlines are those of the dossier's current stage, written by an entry that was committed."""
    problems: list[str] = []
    dossiers = {d.id: d for d in rows(db, T_DOSSIER)}
    entry_times: dict[int, set[datetime]] = defaultdict(set)
    applied_seqs: set[tuple[int, int]] = set()
    for entry in rows(db, T_LOG):
        if entry.applied:
            entry_times[entry.dossier_id].add(utc(entry.at))
            applied_seqs.add((entry.dossier_id, entry.seq))
    deadlines = {d.id: d for d in rows(db, T_DEADLINE)}
    open_keys: Counter[tuple[int, str]] = Counter()
    for d in deadlines.values():
        dossier = dossiers.get(d.dossier_id)
        if dossier is None:
            problems.append(f"deadline {d.id}: dossier {d.dossier_id} is missing")
            continue
        if utc(d.opened_at) not in entry_times[d.dossier_id]:
            problems.append(f"deadline {d.id}: opened at {d.opened_at}, when dossier {d.dossier_id} logged no step")
        if d.closed_at is None:
            open_keys[(d.dossier_id, d.key)] += 1
            if dossier.state not in d.spans:
                problems.append(f"deadline {d.id} ({d.key}) open in {dossier.state}, spans only {d.spans}")
    problems += [f"dossier {d}: {n} open deadlines {k}" for (d, k), n in open_keys.items() if n > 1]
    alerts = {a.id: a for a in rows(db, T_ALERT)}
    for a in alerts.values():
        if a.deadline_id not in deadlines or deadlines[a.deadline_id].dossier_id != a.dossier_id:
            problems.append(f"alert {a.id}: deadline {a.deadline_id} of dossier {a.dossier_id} is missing")
    outbox = {o.id: o for o in rows(db, T_OUTBOX)}
    alerted: set[int] = set()
    for o in outbox.values():
        if o.dossier_id is not None and o.dossier_id not in dossiers:
            problems.append(f"outbox {o.id}: dossier {o.dossier_id} is missing")
        source, _, rest = (o.dedupe_key or "").partition(":")
        if source == "step":
            dossier_id, seq = (int(x) for x in rest.split(":"))
            if (dossier_id, seq) not in applied_seqs:
                problems.append(f"outbox {o.id}: entry {seq} of dossier {dossier_id} was never applied")
        elif source == "alert":
            alert_id = int(rest.split(":")[0])
            alerted.add(alert_id)
            if alert_id not in alerts:
                problems.append(f"outbox {o.id}: alert {alert_id} is missing")
    problems += [f"alert {a}: no outbox message" for a in alerts.keys() - alerted]
    for delivery in rows(db, T_DELIVERY):
        if delivery.outbox_id not in outbox:
            problems.append(f"delivery {delivery.id}: outbox {delivery.outbox_id} is missing")
    for item in rows(db, T_INBOX):
        if item.outbox_id not in outbox:
            problems.append(f"inbox item {item.id}: outbox {item.outbox_id} is missing")
    return problems


def every_due_alert_once(db: Engine, settings: Settings, calendar: Any, at: datetime) -> list[str]:
    """Every alert due at ``at`` of every open, running deadline exists, and no (deadline, kind) twice."""
    tz = ZoneInfo(settings.timezone)
    written = Counter((a.deadline_id, a.kind) for a in rows(db, T_ALERT))
    problems = [f"alert {kind} of deadline {d} written {n} times" for (d, kind), n in written.items() if n > 1]
    for d in rows(db, T_DEADLINE):
        if d.closed_at is not None or d.paused_at is not None:
            continue
        times = alert_times(d.due_on, utc(d.due_at), d.remind_on, calendar, tz, settings.escalate_after_working_days)
        for kind, due in times.items():
            if due <= at and (d.id, kind) not in written:
                problems.append(f"deadline {d.id}: the {kind} alert due {due:%Y-%m-%d %H:%M} was never written")
    return problems


def everything_delivered_once(db: Engine) -> list[str]:
    """After a clean delivery run: every message fanned out, every delivery sent, one inbox item each."""
    problems = [f"outbox {o.id} still {o.status}" for o in rows(db, T_OUTBOX) if o.status != "fanned_out"]
    deliveries = rows(db, T_DELIVERY)
    problems += [f"delivery {d.id} ({d.channel}) is {d.status}" for d in deliveries if d.status != "sent"]
    items = Counter(i.outbox_id for i in rows(db, T_INBOX))
    for d in deliveries:
        if d.channel == "inbox" and items[d.outbox_id] != 1:
            problems.append(f"outbox {d.outbox_id}: {items[d.outbox_id]} inbox items")
    return problems
