"""Handing an abolished agency's open work to its successor: everything open, exactly once, on the record."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select, update
from typer.testing import CliRunner

from demo.reference import REGIONAL_COURT, commune_2025_code
from notifications.worker import deliver_pending
from tests.journeys import Clock, make_runtime
from tests.regime_cases import DEADLINE, DOSSIER, LOG, Case, D, P, open_case, to_session
from workflow import queries
from workflow.agencies import ReassignError, reassign
from workflow.audit import verify_chain
from workflow.runtime import Runtime
from workflow.tables import InboxItem

INBOX = InboxItem.__table__
COURT = f"{D}.district_court"
BASIS = "Nghị quyết 81/2025/UBTVQH15"
TUAN_GIAO_2025 = commune_2025_code("Xã Tuần Giáo")


@pytest.fixture
def world(tmp_path: Path) -> Iterator[tuple[Runtime, Clock, list[Case]]]:
    """Two vn-2025 dossiers before the district court in June 2025, its inbox filled, one message read."""
    rt, clock = make_runtime(f"sqlite:///{tmp_path}/t.db", datetime(2025, 5, 26, 2, tzinfo=UTC))
    cases = []
    for _ in range(2):
        case = open_case(rt, clock, clock.today)
        to_session(case, court="district_court")
        cases.append(case)
    cases[1].step("decide", "district_court", {"outcome": "apply", "term_months": 12}, days=1)
    deliver_pending(rt.db, rt.settings, clock.now)
    with rt.db.begin() as conn:
        first = conn.execute(select(func.min(INBOX.c.id)).where(INBOX.c.agency_id == COURT)).scalar_one()
        conn.execute(update(INBOX).where(INBOX.c.id == first).values(read_at=clock.now))
    clock.now = datetime(2025, 7, 2, 2, tzinfo=UTC)
    yield rt, clock, cases
    rt.db.dispose()


def snapshot(rt: Runtime) -> dict[str, Any]:
    with rt.db.connect() as conn:
        return {
            "log": conn.execute(select(func.count()).select_from(LOG)).scalar_one(),
            "dossiers": conn.execute(select(DOSSIER.c.id, DOSSIER.c.agency_id, DOSSIER.c.version)).all(),
            "deadlines": conn.execute(select(DEADLINE.c.id, DEADLINE.c.agency_id)).all(),
            "inbox": conn.execute(select(INBOX.c.id, INBOX.c.agency_id)).all(),
        }


class TestReassign:
    def test_moves_every_open_item_to_the_successor_and_logs_each_dossier_once(
        self, world: tuple[Runtime, Clock, list[Case]]
    ) -> None:
        rt, clock, cases = world
        before = queries.inbox(rt.db, COURT, clock.today)

        report = reassign(rt.db, COURT, actor="admin.tinh", basis=BASIS, now=clock.now)
        deliver_pending(rt.db, rt.settings, clock.now)

        old, new = queries.inbox(rt.db, COURT, clock.today), queries.inbox(rt.db, REGIONAL_COURT, clock.today)
        assert report.to_agency == REGIONAL_COURT and set(report.dossiers) == {c.id for c in cases}
        assert (report.deadlines, report.inbox_items) == (len(before["deadlines"]), len(before["messages"]))
        assert old["dossiers"] == old["deadlines"] == old["messages"] == []
        assert {d["id"] for d in new["dossiers"]} == {c.id for c in cases}
        assert len(new["deadlines"]) == len(before["deadlines"]) > 0
        assert len(new["messages"]) == len(before["messages"]) + 1  # plus one summary for the whole handover
        summary = next(m for m in new["messages"] if m["kind"] == "work_reassigned")
        codes = sorted(c.row.code for c in cases)
        assert summary["dossier_id"] is None
        assert summary["subject"].startswith("[Chuyển cơ quan] 2 hồ sơ của TAND huyện Tuần Giáo được giao cho")
        assert f"Các hồ sơ: {', '.join(codes)}" in summary["body"] and BASIS in summary["body"]
        assert len(queries.inbox(rt.db, COURT, clock.today, unread_only=False)["messages"]) == 1  # read: history
        for case in cases:
            entries = [e for e in queries.history(rt.db, case.id) if e["kind"] == "admin"]
            assert [(e["event"], e["actor"], e["payload"]) for e in entries] == [
                ("reassign_agency", "admin.tinh", {"from_agency": COURT, "to_agency": REGIONAL_COURT, "basis": BASIS})
            ]
        assert verify_chain(rt.db).ok

    def test_running_it_again_changes_nothing(self, world: tuple[Runtime, Clock, list[Case]]) -> None:
        rt, clock, _ = world
        reassign(rt.db, COURT, actor="admin.tinh", basis=BASIS, now=clock.now)
        after_first = snapshot(rt)

        again = reassign(rt.db, COURT, actor="admin.tinh", basis=BASIS, now=clock.now)

        assert again.moved == 0 and "nothing open left" in again.describe()
        assert snapshot(rt) == after_first and verify_chain(rt.db).ok

    def test_the_successor_takes_the_next_step(self, world: tuple[Runtime, Clock, list[Case]]) -> None:
        rt, clock, cases = world
        reassign(rt.db, COURT, actor="admin.tinh", basis=BASIS, now=clock.now)

        cases[0].step("decide", "regional_court", {"outcome": "apply", "term_months": 12})

        assert cases[0].row.state == "complaint_period" and verify_chain(rt.db).ok

    @pytest.mark.parametrize(
        ("agency", "successor", "message"),
        [
            ("no.such.agency", None, r"^unknown agency 'no.such.agency'$"),
            (f"{P}.facility", None, r"is still in office \(with no end date\)"),
            (f"{D}.justice_office", None, r"has no successor: name one"),
            (f"{D}.justice_office", f"{P}.provincial_court", r"is a provincial_court; the work of a justice_office"),
            (COURT, f"{P}.provincial_court", r"has successor '.*regional_court.*', not"),
            (f"{D}.justice_office", "no.such.heir", r"^unknown successor agency 'no.such.heir'$"),
        ],
        ids=[
            "unknown-agency",
            "still-in-office",
            "no-successor",
            "wrong-type",
            "not-the-successor",
            "unknown-successor",
        ],
    )
    def test_refuses_bad_input_in_one_line_and_changes_nothing(
        self, world: tuple[Runtime, Clock, list[Case]], agency: str, successor: str | None, message: str
    ) -> None:
        rt, clock, _ = world
        before = snapshot(rt)

        with pytest.raises(ReassignError, match=message) as raised:
            reassign(rt.db, agency, actor="admin.tinh", basis=BASIS, now=clock.now, successor_id=successor)

        assert "\n" not in str(raised.value) and snapshot(rt) == before

    def test_needs_a_legal_basis(self, world: tuple[Runtime, Clock, list[Case]]) -> None:
        rt, clock, _ = world
        with pytest.raises(ReassignError, match="legal basis is required"):
            reassign(rt.db, COURT, actor="admin.tinh", basis=" ", now=clock.now)

    def test_names_a_successor_for_an_agency_without_one_and_records_it(
        self, world: tuple[Runtime, Clock, list[Case]]
    ) -> None:
        rt, clock, _ = world
        report = reassign(
            rt.db,
            f"{D}.justice_office",
            actor="admin.tinh",
            basis="Nghị định 120/2025/NĐ-CP",
            now=clock.now,
            successor_id=f"{TUAN_GIAO_2025}.commune_committee",
        )

        assert report.moved == 0
        rt.engine.reload_directory()
        assert (
            rt.engine.directory().agencies[f"{D}.justice_office"].successor_id == f"{TUAN_GIAO_2025}.commune_committee"
        )


class TestCommand:
    def test_rehab_agencies_reassign_reports_and_fails_in_one_line(
        self, world: tuple[Runtime, Clock, list[Case]], monkeypatch: pytest.MonkeyPatch
    ) -> None:
        from admin.cli import app

        rt, _, cases = world
        monkeypatch.setenv("REHAB_DATABASE_URL", rt.settings.database_url)
        runner = CliRunner()

        ok = runner.invoke(app, ["agencies", "reassign", COURT, "--basis", BASIS, "--user", "admin.tinh"])
        bad = runner.invoke(app, ["agencies", "reassign", "no.such.agency", "--basis", BASIS])
        audit = runner.invoke(app, ["audit", "verify"])

        assert ok.exit_code == 0 and f"{COURT} → {REGIONAL_COURT}: {len(cases)} dossiers" in ok.output
        assert bad.exit_code == 1 and bad.output.strip() == "error: unknown agency 'no.such.agency'"
        assert audit.exit_code == 0 and audit.output.startswith("ok:")


def test_the_fixture_leaves_two_dossiers_with_the_district_court(world: tuple[Runtime, Clock, list[Case]]) -> None:
    _, clock, cases = world

    assert [c.row.state for c in cases] == ["session_scheduled", "complaint_period"]
    assert all(c.row.agency_id == COURT for c in cases) and clock.today == date(2025, 7, 2)
