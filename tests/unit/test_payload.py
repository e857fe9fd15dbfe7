"""A step's payload: required fields really required, every problem at once, in Vietnamese, naming its field."""

from __future__ import annotations

from datetime import date

import pytest

from states.model import Event, State, Step
from states.registry import regimes_by_id
from workflow.errors import InvalidInput
from workflow.payload import clean, parse_date

REGIMES = regimes_by_id()
TODAY = date(2026, 3, 10)
DOC = {"number": "9/BB", "date": "2026-03-09"}


def step(event: Event, source: State, regime: str = "vn-2021") -> Step:
    return next(s for s in REGIMES[regime].steps if s.event is event and source in s.sources)


def missing_fields(event: Event, source: State, payload: dict[str, object], regime: str = "vn-2021") -> list[str]:
    return [m["field"] for m in clean(step(event, source, regime), payload, TODAY).missing]


class TestRequiredFields:
    def test_a_move_with_nothing_filled_in_names_the_date_and_the_destination(self) -> None:
        missing = missing_fields(Event.RECORD_MOVE, State.POST_REHAB_SUPERVISION, {})

        assert missing == ["moved_on", "new_commune"]

    def test_a_handover_without_a_facility_is_refused_with_the_steps_basis(self) -> None:
        cp = clean(step(Event.RECORD_ESCORT, State.AWAITING_ESCORT), {"document": DOC}, TODAY)

        assert [m["field"] for m in cp.missing] == ["facility_name"]
        assert cp.missing[0]["code"] == "payload.required"
        assert "Cơ sở cai nghiện" in cp.missing[0]["reason_vi"] and cp.missing[0]["basis"]

    @pytest.mark.parametrize("empty", [None, "", "   "], ids=["absent", "empty", "blank"])
    def test_an_empty_count_of_months_is_missing(self, empty: object) -> None:
        payload = {} if empty is None else {"term_months": empty}

        assert missing_fields(Event.REDUCE_TERM, State.IN_FACILITY, payload) == ["term_months"]

    def test_zero_days_is_a_value_and_optional_fields_may_be_left_out(self) -> None:
        # the days absconded are no longer typed: they come from the recorded dates (audit §1.2)
        assert missing_fields(Event.RECORD_FOUND, State.ABSCONDED_FROM_FACILITY, {}) == []
        # (no pending days typed at escort any more: the pending-management decision, Mẫu 36, records them)
        assert missing_fields(Event.REDUCE_TERM, State.IN_FACILITY, {"term_months": 0}) == []
        assert missing_fields(Event.RECORD_ESCORT, State.AWAITING_ESCORT, {"facility_name": "Cơ sở số 1"}) == []

    def test_a_return_needs_its_reasons(self) -> None:
        assert missing_fields(Event.RETURN_FOR_SUPPLEMENTATION, State.LABOUR_REVIEW, {}) == ["reasons"]


class TestEveryProblemAtOnce:
    def test_malformed_values_and_missing_ones_come_together_each_with_its_field_in_vietnamese(self) -> None:
        payload = {"document": {"number": "", "date": "31/02/2026"}, "moved_on": "hôm qua", "extra": 1}

        with pytest.raises(InvalidInput) as raised:
            clean(step(Event.RECORD_MOVE, State.POST_REHAB_SUPERVISION), payload, TODAY)

        by_field = {e["field"]: e for e in raised.value.errors}
        assert set(by_field) == {"extra", "moved_on", "new_commune"}
        assert "dd/mm/yyyy" in by_field["moved_on"]["reason_vi"]
        assert by_field["new_commune"]["code"] == "payload.required"
        assert all(e["reason_vi"] and e["reason_en"] for e in raised.value.errors)

    def test_a_document_without_number_and_with_a_future_date_reports_both(self) -> None:
        payload = {"document": {"number": " ", "date": "2027-01-01"}, "facility_name": "Cơ sở số 1"}

        with pytest.raises(InvalidInput) as raised:
            clean(step(Event.RECORD_ESCORT, State.AWAITING_ESCORT), payload, TODAY)

        assert [e["field"] for e in raised.value.errors] == ["document.number", "document.date"]
        assert "Biên bản bàn giao" in raised.value.errors[0]["reason_vi"]

    def test_a_negative_count_is_refused(self) -> None:
        with pytest.raises(InvalidInput) as raised:
            clean(step(Event.REDUCE_TERM, State.IN_FACILITY), {"term_months": -3}, TODAY)

        assert raised.value.field == "term_months" and "số nguyên không âm" in raised.value.reason_vi

    def test_text_over_the_notes_limit_is_refused_not_cut(self) -> None:
        with pytest.raises(InvalidInput) as raised:
            clean(step(Event.RESUME, State.POSTPONED), {"note": "x" * 2001}, TODAY)

        assert raised.value.field == "note"


class TestDates:
    @pytest.mark.parametrize("text", ["2026-03-05", "05/03/2026", "5/3/2026", " 05/03/2026 "])
    def test_iso_and_vietnamese_day_month_year_mean_the_same_day(self, text: str) -> None:
        assert parse_date("moved_on", text) == date(2026, 3, 5)

    @pytest.mark.parametrize("text", ["03/05", "31/02/2026", "2026/03/05", "mai"])
    def test_anything_else_is_refused_naming_the_field(self, text: str) -> None:
        with pytest.raises(InvalidInput) as raised:
            parse_date("moved_on", text)

        assert raised.value.field == "moved_on"

    def test_a_date_field_is_stored_as_iso_whatever_was_typed(self) -> None:
        cp = clean(
            step(Event.RECORD_MOVE, State.POST_REHAB_SUPERVISION),
            {"moved_on": "01/03/2026", "new_commune": "x"},
            TODAY,
        )

        assert cp.facts["moved_on"] == "2026-03-01"
