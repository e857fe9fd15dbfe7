"""Every code a user can meet has a Vietnamese name, kept in one place."""

from __future__ import annotations

import pytest

from handlers.labels import DOC_LABELS
from states.labels import LABELLED, field_label, state_label, step_label, value_labels
from states.model import Doc, State
from states.registry import regimes_by_id

REGIMES = regimes_by_id()


@pytest.mark.parametrize("kind", sorted(LABELLED))
def test_every_member_has_a_vietnamese_and_an_english_name(kind: str) -> None:
    enum, table = LABELLED[kind]

    assert [m for m in enum if m not in table or not all(table[m])] == []


def test_every_document_has_a_name() -> None:
    assert [d.value for d in Doc if d.value not in DOC_LABELS] == []


@pytest.mark.parametrize("regime", sorted(REGIMES))
def test_every_field_of_every_step_has_a_name(regime: str) -> None:
    fields = {name for step in REGIMES[regime].steps for name in step.fields}

    assert [f for f in sorted(fields) if field_label(f) == f] == []


def test_a_dossiers_stage_is_named_by_its_regime_and_a_step_by_its_trigger() -> None:
    vn2025 = REGIMES["vn-2025"]

    assert state_label("labour_review", vn2025) == vn2025.stages[State.LABOUR_REVIEW].label_vi
    assert state_label("labour_review") == "Kiểm tra hồ sơ, chuyển Tòa án"
    assert step_label("decide__apply", vn2025) == "Quyết định áp dụng biện pháp"
    assert step_label("record_escort", vn2025) != "record_escort"


@pytest.mark.parametrize("regime", sorted(REGIMES))
def test_every_ground_of_every_regime_has_a_name(regime: str) -> None:
    named = value_labels("notify_person", "grounds")

    assert [g for g in REGIMES[regime].grounds if g not in named] == []
