"""Attempts from outside a dossier's jurisdiction: refused before they reach the dossier's chain.

A step attempted by an agency that does not serve the dossier's commune (another area's agency) is not
a fact of that dossier's procedure: it is answered 403 (`OutsideJurisdiction`) and recorded in the
`security_event` table and the `rehab_security_events_total` metric, so nobody can fill other areas'
permanent chains with entries. A refusal by an agency with jurisdiction (a wrong step, a missing
document) stays on the chain as before.
"""

from __future__ import annotations

from datetime import datetime

import structlog
from prometheus_client import Counter
from sqlalchemy import Engine, select

from workflow.db import reading
from workflow.directory import Directory
from workflow.tables import SecurityEvent

log = structlog.get_logger(__name__)
EVENTS = SecurityEvent.__table__  # type: ignore[attr-defined]
SECURITY_EVENTS = Counter("rehab_security_events_total", "Attempts refused before the chain, by kind", ["kind"])
OUTSIDE = "outside_jurisdiction"


def is_foreign(directory: Directory, agency_id: str | None, role: str, commune: str) -> bool:
    """Whether an actor of `agency_id` has never served the area of a dossier of `commune` (an unknown agency,
    or one of another commune, district or province). An agency of the area that is no longer in office is
    not foreign: its attempt is refused on the chain (`actor.outside_jurisdiction`), as the procuracy may
    need to see it."""
    if role in ("person", "system"):
        return False
    agency = directory.agencies.get(agency_id or "")
    return agency is None or not agency.serves(directory.lineage(commune))


def record(
    db: Engine, kind: str, *, username: str, agency_id: str | None, dossier_id: int, event: str, at: datetime
) -> None:
    """One refused attempt in the security log (its own transaction: the dossier's was rolled back)."""
    with db.begin() as conn:
        conn.execute(
            EVENTS.insert().values(
                at=at, kind=kind, username=username, agency_id=agency_id, dossier_id=dossier_id, event=event[:100]
            )
        )
    SECURITY_EVENTS.labels(kind=kind).inc()
    log.warning("security.refused", kind=kind, user=username, agency=agency_id, dossier_id=dossier_id)


def recent(db: Engine, limit: int = 200) -> list[dict[str, object]]:
    """The newest security events, for administrators."""
    with reading(db) as conn:
        rows = conn.execute(select(EVENTS).order_by(EVENTS.c.id.desc()).limit(limit)).all()
    return [{**r._asdict(), "at": r.at.isoformat()} for r in rows]


__all__ = ["OUTSIDE", "is_foreign", "recent", "record"]
