"""Login throttling kept in the database, so every server process shares it.

Failures are counted under three keys, each a keyed digest (never a username or an address in clear):
- one username from one client address: that client is locked out of that username for the window;
- one client address, whatever the usernames: that address is locked for the window;
- one username from everywhere: past a free allowance, each further try waits a doubling delay (capped),
  except from a browser that signed in as that user before (a signed device cookie), so a distributed
  attacker slows guessing down without locking the real user out.
A success clears the username's counters. Rows older than the window are deleted: the table stays small.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Engine, case, delete, select
from sqlalchemy.dialects import postgresql, sqlite

from workflow.db import reading
from workflow.tables import LoginThrottle

ROWS = LoginThrottle.__table__  # type: ignore[attr-defined]


@dataclass(frozen=True, slots=True)
class ThrottlePolicy:
    window: timedelta = timedelta(minutes=15)
    pair_limit: int = 5  # failures for one username from one address, then that client waits the window out
    address_limit: int = 20  # failures from one address, whatever the usernames
    user_free: int = 10  # failures for one username from everywhere before the progressive delay
    max_delay: timedelta = timedelta(minutes=1)


@dataclass(frozen=True, slots=True)
class Keys:
    pair: str
    address: str
    user: str


class Throttle:
    """`wait(...)` says how long a login attempt must wait (0: go ahead); `failed`/`succeeded` record it."""

    def __init__(self, db: Engine, keyed: Callable[[str], str], policy: ThrottlePolicy | None = None) -> None:
        self.db, self.keyed = db, keyed
        self.policy = policy or ThrottlePolicy()
        self._pruned = 0.0

    def keys(self, username: str, address: str) -> Keys:
        name = username.strip().casefold()
        return Keys(
            "pair:" + self.keyed(f"{name}\x00{address}"), "addr:" + self.keyed(address), "user:" + self.keyed(name)
        )

    def wait(self, username: str, address: str, now: datetime, *, trusted_device: bool = False) -> float:
        """Seconds before this client may try this username again (0.0: now)."""
        keys, p = self.keys(username, address), self.policy
        with reading(self.db) as conn:
            found = conn.execute(select(ROWS).where(ROWS.c.key.in_((keys.pair, keys.address, keys.user))))
            rows = {r.key: r for r in found}
        waits = [0.0]
        for key, limit in ((keys.pair, p.pair_limit), (keys.address, p.address_limit)):
            row = rows.get(key)
            if row is not None and row.failures >= limit:
                waits.append((row.first_at + p.window - now).total_seconds())
        user = rows.get(keys.user)
        if user is not None and user.failures > p.user_free and not trusted_device:
            delay = min(timedelta(seconds=2 ** min(user.failures - p.user_free, 20)), p.max_delay)
            waits.append((user.last_at + delay - now).total_seconds())
        return max(waits)

    def failed(self, username: str, address: str, now: datetime) -> None:
        keys = self.keys(username, address)
        with self.db.begin() as conn:
            for key in (keys.pair, keys.address, keys.user):
                conn.execute(self._count(key, now))
            if time.monotonic() - self._pruned > 60:
                conn.execute(delete(ROWS).where(ROWS.c.last_at < now - self.policy.window))
                self._pruned = time.monotonic()

    def succeeded(self, username: str, address: str) -> None:
        keys = self.keys(username, address)
        with self.db.begin() as conn:
            conn.execute(delete(ROWS).where(ROWS.c.key.in_((keys.pair, keys.user))))

    def _count(self, key: str, now: datetime):  # type: ignore[no-untyped-def]
        """One more failure under `key`, starting a new window if the old one has passed (an upsert)."""
        dialect = postgresql if self.db.dialect.name == "postgresql" else sqlite
        stmt = dialect.insert(ROWS).values(key=key, failures=1, first_at=now, last_at=now)
        expired = ROWS.c.first_at < now - self.policy.window
        return stmt.on_conflict_do_update(
            index_elements=[ROWS.c.key],
            set_={
                "failures": case((expired, 1), else_=ROWS.c.failures + 1),
                "first_at": case((expired, stmt.excluded.first_at), else_=ROWS.c.first_at),
                "last_at": stmt.excluded.last_at,
            },
        )


__all__ = ["Throttle", "ThrottlePolicy"]
