"""Step forms in a real browser: every error at once beside its field, dates typed dd/mm/yyyy whatever the
browser's locale, and pages that fit a 390 px phone without sideways scrolling."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import PASSWORD, add_users, login, screenshot, serving
from tests.journeys import AGENCY_OF, Journey, make_runtime, open_adult, to_court_decision
from workflow.passwords import hash_password
from workflow.tables import User

pytestmark = pytest.mark.browser
PHONE = {"width": 390, "height": 844}


@pytest.fixture
def escort_server(tmp_path: Path) -> Iterator[tuple[str, Journey]]:
    """A vn-2021 decision in effect: the district police of Tuần Giáo are to hand the person over."""
    from sqlalchemy import insert

    rt, clock = make_runtime(f"sqlite:///{tmp_path}/ui.db")
    add_users(rt)
    with rt.db.begin() as conn:
        row = {"username": "cah.tuangiao", "agency_id": AGENCY_OF["district_police"], "role": "staff"}
        conn.execute(insert(User.__table__), [{**row, "password_hash": hash_password(PASSWORD, iterations=1000)}])  # type: ignore[attr-defined]
    journey = Journey(rt, clock, open_adult(rt, clock).dossier_id)
    to_court_decision(journey)
    journey.step("end_complaint_period", "district_court", days=10)
    with serving(rt) as base:
        yield base, journey


def browser_with(page: Any, **options: Any) -> Any:
    """A new page of the same browser with other context options (a phone's viewport, an English locale)."""
    context = page.context.browser.new_context(**options)
    return context.new_page()


def test_a_handover_with_several_errors_shows_them_all_beside_their_fields_and_keeps_what_was_typed(
    escort_server, page
) -> None:  # type: ignore[no-untyped-def]
    base, journey = escort_server
    english = browser_with(page, viewport={"width": 1100, "height": 900}, locale="en-US")
    login(english, base, "cah.tuangiao")
    english.goto(f"{base}/dossiers/{journey.dossier_id}")
    form = english.locator("#step-record_escort")
    form.locator("summary").click()

    form.locator("input[name='document.number']").fill("")
    form.locator("input[name='document.date']").fill("31/02/2023")
    form.locator("button[type=submit]").click()
    english.wait_for_selector("#refusals")

    form = english.locator("#step-record_escort")
    assert form.get_attribute("open") is not None
    beside = {
        name: form.locator(f"label.invalid:has([name='{name}']) .field-error").all_inner_texts()
        for name in ("document.number", "document.date", "field.facility_name")
    }
    assert "Biên bản bàn giao" in beside["document.number"][0]
    assert "dd/mm/yyyy" in beside["document.date"][0]
    assert beside["field.facility_name"][0].startswith("Chưa nhập: Cơ sở cai nghiện")
    assert form.locator("input[name='document.date']").input_value() == "31/02/2023"
    assert form.locator("select[name='field.facility_name'] option").count() >= 2  # a choice, never a typed code
    assert english.locator("#refusals li.refusal").count() >= 3
    screenshot(english, "form-errors")

    form.locator("input[name='document.number']").fill("9/BB-BG")
    form.locator("input[name='document.date']").fill(f"{journey.clock.today:%d/%m/%Y}")
    form.locator("select[name='field.facility_name']").select_option(index=1)
    form.locator("button[type=submit]").click()
    english.wait_for_selector("[role=status]")
    assert "Chấp hành tại cơ sở cai nghiện" in english.inner_text("#stage")
    assert f"{journey.clock.today:%d/%m/%Y}" in english.inner_text("#documents")


def test_the_dossier_home_and_inbox_pages_fit_a_390_px_phone(escort_server, page) -> None:  # type: ignore[no-untyped-def]
    base, journey = escort_server
    phone = browser_with(page, viewport=PHONE, locale="vi-VN", device_scale_factor=2, is_mobile=True, has_touch=True)
    widths = {}
    for user, paths in (
        ("cah.tuangiao", (f"/dossiers/{journey.dossier_id}", "/", f"/inbox/{AGENCY_OF['district_police']}")),
        ("vks.tuangiao", (f"/dossiers/{journey.dossier_id}", "/audit")),
    ):
        login(phone, base, user)
        for path in paths:
            phone.goto(f"{base}{path}")
            phone.evaluate("document.querySelectorAll('details').forEach(d => { d.open = true; })")
            widths[f"{user} {path}"] = phone.evaluate("document.documentElement.scrollWidth")
        if user == "cah.tuangiao":
            phone.goto(f"{base}/dossiers/{journey.dossier_id}")
            phone.locator("#step-record_escort summary").click()
            screenshot(phone, "phone-390")
        phone.context.clear_cookies()

    assert all(width <= PHONE["width"] for width in widths.values()), widths
