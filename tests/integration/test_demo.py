"""Demo data: built only through the engine, spread over the process, some of it overdue, every chain intact."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select

from workflow.audit import verify_chain
from workflow.chain import GENESIS, entry_hash
from workflow.demo import DemoReport, build_demo
from workflow.passwords import hash_password, needs_rehash, verify_password
from workflow.runtime import Runtime
from workflow.settings import Settings
from workflow.tables import Deadline, Dossier, Person, TransitionLog, User

TODAY = date(2026, 11, 20)
DOSSIER = Dossier.__table__  # type: ignore[attr-defined]
DEADLINE = Deadline.__table__  # type: ignore[attr-defined]
LOG = TransitionLog.__table__  # type: ignore[attr-defined]
PERSON = Person.__table__  # type: ignore[attr-defined]
USER = User.__table__  # type: ignore[attr-defined]
Built = tuple[Runtime, DemoReport]


def fresh_runtime(path: Path) -> Runtime:
    return Runtime.build(Settings(database_url=f"sqlite:///{path}"), migrate_db=True)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Built]:
    """One demo of 60 dossiers on a fresh SQLite database, shared by the read-only tests below."""
    runtime = fresh_runtime(tmp_path_factory.mktemp("demo") / "demo.db")
    yield runtime, build_demo(runtime, count=60, today=TODAY)
    runtime.db.dispose()


def dossiers(runtime: Runtime) -> list[tuple[int, str, str, str | None, int | None, int]]:
    columns = (
        DOSSIER.c.id,
        DOSSIER.c.regime,
        DOSSIER.c.state,
        DOSSIER.c.closing_reason,
        DOSSIER.c.previous_dossier_id,
        DOSSIER.c.person_id,
    )
    with runtime.db.connect() as conn:
        return [tuple(r) for r in conn.execute(select(*columns).order_by(DOSSIER.c.id))]


def broken_links(runtime: Runtime) -> list[str]:
    """Recompute every entry's hash and its link to the previous entry, dossier by dossier."""
    problems, current, prev = [], None, GENESIS
    with runtime.db.connect() as conn:
        for row in conn.execute(select(LOG).order_by(LOG.c.dossier_id, LOG.c.seq)):
            if row.dossier_id != current:
                current, prev = row.dossier_id, GENESIS
            if row.prev_hash != prev or entry_hash(row._asdict()) != row.hash:
                problems.append(f"dossier {row.dossier_id} entry {row.seq}")
            prev = row.hash
    return problems


class TestTheDemo:
    def test_builds_the_dossiers_it_was_asked_for_without_a_refused_step(self, demo: Built) -> None:
        runtime, report = demo

        assert report.dossiers == 60 == len(dossiers(runtime))
        assert (report.refused, report.failed) == (0, 0)
        with runtime.db.connect() as conn:
            refusals = conn.execute(select(func.count()).select_from(LOG).where(LOG.c.applied.is_(False)))
            assert refusals.scalar_one() == 0

    def test_leaves_every_dossier_in_a_state_of_its_own_regime(self, demo: Built) -> None:
        runtime, _ = demo

        for _id, regime, state, *_ in dossiers(runtime):
            assert state in {s.value for s in runtime.regimes[regime].states}, (regime, state)

    def test_spreads_the_dossiers_over_the_process(self, demo: Built) -> None:
        runtime, report = demo

        states = {state for _id, _regime, state, *_ in dossiers(runtime)}

        assert len(states) >= 12
        assert {"closed", "in_facility", "post_rehab_supervision"} <= states
        assert sum(report.by_state.values()) == 60
        assert len(report.closing_reasons) >= 3

    def test_gives_dossiers_to_every_regime_in_force_since_2021(self, demo: Built) -> None:
        runtime, report = demo

        in_force = {
            r.id
            for r in runtime.regimes.values()
            if r.in_force_from <= TODAY and (r.in_force_to is None or r.in_force_to >= date(2021, 1, 1))
        }

        assert set(report.by_regime) == in_force

    def test_leaves_some_dossiers_past_an_open_deadline_for_the_sweep(self, demo: Built) -> None:
        runtime, report = demo

        with runtime.db.connect() as conn:
            overdue = conn.execute(
                select(func.count(DEADLINE.c.dossier_id.distinct())).where(
                    DEADLINE.c.closed_at.is_(None), DEADLINE.c.paused_at.is_(None), DEADLINE.c.due_on < TODAY
                )
            )
            count = overdue.scalar_one()

        assert count >= 1
        assert report.overdue == count

    def test_never_dates_a_step_after_today(self, demo: Built) -> None:
        runtime, _ = demo

        with runtime.db.connect() as conn:
            latest = conn.execute(select(func.max(LOG.c.at))).scalar_one()

        assert latest.date() <= TODAY

    def test_keeps_every_hash_chain_intact(self, demo: Built) -> None:
        runtime, _ = demo

        audit = verify_chain(runtime.db)

        assert audit.ok, audit.first_break and audit.first_break.describe()
        assert audit.dossiers == 60
        assert broken_links(runtime) == []

    def test_links_a_relapse_to_the_same_persons_closed_dossier(self, demo: Built) -> None:
        runtime, report = demo

        rows = {r[0]: r for r in dossiers(runtime)}
        follow_ups = [r for r in rows.values() if r[4] is not None]

        assert len(follow_ups) == report.relapses
        for _id, _regime, _state, _reason, previous, person in follow_ups:
            assert previous is not None
            assert rows[previous][3] == "relapsed"
            assert rows[previous][5] == person

    def test_gives_each_agency_a_demo_user_with_the_demo_password(self, demo: Built) -> None:
        runtime, _ = demo

        with runtime.db.connect() as conn:
            users = {r.username: r for r in conn.execute(select(USER))}

        for name in ("cax.quaicang", "ldtbxh.tuangiao", "toa.tuangiao", "vks.tuangiao", "admin"):
            assert verify_password("demo", users[name].password_hash), name
        assert users["vks.tuangiao"].role == "procurator"
        assert users["admin"].role == "admin"
        assert users["cax.quaicang"].agency_id == "dien-bien.tuan-giao.quai-cang.commune_police"

    def test_gives_people_plausible_vietnamese_identity_numbers(self, demo: Built) -> None:
        runtime, _ = demo

        with runtime.db.connect() as conn:
            people = conn.execute(select(PERSON.c.id_number, PERSON.c.birth_date)).all()

        for id_number, birth in people:
            assert len(id_number) == 12 and id_number.startswith("011"), id_number
            assert id_number[4:6] == f"{birth.year % 100:02d}"


def test_a_second_build_on_a_database_with_dossiers_adds_nothing(tmp_path: Path) -> None:
    runtime = fresh_runtime(tmp_path / "twice.db")
    clock = runtime.clock
    first = build_demo(runtime, count=5, today=TODAY)

    second = build_demo(runtime, count=5, today=TODAY)

    assert not first.skipped and first.dossiers == 5
    assert second.skipped and second.dossiers == 5
    assert len(dossiers(runtime)) == 5
    assert "nothing added" in str(second)
    assert runtime.clock is clock  # the demo drove its own copy of the runtime
    runtime.db.dispose()


class TestPasswords:
    def test_a_hash_verifies_its_password_only(self) -> None:
        stored = hash_password("demo", iterations=1_000)

        assert stored.startswith("pbkdf2_sha256$1000$")
        assert verify_password("demo", stored)
        assert not verify_password("Demo", stored)

    def test_the_same_password_gets_a_different_salt_each_time(self) -> None:
        assert hash_password("demo", iterations=1_000) != hash_password("demo", iterations=1_000)

    @pytest.mark.parametrize(
        "stored",
        ["", "demo", "md5$1$ab$cd", "pbkdf2_sha256$x$ab$cd", "pbkdf2_sha256$10$zz$cd"],
        ids=["empty", "plain", "other-algorithm", "bad-count", "bad-hex"],
    )
    def test_a_malformed_hash_never_verifies(self, stored: str) -> None:
        assert not verify_password("demo", stored)

    def test_a_hash_weaker_than_today_needs_rehashing(self) -> None:
        assert needs_rehash(hash_password("demo", iterations=1_000))
        assert not needs_rehash(hash_password("demo", iterations=1_000), iterations=1_000)
