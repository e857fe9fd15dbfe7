"""The stored model. SQLModel tables; the engine writes them with plain Core statements for speed.

Enums are stored as their string values. Times are UTC; legal dates are dates.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Column, Index, LargeBinary, String, UniqueConstraint
from sqlmodel import Field, SQLModel

from workflow.names import folded_name


class Area(SQLModel, table=True):
    """Jurisdiction tree: province → district (until 30/06/2025) or court region → commune, dated, with the area
    that succeeded one that ended (a commune merged on 01/07/2025). Loaded by `rehab reference import`."""

    code: str = Field(primary_key=True)
    name: str
    level: str  # province | district | region | commune
    parent_code: str | None = Field(default=None, index=True)
    valid_from: date = Field(default=date(2000, 1, 1))
    valid_to: date | None = None
    successor_code: str | None = None
    official_code: str | None = None  # the official list of administrative units (reused across 2025: not unique)
    status: str = "✔"  # ✔ confirmed | ◻ to verify | ? unknown
    confidence: str | None = None  # "low" where the sources are thin
    basis: str = ""


class Agency(SQLModel, table=True):
    id: str = Field(primary_key=True)
    type: str = Field(index=True)
    name_vi: str
    name_en: str = ""
    area_code: str = Field(index=True)  # the jurisdiction it serves
    covers: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))  # extra areas
    valid_from: date = Field(default=date(2000, 1, 1))
    valid_to: date | None = None
    successor_id: str | None = None
    email: str | None = None
    webhook_url: str | None = None


class Person(SQLModel, table=True):
    """Personal data: only screens of roles that need it read this table; never logged."""

    id: int | None = Field(default=None, primary_key=True)
    full_name: str
    id_number: str | None = None
    id_number_hash: str | None = Field(default=None, index=True)  # identifies a person across dossiers
    # `full_name` folded for search (workflow.names.fold), filled on insert; an update of the name sets it too
    name_folded: str = Field(default="", sa_column=Column(String, nullable=False, default=folded_name, index=True))
    birth_date: date
    sex: str = "male"
    nationality: str = "VN"
    address: str = ""
    residence_commune: str | None = None  # area code of the commune of residence


class PriorEpisode(SQLModel, table=True):
    """An earlier rehab episode known only from paper records (entered by hand): under vn-2026 the
    compulsory and voluntary ones count towards the 24/36-month rule. Personal data: never logged."""

    __tablename__ = "prior_episode"

    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="person.id", index=True)
    kind: str  # compulsory | voluntary | post_rehab
    started_on: date
    ended_on: date | None = None
    document_number: str  # the deciding document, e.g. 12/QĐ-TA
    document_issuer: str  # who decided it, e.g. TAND huyện Tuần Giáo
    entered_by: str
    entered_at: datetime


class Dossier(SQLModel, table=True):
    # the list's date range, a commune's stages (migration 0004); the sort keys and the scope's columns in the
    # covering indexes of migration 0016; single-column ones dropped by migration 0019
    __table_args__ = (
        Index("ix_dossier_opened_at", "opened_at"),
        Index("ix_dossier_commune_state", "commune_code", "state"),
    )

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(unique=True)
    person_id: int = Field(foreign_key="person.id", index=True)
    regime: str
    track: str
    state: str
    version: int = 1
    commune_code: str
    agency_id: str | None = None  # responsible for the current stage
    closing_reason: str | None = None
    data: dict[str, object] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    opened_at: datetime
    updated_at: datetime
    last_seq: int = 0
    last_hash: str = ""
    previous_dossier_id: int | None = None  # relapse: the dossier this one follows


class TransitionLog(SQLModel, table=True):
    """Append-only, hash-chained per dossier. Database triggers reject UPDATE and DELETE."""

    __tablename__ = "transition_log"
    # the log's time for the procuracy's search; who acted on which dossier for what an agency once responsible
    # may still read (workflow.access)
    __table_args__ = (
        UniqueConstraint("dossier_id", "seq"),
        Index("ix_transition_log_at", "at"),
        Index("ix_transition_log_actor_agency", "actor_agency", "dossier_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    dossier_id: int = Field(index=True)
    seq: int
    at: datetime
    kind: str  # open | step | refusal | admin
    actor: str
    actor_agency: str | None = None
    event: str
    from_state: str | None = None
    to_state: str | None = None
    applied: bool
    payload: dict[str, object] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    reasons: list[dict[str, object]] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    prev_hash: str
    hash: str
    # what the hash is taken of (canonical JSON, workflow.chain.seal) and the server's signature of the hash;
    # None on entries written before migration 0012 (verified from the columns; see docs/audit.md)
    body: bytes | None = Field(default=None, sa_column=Column(LargeBinary, nullable=True))
    signature: bytes | None = Field(default=None, sa_column=Column(LargeBinary, nullable=True))
    key_id: str | None = None


class AuditCheckpoint(SQLModel, table=True):
    """A verified prefix of the log, signed: every chain's tip (`tips`, canonical JSON as in an anchor)
    and the log id up to which entries were read. `rehab audit verify` reads only what came after."""

    __tablename__ = "audit_checkpoint"

    id: int | None = Field(default=None, primary_key=True)
    taken_at: str  # ISO time, as signed
    upto_log_id: int
    entries: int
    chains: int
    root: str
    tips: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    key_id: str
    signature: str  # base64


class EntryText(SQLModel, table=True):
    """Free text typed into a step, beside the chain: the log entry holds only its salted SHA-256
    (`workflow.texts`), so correcting or erasing the text never breaks the chain."""

    __tablename__ = "entry_text"
    __table_args__ = (UniqueConstraint("dossier_id", "seq", "field"),)

    id: int | None = Field(default=None, primary_key=True)
    dossier_id: int
    seq: int
    field: str
    text: str | None = None  # None once erased
    salt: str | None = None  # None once erased
    written_at: datetime
    change: str | None = None  # corrected | erased
    changed_at: datetime | None = None
    changed_by: str | None = None
    basis: str = ""  # the legal ground of a correction or an erasure


class Deadline(SQLModel, table=True):
    """A time limit of a dossier's stage, or of an agency's periodic report (`report_id`, no dossier)."""

    # open deadlines are read through partial indexes (migrations 0015, 0016, 0018)

    id: int | None = Field(default=None, primary_key=True)
    dossier_id: int | None = Field(default=None, index=True)
    report_id: int | None = Field(default=None, index=True)
    stage: str
    key: str
    rule_id: str
    agency_id: str | None = Field(default=None, index=True)
    agency_type: str
    starts_on: date
    due_on: date
    due_at: datetime  # end of the due day (or the hour) in UTC
    remind_on: date
    escalate_to: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    basis: str
    status_mark: str  # confirmed | to_verify | unconfirmed
    spans: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    opened_at: datetime
    closed_at: datetime | None = None
    paused_at: datetime | None = None


class Alert(SQLModel, table=True):
    """One alert of one kind per deadline, ever: the unique key makes the sweep idempotent."""

    __table_args__ = (UniqueConstraint("deadline_id", "kind"),)

    id: int | None = Field(default=None, primary_key=True)
    deadline_id: int = Field(index=True)
    dossier_id: int | None = None
    kind: str  # reminder | due | overdue | escalation
    scheduled_for: datetime
    created_at: datetime
    late: bool = False


class Outbox(SQLModel, table=True):
    """A message to an agency, written in the same transaction as what caused it."""

    id: int | None = Field(default=None, primary_key=True)
    created_at: datetime
    kind: str  # stage_entered | reminder | due | overdue | escalation | reassigned
    dossier_id: int | None = Field(default=None, index=True)
    agency_id: str | None = Field(default=None, index=True)
    context: dict[str, object] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    status: str = Field(default="pending", index=True)  # pending | fanned_out
    dedupe_key: str | None = Field(default=None, unique=True)


class Delivery(SQLModel, table=True):
    """One channel's delivery of one outbox message, with retries and a dead-letter end."""

    __table_args__ = (UniqueConstraint("outbox_id", "channel"),)

    id: int | None = Field(default=None, primary_key=True)
    outbox_id: int = Field(index=True)
    channel: str  # inbox | email | webhook
    recipient: str
    status: str = Field(default="pending", index=True)  # pending | sent | dead
    attempts: int = 0
    next_attempt_at: datetime
    last_error: str | None = None
    sent_at: datetime | None = None


class InboxItem(SQLModel, table=True):
    """An alert in an agency's inbox: read or unread, and dismissed (kept, no longer listed)."""

    __table_args__ = (Index("ix_inboxitem_agency_created", "agency_id", "created_at"),)

    id: int | None = Field(default=None, primary_key=True)
    agency_id: str = Field(index=True)
    dossier_id: int | None = Field(default=None, index=True)
    outbox_id: int | None = None
    kind: str
    subject: str
    body: str
    created_at: datetime
    read_at: datetime | None = None
    dismissed_at: datetime | None = None


class IdempotencyKey(SQLModel, table=True):
    __tablename__ = "idempotency_key"

    key: str = Field(primary_key=True)
    dossier_id: int | None = None
    result: dict[str, object] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    created_at: datetime


class User(SQLModel, table=True):
    __tablename__ = "app_user"

    username: str = Field(primary_key=True)
    agency_id: str | None = None
    role: str  # staff | supervisor | procurator | admin
    display_name: str = ""
    password_hash: str = ""
    disabled: bool = False  # a disabled user can no longer sign in or use the API


class Plan(SQLModel, table=True):
    """A yearly plan of a district or province (seed plans): targets per area and category, KPIs, reports."""

    id: str = Field(primary_key=True)
    title: str
    number: str = ""  # the plan's own number and symbol, e.g. 45/KH-UBND
    issued_on: date | None = None
    issuer_agency_id: str
    area_code: str = Field(index=True)
    year: int
    basis: str = ""
    kpis: list[dict[str, object]] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    source_sha256: str
    imported_at: datetime


class PlanTarget(SQLModel, table=True):
    __tablename__ = "plan_target"
    __table_args__ = (UniqueConstraint("plan_id", "area_code", "category"),)

    id: int | None = Field(default=None, primary_key=True)
    plan_id: str = Field(index=True)
    area_code: str
    category: str  # compulsory | community | voluntary | substitution
    target: int


class PlanReport(SQLModel, table=True):
    """A periodic report a plan asks for: its period, its due day, who submits it, when it was submitted."""

    __tablename__ = "plan_report"
    __table_args__ = (UniqueConstraint("plan_id", "period"),)

    id: int | None = Field(default=None, primary_key=True)
    plan_id: str = Field(index=True)
    period: str  # Q1..Q4 | H1 | Y
    period_from: date
    period_to: date
    due_on: date
    agency_id: str  # the agency that must submit it
    recipient: str = ""
    submitted_at: datetime | None = None
    submitted_by: str | None = None


class WebSession(SQLModel, table=True):
    """A signed-in browser: the cookie carries a random token, only its SHA-256 is stored here.
    Logging out, an admin's revocation or a password reset sets `revoked_at`; the cookie then stops working."""

    __tablename__ = "web_session"

    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(unique=True)
    username: str = Field(index=True)
    created_at: datetime
    expires_at: datetime
    last_seen_at: datetime
    revoked_at: datetime | None = None


class ApiToken(SQLModel, table=True):
    """A bearer token for scripts: shown once when issued, stored only as its SHA-256."""

    __tablename__ = "api_token"

    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(unique=True)
    prefix: str  # the first characters, to recognise a token in lists
    username: str = Field(index=True)
    label: str = ""
    created_by: str
    created_at: datetime
    expires_at: datetime | None = None
    last_used_at: datetime | None = None
    revoked_at: datetime | None = None


class LoginThrottle(SQLModel, table=True):
    """Failed logins per keyed digest of a username, a client address, or both: shared by every process."""

    __tablename__ = "login_throttle"

    key: str = Field(primary_key=True)
    failures: int = 0
    first_at: datetime
    last_at: datetime


class RefusalCount(SQLModel, table=True):
    """Refused step attempts per user and window (`minute:<user>`, `hour:<user>`): shared by every process."""

    __tablename__ = "refusal_count"

    key: str = Field(primary_key=True)
    refusals: int = 0
    first_at: datetime
    last_at: datetime


class SecurityEvent(SQLModel, table=True):
    """An attempt refused before any dossier's chain (e.g. from outside the dossier's jurisdiction)."""

    __tablename__ = "security_event"

    id: int | None = Field(default=None, primary_key=True)
    at: datetime
    kind: str = Field(index=True)
    username: str
    agency_id: str | None = None
    dossier_id: int | None = None
    event: str = ""
