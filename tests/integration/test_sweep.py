"""Deadline alerts: reminder, due, overdue and escalation, each written exactly once (SQLite).

The deadline used throughout falls due on Friday 13/02/2026, the last working day before Tết:
the reminder is two working days before (Wed 11/02), and the escalation two working days after
(Tue 24/02, after the Tết days off from 14/02 to 22/02).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Connection, Engine, insert, select, update
from structlog.testing import capture_logs

from handlers.calendar import DEFAULT_CALENDAR_CONFIG, WorkingCalendar
from workflow import sweep as sweep_module
from workflow.db import make_engine, migrate
from workflow.settings import Settings
from workflow.sweep import alert_times, open_deadlines, sweep
from workflow.tables import Agency, Alert, Area, Deadline, Dossier, Outbox, Person

VN = ZoneInfo("Asia/Ho_Chi_Minh")
CAL = WorkingCalendar(DEFAULT_CALENDAR_CONFIG)
DUE_ON = date(2026, 2, 13)  # Friday before Tết
PERSON_NAME = "Nguyễn Văn Thử"
PERSON_ID_NUMBER = "001099012345"


def at(text: str) -> datetime:
    """A moment in Vietnam local time, e.g. ``at("2026-02-11 08:00")``."""
    return datetime.fromisoformat(text).replace(tzinfo=VN)


def end_of_day(day: date) -> datetime:
    return datetime.combine(day, time.max, tzinfo=VN).astimezone(UTC)


def make_settings(url: str) -> Settings:
    return Settings(database_url=url, timezone="Asia/Ho_Chi_Minh", escalate_after_working_days=2, late_grace_minutes=5)


# --------------------------------------------------------------------------- seeding helpers


def seed_jurisdiction(conn: Connection) -> None:
    """Province P01 → districts D01 (commune C01) and D02 (commune C02), each with its agencies."""
    conn.execute(
        insert(Area.__table__),
        [  # type: ignore[attr-defined]
            {"code": "P01", "name": "Tỉnh Thử", "level": "province", "parent_code": None},
            {"code": "D01", "name": "Huyện Một", "level": "district", "parent_code": "P01"},
            {"code": "D02", "name": "Huyện Hai", "level": "district", "parent_code": "P01"},
            {"code": "C01", "name": "Xã Một", "level": "commune", "parent_code": "D01"},
            {"code": "C02", "name": "Xã Hai", "level": "commune", "parent_code": "D02"},
        ],
    )
    conn.execute(
        insert(Agency.__table__),
        [  # type: ignore[attr-defined]
            {"id": f"{kind}-{area}", "type": kind, "name_vi": f"{kind} {area}", "area_code": area, "covers": []}
            for kind, area in [
                ("commune_police", "C01"),
                ("commune_police", "C02"),
                ("district_committee", "D01"),
                ("district_committee", "D02"),
                ("procuracy", "D01"),
                ("procuracy", "D02"),
            ]
        ],
    )


def add_dossier(conn: Connection, code: str = "HS-2026-0001", commune: str = "C01") -> int:
    person_id = conn.execute(
        insert(Person.__table__).values(  # type: ignore[attr-defined]
            full_name=PERSON_NAME,
            id_number=PERSON_ID_NUMBER,
            birth_date=date(1990, 5, 1),
            sex="male",
            nationality="VN",
            address="Số 1, Xã Một",
        )
    ).inserted_primary_key[0]
    opened = at("2026-02-02 09:00")
    return int(
        conn.execute(
            insert(Dossier.__table__).values(  # type: ignore[attr-defined]
                code=code,
                person_id=person_id,
                regime="vn-2021",
                track="adult",
                state="addiction_determination_requested",
                version=1,
                commune_code=commune,
                agency_id=f"commune_police-{commune}",
                data={},
                opened_at=opened,
                updated_at=opened,
            )
        ).inserted_primary_key[0]
    )


def add_deadline(conn: Connection, dossier_id: int, due_on: date = DUE_ON, **overrides: Any) -> int:
    values: dict[str, Any] = {
        "dossier_id": dossier_id,
        "stage": "addiction_determination_requested",
        "key": "addiction_determination_requested",
        "rule_id": "determination.request",
        "agency_id": "commune_police-C01",
        "agency_type": "commune_police",
        "starts_on": due_on - timedelta(days=10),
        "due_on": due_on,
        "due_at": end_of_day(due_on),
        "remind_on": CAL.subtract_working_days(due_on, 2),
        "escalate_to": ["district_committee", "procuracy"],
        "basis": "Nghị định 116/2021/NĐ-CP, Điều 14",
        "status_mark": "confirmed",
        "spans": [],
        "opened_at": at("2026-02-02 09:00"),
    }
    values.update(overrides)
    return int(conn.execute(insert(Deadline.__table__).values(values)).inserted_primary_key[0])  # type: ignore[attr-defined]


def alerts(engine: Engine) -> list[tuple[str, bool]]:
    """(kind, late) of every alert, in the order written."""
    with engine.connect() as conn:
        rows = conn.execute(select(Alert.__table__).order_by(Alert.__table__.c.id)).all()  # type: ignore[attr-defined]
    return [(r.kind, r.late) for r in rows]


def outbox(engine: Engine) -> list[Any]:
    with engine.connect() as conn:
        return list(conn.execute(select(Outbox.__table__).order_by(Outbox.__table__.c.id)).all())  # type: ignore[attr-defined]


# --------------------------------------------------------------------------- fixtures


@pytest.fixture
def url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path}/t.db"


@pytest.fixture
def engine(url: str) -> Iterator[Engine]:
    db = make_engine(url)
    migrate(db)
    with db.begin() as conn:
        seed_jurisdiction(conn)
    yield db
    db.dispose()


@pytest.fixture
def settings(url: str) -> Settings:
    return make_settings(url)


@pytest.fixture
def dossier_id(engine: Engine) -> int:
    with engine.begin() as conn:
        return add_dossier(conn)


def run(engine: Engine, settings: Settings, moment: datetime) -> int:
    return sweep(engine, CAL, settings, moment)


# --------------------------------------------------------------------------- the four alerts


def test_a_deadline_left_open_alerts_reminder_due_overdue_and_escalation_once_each(
    engine: Engine, settings: Settings, dossier_id: int, time_machine: Any
) -> None:
    with engine.begin() as conn:
        add_deadline(conn, dossier_id)
    timeline = [
        ("2026-02-11 07:59", []),
        ("2026-02-11 08:00", ["reminder"]),
        ("2026-02-13 07:59", ["reminder"]),
        ("2026-02-13 08:00", ["reminder", "due"]),
        ("2026-02-13 23:59", ["reminder", "due"]),
        ("2026-02-14 00:00", ["reminder", "due", "overdue"]),
        ("2026-02-23 08:00", ["reminder", "due", "overdue"]),  # first working day after Tết
        ("2026-02-24 08:00", ["reminder", "due", "overdue", "escalation"]),
        ("2026-03-31 08:00", ["reminder", "due", "overdue", "escalation"]),
    ]
    seen = []
    for moment, _ in timeline:
        time_machine.move_to(at(moment), tick=False)
        run(engine, settings, datetime.now(UTC))
        run(engine, settings, datetime.now(UTC))  # a second sweep at the same moment adds nothing
        seen.append((moment, [kind for kind, _ in alerts(engine)]))

    assert seen == timeline
    assert all(not late for _, late in alerts(engine))


def test_sweeping_twice_writes_nothing_new(engine: Engine, settings: Settings, dossier_id: int) -> None:
    with engine.begin() as conn:
        add_deadline(conn, dossier_id)
    first = run(engine, settings, at("2026-02-24 08:00"))
    rows_after_first = len(outbox(engine))

    second = run(engine, settings, at("2026-02-24 08:00"))

    assert (first, second) == (4, 0)
    assert len(outbox(engine)) == rows_after_first == 6


def test_a_closed_deadline_produces_no_alert(engine: Engine, settings: Settings, dossier_id: int) -> None:
    with engine.begin() as conn:
        add_deadline(conn, dossier_id, closed_at=at("2026-02-10 10:00"))

    written = run(engine, settings, at("2026-03-02 08:00"))

    assert written == 0
    assert alerts(engine) == [] and outbox(engine) == []


def test_a_paused_deadline_produces_no_alert_until_the_clock_runs_again(
    engine: Engine, settings: Settings, dossier_id: int
) -> None:
    with engine.begin() as conn:
        deadline_id = add_deadline(conn, dossier_id, paused_at=at("2026-02-10 10:00"))

    paused = run(engine, settings, at("2026-02-13 09:00"))
    with engine.begin() as conn:
        conn.execute(
            update(Deadline.__table__)
            .where(Deadline.__table__.c.id == deadline_id)  # type: ignore[attr-defined]
            .values(paused_at=None)
        )
    resumed = run(engine, settings, at("2026-02-13 09:00"))

    assert paused == 0
    assert resumed == 2 and [kind for kind, _ in alerts(engine)] == ["reminder", "due"]


def test_after_downtime_every_missed_alert_is_written_once_in_order_and_marked_late(
    engine: Engine, settings: Settings, dossier_id: int
) -> None:
    with engine.begin() as conn:
        add_deadline(conn, dossier_id)

    first = run(engine, settings, at("2026-03-02 08:00"))
    second = run(engine, settings, at("2026-03-02 08:01"))

    assert (first, second) == (4, 0)
    assert alerts(engine) == [("reminder", True), ("due", True), ("overdue", True), ("escalation", True)]
    assert all(row.context["late"] is True for row in outbox(engine))


def test_an_alert_written_within_the_grace_period_is_not_late(
    engine: Engine, settings: Settings, dossier_id: int
) -> None:
    with engine.begin() as conn:
        add_deadline(conn, dossier_id)

    run(engine, settings, at("2026-02-11 08:05"))
    run(engine, settings, at("2026-02-13 08:06"))

    assert alerts(engine) == [("reminder", False), ("due", True)]


# --------------------------------------------------------------------------- who is told what


def test_the_escalation_reaches_the_district_committee_and_procuracy_of_the_communes_district(
    engine: Engine, settings: Settings, dossier_id: int
) -> None:
    with engine.begin() as conn:
        add_deadline(conn, dossier_id)

    run(engine, settings, at("2026-02-24 08:00"))

    escalations = [row for row in outbox(engine) if row.kind == "escalation"]
    assert [row.agency_id for row in escalations] == [
        "commune_police-C01",
        "district_committee-D01",
        "procuracy-D01",
    ]
    assert {row.context["escalated_from"] for row in escalations} == {"commune_police-C01"}
    assert len({row.dedupe_key for row in escalations}) == 3


def test_reminder_due_and_overdue_go_to_the_responsible_agency_without_personal_data(
    engine: Engine, settings: Settings, dossier_id: int
) -> None:
    with engine.begin() as conn:
        add_deadline(conn, dossier_id)

    with capture_logs() as logs:
        run(engine, settings, at("2026-02-14 00:00"))

    rows = outbox(engine)
    assert [(row.kind, row.agency_id, row.status) for row in rows] == [
        ("reminder", "commune_police-C01", "pending"),
        ("due", "commune_police-C01", "pending"),
        ("overdue", "commune_police-C01", "pending"),
    ]
    assert rows[0].context == {
        "dossier_code": "HS-2026-0001",
        "regime": "vn-2021",
        "stage": "addiction_determination_requested",
        "due_on": "2026-02-13",
        "days_left": -1,
        "rule_id": "determination.request",
        "basis": "Nghị định 116/2021/NĐ-CP, Điều 14",
        "status_mark": "confirmed",
        "late": True,
        "agency_id": "commune_police-C01",
        # names for the message (a stage or rule no regime knows is named by its code)
        "stage_label_vi": "addiction_determination_requested",
        "stage_label_en": "addiction_determination_requested",
        "rule_label_vi": "determination.request",
        "rule_label_en": "determination.request",
    }
    everything = repr([row.context for row in rows]) + repr(logs)
    assert PERSON_NAME not in everything and PERSON_ID_NUMBER not in everything
    assert [e["kind"] for e in logs if e["event"] == "sweep.alert_written"] == ["reminder", "due", "overdue"]


def test_an_unresolved_responsible_agency_is_looked_up_by_type_in_the_communes_jurisdiction(
    engine: Engine, settings: Settings, dossier_id: int
) -> None:
    with engine.begin() as conn:
        add_deadline(conn, dossier_id, agency_id=None)

    run(engine, settings, at("2026-02-11 08:00"))

    assert [row.agency_id for row in outbox(engine)] == ["commune_police-C01"]


# --------------------------------------------------------------------------- timing rules


def test_no_reminder_when_the_reminder_day_is_not_before_the_due_day(
    engine: Engine, settings: Settings, dossier_id: int
) -> None:
    with engine.begin() as conn:
        add_deadline(conn, dossier_id, remind_on=DUE_ON)

    run(engine, settings, at("2026-03-02 08:00"))

    assert [kind for kind, _ in alerts(engine)] == ["due", "overdue", "escalation"]


def test_an_hour_rule_is_due_an_hour_before_and_overdue_at_the_hour() -> None:
    due_at = at("2026-02-12 10:30").astimezone(UTC)

    times = alert_times(date(2026, 2, 12), due_at, date(2026, 2, 12), CAL, VN, escalate_after=2)

    assert times == {
        "due": at("2026-02-12 09:30"),
        "overdue": at("2026-02-12 10:30"),
        "escalation": at("2026-02-23 08:00"),  # Fri 13/02, then Mon 23/02 after Tết
    }


@pytest.mark.parametrize(
    "due_at",
    [end_of_day(DUE_ON), at("2026-02-13 23:59:59"), at("2026-02-14 00:00")],
    ids=["end-of-due-day", "last-second", "midnight-after"],
)
def test_a_day_rule_is_due_at_eight_and_overdue_from_midnight_after_the_due_day(due_at: datetime) -> None:
    times = alert_times(DUE_ON, due_at, date(2026, 2, 11), CAL, VN, escalate_after=2)

    assert times == {
        "reminder": at("2026-02-11 08:00"),
        "due": at("2026-02-13 08:00"),
        "overdue": at("2026-02-14 00:00"),
        "escalation": at("2026-02-24 08:00"),
    }


def test_escalation_is_never_before_overdue_even_with_no_delay() -> None:
    times = alert_times(DUE_ON, end_of_day(DUE_ON), date(2026, 2, 11), CAL, VN, escalate_after=0)

    assert list(times) == ["reminder", "due", "overdue", "escalation"]
    assert times["escalation"] == times["overdue"] == at("2026-02-14 00:00")


def test_refuses_a_naive_now(engine: Engine, settings: Settings) -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        run(engine, settings, datetime(2026, 2, 11, 8, 0))


# --------------------------------------------------------------------------- failures


def test_a_failing_deadline_is_logged_and_the_others_are_still_swept(
    engine: Engine, settings: Settings, dossier_id: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    with engine.begin() as conn:
        broken = add_deadline(conn, dossier_id)
        healthy = add_deadline(conn, dossier_id, key="other", rule_id="other.rule")
    real_recipients = sweep_module._recipients

    def recipients(conn: Connection, run_: Any, row: Any, kind: str, responsible: str | None) -> list[str]:
        if row.id == broken:
            raise RuntimeError("directory unavailable")
        return real_recipients(conn, run_, row, kind, responsible)

    monkeypatch.setattr(sweep_module, "_recipients", recipients)

    with capture_logs() as logs:
        written = run(engine, settings, at("2026-02-11 08:00"))

    assert written == 1
    with engine.connect() as conn:
        deadline_ids = conn.execute(select(Alert.__table__.c.deadline_id)).scalars().all()  # type: ignore[attr-defined]
    assert deadline_ids == [healthy]  # the broken one's alert was rolled back: it is retried next time
    failures = [e for e in logs if e["event"] == "sweep.deadline_failed"]
    assert [(e["deadline_id"], e["log_level"], e["exc_info"]) for e in failures] == [(broken, "error", True)]


# --------------------------------------------------------------------------- listing


def test_open_deadlines_lists_days_left_and_filters_by_agency_and_overdue(engine: Engine, dossier_id: int) -> None:
    with engine.begin() as conn:
        add_deadline(conn, dossier_id)
        add_deadline(conn, dossier_id, key="later", due_on=date(2026, 2, 27), agency_id="procuracy-D01")
        add_deadline(conn, dossier_id, key="closed", closed_at=at("2026-02-10 10:00"))
    now = at("2026-02-14 09:00")

    everything = open_deadlines(engine, now)
    overdue = open_deadlines(engine, now, overdue_only=True)
    procuracy = open_deadlines(engine, now, agency_id="procuracy-D01")

    assert [(v.dossier_code, v.due_on, v.days_left) for v in everything] == [
        ("HS-2026-0001", date(2026, 2, 13), -1),
        ("HS-2026-0001", date(2026, 2, 27), 13),
    ]
    assert [v.due_on for v in overdue] == [date(2026, 2, 13)]
    assert [v.agency_id for v in procuracy] == ["procuracy-D01"]
