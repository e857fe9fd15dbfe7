"""Administration and the procuracy in Chromium: an administrator creates a user choosing the agency from a
list and the new user signs in; a procurator finds a refused attempt in the cross-dossier log search, and
checks the log against the anchor file they saved; the pages fit a 390 px phone."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.e2e.conftest import login, screenshot
from tests.e2e.test_forms import browser_with
from tests.journeys import AGENCY_OF, Journey, actor

PHONE = {"width": 390, "height": 844}


def test_an_administrator_creates_a_user_who_then_signs_in(server, page) -> None:  # type: ignore[no-untyped-def]
    base, _ = server
    login(page, base, "admin")

    page.click("header >> text=Người dùng")
    page.fill("#new-user input[name=username]", "cax.hoa")
    page.fill("#new-user input[name=display_name]", "Lò Thị Hoa")
    page.select_option("#new-user select[name=role]", "staff")
    page.select_option("#new-user select[name=agency_id]", AGENCY_OF["commune_police"])
    page.fill("#new-user input[name=password]", "mat-khau-dai")
    screenshot(page, "admin-users")
    with page.expect_navigation():
        page.click("#new-user button[type=submit]")

    assert "Đã tạo người dùng." in page.inner_text("#notice")
    page.click("button:has-text('Đăng xuất')")
    login(page, base, "cax.hoa", "mat-khau-dai")
    assert "Lò Thị Hoa (cax.hoa)" in page.inner_text("header")


def refuse_once(journey: Journey) -> None:
    try:
        journey.rt.engine.fire(journey.dossier_id, "record_escort", actor("commune_police"), {})
    except Exception:  # noqa: BLE001 - the refusal is the point: it is logged on the chain
        pass


def test_a_procurator_finds_refused_attempts_and_checks_the_log_against_a_saved_anchor(  # type: ignore[no-untyped-def]
    server, page, tmp_path: Path
) -> None:
    base, journey = server
    refuse_once(journey)
    login(page, base, "vks.tuangiao")

    page.click("header >> text=Tìm trong nhật ký")
    page.select_option("#search select[name=outcome]", "refused")
    page.fill("#search input[name=since]", journey.clock.today.strftime("%d/%m/%Y"))
    with page.expect_navigation():
        page.click("#search button[type=submit]")
    rows = page.locator("#entries tr.refusal")

    assert rows.count() >= 1
    assert "Bị từ chối" in rows.first.inner_text()
    screenshot(page, "audit-log-search")

    page.goto(f"{base}/audit")
    with page.expect_download() as info:
        page.click("#anchor")
    saved = tmp_path / "neo.json"
    info.value.save_as(saved)
    page.set_input_files("#anchor-check input[name=anchor]", str(saved))
    with page.expect_navigation():
        page.click("#anchor-check button[type=submit]")
    assert "khớp" in page.inner_text("#anchor-result")


def test_the_administration_and_log_search_pages_fit_a_390_px_phone(server, page) -> None:  # type: ignore[no-untyped-def]
    base, _ = server
    phone: Any = browser_with(page, viewport=PHONE, locale="vi-VN", is_mobile=True, has_touch=True)
    widths = {}
    for user, paths in (
        ("admin", ("/admin/users", "/admin/users/cax.quaicang", "/admin/deliveries", "/admin/agencies")),
        ("vks.tuangiao", ("/audit", "/audit/log?outcome=refused")),
    ):
        login(phone, base, user)
        for path in paths:
            phone.goto(f"{base}{path}")
            widths[path] = phone.evaluate("document.documentElement.scrollWidth")
        phone.click("button:has-text('Đăng xuất')")

    assert widths and all(width <= PHONE["width"] for width in widths.values()), widths
