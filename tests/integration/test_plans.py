"""Plans, progress and KPIs on generated data whose true values are known; report deadlines in the sweep."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from io import BytesIO
from itertools import count
from typing import Any

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, insert, select

from tests.journeys import Journey, make_runtime, open_adult, to_supervision
from workflow.plans import PlanFileError, import_plan, mark_submitted
from workflow.progress import ProgressReader
from workflow.report_book import build_workbook
from workflow.runtime import Runtime
from workflow.sweep import sweep
from workflow.tables import Alert, Area, Deadline, Dossier, Outbox, TransitionLog

D = "dien-bien.tuan-giao"
QC, CS, QT = f"{D}.quai-cang", f"{D}.chieng-sinh", f"{D}.quai-to"
_ids = count(1000)

PLAN = f"""
targets = [
    {{ area = "Xã Quài Cang", category = "compulsory", target = 3 }},
    {{ area = "{CS}", category = "compulsory", target = 0 }},
    {{ area = "{D}", category = "compulsory", target = 10 }},
    {{ area = "{D}", category = "community", target = 45 }},
]
kpis = [{{ id = "post_rehab_decision_share", target_percent = 100 }}, {{ id = "treated_share", target_percent = 80 }}]

[plan]
id = "tg-2024"
title = "Kế hoạch thử 2024"
issuer = "{D}.district_committee"
area = "{D}"
year = 2024

[reports]
quarterly_before_day = 15
year_before = "11-15"
agency = "{D}.labour_office"
recipient = "UBND huyện"
"""


@pytest.fixture
def rt(db_url: str):  # type: ignore[no-untyped-def]
    runtime, _clock = make_runtime(db_url, datetime(2024, 7, 1, 2, tzinfo=UTC))
    yield runtime
    runtime.db.dispose()


def _dossier(rt: Runtime, commune: str, events: list[tuple[str, date]], state: str = "in_facility") -> int:
    """A dossier row and its applied log entries on the given local dates (a read-side fixture)."""
    dossier_id = next(_ids)
    log, table = TransitionLog.__table__, Dossier.__table__  # type: ignore[attr-defined]
    stamp = datetime(2024, 1, 1, tzinfo=UTC)
    with rt.db.begin() as conn:
        conn.execute(
            insert(table).values(
                id=dossier_id,
                code=f"T-{dossier_id}",
                person_id=1,
                regime="vn-2021",
                track="adult",
                state=state,
                commune_code=commune,
                data={},
                opened_at=stamp,
                updated_at=stamp,
            )
        )
        for seq, (event, day) in enumerate([("open_dossier", date(2024, 1, 2)), *events], start=1):
            at = datetime.combine(day, datetime.min.time(), tzinfo=UTC) + timedelta(hours=3)
            conn.execute(
                insert(log).values(
                    dossier_id=dossier_id,
                    seq=seq,
                    at=at,
                    kind="open" if seq == 1 else "step",
                    actor="t",
                    event=event,
                    to_state="violation_recorded" if seq == 1 else f"after_{event}",
                    applied=True,
                    payload={},
                    reasons=[],
                    prev_hash="",
                    hash=f"{dossier_id}-{seq}",
                )
            )
    return dossier_id


def _person(rt: Runtime) -> None:
    from workflow.tables import Person

    with rt.db.begin() as conn:
        conn.execute(insert(Person.__table__).values(id=1, full_name="X", birth_date=date(1990, 1, 1)))  # type: ignore[attr-defined]


def _progress(rt: Runtime, today: date = date(2024, 12, 31), **kw: Any) -> Any:
    return ProgressReader(rt.db, rt.regimes, rt.tz).progress("tg-2024", today, **kw)


def _target(progress: Any, area: str, category: str = "compulsory") -> Any:
    return next(t for t in progress.targets if t.area_code == area and t.category == category)


def test_no_dossiers_shows_zero_done_and_no_kpi_value_never_a_division_by_zero(rt: Runtime) -> None:
    import_plan(rt.db, PLAN, rt.policy, rt.now())
    progress = _progress(rt)
    assert _target(progress, QC).done == 0 and _target(progress, QC).percent == 0.0
    assert _target(progress, CS).target == 0 and _target(progress, CS).percent is None  # a commune with no quota
    assert _target(progress, D, "community").done is None  # not held by the system: no data, not zero
    post = next(k for k in progress.kpis if k["id"] == "post_rehab_decision_share")
    assert post["value_percent"] is None and post["denominator"] == 0 and post["met"] is None
    assert next(k for k in progress.kpis if k["id"] == "treated_share")["tracked"] is False


def test_counts_court_decisions_in_the_period_per_commune_once_and_flags_communes_behind(rt: Runtime) -> None:
    _person(rt)
    import_plan(rt.db, PLAN, rt.policy, rt.now())
    _dossier(rt, QC, [("decide__apply", date(2024, 3, 10))])
    _dossier(rt, QC, [("decide__apply", date(2024, 5, 2))])
    _dossier(rt, QC, [("decide__apply", date(2023, 12, 30))])  # last year's: not counted
    _dossier(rt, QT, [("decide__apply", date(2024, 4, 1))])  # a commune with no quota: counts for the district
    _dossier(rt, QT, [("decide__reject", date(2024, 4, 1))], state="closed")  # rejected: not done
    progress = _progress(rt, today=date(2024, 6, 30))
    qc, district = _target(progress, QC), _target(progress, D)
    assert (qc.done, qc.target, qc.percent) == (2, 3, 66.7)
    assert district.done == 3
    assert progress.elapsed_share == pytest.approx(182 / 366, abs=1e-4)
    assert qc.behind is False  # 2 done, 3 × 0.497 = 1.49 expected by 30/06
    assert district.behind is True  # 3 done, 10 × 0.497 = 4.97 expected
    assert district.projected == round(3 / (182 / 366))
    # a quarter only
    q1 = _progress(rt, start=date(2024, 1, 1), end=date(2024, 3, 31))
    assert _target(q1, QC).done == 1 and _target(q1, D).done == 1


def test_a_dossier_that_moved_commune_counts_once_where_it_was_opened(rt: Runtime) -> None:
    _person(rt)
    import_plan(rt.db, PLAN, rt.policy, rt.now())
    _dossier(rt, QC, [("decide__apply", date(2024, 2, 1)), ("record_move", date(2024, 3, 1))])
    progress = _progress(rt)
    assert _target(progress, QC).done == 1 and _target(progress, D).done == 1


def test_a_district_abolished_mid_year_still_counts_the_dossiers_of_its_successor_communes(rt: Runtime) -> None:
    _person(rt)
    area = Area.__table__  # type: ignore[attr-defined]
    with rt.db.begin() as conn:
        conn.execute(
            insert(area).values(
                code="dien-bien.xa-moi-quai",
                name="Xã Mới Quài",
                level="commune",
                parent_code="dien-bien",
                valid_from=date(2025, 7, 1),
                valid_to=None,
                successor_code=None,
            )
        )
        conn.execute(
            area.update()
            .where(area.c.code.in_((QC, QT)))
            .values(valid_to=date(2025, 6, 30), successor_code="dien-bien.xa-moi-quai")
        )
    import_plan(rt.db, PLAN.replace("tg-2024", "tg-2025").replace("year = 2024", "year = 2025"), rt.policy, rt.now())
    _dossier(rt, QC, [("decide__apply", date(2025, 3, 1))])  # before the reorganisation, old commune
    _dossier(rt, "dien-bien.xa-moi-quai", [("decide__apply", date(2025, 9, 1))])  # after, the new commune
    _dossier(rt, f"{D}.ta-ma", [("decide__apply", date(2025, 9, 1))])  # not merged: still under the district
    progress = ProgressReader(rt.db, rt.regimes, rt.tz).progress("tg-2025", date(2025, 12, 31))
    assert _target(progress, D).done == 3
    assert _target(progress, QC).done == 2  # the commune's plan row follows it into its successor


def test_post_rehab_kpi_and_the_list_of_completers_without_a_decision_from_real_journeys(rt: Runtime) -> None:
    import_plan(rt.db, PLAN.replace("year = 2024", "year = 2023").replace("tg-2024", "tg-2023"), rt.policy, rt.now())
    clock = rt.clock  # type: ignore[attr-defined]
    clock.now = datetime(2022, 3, 1, 2, tzinfo=UTC)
    with_decision = Journey(rt, clock, open_adult(rt, clock, id_number="011090000001").dossier_id)
    to_supervision(with_decision, term=12)
    clock.now = datetime(2022, 3, 3, 2, tzinfo=UTC)
    without = Journey(rt, clock, open_adult(rt, clock, id_number="011090000002").dossier_id)
    to_supervision(without, term=12)
    # the second journey stops before the post-rehab decision: remove nothing, just compare to a fresh one
    clock.now = datetime(2022, 3, 7, 2, tzinfo=UTC)
    pending = Journey(rt, clock, open_adult(rt, clock, id_number="011090000003").dossier_id)
    from tests.journeys import to_court_decision

    to_court_decision(pending, term=12)
    pending.step("end_complaint_period", "district_court", days=10)
    pending.step(
        "record_escort", "district_police", {"facility_name": "Cơ sở cai nghiện ma túy tỉnh Điện Biên"}, days=2
    )
    pending.step("record_completion", "facility", days=12 * 31)
    assert pending.state == "completion_certified"
    progress = ProgressReader(rt.db, rt.regimes, rt.tz).progress("tg-2023", date(2023, 12, 31))
    post = next(k for k in progress.kpis if k["id"] == "post_rehab_decision_share")
    assert (post["numerator"], post["denominator"]) == (2, 3)
    assert post["value_percent"] == 66.7 and post["met"] is False
    assert [w["dossier_id"] for w in progress.without_post_rehab] == [pending.dossier_id]
    assert progress.without_post_rehab[0]["days_since"] == (date(2023, 12, 31) - pending.clock.today).days


def test_excel_report_opens_and_its_figures_equal_the_progress(rt: Runtime) -> None:
    _person(rt)
    import_plan(rt.db, PLAN, rt.policy, rt.now())
    _dossier(rt, QC, [("decide__apply", date(2024, 3, 10))])
    progress = _progress(rt)
    book = load_workbook(BytesIO(build_workbook(progress, rt.engine.directory().name)))
    assert {"Tổng hợp", "Chỉ tiêu", "KPI", "Lịch báo cáo"} <= set(book.sheetnames)
    rows = list(book["Chỉ tiêu"].iter_rows(min_row=2, values_only=True))
    by_area = {(r[1], r[2]): r for r in rows}
    qc = by_area[(QC, "Cai nghiện bắt buộc")]
    assert qc[3] == 3 and qc[4] == 1 and isinstance(qc[4], int)
    assert by_area[(D, "Cai nghiện tại gia đình, cộng đồng")][4] == "không có dữ liệu trong hệ thống"
    due = [r[3] for r in book["Lịch báo cáo"].iter_rows(min_row=2, values_only=True)]
    assert due[0] == datetime(2024, 3, 14)  # a real date cell: "before the 15th" is due by the 14th


def test_bad_plan_file_lists_every_problem_and_writes_nothing(rt: Runtime) -> None:
    bad = PLAN.replace('"Xã Quài Cang"', '"Xã Không Có"').replace(f'"{D}.labour_office"', '"nowhere"')
    with pytest.raises(PlanFileError) as err:
        import_plan(rt.db, bad, rt.policy, rt.now())
    assert any("Xã Không Có" in p for p in err.value.problems)
    assert any(p.startswith("reports.agency") for p in err.value.problems)
    with rt.db.connect() as conn:
        assert conn.execute(select(func.count()).select_from(Deadline.__table__)).scalar_one() == 0  # type: ignore[attr-defined]


def test_importing_the_same_plan_twice_changes_nothing(rt: Runtime) -> None:
    first = import_plan(rt.db, PLAN, rt.policy, rt.now())
    second = import_plan(rt.db, PLAN, rt.policy, rt.now())
    assert first.created and first.reports == 5
    assert not second.changed
    with rt.db.connect() as conn:
        assert conn.execute(select(func.count()).select_from(Deadline.__table__)).scalar_one() == 5  # type: ignore[attr-defined]


def test_a_report_date_alerts_exactly_once_and_submitting_closes_it(rt: Runtime) -> None:
    import_plan(rt.db, PLAN, rt.policy, rt.now())
    alerts, outbox = Alert.__table__, Outbox.__table__  # type: ignore[attr-defined]
    # Q3 is due by Sat 14/09/2024: reminder two working days before, due, overdue, escalation later.
    moment = datetime(2024, 9, 20, 3, tzinfo=UTC)
    first = sweep(rt.db, rt.calendar, rt.settings, moment)
    again = sweep(rt.db, rt.calendar, rt.settings, moment)
    assert first > 0 and again == 0
    with rt.db.connect() as conn:
        kinds = conn.execute(select(alerts.c.kind).where(alerts.c.dossier_id.is_(None))).scalars().all()
        messages = conn.execute(
            select(outbox.c.agency_id, outbox.c.context).where(outbox.c.kind == "report_alert")
        ).all()
    assert sorted(kinds).count("overdue") == 3  # Q1, Q2 and Q3 (due by 14/09) are overdue on 20/09
    assert {m.agency_id for m in messages} >= {f"{D}.labour_office"}
    escalations = [m for m in messages if m.context["alert_kind"] == "escalation"]
    assert escalations and {m.agency_id for m in escalations} == {f"{D}.labour_office", f"{D}.district_committee"}
    with rt.db.connect() as conn:
        q4 = conn.execute(
            select(Deadline.__table__.c.report_id).where(Deadline.__table__.c.stage == "report:Q4")
        ).scalar_one()  # type: ignore[attr-defined]
    assert mark_submitted(rt.db, q4, "tester", moment) is True
    assert mark_submitted(rt.db, q4, "tester", moment) is False
    assert sweep(rt.db, rt.calendar, rt.settings, datetime(2024, 12, 20, 3, tzinfo=UTC)) >= 1  # the yearly report
    with rt.db.connect() as conn:
        q4_alerts = conn.execute(
            select(func.count())
            .select_from(alerts.join(Deadline.__table__, Deadline.__table__.c.id == alerts.c.deadline_id))  # type: ignore[attr-defined]
            .where(Deadline.__table__.c.stage == "report:Q4")  # type: ignore[attr-defined]
        ).scalar_one()
    assert q4_alerts == 0  # submitted before it fell due: never alerted


def test_a_commune_page_of_a_district_plan_shows_only_that_commune(rt: Runtime) -> None:
    from workflow.progress import AreaOutsidePlan

    _person(rt)
    import_plan(rt.db, PLAN, rt.policy, rt.now())
    _dossier(rt, QC, [("decide__apply", date(2024, 3, 10))])
    _dossier(rt, QT, [("decide__apply", date(2024, 4, 1))])
    commune = _progress(rt, area=QC)
    assert [(t.area_code, t.done) for t in commune.targets] == [(QC, 1)]
    assert commune.area_name == "Xã Quài Cang"
    with pytest.raises(AreaOutsidePlan):
        _progress(rt, area="dien-bien")  # above the plan's area


def test_the_demo_s_plan_files_import_cleanly_against_their_reference_files(rt: Runtime) -> None:
    from pathlib import Path

    from workflow.plans import import_plan_file
    from workflow.reference import import_file

    with rt.db.begin() as conn:
        import_file(conn, Path("demo/reference/dak-lak.toml"))
    for path in sorted(Path("demo/data/plans").glob("*.toml")):
        assert import_plan_file(rt.db, path, rt.policy, rt.now()).created, path
