"""What entering a stage does to a dossier's deadlines: close what ends, pause or resume, open what starts."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from states.model import Regime, Stage, Step, Track
from workflow.deadlines import DeadlinePolicy, end_of_day_utc, local_date, plan_deadline
from workflow.directory import Directory
from workflow.store import OpenDeadline, Store


class DeadlineWriter:
    def __init__(
        self, store: Store, policy: DeadlinePolicy, directory: Directory, regime: Regime, track: Track
    ) -> None:
        self.store, self.policy, self.directory, self.regime, self.track = store, policy, directory, regime, track

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
        open_rows = self.store.open_deadlines(dossier_id) if step else []
        ending = [r.id for r in open_rows if stage.state.value not in r.spans or r.key in restarts]
        self.store.close_deadlines(ending, now)
        kept = [r for r in open_rows if r.id not in ending]
        if step is not None and step.moves_commune:  # the new commune's agencies take over what runs on
            for r in kept:
                self.store.retarget_deadline(r, self.directory.resolve(r.agency_type, commune, today))
        self._pause_or_resume(kept, stage, now)
        kept_keys = {r.key for r in kept}
        by_key = {s.key: s for s in stage.deadlines}
        by_key.update({s.key: s for s in (step.opens if step else ())})  # a step's own limit replaces the stage's
        specs = [s for key, s in by_key.items() if key not in kept_keys]
        rows = [self._row(dossier_id, commune, stage, spec, data, legal_date, now, today) for spec in specs]
        rows = [r for r, spec in zip(rows, specs, strict=True) if not _done(spec, data, r["starts_on"])]
        self.store.insert_deadlines(rows)
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

    def _pause_or_resume(self, kept: list[OpenDeadline], stage: Stage, now: datetime) -> None:
        """A postponement stops the clock; leaving it moves each paused due date by the days paused."""
        if stage.clock_paused:
            self.store.pause_deadlines([r.id for r in kept if r.paused_at is None], now)
            return
        for r in kept:
            if r.paused_at is None:
                continue
            self._resume(r, now)

    def _resume(self, r: OpenDeadline, now: datetime) -> None:
        """The days paused (local calendar days) are added; a due day that falls off moves to the next working day."""
        assert r.paused_at is not None
        tz, calendar = self.policy.tz, self.policy.calendar
        shift = timedelta(days=(local_date(now, tz) - local_date(r.paused_at, tz)).days)
        due_on = calendar.next_working_day(r.due_on + shift)
        due_at = r.due_at + shift if not _end_of_day(r, tz) else end_of_day_utc(due_on, tz)
        self.store.shift_deadline(r, due_on, due_at, r.remind_on + shift)


def _done(spec: Any, data: dict[str, Any], starts_on: date) -> bool:
    """The act the deadline waits for is already recorded (the decision was sent, the person received)."""
    done = data.get(spec.unless_fact) if spec.unless_fact else None
    return bool(done) and date.fromisoformat(str(done)) >= starts_on


def _end_of_day(r: OpenDeadline, tz: ZoneInfo) -> bool:
    """Day-counted deadlines end at the end of their due day; hour-counted ones at their hour."""
    return r.due_at == end_of_day_utc(r.due_on, tz)
