"""Three `rehab serve` and three `rehab scheduler` processes on one PostgreSQL database, in production mode.

Clients take steps through all three servers at once; the schedulers sweep and deliver by e-mail to a real
SMTP server. The first e-mail's sender is killed (SIGKILL) while it waits for the server's reply: its claim
on that delivery lapses when the lease runs out and another scheduler sends it. At the end every alert due
is written exactly once, every message reaches the inbox exactly once and the mail server exactly once.

No clock is faked: the documents are dated weeks back, so the deadlines they start are already due.
"""

from __future__ import annotations

import signal
import threading
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import psycopg
import pytest
from sqlalchemy import Engine, func, select, update
from sqlalchemy.engine import make_url

from demo.reference import commune_2025_code, load_demo_reference
from handlers.calendar import WorkingCalendar, calendar_config_from_mapping
from tests.fleet import Fleet, HoldingMailbox, production_env
from workflow import credentials
from workflow.db import make_engine
from workflow.roles import migrate_as_owner
from workflow.settings import Settings
from workflow.sweep import alert_times
from workflow.tables import Agency, Alert, Deadline, Delivery, InboxItem, Outbox, User

pytestmark = pytest.mark.postgres

SERVERS, SCHEDULERS, DOSSIERS_PER_SERVER = 3, 3, 4
LEASE_SECONDS, SMTP_TIMEOUT = 15, 12  # the held sender is killed well within its SMTP timeout
SETTLE_SECONDS = 120
APP_ROLE = "rehab_fleet_app"
COMMUNE = commune_2025_code("Xã Tuần Giáo")
POLICE = f"{COMMUNE}.commune_police"
GIVEN_NAMES = ("An", "Bình", "Cường", "Dũng", "Hải", "Hùng", "Khánh", "Long", "Minh", "Nam", "Phúc", "Quang")
SETTINGS = Settings()
CALENDAR, TZ = WorkingCalendar(calendar_config_from_mapping(SETTINGS.calendar)), ZoneInfo(SETTINGS.timezone)
AGENCY, ALERT, DEADLINE = Agency.__table__, Alert.__table__, Deadline.__table__
DELIVERY, INBOX, OUTBOX = Delivery.__table__, InboxItem.__table__, Outbox.__table__


@pytest.fixture
def app_url(fresh_postgres_url: str) -> str:
    """The role the processes connect as: rows only, as in a deployment (workflow.roles)."""
    with psycopg.connect(make_url(fresh_postgres_url).set(drivername="postgresql").render_as_string(False)) as conn:
        conn.execute(f"DO $$ BEGIN CREATE ROLE {APP_ROLE} LOGIN; EXCEPTION WHEN duplicate_object THEN NULL; END $$")
    return make_url(fresh_postgres_url).set(username=APP_ROLE).render_as_string(hide_password=False)


@pytest.fixture
def db(fresh_postgres_url: str, app_url: str) -> Iterator[Engine]:
    """The schema (migrated by its owner), the demo province, an e-mail address for every agency, one user per
    server. The test reads and prepares as the owner; the processes connect as the application's role."""
    migrate_as_owner(fresh_postgres_url, app_url)
    engine = make_engine(fresh_postgres_url)
    with engine.begin() as conn:
        load_demo_reference(conn)
        conn.execute(update(AGENCY).values(email=func.replace(AGENCY.c.id, ".", "-") + "@rehab.test"))
        users = [{"username": f"police{n}", "agency_id": POLICE, "role": "staff"} for n in range(SERVERS)]
        conn.execute(User.__table__.insert(), users)
    yield engine
    engine.dispose()


def tokens(db: Engine) -> list[str]:
    now = datetime.now(UTC)
    return [credentials.issue_token(db, f"police{n}", by="test", label="fleet", now=now)[0] for n in range(SERVERS)]


def open_and_step(base_url: str, token: str, n: int, today: date) -> list[int]:
    """Open a dossier from a record dated 40 days back and ask for the determination 38 days back."""
    recorded, asked = today - timedelta(days=40), today - timedelta(days=38)
    person = {
        "full_name": f"Lò Văn {GIVEN_NAMES[n % len(GIVEN_NAMES)]}",
        "birth_date": "1990-05-01",
        "sex": "male",
        "id_number": f"0110900{n:05d}",
        "residence_commune": COMMUNE,
    }
    body = {
        "person": person,
        "commune": COMMUNE,
        "violation_record": {"number": f"{n}/BB-VPHC", "date": recorded.isoformat()},
        "facts": {"stable_residence": True},
    }
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=base_url, headers=headers, timeout=60) as client:
        opened = client.post("/api/v1/dossiers", json=body, headers={"Idempotency-Key": f"open-{n}"})
        assert opened.status_code == 201, opened.text
        step = {
            "event": "request_determination",
            "payload": {"document": {"number": f"{n}/CV-CA", "date": asked.isoformat()}},
        }
        fired = client.post(f"/api/v1/dossiers/{opened.json()['id']}/fire", json=step)
        assert fired.status_code == 200, fired.text
        assert fired.json()["to_state"] == "determination_requested"
    return [opened.status_code, fired.status_code]


def due_kinds(row: Any, at: datetime) -> set[str]:
    """The alert kinds of a deadline due at `at`, by the sweep's own timing rules and the committed config."""
    times = alert_times(row.due_on, row.due_at, row.remind_on, CALENDAR, TZ, SETTINGS.escalate_after_working_days)
    return {kind for kind, moment in times.items() if moment <= at}


def written(db: Engine) -> dict[int, list[str]]:
    """Deadline id -> the kinds of its alerts (a list: a duplicate would show twice)."""
    with db.connect() as conn:
        rows = conn.execute(select(ALERT.c.deadline_id, ALERT.c.kind)).all()
    found: dict[int, list[str]] = {}
    for deadline_id, kind in rows:
        found.setdefault(deadline_id, []).append(kind)
    return found


def deadlines(db: Engine) -> list[Any]:
    with db.connect() as conn:
        return list(conn.execute(select(DEADLINE)).all())


def unfinished(db: Engine) -> list[str]:
    """What is still to do: messages not fanned out, deliveries not sent, open deadlines missing a due alert."""
    now = datetime.now(UTC)
    with db.connect() as conn:
        outbox = conn.execute(select(func.count()).select_from(OUTBOX).where(OUTBOX.c.status != "fanned_out")).scalar()
        deliveries = conn.execute(
            select(func.count()).select_from(DELIVERY).where(DELIVERY.c.status != "sent")
        ).scalar()
    alerts = written(db)
    missing = [
        d.id for d in deadlines(db) if d.closed_at is None and not due_kinds(d, now) <= set(alerts.get(d.id, []))
    ]
    return (
        [f"{outbox} outbox", f"{deliveries} deliveries", f"deadlines {missing}"]
        if outbox or deliveries or missing
        else []
    )


def settle(db: Engine, fleet: Fleet, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while left := unfinished(db):
        assert time.monotonic() < deadline, f"still to do after {seconds}s: {left}\n{fleet.logs()}"
        time.sleep(0.5)


def kill_the_held_sender(box: HoldingMailbox, fleet: Fleet, killed: list[str]) -> None:
    """As soon as a scheduler waits for the mail server's reply to its first e-mail, SIGKILL it."""
    if box.holding.wait(timeout=SETTLE_SECONDS):
        assert box.held is not None
        name = f"scheduler{box.held.port_index}"
        fleet.kill(name)
        killed.append(name)


def test_three_servers_and_three_schedulers_write_and_deliver_every_alert_once(db, app_url, tmp_path: Path) -> None:
    with HoldingMailbox(SCHEDULERS) as box:
        env = production_env(
            app_url,
            REHAB_SWEEP_INTERVAL_SECONDS="2",
            REHAB_DELIVERY_LEASE_SECONDS=str(LEASE_SECONDS),
            REHAB_DELIVERY_BACKOFF_SECONDS="1",
            REHAB_SMTP__ENABLED="true",
            REHAB_SMTP__HOST="127.0.0.1",
            REHAB_SMTP__TIMEOUT_SECONDS=str(SMTP_TIMEOUT),
            REHAB_RUN_SCHEDULER_IN_SERVER="false",
        )
        with Fleet(env, tmp_path) as fleet:
            servers = [fleet.server(f"server{n}") for n in range(SERVERS)]
            for n, port in enumerate(box.ports):  # each scheduler mails through its own port: the held one's sender
                fleet.scheduler(f"scheduler{n}", {"REHAB_SMTP__PORT": str(port)})
            fleet.wait_ready()
            killed: list[str] = []
            killer = threading.Thread(target=kill_the_held_sender, args=(box, fleet, killed))
            killer.start()
            today = datetime.now(UTC).astimezone(TZ).date()
            jobs = [(servers[n % SERVERS].url, token, n) for n, token in enumerate(tokens(db) * DOSSIERS_PER_SERVER)]
            with ThreadPoolExecutor(max_workers=2 * SERVERS) as pool:
                answers = list(pool.map(lambda job: open_and_step(*job, today), jobs))
            killer.join(timeout=SETTLE_SECONDS)
            settle(db, fleet, SETTLE_SECONDS)
            survivors = fleet.running()
            checked_at = datetime.now(UTC)

    # Every write through every server was taken; one scheduler died, the rest of the fleet lives on.
    assert answers == [[201, 200]] * SERVERS * DOSSIERS_PER_SERVER
    assert len(killed) == 1 and fleet.members[killed[0]].process.returncode == -signal.SIGKILL
    assert sorted(survivors) == sorted(set(fleet.members) - set(killed))
    # SIGTERM: the schedulers finish their cycle and exit 0; uvicorn drains its requests and re-raises SIGTERM.
    stopped = {name: member.process.returncode for name, member in fleet.members.items() if name in survivors}
    clean = {name: -signal.SIGTERM if name.startswith("server") else 0 for name in survivors}
    assert stopped == clean, fleet.logs()

    # Each alert due is written once; none early.
    alerts = written(db)
    assert all(len(kinds) == len(set(kinds)) for kinds in alerts.values()), alerts
    for row in deadlines(db):
        kinds = set(alerts.get(row.id, []))
        assert kinds <= due_kinds(row, checked_at), (row.id, kinds)
        if row.closed_at is None:
            assert kinds == due_kinds(row, checked_at), (row.id, kinds)
    assert sum(map(len, alerts.values())) >= SERVERS * DOSSIERS_PER_SERVER * 5  # weeks overdue: most kinds due

    # Each message reaches the inbox once and the mail server once, the held one after its sender's death.
    with db.connect() as conn:
        channels = conn.execute(select(DELIVERY.c.outbox_id, DELIVERY.c.channel, DELIVERY.c.recipient)).all()
        inbox = Counter(conn.execute(select(INBOX.c.outbox_id)).scalars())
        messages = conn.execute(select(func.count()).select_from(OUTBOX)).scalar()
    emails = {(outbox_id, recipient) for outbox_id, channel, recipient in channels if channel == "email"}
    assert len(emails) == messages and len(channels) == 2 * messages
    assert inbox == Counter({outbox_id: 1 for outbox_id, channel, _ in channels if channel == "inbox"})
    mailed = Counter((r.outbox_id, r.to) for r in box.received)
    assert mailed == Counter({(outbox_id, (to,)): 1 for outbox_id, to in emails})
    assert box.held is not None and box.dropped.is_set()
    [resent] = [r for r in box.received if r.outbox_id == box.held.outbox_id]
    assert resent.port_index != box.held.port_index and resent.message_id == box.held.message_id
