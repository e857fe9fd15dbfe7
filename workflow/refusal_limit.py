"""A limit on refused step attempts per user, kept in the database so every server process shares it.

A refusal by the dossier's responsible agency is a fact of the procedure: it goes on the dossier's permanent
chain (`workflow.engine`). But a user (or a script with their token) who keeps being refused would fill chains
that can never be erased. Past `refusals_per_minute` refusals within a minute, or `refusals_per_hour` within an
hour (config.toml), the user's further attempts are answered `TooManyRefusals` (HTTP 429 with Retry-After)
before the engine runs: nothing more is appended until the window has passed. Reaching a limit writes one
entry in the security log (`security_event`, kind `refusals_limited`). A step applied does not reset the
count; an idempotent replay and an attempt from outside the jurisdiction (never on a chain) are not counted.
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import structlog
from sqlalchemy import Engine, case, delete, select
from sqlalchemy.dialects import postgresql, sqlite

from workflow.db import reading
from workflow.errors import InvalidInput, StepNotAvailable, StepRefused, VersionConflict, WorkflowError
from workflow.jurisdiction import record
from workflow.tables import RefusalCount

if TYPE_CHECKING:
    from workflow.engine import Actor, FireResult
    from workflow.runtime import Runtime

log = structlog.get_logger(__name__)
ROWS = RefusalCount.__table__  # type: ignore[attr-defined]
LIMITED = "refusals_limited"
REFUSED = (StepRefused, InvalidInput, StepNotAvailable, VersionConflict)  # each appends a refusal entry


class TooManyRefusals(WorkflowError):
    """The user was refused too often lately: answered 429 with Retry-After; nothing is attempted."""

    def __init__(self, username: str, seconds: float) -> None:
        self.seconds = max(1, math.ceil(seconds))
        super().__init__(f"too many refused attempts by {username}; retry in {self.seconds} s")


@dataclass(frozen=True, slots=True)
class RefusalPolicy:
    per_minute: int = 10
    per_hour: int = 60

    def windows(self) -> tuple[tuple[str, timedelta, int], ...]:
        return (("minute", timedelta(minutes=1), self.per_minute), ("hour", timedelta(hours=1), self.per_hour))


class RefusalLimit:
    """`wait(user, now)`: seconds before the user may attempt a step again (0: now); `refused(...)` counts one."""

    _pruned = 0.0  # per process: old rows are deleted at most once a minute

    def __init__(self, db: Engine, policy: RefusalPolicy | None = None) -> None:
        self.db, self.policy = db, policy or RefusalPolicy()

    def wait(self, username: str, now: datetime) -> float:
        keys = {f"{name}:{username}": (span, limit) for name, span, limit in self.policy.windows()}
        with reading(self.db) as conn:
            rows = conn.execute(select(ROWS).where(ROWS.c.key.in_(list(keys)))).all()
        waits = [0.0]
        for row in rows:
            span, limit = keys[row.key]
            if row.refusals >= limit:
                waits.append((_aware(row.first_at, now) + span - now).total_seconds())
        return max(waits)

    def refused(self, username: str, now: datetime) -> bool:
        """Count one refusal; True when this one reached a limit (the user is held back from now on)."""
        reached = False
        with self.db.begin() as conn:
            for name, span, limit in self.policy.windows():
                count = conn.execute(self._count(f"{name}:{username}", span, now)).scalar_one()
                reached = reached or count == limit
            if time.monotonic() - RefusalLimit._pruned > 60:
                conn.execute(delete(ROWS).where(ROWS.c.last_at < now - max(s for _, s, _ in self.policy.windows())))
                RefusalLimit._pruned = time.monotonic()
        return reached

    def _count(self, key: str, span: timedelta, now: datetime) -> Any:
        """One more refusal under `key`, a new window if the old one has passed (an upsert); returns the count."""
        dialect = postgresql if self.db.dialect.name == "postgresql" else sqlite
        stmt = dialect.insert(ROWS).values(key=key, refusals=1, first_at=now, last_at=now)
        expired = ROWS.c.first_at < now - span
        return stmt.on_conflict_do_update(
            index_elements=[ROWS.c.key],
            set_={
                "refusals": case((expired, 1), else_=ROWS.c.refusals + 1),
                "first_at": case((expired, stmt.excluded.first_at), else_=ROWS.c.first_at),
                "last_at": stmt.excluded.last_at,
            },
        ).returning(ROWS.c.refusals)


def _aware(moment: datetime, like: datetime) -> datetime:
    return moment.replace(tzinfo=like.tzinfo) if moment.tzinfo is None and like.tzinfo is not None else moment


def policy_of(settings: Any) -> RefusalPolicy:
    return RefusalPolicy(settings.refusals_per_minute, settings.refusals_per_hour)


def fire_limited(
    rt: Runtime, dossier_id: int, event: str, actor: Actor, payload: Mapping[str, Any] | None, **options: Any
) -> FireResult:
    """`DossierEngine.fire` for a user of the web app or the API: held back (`TooManyRefusals`) while the user
    is over a limit; each refusal appended to a chain is counted."""
    limit, now = RefusalLimit(rt.db, policy_of(rt.settings)), rt.now()
    seconds = limit.wait(actor.user, now)
    if seconds > 0:
        log.warning("security.refusals_held_back", user=actor.user, dossier_id=dossier_id, retry_after=int(seconds))
        raise TooManyRefusals(actor.user, seconds)
    try:
        return rt.engine.fire(dossier_id, event, actor, payload, **options)
    except REFUSED as err:
        result: FireResult | None = getattr(err, "result", None)
        if result is not None and not result.replayed and result.seq > 0 and limit.refused(actor.user, now):
            record(
                rt.db,
                LIMITED,
                username=actor.user,
                agency_id=actor.agency_id,
                dossier_id=dossier_id,
                event=event,
                at=now,
            )
        raise


__all__ = ["RefusalLimit", "RefusalPolicy", "TooManyRefusals", "fire_limited"]
