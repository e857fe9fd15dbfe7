"""A commune police officer opens a dossier from the page and records the person's earlier episode (Chromium)."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import insert

from demo.reference import commune_2025_code
from tests.e2e.conftest import PASSWORD, add_users, login, screenshot, serving
from tests.journeys import Clock, make_runtime
from workflow.passwords import hash_password
from workflow.runtime import Runtime
from workflow.tables import User

pytestmark = pytest.mark.browser


POLICE = f"{commune_2025_code('Xã Tuần Giáo')}.commune_police"  # the 2025 commune that took in Quài Cang
COMMUNE_LABEL = "Xã Tuần Giáo (Tỉnh Điện Biên)"


@pytest.fixture
def server_2026(tmp_path: Path) -> Iterator[tuple[str, Runtime, Clock]]:
    """An empty book in August 2026 (regime vn-2026), with the demo's users and Xã Tuần Giáo's police."""
    rt, clock = make_runtime(f"sqlite:///{tmp_path}/ui.db", datetime(2026, 8, 4, 2, tzinfo=UTC))
    add_users(rt)
    hashed = hash_password(PASSWORD, iterations=1000)
    with rt.db.begin() as conn:
        conn.execute(
            insert(User.__table__),  # type: ignore[attr-defined]
            [{"username": "cax.xatuangiao", "agency_id": POLICE, "role": "staff", "password_hash": hashed}],
        )
    with serving(rt) as base:
        yield base, rt, clock


def errors_of(page: Any) -> dict[str, str]:
    spans = page.locator(".field-error")
    return {spans.nth(i).get_attribute("data-field"): spans.nth(i).inner_text() for i in range(spans.count())}


def test_a_commune_police_officer_opens_a_dossier_and_enters_an_earlier_episode(server_2026, page) -> None:  # type: ignore[no-untyped-def]
    base, _, _ = server_2026
    login(page, base, "cax.xatuangiao")
    page.click("#nav-open")
    assert page.url == f"{base}/dossiers/new"
    form = page.locator("#new-dossier")
    assert form.locator("select[name=commune] option:checked").inner_text() == COMMUNE_LABEL
    form.locator("select[name=commune]").select_option("")  # chosen by mistake: it must be chosen again

    form.locator("input[name='document.number']").fill("12/BB-VPHC")
    form.locator("input[name='person.id_number']").fill("01109000")
    form.locator("input[name='person.birth_date']").fill("31/02/1990")
    form.locator("button[type=submit]").click()

    errors = errors_of(page)
    assert set(errors) == {"document.date", "commune", "person.full_name", "person.birth_date", "person.id_number"}
    assert "12 chữ số" in errors["person.id_number"] and "dd/mm/yyyy" in errors["person.birth_date"]
    assert form.locator("input[name='document.number']").input_value() == "12/BB-VPHC"  # nothing typed is lost
    assert form.locator("input[name='person.id_number']").input_value() == "01109000"
    screenshot(page, "new-dossier-errors")

    page.goto(f"{base}/dossiers/new")  # a fresh form, as the README shows it
    decomposed = unicodedata.normalize("NFD", "Nguyễn Văn Hùng")
    form.locator("input[name='document.number']").fill("12/BB-VPHC")
    form.locator("input[name='document.date']").fill("03/08/2026")
    form.locator("select[name=commune]").select_option(label=COMMUNE_LABEL)
    form.locator("input[name='person.full_name']").fill(decomposed)
    form.locator("input[name='person.birth_date']").fill("12/06/1991")
    form.locator("input[name='person.id_number']").fill("011091004567")
    form.locator("select[name='person.residence_commune']").select_option(label=COMMUNE_LABEL)
    form.locator("input[name='person.address']").fill("Bản Món")
    screenshot(page, "new-dossier")
    form.locator("button[type=submit]").click()

    assert page.url.startswith(f"{base}/dossiers/")
    assert "Đã mở hồ sơ HS-2026-" in page.inner_text("main")
    assert "Đã lập biên bản vi phạm" in page.inner_text("#stage")
    assert "Nguyễn Văn Hùng" in page.inner_text("#person")

    page.click("#person-link")
    assert page.inner_text("#person-title") == unicodedata.normalize("NFC", "Nguyễn Văn Hùng")
    page.click("#add-episode summary")
    episode = page.locator("#add-episode")
    episode.locator("select[name='episode.kind']").select_option("compulsory")
    episode.locator("input[name='episode.started_on']").fill("15/03/2021")
    episode.locator("input[name='episode.ended_on']").fill("15/03/2023")
    episode.locator("input[name='episode.document_number']").fill("45/QĐ-TA")
    episode.locator("input[name='episode.document_issuer']").fill("TAND huyện Tuần Giáo")
    episode.locator("button[type=submit]").click()

    assert "Đã ghi lần cai nghiện trước đây." in page.inner_text("main")
    assert "45/QĐ-TA" in page.inner_text("#episodes") and "Cai nghiện bắt buộc" in page.inner_text("#episodes")
    assert page.locator("#dossiers tr").nth(1).locator("td").last.inner_text().startswith("1")
    screenshot(page, "person")


def test_the_new_dossier_page_is_not_offered_to_the_court(server_2026, page) -> None:  # type: ignore[no-untyped-def]
    base, _, _ = server_2026
    login(page, base, "toa.tuangiao")

    assert page.locator("#nav-open").count() == 0
    response = page.goto(f"{base}/dossiers/new")
    assert response is not None and response.status == 403
