"""The engine on SQLite and PostgreSQL: journeys, refusals, concurrency, idempotency, the log."""

from __future__ import annotations

import threading
from datetime import date, timedelta

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError, IntegrityError

from states.labels import EN, state_label, step_label
from tests.journeys import (
    Journey,
    actor,
    attachments,
    doc,
    open_adult,
    to_closure,
    to_court_acceptance,
    to_court_decision,
    to_supervision,
)
from workflow.audit import verify_chain
from workflow.errors import IdempotencyConflict, InvalidInput, StepNotAvailable, StepRefused, VersionConflict
from workflow.tables import Deadline, Dossier, Outbox, TransitionLog

LOG = TransitionLog.__table__
DEADLINE = Deadline.__table__
DOSSIER = Dossier.__table__
OUTBOX = Outbox.__table__


def _count(rt, table, **where) -> int:  # type: ignore[no-untyped-def]
    query = select(table)
    for column, value in where.items():
        query = query.where(table.c[column] == value)
    with rt.db.connect() as conn:
        return len(conn.execute(query).all())


def _open(rt, clock, **kw) -> Journey:  # type: ignore[no-untyped-def]
    result = open_adult(rt, clock, **kw)
    return Journey(rt, clock, result.dossier_id)


class TestJourneys:
    def test_an_adult_dossier_goes_through_every_stage_to_closure_after_two_years_of_supervision(
        self, journey_runtime
    ) -> None:  # type: ignore[no-untyped-def]
        rt, clock = journey_runtime
        journey = _open(rt, clock)

        to_closure(journey, term=12)

        view = _dossier(rt, journey.dossier_id)
        assert view.state == "closed"
        assert view.closing_reason == "supervision_completed"
        assert view.regime == "vn-2021"
        assert _count(rt, DEADLINE, dossier_id=journey.dossier_id, closed_at=None) == 0
        assert verify_chain(rt.db).ok

    def test_a_minor_gets_one_year_of_supervision_and_a_six_month_term(self, journey_runtime) -> None:  # type: ignore[no-untyped-def]
        rt, clock = journey_runtime
        journey = _open(rt, clock, birth="2007-01-15", id_number="011207001111")

        with pytest.raises(StepRefused) as refused_two_years:
            to_closure(journey, term=6, supervision_days=200)

        assert [r["code"] for r in refused_two_years.value.result.refusals] == ["supervision.period_running"]
        journey.step("end_supervision", "commune_committee", days=170)
        assert _dossier(rt, journey.dossier_id).closing_reason == "supervision_completed"
        assert _dossier(rt, journey.dossier_id).track == "minor"

    def test_a_returned_dossier_is_supplemented_and_resubmitted(self, journey_runtime) -> None:  # type: ignore[no-untyped-def]
        rt, clock = journey_runtime
        journey = _open(rt, clock)
        journey.step("request_determination", "commune_police")
        journey.step("record_determination", "health_facility", {"determination_outcome": "addicted"}, days=2)
        journey.step(
            "notify_person",
            "commune_committee",
            {"grounds": "no_voluntary_rehab", "attachments": attachments(clock.today)},
            days=1,
        )
        journey.step("send_to_labour", "commune_committee", days=7)

        journey.step("return_for_supplementation", "labour_office", {"reasons": "Thiếu xác nhận cư trú"}, days=1)
        supplement = _open_deadlines(rt, journey.dossier_id)
        journey.step("resubmit", "commune_committee", days=1)

        assert [d.rule_id for d in supplement] == ["supplement.compiler"]
        assert journey.state == "labour_review"


class TestRefusals:
    def test_a_refused_step_changes_nothing_but_the_log_and_says_every_unmet_condition(self, journey_runtime) -> None:  # type: ignore[no-untyped-def]
        rt, clock = journey_runtime
        journey = _open(rt, clock)
        journey.step("request_determination", "commune_police")
        journey.step("record_determination", "health_facility", {"determination_outcome": "addicted"})
        before = _dossier(rt, journey.dossier_id)
        deadlines_before = _count(rt, DEADLINE)
        outbox_before = _count(rt, OUTBOX)

        with pytest.raises(StepRefused) as refused:
            rt.engine.fire(journey.dossier_id, "notify_person", actor("labour_office"), {})

        codes = [r["code"] for r in refused.value.result.refusals]
        assert codes == ["actor.not_authorised", "documents.missing", "documents.missing", "grounds.missing"]
        assert all(r["basis"] and r["reason_vi"] and r["reason_en"] for r in refused.value.result.refusals)
        after = _dossier(rt, journey.dossier_id)
        assert (after.state, after.version, after.data) == (before.state, before.version, before.data)
        assert after.last_seq == before.last_seq + 1
        assert (_count(rt, DEADLINE), _count(rt, OUTBOX)) == (deadlines_before, outbox_before)
        assert verify_chain(rt.db).ok

    def test_a_step_from_the_wrong_state_is_not_available_and_is_logged(self, journey_runtime) -> None:  # type: ignore[no-untyped-def]
        rt, clock = journey_runtime
        journey = _open(rt, clock)

        with pytest.raises(StepNotAvailable) as err:
            rt.engine.fire(journey.dossier_id, "record_escort", actor("district_police"), {})

        assert "request_determination" in err.value.available
        assert _count(rt, LOG, dossier_id=journey.dossier_id) == 2

    def test_the_logged_not_available_refusal_names_stages_in_one_language_each_and_never_echoes_the_code(
        self, journey_runtime
    ) -> None:  # type: ignore[no-untyped-def]
        rt, clock = journey_runtime
        journey = _open(rt, clock)
        for event in ("record_escort", "<script>x</script>"):
            with pytest.raises(StepNotAvailable):
                rt.engine.fire(journey.dossier_id, event, actor("district_police"), {})

        with rt.db.connect() as conn:
            rows = conn.execute(
                select(LOG.c.reasons).where(LOG.c.dossier_id == journey.dossier_id).order_by(LOG.c.seq)
            ).all()
        known, typed = (r.reasons[0] for r in rows[-2:])
        regime = rt.regimes["vn-2021"]
        assert "«Bàn giao người vào cơ sở»" in known["reason_vi"]  # the step, by its Vietnamese name
        assert f"«{state_label('violation_recorded', regime)}»" in known["reason_vi"]  # and the stage
        assert step_label("request_determination", regime) in known["reason_vi"]  # what can be done instead
        assert step_label("record_escort", regime, EN) in known["reason_en"]
        for reason in (known, typed):
            assert "not available" not in reason["reason_vi"] and "không" not in reason["reason_en"]
            assert "record_escort" not in str(reason) and "script" not in str(reason)

    def test_bad_payload_names_the_field(self, journey_runtime) -> None:  # type: ignore[no-untyped-def]
        rt, clock = journey_runtime
        journey = _open(rt, clock)

        with pytest.raises(InvalidInput) as err:
            rt.engine.fire(
                journey.dossier_id,
                "request_determination",
                actor("commune_police"),
                {"document": {"number": "1/CV", "date": "2099-01-01"}},
            )

        assert err.value.field == "document.date"
        assert "future" in err.value.reason

    def test_an_under_12_or_a_foreigner_cannot_be_opened_and_nothing_is_stored(self, journey_runtime) -> None:  # type: ignore[no-untyped-def]
        rt, clock = journey_runtime

        with pytest.raises(StepRefused) as err:
            rt.engine.open_dossier(
                person={"full_name": "A", "birth_date": "2012-03-02", "nationality": "LA"},
                commune_code=journey_commune(),
                violation=doc("1/BB", clock.today),
                actor=actor("commune_police"),
            )

        assert {r["code"] for r in err.value.result.refusals} == {"eligibility.under_12", "eligibility.foreigner"}
        assert _count(rt, DOSSIER) == 0
        assert _count(rt, LOG) == 0


class TestConcurrencyAndIdempotency:
    def test_of_two_concurrent_fires_with_one_version_exactly_one_applies(self, journey_runtime) -> None:  # type: ignore[no-untyped-def]
        rt, clock = journey_runtime
        journey = _open(rt, clock)
        version = _dossier(rt, journey.dossier_id).version
        outcomes: list[str] = []
        barrier = threading.Barrier(4)

        def attempt(i: int) -> None:
            barrier.wait()
            try:
                rt.engine.fire(
                    journey.dossier_id,
                    "request_determination",
                    actor("commune_police"),
                    {"document": doc(f"{i}/CV", clock.today)},
                    expected_version=version,
                )
                outcomes.append("applied")
            except (VersionConflict, StepNotAvailable) as err:
                outcomes.append(type(err).__name__)

        threads = [threading.Thread(target=attempt, args=(i,)) for i in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()

        assert sorted(outcomes) == ["VersionConflict"] * 3 + ["applied"] or outcomes.count("applied") == 1
        assert outcomes.count("applied") == 1
        assert _dossier(rt, journey.dossier_id).version == version + 1
        # one set of the stage's deadlines (staff within 24 hours, the result within 5 days): opened once
        assert _count(rt, DEADLINE, dossier_id=journey.dossier_id, stage="determination_requested") == 2
        assert verify_chain(rt.db).ok

    def test_a_step_whose_dossier_changed_under_it_writes_nothing_at_all(self, journey_runtime, monkeypatch) -> None:  # type: ignore[no-untyped-def]
        # The row lock makes it impossible; were it lost (a changed setup), the version check of the last
        # write must leave no log entry, deadline or message behind (on PostgreSQL the COMMIT travels with it).
        from workflow.store import Store

        rt, clock = journey_runtime
        journey = _open(rt, clock)
        before = _dossier(rt, journey.dossier_id)
        counts = (_count(rt, LOG), _count(rt, DEADLINE), _count(rt, OUTBOX))
        load = Store.load

        def stale(self, dossier_id):  # type: ignore[no-untyped-def]
            row = load(self, dossier_id)
            return row and type(row)(**{**{f: getattr(row, f) for f in row.__slots__}, "version": row.version - 1})

        monkeypatch.setattr(Store, "load", stale)

        with pytest.raises(VersionConflict):
            rt.engine.fire(
                journey.dossier_id,
                "request_determination",
                actor("commune_police"),
                {"document": doc("1/CV", clock.today)},
            )

        monkeypatch.undo()
        assert (_count(rt, LOG), _count(rt, DEADLINE), _count(rt, OUTBOX)) == counts
        assert _dossier(rt, journey.dossier_id).version == before.version
        journey.step("request_determination", "commune_police")  # the connection is clean for the next step
        assert verify_chain(rt.db).ok

    def test_the_same_idempotency_key_returns_the_first_result_and_writes_nothing(self, journey_runtime) -> None:  # type: ignore[no-untyped-def]
        rt, clock = journey_runtime
        journey = _open(rt, clock)
        payload = {"document": doc("5/CV", clock.today)}
        first = rt.engine.fire(
            journey.dossier_id, "request_determination", actor("commune_police"), payload, idempotency_key="req-1"
        )
        log_count, outbox_count = _count(rt, LOG), _count(rt, OUTBOX)

        again = rt.engine.fire(
            journey.dossier_id, "request_determination", actor("commune_police"), payload, idempotency_key="req-1"
        )

        assert again.replayed and not first.replayed
        assert (again.to_state, again.version, again.hash) == (first.to_state, first.version, first.hash)
        assert (_count(rt, LOG), _count(rt, OUTBOX)) == (log_count, outbox_count)

    def test_a_replayed_refusal_is_refused_again_without_a_new_entry(self, journey_runtime) -> None:  # type: ignore[no-untyped-def]
        rt, clock = journey_runtime
        journey = _open(rt, clock)
        with pytest.raises(StepRefused):
            rt.engine.fire(
                journey.dossier_id, "request_determination", actor("commune_police"), {}, idempotency_key="k"
            )
        count = _count(rt, LOG)

        with pytest.raises(StepRefused) as again:
            rt.engine.fire(
                journey.dossier_id, "request_determination", actor("commune_police"), {}, idempotency_key="k"
            )

        assert again.value.result.replayed
        assert _count(rt, LOG) == count


class TestTheLog:
    def test_update_and_delete_on_the_log_are_rejected_by_the_database(self, journey_runtime) -> None:  # type: ignore[no-untyped-def]
        rt, clock = journey_runtime
        _open(rt, clock)

        for statement in ("UPDATE transition_log SET actor = 'someone else'", "DELETE FROM transition_log"):
            with pytest.raises((IntegrityError, DBAPIError)) as err, rt.db.begin() as conn:
                conn.execute(text(statement))
            assert "append-only" in str(err.value)
        assert _count(rt, LOG) == 1

    def test_tampering_is_detected_and_names_the_first_broken_entry(self, journey_runtime) -> None:  # type: ignore[no-untyped-def]
        rt, clock = journey_runtime
        journey = _open(rt, clock)
        to_court_decision(journey)
        _tamper(rt, journey.dossier_id, seq=4)

        report = verify_chain(rt.db)

        assert not report.ok
        assert (report.first_break.dossier_id, report.first_break.seq) == (journey.dossier_id, 4)


def _tamper(rt, dossier_id: int, seq: int) -> None:  # type: ignore[no-untyped-def]
    """Someone with database access edits an entry behind the triggers' back."""
    with rt.db.begin() as conn:
        if rt.db.dialect.name == "postgresql":
            conn.execute(text("ALTER TABLE transition_log DISABLE TRIGGER USER"))
            conn.execute(text(f"UPDATE transition_log SET actor='x' WHERE dossier_id={dossier_id} AND seq={seq}"))
            conn.execute(text("ALTER TABLE transition_log ENABLE TRIGGER USER"))
        else:
            conn.execute(text("DROP TRIGGER transition_log_no_update"))
            conn.execute(text(f"UPDATE transition_log SET actor='x' WHERE dossier_id={dossier_id} AND seq={seq}"))


def journey_commune() -> str:
    from tests.journeys import COMMUNE

    return COMMUNE


def _dossier(rt, dossier_id: int):  # type: ignore[no-untyped-def]
    with rt.db.connect() as conn:
        return conn.execute(select(DOSSIER).where(DOSSIER.c.id == dossier_id)).one()


def _open_deadlines(rt, dossier_id: int):  # type: ignore[no-untyped-def]
    with rt.db.connect() as conn:
        return conn.execute(
            select(DEADLINE).where(DEADLINE.c.dossier_id == dossier_id, DEADLINE.c.closed_at.is_(None))
        ).all()


def test_dates_are_dates(journey_runtime) -> None:  # type: ignore[no-untyped-def]
    rt, clock = journey_runtime
    journey = _open(rt, clock)
    row = _open_deadlines(rt, journey.dossier_id)[0]
    assert isinstance(row.due_on, date)


class TestClockAndConfig:
    def test_a_postponement_does_not_stop_the_enforcement_limitation_in_the_alert_or_the_guard(
        self, journey_runtime
    ) -> None:  # type: ignore[no-untyped-def]
        # audit §1.2: XLVPHC art. 108 restarts the year only after an evasion; the alert once paused it while
        # the guard counted straight through. Both now count straight through a postponement.
        rt, clock = journey_runtime
        journey = _open(rt, clock)
        to_court_decision(journey)
        requested = (clock.today + timedelta(days=1)).isoformat()  # within 2 working days of the decision
        journey.step("end_complaint_period", "district_court", days=10)
        limitation = [d for d in _open_deadlines(rt, journey.dossier_id) if d.key == "enforcement_limitation"][0]

        journey.step("postpone", "district_court", {"ground": "serious_illness", "requested_on": requested}, days=1)
        postponed = [d for d in _open_deadlines(rt, journey.dossier_id) if d.key == "enforcement_limitation"][0]
        journey.step("resume", "district_court", days=30)
        resumed = [d for d in _open_deadlines(rt, journey.dossier_id) if d.key == "enforcement_limitation"][0]

        assert postponed.id == limitation.id and postponed.paused_at is None
        assert resumed.id == limitation.id and resumed.due_on == limitation.due_on
        clock.advance(days=(limitation.due_on - clock.today).days + 1)
        with pytest.raises(StepRefused) as late:
            journey.step("record_escort", "district_police", {"facility_name": "Cơ sở cai nghiện"})
        assert [r["code"] for r in late.value.result.refusals] == ["limitation.enforcement_expired"]

    def test_a_corrected_unverified_value_in_config_changes_what_the_guard_allows(self, db_url) -> None:  # type: ignore[no-untyped-def]
        from tests.journeys import Clock
        from workflow.runtime import Runtime
        from workflow.settings import Settings

        default = Runtime.build(Settings(database_url=db_url))
        corrected = Runtime.build(Settings(database_url=db_url, rules={"vn-2021": {"limitation.application": 6}}))

        assert default.regimes["vn-2021"].rule("limitation.application").value == 3
        assert corrected.regimes["vn-2021"].rule("limitation.application").value == 6
        with pytest.raises(ValueError, match="confirmed"):
            Runtime.build(Settings(database_url=db_url, rules={"vn-2021": {"reading.period": 9}}))
        assert Clock  # the settable clock is what the journeys use


class TestCourtSuspension:
    def test_a_suspended_case_stops_the_time_to_decide_and_resumes_where_it_was(self, journey_runtime) -> None:  # type: ignore[no-untyped-def]
        rt, clock = journey_runtime
        journey = _open(rt, clock)
        to_court_acceptance(journey)
        decide = [d for d in _open_deadlines(rt, journey.dossier_id) if d.key == "decide"][0]

        journey.step("decide", "district_court", {"outcome": "suspend", "reason": "Người bị đề nghị ốm nặng"}, days=3)
        journey.step("resume_case", "district_court", days=40)
        resumed = [d for d in _open_deadlines(rt, journey.dossier_id) if d.key == "decide"][0]

        assert journey.state == "court_accepted"
        assert resumed.id == decide.id
        assert resumed.due_on == rt.calendar.next_working_day(decide.due_on + timedelta(days=40))

    def test_a_complicated_case_gets_thirty_days_to_decide_instead_of_fifteen(self, journey_runtime) -> None:  # type: ignore[no-untyped-def]
        rt, clock = journey_runtime
        simple, complicated = _open(rt, clock), _open(rt, clock, id_number="011090009999")
        for journey, flag in ((simple, False), (complicated, True)):
            to_court_acceptance(journey, complicated=flag)
            clock.advance(days=-12)  # the second dossier is accepted the same day

        plain, long = (
            [d for d in _open_deadlines(rt, j.dossier_id) if d.key == "decide"][0] for j in (simple, complicated)
        )

        assert plain.rule_id == "court.decide"
        assert long.rule_id == "court.decide_complicated"
        assert (long.due_on - plain.due_on).days >= 14


class TestTheLogKeepsItsOwners:
    def test_a_dossier_cannot_be_deleted_and_a_chain_without_its_dossier_is_reported(self, journey_runtime) -> None:  # type: ignore[no-untyped-def]
        rt, clock = journey_runtime
        journey = _open(rt, clock)

        with pytest.raises((IntegrityError, DBAPIError)) as err, rt.db.begin() as conn:
            conn.execute(text(f"DELETE FROM dossier WHERE id = {journey.dossier_id}"))
        assert "never deleted" in str(err.value)
        with rt.db.begin() as conn:  # someone with owner rights removes the trigger and the row
            conn.execute(text("DROP TRIGGER dossier_no_delete" + (" ON dossier" if _pg(rt) else "")))
            conn.execute(text(f"DELETE FROM deadline WHERE dossier_id = {journey.dossier_id}"))
            conn.execute(text(f"DELETE FROM dossier WHERE id = {journey.dossier_id}"))

        report = verify_chain(rt.db)

        assert report.first_break is not None
        assert report.first_break.problem == "the dossier row is missing"

    def test_an_idempotency_key_replays_only_its_own_dossier_and_step(self, journey_runtime) -> None:  # type: ignore[no-untyped-def]
        rt, clock = journey_runtime
        first, second = _open(rt, clock), _open(rt, clock, id_number="011090007777")
        rt.engine.fire(
            first.dossier_id,
            "request_determination",
            actor("commune_police"),
            {"document": doc("5/CV", clock.today)},
            idempotency_key="k-1",
        )

        with pytest.raises(IdempotencyConflict, match="another dossier"):
            rt.engine.fire(
                second.dossier_id,
                "request_determination",
                actor("commune_police"),
                {"document": doc("5/CV", clock.today)},
                idempotency_key="k-1",
            )

        assert second.state == "violation_recorded"


def _pg(rt) -> bool:  # type: ignore[no-untyped-def]
    return bool(rt.db.dialect.name == "postgresql")


class TestMovingHouseUnderSupervision:
    def test_the_new_commune_takes_over_supervision_after_the_old_police_notify_it(self, journey_runtime) -> None:  # type: ignore[no-untyped-def]
        from demo.reference import commune_code

        rt, clock = journey_runtime
        journey = _open(rt, clock)
        to_supervision(journey, term=12)
        assert journey.state == "post_rehab_supervision"
        destination = commune_code("Xã Mường Mùn")

        with pytest.raises(StepRefused) as unknown:
            journey.step(
                "record_move", "commune_police", {"moved_on": clock.today.isoformat(), "new_commune": "nowhere"}
            )
        journey.step(
            "record_move", "commune_police", {"moved_on": clock.today.isoformat(), "new_commune": destination}, days=1
        )
        notice = [d for d in _open_deadlines(rt, journey.dossier_id) if d.key == "move_notice"]
        journey.step("notify_move", "commune_police", days=2)
        row = _dossier(rt, journey.dossier_id)
        open_now = {d.key: d for d in _open_deadlines(rt, journey.dossier_id)}

        assert [r["code"] for r in unknown.value.result.refusals] == ["commune.unknown"]
        assert notice and notice[0].rule_id == "post_rehab.move_notice"
        assert row.commune_code == destination
        assert row.agency_id == f"{destination}.commune_committee"
        assert set(open_now) == {"supervision_end"}
        assert open_now["supervision_end"].agency_id == f"{destination}.commune_committee"


class TestFacilityFull:
    def test_a_full_facility_extends_the_escort_once_to_three_months(self, journey_runtime) -> None:  # type: ignore[no-untyped-def]
        rt, clock = journey_runtime
        journey = _open(rt, clock)
        to_court_decision(journey)
        journey.step("end_complaint_period", "district_court", days=10)

        journey.step("extend_escort", "labour_office", days=3)
        escort = [d for d in _open_deadlines(rt, journey.dossier_id) if d.key == "escort"]
        with pytest.raises(StepRefused) as twice:
            journey.step("extend_escort", "labour_office", days=30)

        assert [d.rule_id for d in escort] == ["escort.facility_full"]
        assert escort[0].due_on >= clock.today + timedelta(days=55)
        assert [r["code"] for r in twice.value.result.refusals] == ["escort.already_extended"]


class TestTermReduction:
    def test_the_court_shortens_the_term_and_the_facility_deadline_follows(self, journey_runtime) -> None:  # type: ignore[no-untyped-def]
        rt, clock = journey_runtime
        journey = _open(rt, clock)
        to_court_decision(journey, term=24)
        journey.step("end_complaint_period", "district_court", days=10)
        journey.step("record_escort", "district_police", {"facility_name": "Cơ sở cai nghiện"}, days=2)
        before = [d for d in _open_deadlines(rt, journey.dossier_id) if d.key == "term"][0]

        with pytest.raises(StepRefused) as longer:
            journey.step("reduce_term", "district_court", {"term_months": 30}, days=200)
        journey.step("reduce_term", "district_court", {"term_months": 18})
        after = [d for d in _open_deadlines(rt, journey.dossier_id) if d.key == "term"][0]

        assert [r["code"] for r in longer.value.result.refusals] == ["term.not_shortened"]
        assert (before.due_on - after.due_on).days in range(180, 190)  # six months earlier
        journey.step("record_completion", "facility", days=18 * 31 - 200)
        assert journey.state == "completion_certified"
