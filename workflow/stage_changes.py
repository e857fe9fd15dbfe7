"""What entering a stage does to a dossier's deadlines: close what ends, pause or resume, open what starts."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, bindparam, insert, select, update

from states.model import Regime, Stage, Step, Track
from workflow.deadlines import DeadlinePolicy, plan_deadline
from workflow.directory import Directory
from workflow.tables import Deadline

DEADLINE = Deadline.__table__  # type: ignore[attr-defined]
OPEN_OF = select(
    DEADLINE.c.id,
    DEADLINE.c.key,
    DEADLINE.c.spans,
    DEADLINE.c.paused_at,
    DEADLINE.c.due_on,
    DEADLINE.c.due_at,
    DEADLINE.c.remind_on,
).where(DEADLINE.c.dossier_id == bindparam("b_dossier"), DEADLINE.c.closed_at.is_(None))
CLOSE = (
    update(DEADLINE)
    .where(DEADLINE.c.id.in_(bindparam("b_ids", expanding=True)))
    .values(closed_at=bindparam("closed_at"))
)
PAUSE = (
    update(DEADLINE)
    .where(DEADLINE.c.id.in_(bindparam("b_ids", expanding=True)))
    .values(paused_at=bindparam("paused_at"))
)
OPEN = insert(DEADLINE)


class DeadlineWriter:
    def __init__(
        self, conn: Connection, policy: DeadlinePolicy, directory: Directory, regime: Regime, track: Track
    ) -> None:
        self.conn, self.policy, self.directory, self.regime, self.track = conn, policy, directory, regime, track

    def transition(
        self,
        dossier_id: int,
        commune: str,
        stage: Stage,
        step: Step | None,
        data: dict[str, Any],
        legal_date: date,
        now: datetime,
        today: date,
    ) -> date | None:
        """Close, pause/resume and open deadlines for entering `stage`; returns the earliest new due date."""
        restarts = set(step.restarts) if step else set()
        open_rows = self.conn.execute(OPEN_OF, {"b_dossier": dossier_id}).all() if step else []
        ending = [r.id for r in open_rows if stage.state.value not in r.spans or r.key in restarts]
        if ending:
            self.conn.execute(CLOSE, {"b_ids": ending, "closed_at": now})
        kept = [r for r in open_rows if r.id not in ending]
        self._pause_or_resume(kept, stage, now)
        kept_keys = {r.key for r in kept}
        specs = [s for s in (*stage.deadlines, *(step.opens if step else ())) if s.key not in kept_keys]
        rows = [self._row(dossier_id, commune, stage, spec, data, legal_date, now, today) for spec in specs]
        if rows:
            self.conn.execute(OPEN, rows)
        return min((r["due_on"] for r in rows), default=None)

    def _row(
        self,
        dossier_id: int,
        commune: str,
        stage: Stage,
        spec: Any,
        data: dict[str, Any],
        legal_date: date,
        now: datetime,
        today: date,
    ) -> dict[str, Any]:
        row = plan_deadline(
            self.policy, self.regime, stage, spec, track=self.track, data=data, legal_date=legal_date, now=now
        )
        agency_type = row["agency_type"]
        row.update(
            dossier_id=dossier_id,
            closed_at=None,
            paused_at=None,
            agency_id=self.directory.resolve(agency_type, commune, today) if agency_type else None,
        )
        return row

    def _pause_or_resume(self, kept: list[Any], stage: Stage, now: datetime) -> None:
        """A postponement stops the clock; leaving it moves each paused due date by the days paused."""
        if stage.clock_paused:
            ids = [r.id for r in kept if r.paused_at is None]
            if ids:
                self.conn.execute(PAUSE, {"b_ids": ids, "paused_at": now})
            return
        for r in kept:
            if r.paused_at is None:
                continue
            shift = timedelta(days=(now.date() - r.paused_at.date()).days)
            self.conn.execute(
                update(DEADLINE)
                .where(DEADLINE.c.id == r.id)
                .values(paused_at=None, due_on=r.due_on + shift, due_at=r.due_at + shift, remind_on=r.remind_on + shift)
            )
