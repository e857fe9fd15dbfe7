"""In Chromium: the header's search box finds a person typed without diacritics, the dossier list filters and
pages in Vietnamese, a code typed into the address bar opens the dossier (another commune's police: "not
found"), and the inbox's alerts are links with read buttons. Pictures for the README."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.access_world import PASSWORD, World, build_world
from tests.e2e.conftest import login, screenshot, serving
from tests.integration.test_search_lists import _populate
from workflow.sweep import sweep

pytestmark = pytest.mark.browser


@pytest.fixture
def searchable(tmp_path: Path) -> Iterator[tuple[str, World, dict[str, tuple[int, str]]]]:
    world = build_world(f"sqlite:///{tmp_path}/search.db")
    extra = _populate(world)
    world.clock.advance(days=1)
    sweep(world.rt.db, world.rt.calendar, world.rt.settings, world.rt.now())
    with serving(world.rt) as base:
        yield base, world, extra


def no_sideways_scroll(page: Any) -> bool:
    return bool(page.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth"))


def test_a_search_without_diacritics_finds_the_person_and_other_police_find_nothing(searchable, page) -> None:  # type: ignore[no-untyped-def]
    base, world, extra = searchable
    login(page, base, "cax.tuangiao", PASSWORD)

    page.fill("header input[name=q]", "nguyen van a")
    with page.expect_navigation():
        page.press("header input[name=q]", "Enter")

    rows = page.locator("#results tbody tr")
    assert (
        rows.count() == 2
        and "Nguyễn Văn A" in page.inner_text("#results")
        and "Nguyễn Văn An" in page.inner_text("#results")
    )
    assert "2</strong> hồ sơ có họ tên khớp" in page.inner_html("#total")
    screenshot(page, "search-results")
    dossier_id, code = extra["Nguyễn Văn An"]
    page.fill("header input[name=q]", code.lower())
    with page.expect_navigation():
        page.press("header input[name=q]", "Enter")
    assert page.url == f"{base}/dossiers/{dossier_id}"

    page.click("text=Đăng xuất")
    login(page, base, "cax.chiengsinh", PASSWORD)
    page.goto(f"{base}/ho-so/{code}")
    assert "Không tìm thấy hồ sơ có mã" in page.inner_text("main")
    page.goto(f"{base}/dossiers?q=nguyen+van+a")
    assert page.locator("#results tbody tr").inner_text().startswith("Không có hồ sơ nào khớp")


def test_the_dossier_list_filters_sorts_and_pages_in_vietnamese(searchable, page) -> None:  # type: ignore[no-untyped-def]
    base, world, extra = searchable
    login(page, base, "vks.khuvuctuangiao", PASSWORD)

    page.goto(f"{base}/dossiers")
    page.select_option("select[name=commune]", label="Xã Tuần Giáo")
    page.select_option("select[name=sort]", label="Mã hồ sơ")
    page.select_option("select[name=page_size]", "10")
    with page.expect_navigation():
        page.click("#filters button:has-text('Lọc')")

    assert "commune=dien-bien.xa-tuan-giao" in page.url
    table = page.inner_text("#results")
    assert "Đã lập biên bản vi phạm" in table and "Công an xã Tuần Giáo" in table and "Xã Chiềng Sinh" not in table
    codes = [c.strip() for c in page.locator("#results tbody tr td:first-child").all_inner_texts()]
    assert codes == sorted(codes) and len(codes) == len(extra) + 1
    screenshot(page, "dossier-list")
    page.check("input[name=overdue]")
    with page.expect_navigation():
        page.click("#filters button:has-text('Lọc')")
    assert all("quá hạn" in row for row in page.locator("#results tbody tr").all_inner_texts())

    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{base}/dossiers")
    assert no_sideways_scroll(page)


def test_inbox_alerts_are_links_marked_read_with_a_button(searchable, page) -> None:  # type: ignore[no-untyped-def]
    base, world, _ = searchable
    from notifications.worker import deliver_pending

    deliver_pending(world.rt.db, world.rt.settings, world.rt.now(), batch=500)
    login(page, base, "cax.tuangiao", PASSWORD)
    page.goto(f"{base}/inbox/dien-bien.xa-tuan-giao.commune_police")
    unread = page.locator("tr.alert.unread").count()
    assert unread > 0

    with page.expect_navigation():
        page.locator("tr.alert.unread button.read").first.click()

    assert page.locator("tr.alert.unread").count() == unread - 1
    page.locator("tr.alert a").first.click()
    assert "/dossiers/" in page.url
