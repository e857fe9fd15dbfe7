"""Outbox delivery: fan each pending outbox row out to its channels, then send what is due.

Delivery is at least once per channel and, for the inbox, exactly once. A delivery is claimed
in one short transaction (its ``next_attempt_at`` moves forward by a lease, so no other worker
takes it), sent with no transaction open, and its result recorded in another short
transaction. On PostgreSQL rows are claimed with ``FOR UPDATE SKIP LOCKED``; on SQLite the
engine's ``BEGIN IMMEDIATE`` serialises writers.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import structlog
from sqlalchemy import ColumnElement, Connection, Engine, Row, select, update
from sqlalchemy.dialects import postgresql, sqlite

from notifications.channels import (
    EMAIL,
    INBOX,
    WEBHOOK,
    DeliveryFailed,
    Job,
    agency_contact,
    deliver_to_inbox,
    post_webhook,
    recipients,
    send_email,
    webhook_payload,
)
from notifications.messages import LANGUAGES, Message, render
from workflow.db import reading
from workflow.settings import Settings
from workflow.tables import Delivery, Outbox

log = structlog.get_logger(__name__)

PENDING, SENT, DEAD = "pending", "sent", "dead"
FANNED_OUT = "fanned_out"
FAILED, LEASE_LOST = "failed", "lease_lost"

_DELIVERY = Delivery.__table__
_OUTBOX = Outbox.__table__
# Labelled as the fields of Job; DeadLetter shares the first seven.
_JOB_COLUMNS = (
    _DELIVERY.c.id.label("delivery_id"),
    _DELIVERY.c.outbox_id,
    _DELIVERY.c.channel,
    _DELIVERY.c.recipient,
    _OUTBOX.c.kind,
    _OUTBOX.c.agency_id,
    _OUTBOX.c.dossier_id,
    _OUTBOX.c.context,
    _OUTBOX.c.created_at,
)


class DeadLetterNotFound(LookupError):
    def __init__(self, delivery_id: int) -> None:
        super().__init__(f"No dead delivery with id {delivery_id}: it does not exist or is not dead")
        self.delivery_id = delivery_id


@dataclass(slots=True)
class DeliveryStats:
    fanned_out: int = 0
    sent: int = 0
    failed: int = 0  # will be retried
    dead: int = 0

    def count(self, outcome: str) -> None:
        if outcome in (SENT, FAILED, DEAD):
            setattr(self, outcome, getattr(self, outcome) + 1)


@dataclass(frozen=True, slots=True)
class DeadLetter:
    delivery_id: int
    outbox_id: int
    channel: str
    recipient: str
    kind: str
    dossier_id: int | None
    agency_id: str | None
    attempts: int
    last_error: str | None
    created_at: datetime


# --------------------------------------------------------------------------- entry point


def deliver_pending(db_engine: Engine, settings: Settings, now: datetime, *, batch: int = 100) -> DeliveryStats:
    """Fan out up to ``batch`` pending outbox rows, then attempt up to ``batch`` due deliveries."""
    now = as_utc(now)
    stats = DeliveryStats(fanned_out=fan_out(db_engine, settings, now, batch=batch))
    started = time.monotonic()
    for _ in range(batch):
        # Each claim gets a whole lease from the moment it is taken, however long the batch has run:
        # a lease counted from the batch's start could run out while its send is still under way.
        lease_until = now + timedelta(seconds=time.monotonic() - started) + lease(settings)
        job = claim_next(db_engine, now, lease_until)
        if job is None:
            break
        try:
            stats.count(attempt(db_engine, settings, job, now, lease_until))
        except Exception:  # recording failed too: log, leave it to the lease, carry on
            log.exception("delivery.error", delivery_id=job.delivery_id, channel=job.channel)
    return stats


def as_utc(moment: datetime) -> datetime:
    """Naive datetimes are UTC; the stored columns want aware ones."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def lease(settings: Settings) -> timedelta:
    """How long a claimed delivery stays hidden from other workers: well above one send. A worker that dies
    holding a claim (killed, its host lost) loses it when the lease runs out: another worker sends it then."""
    if settings.delivery_lease_seconds is not None:
        return timedelta(seconds=settings.delivery_lease_seconds)
    slowest = max(settings.smtp.timeout_seconds, settings.webhook.timeout_seconds)
    return timedelta(seconds=max(300.0, 10 * slowest))


# --------------------------------------------------------------------------- fan-out


def fan_out(db_engine: Engine, settings: Settings, now: datetime, *, batch: int = 100) -> int:
    """One Delivery per applicable channel for each pending outbox row; the row becomes fanned_out."""
    query = (
        select(_OUTBOX.c.id, _OUTBOX.c.agency_id)
        .where(_OUTBOX.c.status == PENDING)
        .order_by(_OUTBOX.c.id)
        .limit(batch)
        .with_for_update(skip_locked=True)
    )
    with db_engine.begin() as conn:
        rows = conn.execute(query).all()
        for row in rows:
            _fan_out_one(conn, settings, row, now)
    return len(rows)


def _fan_out_one(conn: Connection, settings: Settings, row: Row, now: datetime) -> None:
    contact = agency_contact(conn, settings, row.agency_id)
    targets = recipients(contact, row.agency_id, settings)
    if contact.webhook_url and WEBHOOK not in targets:
        log.warning("outbox.webhook_without_secret", outbox_id=row.id)
    if targets:
        values = [
            {
                "outbox_id": row.id,
                "channel": channel,
                "recipient": recipient,
                "status": PENDING,
                "attempts": 0,
                "next_attempt_at": now,
            }
            for channel, recipient in targets.items()
        ]
        conn.execute(_insert_ignoring_duplicates(conn), values)
    conn.execute(update(_OUTBOX).where(_OUTBOX.c.id == row.id).values(status=FANNED_OUT))
    log.debug("outbox.fanned_out", outbox_id=row.id, channels=sorted(targets))


def _insert_ignoring_duplicates(conn: Connection) -> postgresql.Insert | sqlite.Insert:
    """A crash between fan-out and marking the row leaves deliveries that must not be doubled."""
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    return dialect.insert(_DELIVERY).on_conflict_do_nothing(index_elements=["outbox_id", "channel"])


# --------------------------------------------------------------------------- claim, send, record


def claim_next(db_engine: Engine, now: datetime, lease_until: datetime) -> Job | None:
    """Take the next due delivery and hide it from other workers until ``lease_until``."""
    query = (
        select(*_JOB_COLUMNS)
        .join(_OUTBOX, _OUTBOX.c.id == _DELIVERY.c.outbox_id)
        .where(_DELIVERY.c.status == PENDING, _DELIVERY.c.next_attempt_at <= now)
        .order_by(_DELIVERY.c.next_attempt_at, _DELIVERY.c.id)
        .limit(1)
        .with_for_update(skip_locked=True, of=_DELIVERY)
    )
    with db_engine.begin() as conn:
        row = conn.execute(query).first()
        if row is None:
            return None
        conn.execute(update(_DELIVERY).where(_DELIVERY.c.id == row.delivery_id).values(next_attempt_at=lease_until))
    return Job(**row._mapping)


def attempt(db_engine: Engine, settings: Settings, job: Job, now: datetime, lease_until: datetime) -> str:
    """Send one claimed delivery and record the outcome: sent, failed, dead or lease_lost."""
    try:
        message = render(job.kind, job.context, _language(settings))
        if job.channel == INBOX:
            return _deliver_inbox(db_engine, job, message, now, lease_until)
        _send(settings, job, message)
    except DeliveryFailed as exc:
        return _record_failure(db_engine, settings, job, now, lease_until, exc.reason)
    except Exception as exc:  # a bug in one delivery must not stop the others
        log.exception("delivery.error", delivery_id=job.delivery_id, channel=job.channel)
        return _record_failure(db_engine, settings, job, now, lease_until, f"error {type(exc).__name__}")
    with db_engine.begin() as conn:
        return _mark_sent(conn, job, now, lease_until)


def _language(settings: Settings) -> str:
    return settings.language if settings.language in LANGUAGES else "vi"


def _send(settings: Settings, job: Job, message: Message) -> None:
    if job.channel == EMAIL:
        send_email(settings.smtp, job.recipient, message, job.outbox_id, job.created_at)
    elif job.channel == WEBHOOK:
        post_webhook(settings.webhook, job.recipient, webhook_payload(job, message))
    else:
        raise DeliveryFailed(f"unknown channel {job.channel}")


def _deliver_inbox(db_engine: Engine, job: Job, message: Message, now: datetime, lease_until: datetime) -> str:
    """The inbox item and the 'sent' mark are one transaction: never two items for one message."""
    with db_engine.begin() as conn:
        outcome = _mark_sent(conn, job, now, lease_until)
        if outcome == SENT:
            deliver_to_inbox(conn, job, message, now)
    return outcome


def _held(job: Job, lease_until: datetime) -> ColumnElement[bool]:
    """Our claim still stands: nobody re-claimed the delivery after our lease ran out."""
    d = _DELIVERY
    return (d.c.id == job.delivery_id) & (d.c.status == PENDING) & (d.c.next_attempt_at == lease_until)


def _mark_sent(conn: Connection, job: Job, now: datetime, lease_until: datetime) -> str:
    result = conn.execute(
        update(_DELIVERY).where(_held(job, lease_until)).values(status=SENT, sent_at=now, last_error=None)
    )
    if result.rowcount != 1:
        log.warning("delivery.lease_lost", delivery_id=job.delivery_id, channel=job.channel)
        return LEASE_LOST
    log.debug("delivery.sent", delivery_id=job.delivery_id, outbox_id=job.outbox_id, channel=job.channel)
    return SENT


def _record_failure(
    db_engine: Engine, settings: Settings, job: Job, now: datetime, lease_until: datetime, reason: str
) -> str:
    with db_engine.begin() as conn:
        attempts = conn.execute(
            select(_DELIVERY.c.attempts).where(_held(job, lease_until)).with_for_update()
        ).scalar_one_or_none()
        if attempts is None:
            log.warning("delivery.lease_lost", delivery_id=job.delivery_id, channel=job.channel)
            return LEASE_LOST
        attempts += 1
        dead = attempts >= settings.delivery_max_attempts
        retry_at = now + timedelta(seconds=settings.delivery_backoff_seconds * 2 ** (attempts - 1))
        conn.execute(
            update(_DELIVERY)
            .where(_DELIVERY.c.id == job.delivery_id)
            .values(
                attempts=attempts,
                last_error=reason[:200],
                status=DEAD if dead else PENDING,
                next_attempt_at=now if dead else retry_at,
            )
        )
    ids = {"delivery_id": job.delivery_id, "outbox_id": job.outbox_id, "channel": job.channel}
    if dead:
        log.error("delivery.dead", **ids, attempts=attempts, error=reason)
        return DEAD
    log.warning("delivery.failed", **ids, attempts=attempts, error=reason, retry_at=retry_at.isoformat())
    return FAILED


# --------------------------------------------------------------------------- administration


def dead_letters(db_engine: Engine) -> list[DeadLetter]:
    """Deliveries that gave up after the last attempt, oldest message first."""
    query = (
        select(*_JOB_COLUMNS[:7], _DELIVERY.c.attempts, _DELIVERY.c.last_error, _OUTBOX.c.created_at)
        .join(_OUTBOX, _OUTBOX.c.id == _DELIVERY.c.outbox_id)
        .where(_DELIVERY.c.status == DEAD)
        .order_by(_OUTBOX.c.created_at, _DELIVERY.c.id)
    )
    with reading(db_engine) as conn:
        return [DeadLetter(**row._mapping) for row in conn.execute(query)]


def retry_dead(db_engine: Engine, delivery_id: int, now: datetime) -> None:
    """Give a dead delivery a fresh set of attempts, the first one due at ``now``."""
    with db_engine.begin() as conn:
        result = conn.execute(
            update(_DELIVERY)
            .where(_DELIVERY.c.id == delivery_id, _DELIVERY.c.status == DEAD)
            .values(status=PENDING, attempts=0, next_attempt_at=as_utc(now))
        )
    if result.rowcount != 1:
        raise DeadLetterNotFound(delivery_id)
    log.info("delivery.retry_requested", delivery_id=delivery_id)
