"""How a message reaches an agency: its inbox (always), e-mail (SMTP) and a signed webhook.

A channel either returns or raises ``DeliveryFailed`` with a short reason that holds no
personal data and no recipient address: the reason is stored and logged.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import smtplib
import ssl
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import formatdate

import httpx
from sqlalchemy import Connection, insert, select

from notifications.messages import Message
from workflow.settings import Settings, SmtpSettings, WebhookSettings
from workflow.tables import Agency, InboxItem

INBOX, EMAIL, WEBHOOK = "inbox", "email", "webhook"
CHANNELS: tuple[str, ...] = (INBOX, EMAIL, WEBHOOK)

SIGNATURE_HEADER = "X-Rehab-Signature"
TIMESTAMP_HEADER = "X-Rehab-Timestamp"


class DeliveryFailed(Exception):
    """One attempt failed; ``reason`` is short and safe to store and log."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason[:200]


@dataclass(frozen=True, slots=True)
class Contact:
    email: str | None = None
    webhook_url: str | None = None


@dataclass(frozen=True, slots=True)
class Job:
    """One claimed delivery with everything a channel needs to send it."""

    delivery_id: int
    outbox_id: int
    channel: str
    recipient: str
    kind: str
    agency_id: str | None
    dossier_id: int | None
    context: Mapping[str, object]
    created_at: datetime


# --------------------------------------------------------------------------- recipients


def agency_contact(conn: Connection, settings: Settings, agency_id: str | None) -> Contact:
    """The agency's own row first, then ``settings.agencies``, then the deployment-wide webhook."""
    if agency_id is None:
        return Contact()
    table = Agency.__table__
    row = conn.execute(select(table.c.email, table.c.webhook_url).where(table.c.id == agency_id)).first()
    configured = settings.agencies.get(agency_id)
    email = (row.email if row else None) or (configured.email if configured else None)
    webhook = (row.webhook_url if row else None) or (configured.webhook_url if configured else None)
    return Contact(email=email, webhook_url=webhook or settings.webhook.url)


def recipients(contact: Contact, agency_id: str | None, settings: Settings) -> dict[str, str]:
    """Channel -> recipient for one message: the inbox always, the others when configured."""
    found: dict[str, str] = {}
    if agency_id:
        found[INBOX] = agency_id
    if settings.smtp.enabled and contact.email:
        found[EMAIL] = contact.email
    if contact.webhook_url and settings.webhook.secret:
        found[WEBHOOK] = contact.webhook_url
    return found


# --------------------------------------------------------------------------- inbox


def deliver_to_inbox(conn: Connection, job: Job, message: Message, now: datetime) -> None:
    """Write the inbox item; the caller marks the delivery sent in the same transaction."""
    conn.execute(
        insert(InboxItem.__table__).values(
            agency_id=job.recipient,
            dossier_id=job.dossier_id,
            outbox_id=job.outbox_id,
            kind=job.kind,
            subject=message.subject,
            body=message.body,
            created_at=now,
        )
    )


# --------------------------------------------------------------------------- e-mail


def message_id(sender: str, outbox_id: int, created_at: datetime) -> str:
    """The same for every attempt of one message: a resend after a worker died between the mail server's
    acceptance and the 'sent' mark carries the Message-ID of the first copy, so mail clients show it once."""
    domain = sender.rpartition("@")[2] or "rehab.local"  # no DNS lookup of the local host name
    moment = created_at if created_at.tzinfo else created_at.replace(tzinfo=UTC)  # stored UTC
    return f"<rehab.outbox-{outbox_id}.{int(moment.timestamp() * 1_000_000)}@{domain}>"


def email_message(sender: str, to: str, message: Message, outbox_id: int, created_at: datetime) -> EmailMessage:
    mail = EmailMessage()
    mail["Subject"] = message.subject
    mail["From"] = sender
    mail["To"] = to
    mail["Date"] = formatdate(localtime=False)
    mail["Message-ID"] = message_id(sender, outbox_id, created_at)
    mail["X-Rehab-Outbox-Id"] = str(outbox_id)
    mail.set_content(message.body, charset="utf-8", cte="quoted-printable")
    return mail


def send_email(smtp: SmtpSettings, to: str, message: Message, outbox_id: int, created_at: datetime) -> None:
    mail = email_message(smtp.sender, to, message, outbox_id, created_at)
    try:
        with smtplib.SMTP(smtp.host, smtp.port, timeout=smtp.timeout_seconds) as client:
            if smtp.starttls:
                client.starttls(context=ssl.create_default_context())
            if smtp.username:
                client.login(smtp.username, smtp.password or "")
            client.send_message(mail)
    except smtplib.SMTPResponseException as exc:
        raise DeliveryFailed(f"smtp {exc.smtp_code}") from exc
    except (smtplib.SMTPException, OSError) as exc:
        raise DeliveryFailed(f"smtp {type(exc).__name__}") from exc


# --------------------------------------------------------------------------- webhook


def sign(secret: str, timestamp: int | str, body: bytes) -> str:
    signed = f"{timestamp}.".encode() + body
    return "sha256=" + hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()


def verify_signature(
    secret: str,
    timestamp: int | str,
    body: bytes,
    header: str,
    now: float | datetime,
    tolerance: int = 300,
) -> bool:
    """For receivers: the signature matches and the timestamp is within ``tolerance`` seconds."""
    try:
        sent_at = int(timestamp)
    except (TypeError, ValueError):
        return False
    current = now.timestamp() if isinstance(now, datetime) else now
    if abs(current - sent_at) > tolerance:
        return False
    return hmac.compare_digest(sign(secret, sent_at, body), header or "")


def webhook_payload(job: Job, message: Message) -> dict[str, object]:
    """``id`` is stable across retries: receivers use it to drop duplicates."""
    return {
        "id": job.outbox_id,
        "kind": job.kind,
        "dossier_id": job.dossier_id,
        "agency_id": job.agency_id,
        "created_at": job.created_at.isoformat(),
        "subject": message.subject,
        "body": message.body,
        "context": dict(job.context),
    }


def post_webhook(
    webhook: WebhookSettings,
    url: str,
    payload: Mapping[str, object],
    clock: Callable[[], float] = time.time,
) -> None:
    if not webhook.secret:
        raise DeliveryFailed("webhook secret not configured")
    body = json.dumps(payload, ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode()
    timestamp = int(clock())
    headers = {
        "Content-Type": "application/json; charset=utf-8",
        TIMESTAMP_HEADER: str(timestamp),
        SIGNATURE_HEADER: sign(webhook.secret, timestamp, body),
    }
    try:
        response = httpx.post(url, content=body, headers=headers, timeout=webhook.timeout_seconds)
    except httpx.HTTPError as exc:
        raise DeliveryFailed(f"webhook {type(exc).__name__}") from exc
    if not response.is_success:
        raise DeliveryFailed(f"webhook HTTP {response.status_code}")
