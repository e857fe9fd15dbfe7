"""Handing the open work of an abolished agency to its successor (`rehab agencies reassign`).

When an agency ends (district police and labour offices on 28/2/2025, district courts, procuracies and
committees on 30/6/2025, merged provinces or communes), everything still open in its name moves to its
successor in one transaction: open deadlines, unread inbox items, messages not yet delivered, and the
responsibility for the current stage of in-flight dossiers. Each moved dossier gets one administrative
entry, with actor and legal basis, on its hash chain. Running it again finds nothing left to move.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import structlog
from sqlalchemy import Connection, Engine, insert, select, update

from workflow.chain import GENESIS, seal
from workflow.deadlines import local_date
from workflow.directory import AgencyRow, Directory
from workflow.errors import WorkflowError
from workflow.signing import Signer, development_signer
from workflow.tables import Agency, Deadline, Delivery, Dossier, InboxItem, Outbox, TransitionLog

log = structlog.get_logger(__name__)

AGENCY = Agency.__table__  # type: ignore[attr-defined]
DEADLINE = Deadline.__table__  # type: ignore[attr-defined]
DELIVERY = Delivery.__table__  # type: ignore[attr-defined]
DOSSIER = Dossier.__table__  # type: ignore[attr-defined]
INBOX = InboxItem.__table__  # type: ignore[attr-defined]
LOG = TransitionLog.__table__  # type: ignore[attr-defined]
OUTBOX = Outbox.__table__  # type: ignore[attr-defined]
TZ = ZoneInfo("Asia/Ho_Chi_Minh")
FINAL_STATES = ("closed",)

# Which agency types may take over an abolished agency's work, besides one of its own type (merged
# communes or provinces, district procuracy → regional procuracy).
SUCCESSIONS: dict[str, frozenset[str]] = {
    "district_police": frozenset({"provincial_police", "commune_police"}),  # NĐ 02/2025/NĐ-CP
    "labour_office": frozenset({"provincial_police", "commune_police"}),  # NĐ 02/2025; which unit: ?
    "district_court": frozenset({"regional_court"}),  # NQ 81/2025/UBTVQH15 (◻)
    "district_committee": frozenset({"provincial_committee", "commune_committee"}),  # NĐ 184/2025 (◻)
    "justice_office": frozenset({"commune_committee"}),  # two-level government (◻)
}


class ReassignError(WorkflowError):
    """A reassignment that cannot be done; nothing was changed. `message_vi` says it in Vietnamese."""

    def __init__(self, message: str, message_vi: str = "") -> None:
        super().__init__(message)
        self.message_vi = message_vi or message


@dataclass(frozen=True, slots=True)
class ReassignReport:
    from_agency: str
    to_agency: str
    deadlines: int
    inbox_items: int
    messages: int
    dossiers: tuple[int, ...]

    @property
    def moved(self) -> int:
        return self.deadlines + self.inbox_items + self.messages + len(self.dossiers)

    def describe(self) -> str:
        if not self.moved:
            return f"{self.from_agency}: nothing open left to move to {self.to_agency}"
        return (
            f"{self.from_agency} → {self.to_agency}: {len(self.dossiers)} dossiers, {self.deadlines} deadlines, "
            f"{self.inbox_items} inbox items, {self.messages} undelivered messages"
        )


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def successor_candidates(directory: Directory, agency_id: str, today: date) -> list[AgencyRow]:
    """The agencies that may take over `agency_id`'s work today (its named successor first): the choices
    of the reassignment form's successor picker. Empty for an unknown agency."""
    old = directory.agencies.get(agency_id)
    if old is None:
        return []
    allowed = SUCCESSIONS.get(old.type, frozenset()) | {old.type}
    heirs = [a for a in directory.agencies.values() if a.id != old.id and a.type in allowed and a.valid_on(today)]
    if old.successor_id:
        heirs = [a for a in heirs if a.id == old.successor_id]
    return sorted(heirs, key=lambda a: (a.type != old.type, a.name_vi))


def _heir(directory: Directory, old: AgencyRow, named: str | None, today: date) -> AgencyRow:
    """The successor after every check; each failure is a one-line error naming what is wrong."""
    if old.valid_to is None or old.valid_to >= today:
        until = f"until {old.valid_to:%d/%m/%Y}" if old.valid_to else "with no end date"
        den = f"đến hết ngày {old.valid_to:%d/%m/%Y}" if old.valid_to else "không có ngày kết thúc"
        raise ReassignError(
            f"agency '{old.id}' is still in office ({until}): only an abolished agency is reassigned",
            f"{old.name_vi} vẫn còn hoạt động ({den}): chỉ chuyển giao việc của cơ quan đã hết hoạt động.",
        )
    if named and old.successor_id and named != old.successor_id:
        raise ReassignError(
            f"agency '{old.id}' has successor '{old.successor_id}', not '{named}'",
            f"Cơ quan kế thừa của {old.name_vi} là {directory.name(old.successor_id)}, "
            f"không phải {directory.name(named)}.",
        )
    heir_id = named or old.successor_id
    if not heir_id:
        raise ReassignError(
            f"agency '{old.id}' has no successor: name one (--to <agency id>)",
            f"{old.name_vi} chưa có cơ quan kế thừa: hãy chọn một cơ quan.",
        )
    heir = directory.agencies.get(heir_id)
    if heir is None:
        raise ReassignError(f"unknown successor agency '{heir_id}'", f"Không có cơ quan kế thừa '{heir_id}'.")
    allowed = SUCCESSIONS.get(old.type, frozenset()) | {old.type}
    if heir.type not in allowed:
        raise ReassignError(
            f"successor '{heir.id}' is a {heir.type}; the work of a {old.type} passes only to: "
            + ", ".join(sorted(allowed)),
            f"{heir.name_vi} không thể kế thừa việc của {old.name_vi} (khác loại cơ quan).",
        )
    if not heir.valid_on(today):
        raise ReassignError(
            f"successor '{heir.id}' is not in office on {today:%d/%m/%Y}",
            f"{heir.name_vi} không hoạt động vào ngày {today:%d/%m/%Y}.",
        )
    return heir


def reassign(
    db_engine: Engine,
    agency_id: str,
    *,
    actor: str,
    basis: str,
    now: datetime,
    successor_id: str | None = None,
    tz: ZoneInfo = TZ,
    signer: Signer | None = None,
) -> ReassignReport:
    """Move everything open of the abolished agency to its successor, exactly once, in one transaction."""
    if not actor.strip():
        raise ReassignError("the acting user is required", "Cần người thực hiện.")
    if not basis.strip():
        raise ReassignError(
            "the legal basis is required (e.g. 'Nghị định 02/2025/NĐ-CP')",
            "Cần nhập căn cứ pháp lý (ví dụ: Nghị định 02/2025/NĐ-CP).",
        )
    moment, today = _utc(now), local_date(now, tz)
    with db_engine.begin() as conn:
        directory = Directory.load(conn)
        old = directory.agencies.get(agency_id)
        if old is None:
            raise ReassignError(f"unknown agency '{agency_id}'", f"Không có cơ quan '{agency_id}'.")
        heir = _heir(directory, old, successor_id, today)
        if old.successor_id is None:
            conn.execute(update(AGENCY).where(AGENCY.c.id == old.id).values(successor_id=heir.id))
        hand = _Hand(actor.strip(), basis.strip(), moment, signer or development_signer())
        report = _move(conn, old, heir, hand)
    log.info(
        "agency.reassigned",
        from_agency=old.id,
        to_agency=heir.id,
        dossiers=len(report.dossiers),
        deadlines=report.deadlines,
        inbox_items=report.inbox_items,
        messages=report.messages,
    )
    return report


@dataclass(frozen=True)
class _Hand:
    """Who hands over, on what basis, when, and the key that signs the chain entries."""

    actor: str
    basis: str
    now: datetime
    signer: Signer


def _move(conn: Connection, old: AgencyRow, heir: AgencyRow, hand: _Hand) -> ReassignReport:
    deadlines = conn.execute(
        update(DEADLINE).where(DEADLINE.c.agency_id == old.id, DEADLINE.c.closed_at.is_(None)).values(agency_id=heir.id)
    ).rowcount
    inbox = conn.execute(
        update(INBOX).where(INBOX.c.agency_id == old.id, INBOX.c.read_at.is_(None)).values(agency_id=heir.id)
    ).rowcount
    messages = conn.execute(
        update(OUTBOX).where(OUTBOX.c.agency_id == old.id, OUTBOX.c.status == "pending").values(agency_id=heir.id)
    ).rowcount
    messages += conn.execute(
        update(DELIVERY)
        .where(DELIVERY.c.channel == "inbox", DELIVERY.c.recipient == old.id, DELIVERY.c.status == "pending")
        .values(recipient=heir.id)
    ).rowcount
    query = select(DOSSIER).where(DOSSIER.c.agency_id == old.id, DOSSIER.c.state.not_in(FINAL_STATES))
    if conn.dialect.name == "postgresql":
        query = query.with_for_update()
    rows = conn.execute(query).all()
    moved = tuple(_hand_over(conn, row, old, heir, hand) for row in rows)
    if rows:
        _summary(conn, [r.code for r in rows], old, heir, hand.actor, hand.basis, hand.now)
    return ReassignReport(old.id, heir.id, deadlines, inbox, messages, moved)


def _summary(
    conn: Connection, codes: list[str], old: AgencyRow, heir: AgencyRow, actor: str, basis: str, now: datetime
) -> None:
    """One message to the successor for the whole handover (not one per dossier), naming every dossier."""
    context = {
        "from_agency_name": old.name_vi,
        "agency_name": heir.name_vi,
        "count": len(codes),
        "codes": sorted(codes),
        "basis": basis,
        "event": "reassign_agency",
        "actor": actor,
    }
    conn.execute(
        insert(OUTBOX).values(
            created_at=now,
            kind="work_reassigned",
            dossier_id=None,
            agency_id=heir.id,
            context=context,
            status="pending",
            dedupe_key=f"reassign:{old.id}:{heir.id}:{now.isoformat()}",
        )
    )


def _hand_over(conn: Connection, row: Any, old: AgencyRow, heir: AgencyRow, hand: _Hand) -> int:
    """One dossier: the administrative entry on its chain and the new responsible agency (the successor is told
    once, for every dossier, by `_summary`)."""
    entry = {
        "dossier_id": row.id,
        "seq": row.last_seq + 1,
        "at": hand.now,
        "kind": "admin",
        "actor": hand.actor,
        "actor_agency": None,
        "event": "reassign_agency",
        "from_state": row.state,
        "to_state": row.state,
        "applied": True,
        "payload": {"from_agency": old.id, "to_agency": heir.id, "basis": hand.basis},
        "reasons": [],
        "prev_hash": row.last_hash or GENESIS,
    }
    seal(entry, hand.signer)
    conn.execute(insert(LOG).values(**entry))
    conn.execute(
        update(DOSSIER)
        .where(DOSSIER.c.id == row.id)
        .values(
            agency_id=heir.id,
            version=row.version + 1,
            updated_at=hand.now,
            last_seq=entry["seq"],
            last_hash=entry["hash"],
        )
    )
    return int(row.id)
