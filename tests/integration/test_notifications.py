"""Outbox delivery on SQLite against real parts: an SMTP server and an HTTP webhook receiver."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, insert, select
from structlog.testing import capture_logs

import notifications.worker
from notifications.channels import SIGNATURE_HEADER, TIMESTAMP_HEADER, verify_signature
from notifications.testing import Mailbox, WebhookReceiver, free_port
from notifications.worker import (
    DeadLetterNotFound,
    claim_next,
    dead_letters,
    deliver_pending,
    fan_out,
    lease,
    retry_dead,
)
from workflow.db import make_engine, migrate
from workflow.settings import Settings, SmtpSettings, WebhookSettings
from workflow.tables import Agency, Delivery, InboxItem, Outbox

NOW = datetime(2026, 3, 15, 2, 0, tzinfo=UTC)
SECRET = "test-webhook-secret"
AGENCY = "tuan-giao.labour_office"
ADDRESS = "ldtbxh@tuangiao.example"
OVERDUE = {
    "dossier_code": "HS-2026-0042",
    "stage_label_vi": "Phòng LĐTBXH kiểm tra hồ sơ, chuyển Tòa án",
    "due_on": "2026-03-12",
    "days_left": -3,
    "basis": "Nghị định 116/2021/NĐ-CP, Điều 43 khoản 1",
    "status_mark": "confirmed",
}

# --------------------------------------------------------------------------- real servers


@pytest.fixture
def mailbox() -> Iterator[Mailbox]:
    with Mailbox() as box:
        yield box


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    with WebhookReceiver() as server:
        yield server


# --------------------------------------------------------------------------- database helpers


@pytest.fixture
def db(tmp_path: Any) -> Iterator[Engine]:
    engine = make_engine(f"sqlite:///{tmp_path}/t.db")
    migrate(engine)
    yield engine
    engine.dispose()


def settings(smtp_port: int | None = None, **overrides: Any) -> Settings:
    smtp = SmtpSettings(enabled=smtp_port is not None, port=smtp_port or 1, timeout_seconds=5)
    values: dict[str, Any] = {
        "smtp": smtp,
        "webhook": WebhookSettings(secret=SECRET, timeout_seconds=5),
        "delivery_max_attempts": 3,
        "delivery_backoff_seconds": 30,
    }
    return Settings(database_url="sqlite://", **(values | overrides))


def add_agency(engine: Engine, email_address: str | None = None, webhook_url: str | None = None) -> None:
    with engine.begin() as conn:
        conn.execute(
            insert(Agency.__table__).values(
                id=AGENCY,
                type="labour_office",
                name_vi="Phòng LĐTBXH huyện Tuần Giáo",
                area_code="tuan-giao",
                covers=[],
                email=email_address,
                webhook_url=webhook_url,
            )
        )


def queue(engine: Engine, kind: str = "overdue", number: int = 1, **context: object) -> int:
    with engine.begin() as conn:
        return conn.execute(
            insert(Outbox.__table__).values(
                created_at=NOW - timedelta(minutes=1),
                kind=kind,
                dossier_id=number,
                agency_id=AGENCY,
                context=OVERDUE | context,
                status="pending",
                dedupe_key=f"{kind}:{number}",
            )
        ).inserted_primary_key[0]


def deliveries(engine: Engine) -> dict[str, Any]:
    with engine.connect() as conn:
        return {row.channel: row for row in conn.execute(select(Delivery.__table__))}


def inbox(engine: Engine) -> list[Any]:
    with engine.connect() as conn:
        return conn.execute(select(InboxItem.__table__)).all()


# --------------------------------------------------------------------------- e-mail


def test_email_reaches_a_real_smtp_server_with_vietnamese_text_intact(db, mailbox) -> None:
    add_agency(db, email_address=ADDRESS)
    queue(db)

    stats = deliver_pending(db, settings(mailbox.port), NOW)

    assert (stats.fanned_out, stats.sent, stats.failed, stats.dead) == (1, 2, 0, 0)
    assert mailbox.envelopes[0].rcpt_tos == [ADDRESS]
    [mail] = mailbox.messages()
    assert mail["Subject"].startswith("[Quá hạn] Hồ sơ HS-2026-0042: Quá hạn 3 ngày")
    body = mail.get_content()
    assert "Quá hạn 3 ngày" in body
    assert "Điều 43 khoản 1" in body
    assert "Thời hạn: 12/03/2026" in body


def test_inbox_item_is_created_even_when_email_fails(db) -> None:
    add_agency(db, email_address=ADDRESS)
    queue(db)

    stats = deliver_pending(db, settings(free_port()), NOW)  # nothing listens there

    assert (stats.sent, stats.failed) == (1, 1)
    [item] = inbox(db)
    assert (item.agency_id, item.kind, item.dossier_id) == (AGENCY, "overdue", 1)
    assert "Quá hạn 3 ngày" in item.subject
    email_delivery = deliveries(db)["email"]
    assert email_delivery.status == "pending"
    assert email_delivery.last_error == "smtp ConnectionRefusedError"


def test_email_is_not_queued_when_smtp_is_disabled_or_there_is_no_address(db) -> None:
    add_agency(db)

    queue(db, number=1)
    deliver_pending(db, settings(free_port()), NOW)
    queue(db, number=2)
    deliver_pending(db, settings(None, agencies={AGENCY: {"email": ADDRESS}}), NOW)

    assert set(deliveries(db)) == {"inbox"}


def test_configured_address_is_used_when_the_agency_row_has_none(db, mailbox) -> None:
    add_agency(db)
    queue(db)

    deliver_pending(db, settings(mailbox.port, agencies={AGENCY: {"email": "cau-hinh@tuangiao.example"}}), NOW)

    assert mailbox.envelopes[0].rcpt_tos == ["cau-hinh@tuangiao.example"]


# --------------------------------------------------------------------------- webhook


def test_webhook_is_signed_and_the_receiver_can_verify_it(db, receiver) -> None:
    add_agency(db, webhook_url=receiver.url)
    outbox_id = queue(db, kind="reminder", days_left=2)

    stats = deliver_pending(db, settings(), NOW)

    assert stats.sent == 2
    [(headers, body)] = receiver.requests
    stamp, signature = headers[TIMESTAMP_HEADER], headers[SIGNATURE_HEADER]
    assert verify_signature(SECRET, stamp, body, signature, now=time.time())
    assert not verify_signature("another-secret", stamp, body, signature, now=time.time())
    assert not verify_signature(SECRET, stamp, body.replace(b"2026", b"2027"), signature, now=time.time())
    assert not verify_signature(SECRET, stamp, body, signature, now=time.time() + 301)
    payload = json.loads(body)
    assert (payload["id"], payload["kind"], payload["context"]["dossier_code"]) == (
        outbox_id,
        "reminder",
        "HS-2026-0042",
    )
    assert "Còn 2 ngày đến hạn" in payload["body"]


def test_webhook_without_a_secret_is_not_sent_unsigned(db, receiver) -> None:
    add_agency(db, webhook_url=receiver.url)
    queue(db)

    with capture_logs() as logs:
        deliver_pending(db, settings(webhook=WebhookSettings(secret=None)), NOW)

    assert set(deliveries(db)) == {"inbox"}
    assert receiver.requests == []
    assert "outbox.webhook_without_secret" in [entry["event"] for entry in logs]


def test_failing_endpoint_is_retried_with_growing_delays_then_dead_lettered(db, receiver) -> None:
    receiver.status = 500
    add_agency(db, webhook_url=receiver.url)
    queue(db)
    config = settings()

    with capture_logs() as logs:
        first = deliver_pending(db, config, NOW)
        after_first = deliveries(db)["webhook"]
        early = deliver_pending(db, config, NOW + timedelta(seconds=29))
        deliver_pending(db, config, NOW + timedelta(seconds=30))
        after_second = deliveries(db)["webhook"]
        last = deliver_pending(db, config, NOW + timedelta(seconds=90))

    assert (first.sent, first.failed, early.failed, last.dead) == (1, 1, 0, 1)
    assert (after_first.attempts, after_first.next_attempt_at) == (1, NOW + timedelta(seconds=30))
    assert (after_second.attempts, after_second.next_attempt_at) == (2, NOW + timedelta(seconds=90))
    assert len(receiver.requests) == 3
    [dead] = dead_letters(db)
    assert (dead.channel, dead.attempts, dead.last_error, dead.kind) == ("webhook", 3, "webhook HTTP 500", "overdue")
    events = [entry["event"] for entry in logs]
    assert events.count("delivery.failed") == 2
    assert events.count("delivery.dead") == 1
    assert not [entry for entry in logs if receiver.url in repr(entry) or "Quá hạn" in repr(entry)]


def test_retry_dead_gives_a_dead_delivery_fresh_attempts(db, receiver) -> None:
    receiver.status = 500
    add_agency(db, webhook_url=receiver.url)
    queue(db)
    config = settings(delivery_max_attempts=1)
    deliver_pending(db, config, NOW)
    [dead] = dead_letters(db)
    receiver.status = 204

    retry_dead(db, dead.delivery_id, NOW + timedelta(hours=1))
    stats = deliver_pending(db, config, NOW + timedelta(hours=1))

    assert stats.sent == 1
    assert dead_letters(db) == []
    assert deliveries(db)["webhook"].status == "sent"
    with pytest.raises(DeadLetterNotFound, match=str(dead.delivery_id)):
        retry_dead(db, dead.delivery_id, NOW)


# --------------------------------------------------------------------------- exactly once


def test_running_twice_delivers_each_channel_once(db, mailbox, receiver) -> None:
    add_agency(db, email_address=ADDRESS, webhook_url=receiver.url)
    queue(db)

    first = deliver_pending(db, settings(mailbox.port), NOW)
    second = deliver_pending(db, settings(mailbox.port), NOW.replace(tzinfo=None) + timedelta(hours=1))

    assert (first.fanned_out, first.sent) == (1, 3)
    assert (second.fanned_out, second.sent, second.failed) == (0, 0, 0)
    assert (len(inbox(db)), len(mailbox.envelopes), len(receiver.requests)) == (1, 1, 1)
    assert {d.status for d in deliveries(db).values()} == {"sent"}


def test_fan_out_interrupted_before_marking_the_row_does_not_double_deliveries(db) -> None:
    add_agency(db)
    outbox_id = queue(db)
    with db.begin() as conn:  # a previous worker inserted the delivery, then crashed
        conn.execute(
            insert(Delivery.__table__).values(
                outbox_id=outbox_id,
                channel="inbox",
                recipient=AGENCY,
                status="pending",
                attempts=0,
                next_attempt_at=NOW,
            )
        )

    deliver_pending(db, settings(), NOW)

    assert len(inbox(db)) == 1


def test_a_claimed_delivery_is_hidden_from_other_workers_until_its_lease_ends(db) -> None:
    add_agency(db)
    queue(db)
    fan_out(db, settings(), NOW)
    lease_until = NOW + timedelta(minutes=5)

    assert claim_next(db, NOW, lease_until) is not None
    assert claim_next(db, NOW, lease_until) is None
    assert claim_next(db, lease_until, lease_until + timedelta(minutes=5)) is not None


def test_the_lease_is_configurable_but_never_shorter_than_a_send() -> None:
    assert lease(Settings(delivery_lease_seconds=45)) == timedelta(seconds=45)
    assert lease(Settings()) == timedelta(minutes=5)  # unset: max(300 s, 10 × the slowest timeout)

    with pytest.raises(ValueError, match="must exceed the slowest channel timeout"):
        Settings(delivery_lease_seconds=8, smtp=SmtpSettings(timeout_seconds=10))


def test_every_claim_of_a_long_batch_gets_a_whole_lease(db, monkeypatch) -> None:
    """A lease counted from the start of a batch could lapse while a late send of the batch is under way,
    and another worker would send it again."""
    add_agency(db)
    for number in (1, 2):
        queue(db, number=number)
    clock = iter([100.0, 100.0, 160.0, 220.0])  # the batch starts; a minute passes between the two claims
    monkeypatch.setattr("notifications.worker.time.monotonic", lambda: next(clock, 220.0))
    leases: list[datetime] = []
    real_attempt = notifications.worker.attempt

    def attempt(engine: Engine, config: Settings, job: Any, now: datetime, lease_until: datetime) -> str:
        leases.append(lease_until)
        return real_attempt(engine, config, job, now, lease_until)

    monkeypatch.setattr("notifications.worker.attempt", attempt)

    stats = deliver_pending(db, settings(delivery_lease_seconds=120), NOW)

    assert stats.sent == 2
    assert leases == [NOW + timedelta(seconds=120), NOW + timedelta(seconds=60 + 120)]
