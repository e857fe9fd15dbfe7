"""People and their history through the engine (SQLite and PostgreSQL): earlier episodes entered from paper
records count for the vn-2026 24/36-month rule, identity corrections are on every chain without values,
opening checks every field at once and who may open."""

from __future__ import annotations

import json
import unicodedata
from collections.abc import Iterator
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import func, select

from demo.reference import DISTRICT, commune_2025_code, commune_code
from tests.journeys import Clock, doc, in_office, make_runtime
from tests.regime_cases import AGENCY, COMMUNE, DOSSIER, LOG, PERSON, Case, actor, open_case, to_session
from workflow.audit import verify_chain
from workflow.engine import Actor
from workflow.errors import IdempotencyConflict, InvalidFields, StepRefused
from workflow.intake import open_request
from workflow.runtime import Runtime
from workflow.tables import Person

PEOPLE = Person.__table__  # type: ignore[attr-defined]
PAPER_COMPULSORY = {
    "kind": "compulsory",
    "started_on": "2021-03-15",
    "ended_on": "2023-03-15",
    "document_number": "45/QĐ-TA",
    "document_issuer": "TAND huyện Tuần Giáo",
}


@pytest.fixture
def world(db_url: str) -> Iterator[tuple[Runtime, Clock]]:
    rt, clock = make_runtime(db_url, datetime(2026, 8, 4, 2, tzinfo=UTC))
    yield rt, clock
    rt.db.dispose()


def person_of(rt: Runtime, case: Case) -> int:
    return int(case.row.person_id)


def decide(case: Case, months: int) -> None:
    case.step("decide", "regional_court", {"outcome": "apply", "term_months": months}, days=5)


class TestEarlierEpisodesOnPaper:
    def test_one_compulsory_episode_entered_after_opening_makes_the_term_36_and_refuses_24(
        self, world: tuple[Runtime, Clock]
    ) -> None:
        rt, clock = world
        case = open_case(rt, clock, clock.today)
        rt.engine.record_episode(person_of(rt, case), PAPER_COMPULSORY, actor("commune_police"))
        to_session(case)

        with pytest.raises(StepRefused, match="decision.term_not_per_history"):
            decide(case, 24)
        decide(case, 36)

        assert case.row.state == "complaint_period"
        assert case.row.data["recorded_episodes"] == {"compulsory": 1, "voluntary": 0, "post_rehab": 0}
        assert verify_chain(rt.db, case.id).ok

    def test_an_episode_entered_for_the_person_counts_in_a_dossier_opened_later(
        self, world: tuple[Runtime, Clock]
    ) -> None:
        rt, clock = world
        first = open_case(rt, clock, clock.today)
        first.step("close_not_eligible", "commune_police", {"reason": "không đủ căn cứ"})
        rt.engine.record_episode(person_of(rt, first), PAPER_COMPULSORY, actor("commune_police"))
        clock.advance(days=1)

        second = open_case(rt, clock, clock.today)
        to_session(second)
        decide(second, 36)

        assert person_of(rt, second) == person_of(rt, first)
        assert second.row.state == "complaint_period"

    def test_post_rehab_supervision_is_not_an_episode_of_rehab(self, world: tuple[Runtime, Clock]) -> None:
        rt, clock = world
        case = open_case(rt, clock, clock.today)
        rt.engine.record_episode(
            person_of(rt, case), {**PAPER_COMPULSORY, "kind": "post_rehab"}, actor("commune_police")
        )
        to_session(case)

        with pytest.raises(StepRefused, match="decision.term_not_per_history"):
            decide(case, 36)
        decide(case, 24)

    def test_the_chain_records_the_kind_and_counts_but_not_the_paper_record(self, world: tuple[Runtime, Clock]) -> None:
        rt, clock = world
        case = open_case(rt, clock, clock.today)
        rt.engine.record_episode(person_of(rt, case), PAPER_COMPULSORY, actor("commune_police"))

        with rt.db.connect() as conn:
            last = conn.execute(select(LOG).where(LOG.c.dossier_id == case.id).order_by(LOG.c.seq.desc())).first()
        assert last is not None
        assert (last.kind, last.event, last.actor) == ("admin", "record_prior_episode", "user.commune_police")
        assert "45/QĐ-TA" not in json.dumps(last.payload, ensure_ascii=False)
        assert last.payload["recorded_episodes"]["compulsory"] == 1

    def test_every_problem_of_an_episode_is_named_at_once(self, world: tuple[Runtime, Clock]) -> None:
        rt, clock = world
        case = open_case(rt, clock, clock.today)
        bad = {"kind": "hospital", "started_on": "2030-01-01", "ended_on": "ngày mai", "document_number": ""}

        with pytest.raises(InvalidFields) as raised:
            rt.engine.record_episode(person_of(rt, case), bad, actor("commune_police"))

        fields = {p.field for p in raised.value.problems}
        assert fields == {"kind", "started_on", "ended_on", "document_number", "document_issuer"}


class TestIdentityCorrection:
    def test_each_dossier_logs_which_fields_changed_and_who_never_the_values(
        self, world: tuple[Runtime, Clock]
    ) -> None:
        rt, clock = world
        first = open_case(rt, clock, clock.today)
        second = open_case(rt, clock, clock.today)
        corrector = actor("commune_police")

        report = rt.engine.correct_identity(
            person_of(rt, first), {"full_name": "Lò Văn Mình", "birth_date": "02/05/1990"}, corrector
        )

        assert report["changed"] == ["birth_date", "full_name"]
        for case in (first, second):
            with rt.db.connect() as conn:
                entry = conn.execute(select(LOG).where(LOG.c.dossier_id == case.id).order_by(LOG.c.seq.desc())).first()
            assert entry is not None
            assert (entry.event, entry.actor, entry.actor_agency) == (
                "correct_identity",
                corrector.user,
                AGENCY["commune_police"],
            )
            assert entry.payload == {"fields": ["birth_date", "full_name"]}
            assert "Mình" not in json.dumps(entry.payload, ensure_ascii=False) and "1990" not in str(entry.payload)
            assert case.row.data["birth_date"] == "1990-05-02"
            assert verify_chain(rt.db, case.id).ok

    def test_refuses_an_id_number_that_is_not_12_digits_or_a_future_birth_date(
        self, world: tuple[Runtime, Clock]
    ) -> None:
        rt, clock = world
        case = open_case(rt, clock, clock.today)

        with pytest.raises(InvalidFields) as raised:
            rt.engine.correct_identity(
                person_of(rt, case), {"id_number": "12345", "birth_date": "2030-01-01"}, actor("commune_police")
            )

        messages = {p.field: p.message_vi for p in raised.value.problems}
        assert "12 chữ số" in messages["id_number"] and "tương lai" in messages["birth_date"]
        assert case.row.version == 1  # nothing written


class TestOpening:
    def test_a_decomposed_name_is_stored_composed_and_matches_the_same_person(
        self, world: tuple[Runtime, Clock]
    ) -> None:
        rt, clock = world
        decomposed = unicodedata.normalize("NFD", "Nguyễn  Văn An ")
        case = open_case(rt, clock, clock.today, person={**PERSON, "full_name": decomposed})

        with rt.db.connect() as conn:
            stored = conn.execute(select(PEOPLE.c.full_name).where(PEOPLE.c.id == person_of(rt, case))).scalar_one()
            found = conn.execute(select(func.count()).select_from(PEOPLE).where(PEOPLE.c.full_name == "Nguyễn Văn An"))
        assert stored == "Nguyễn Văn An" and stored == unicodedata.normalize("NFC", stored)
        assert found.scalar_one() == 1

    def test_every_bad_field_is_reported_at_once_and_nothing_is_written(self, world: tuple[Runtime, Clock]) -> None:
        rt, clock = world
        body = {
            "person": {"full_name": " ", "birth_date": "31/02/1990", "id_number": "0110900012", "sex": "x"},
            "commune": "nowhere",
            "violation_record": {"number": "", "date": ""},
        }

        with pytest.raises(InvalidFields) as raised:
            open_request(rt.engine, body, actor("commune_police"), None)

        assert {p.field for p in raised.value.problems} == {
            "person.full_name",
            "person.birth_date",
            "person.id_number",
            "person.sex",
            "commune",
            "violation_record.number",
            "violation_record.date",
        }
        assert all(p.message_vi for p in raised.value.problems)
        with rt.db.connect() as conn:
            assert conn.execute(select(func.count()).select_from(DOSSIER)).scalar_one() == 0

    @pytest.mark.parametrize(
        ("opener", "code"),
        [
            (Actor("u", f"{DISTRICT[0]}.district_police"), "actor.not_in_office"),
            (Actor("u", f"{commune_code('Xã Chiềng Sinh')}.commune_police"), "actor.outside_jurisdiction"),
            (Actor("u", f"{DISTRICT[0]}.health_facility"), "actor.not_authorised"),
        ],
        ids=["abolished-district-police", "police-of-another-commune", "health-facility"],
    )
    def test_refuses_an_agency_that_may_not_open_it_here_and_now(
        self, world: tuple[Runtime, Clock], opener: Actor, code: str
    ) -> None:
        rt, clock = world

        with pytest.raises(StepRefused) as raised:
            rt.engine.open_dossier(
                person=PERSON, commune_code=COMMUNE, violation=doc("1/BB", clock.today), actor=opener
            )

        assert code in {r["code"] for r in raised.value.result.refusals}
        assert all(r["reason_vi"] and r["basis"] for r in raised.value.result.refusals)

    @pytest.mark.parametrize(
        "commune", [COMMUNE, commune_2025_code("Xã Tuần Giáo")], ids=["old-commune", "new-commune"]
    )
    def test_todays_commune_police_enter_a_paper_record_made_before_the_merger(
        self, world: tuple[Runtime, Clock], commune: str
    ) -> None:
        rt, clock = world
        police = in_office(rt, clock.today, actor("commune_police"))

        opened = rt.engine.open_dossier(
            person=PERSON, commune_code=commune, violation=doc("7/BB", date(2024, 11, 5)), actor=police
        )

        row = Case(rt, clock, opened.dossier_id or 0).row
        assert (row.regime, row.commune_code) == ("vn-2021", commune_2025_code("Xã Tuần Giáo"))

    def test_a_minor_under_12_is_refused_with_the_age_reason(self, world: tuple[Runtime, Clock]) -> None:
        rt, clock = world
        child = {**PERSON, "id_number": None, "birth_date": "2016-01-01"}

        with pytest.raises(StepRefused) as raised:
            open_case(rt, clock, clock.today, person=child)

        assert "eligibility.under_12" in {r["code"] for r in raised.value.result.refusals}

    def test_an_idempotency_key_replays_the_opening_and_is_not_reused_for_a_step(
        self, world: tuple[Runtime, Clock]
    ) -> None:
        rt, clock = world
        body = {"person": PERSON, "commune": COMMUNE, "violation_record": doc("1/BB", clock.today)}
        police = in_office(rt, clock.today, actor("commune_police"))  # Quài Cang's merged into Xã Tuần Giáo
        first = open_request(rt.engine, body, police, "open-1")
        again = open_request(rt.engine, body, police, "open-1")
        rt.engine.fire(
            first.dossier_id or 0,
            "request_determination",
            police,
            {"document": doc("2/CV", clock.today)},
            idempotency_key="step-1",
        )

        assert (again.dossier_id, again.replayed) == (first.dossier_id, True)
        with pytest.raises(IdempotencyConflict):
            open_request(rt.engine, body, police, "step-1")
