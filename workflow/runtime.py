"""The composition root: settings → database, calendar, regimes, engine. Entry points build one."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import Engine

from handlers.calendar import WorkingCalendar, calendar_config_from_mapping
from states.model import Regime
from states.registry import all_regimes, configure
from workflow.db import make_engine
from workflow.deadlines import DeadlinePolicy
from workflow.engine import DossierEngine
from workflow.roles import migrate_as_owner, migrate_checked
from workflow.settings import Settings
from workflow.signing import KeyRing, Signer, keyring_from, signer_from


def configured_regimes(settings: Settings) -> dict[str, Regime]:
    """The built-in regimes with the configured start dates and corrected (◻/?) rule values."""
    regimes = {r.id: r for r in all_regimes()}
    for regime_id in {*settings.rules, *settings.regime_starts}:
        if regime_id not in regimes:
            raise ValueError(f"config: unknown regime {regime_id!r} (known: {', '.join(regimes)})")
    for regime_id, values in settings.rules.items():
        regimes[regime_id] = regimes[regime_id].with_rule_values(values)
    return configure(_with_boundaries(regimes, settings.regime_starts), settings.unconfirmed)


def _with_boundaries(regimes: dict[str, Regime], starts: dict[str, str]) -> dict[str, Regime]:
    from dataclasses import replace
    from datetime import timedelta

    ordered = sorted(regimes.values(), key=lambda r: date.fromisoformat(starts.get(r.id, r.in_force_from.isoformat())))
    out: dict[str, Regime] = {}
    for i, regime in enumerate(ordered):
        begins = date.fromisoformat(starts.get(regime.id, regime.in_force_from.isoformat()))
        nxt = ordered[i + 1] if i + 1 < len(ordered) else None
        ends = None
        if nxt is not None:
            ends = date.fromisoformat(starts.get(nxt.id, nxt.in_force_from.isoformat())) - timedelta(days=1)
        out[regime.id] = replace(regime, in_force_from=begins, in_force_to=ends)
    return out


@dataclass
class Runtime:
    settings: Settings
    db: Engine
    calendar: WorkingCalendar
    regimes: dict[str, Regime]
    tz: ZoneInfo
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))
    replica: Engine | None = None  # REHAB_DATABASE_READ_URL: reads that may lag a little
    _engine: DossierEngine | None = None
    _signer: Signer | None = None

    @classmethod
    def build(
        cls, settings: Settings, *, clock: Callable[[], datetime] | None = None, migrate_db: bool = False
    ) -> Runtime:
        db = make_engine(settings.database_url)
        if migrate_db and settings.migrate_database_url:
            migrate_as_owner(settings.migrate_database_url, settings.database_url)
        elif migrate_db:
            try:
                migrate_checked(db)
            except Exception:
                db.dispose()  # nothing is left open for a command that stops here
                raise
        calendar = WorkingCalendar(calendar_config_from_mapping(settings.calendar))
        runtime = cls(settings, db, calendar, configured_regimes(settings), ZoneInfo(settings.timezone))
        if settings.database_read_url:
            runtime.replica = make_engine(settings.database_read_url)
        if clock is not None:
            runtime.clock = clock
        return runtime

    @property
    def policy(self) -> DeadlinePolicy:
        return DeadlinePolicy(self.calendar, self.tz, self.settings.remind_before_working_days)

    @property
    def signer(self) -> Signer:
        """The key that signs the chain (the labelled development key when none is configured)."""
        if self._signer is None:
            self._signer = signer_from(self.settings.signing_key)
        return self._signer

    @property
    def keyring(self) -> KeyRing:
        """The public keys whose signatures `rehab audit verify` accepts (never the development key in
        production mode)."""
        from workflow.production import is_production

        return keyring_from(self.signer, self.settings.trusted_keys, production=is_production(self.settings))

    @property
    def engine(self) -> DossierEngine:
        if self._engine is None:
            self._engine = DossierEngine(
                self.db,
                self.regimes,
                self.policy,
                clock=lambda: self.clock(),
                id_salt=self.settings.id_number_salt,
                id_key=self.settings.id_number_key,
                signer=self.signer,
            )
        return self._engine

    def reading_replica(self, *, fresh: bool = False) -> Engine:
        """Where a read that may lag a little goes (lists, search, inboxes, reports): the replica, or the
        primary when there is none or when the reader has just written (`fresh`: it must see its write).
        A dossier, its history and anything checked before a write are read on the primary (`db`)."""
        return self.db if self.replica is None or fresh else self.replica

    def dispose(self) -> None:
        """Close the pooled connections of the primary and of the replica."""
        self.db.dispose()
        if self.replica is not None:
            self.replica.dispose()

    def now(self) -> datetime:
        return self.clock()

    def today(self) -> date:
        return self.clock().astimezone(self.tz).date()
