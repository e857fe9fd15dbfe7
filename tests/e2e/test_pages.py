"""A real browser (Debian's Chromium driven by Playwright) reads the server's pages in Vietnamese, logged in."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.e2e.conftest import login, screenshot

pytestmark = pytest.mark.browser


def test_a_page_without_a_session_sends_to_the_login_form_which_never_says_which_part_was_wrong(server, page) -> None:  # type: ignore[no-untyped-def]
    base, journey = server

    page.goto(f"{base}/dossiers/{journey.dossier_id}")
    assert page.url.startswith(f"{base}/login")
    page.fill("input[name=username]", "toa.tuangiao")
    page.fill("input[name=password]", "sai-mat-khau")
    with page.expect_navigation():
        page.click("button:has-text('Đăng nhập')")

    assert "Sai tên đăng nhập hoặc mật khẩu" in page.inner_text("main")
    assert "mật khẩu không đúng" not in page.inner_text("main").lower()
    screenshot(page, "login")
    page.fill("input[name=password]", "demo")
    with page.expect_navigation():
        page.click("button:has-text('Đăng nhập')")
    assert page.url == f"{base}/dossiers/{journey.dossier_id}"


def test_the_dossier_page_shows_the_regime_stage_deadline_and_the_chained_log(server, page) -> None:  # type: ignore[no-untyped-def]
    base, journey = server
    login(page, base, "toa.tuangiao")

    page.goto(f"{base}/dossiers/{journey.dossier_id}")

    body = page.inner_text("body")
    assert "Thời hạn khiếu nại, kiến nghị, kháng nghị" in body
    assert "Luật PCMT 2021, Nghị định 116/2021 (cấp huyện)" in body  # the regime by its name
    deadline = page.inner_text("#deadlines")
    assert "Thời hạn khiếu nại, kiến nghị" in deadline and "complaint.period" not in deadline
    assert "Pháp lệnh 03/2022/UBTVQH15, Điều 32 khoản 1" in deadline
    assert "Quyết định áp dụng biện pháp" in page.inner_text("#log")  # the step by its name, its code in small print
    assert "vn-2021" in page.inner_text(".support")


def test_a_court_clerk_sees_the_courts_inbox_first_on_the_home_page(server, page) -> None:  # type: ignore[no-untyped-def]
    base, journey = server

    login(page, base, "toa.tuangiao")

    assert "Hộp việc: TAND huyện Tuần Giáo" in page.inner_text("h1")
    assert page.locator(f"table.inbox a[href='/dossiers/{journey.dossier_id}']").count() == 1


def test_commune_police_are_refused_with_every_reason_then_notify_the_person(compiling_server, page) -> None:  # type: ignore[no-untyped-def]
    base, journey = compiling_server
    login(page, base, "cax.quaicang")
    assert "Hộp việc: Công an xã Quài Cang" in page.inner_text("h1")
    screenshot(page, "inbox")
    page.click(f"table.inbox a[href='/dossiers/{journey.dossier_id}']")
    assert "Trưởng Công an cấp xã lập hồ sơ đề nghị" in page.inner_text("#stage")

    page.click("#step-notify_person summary")
    page.fill("#step-notify_person input[name='document.number']", "7/TB-CAX")
    page.click("#step-notify_person button[type=submit]")

    refusals = page.locator("#refusals li.refusal")
    logged = page.request.get(f"{base}/api/dossiers/{journey.dossier_id}/history").json()[-1]
    assert logged["kind"] == "refusal"
    assert {"documents.missing", "grounds.missing"} <= {r["code"] for r in logged["reasons"]}
    assert refusals.count() == len(logged["reasons"])
    shown = page.inner_text("#refusals")
    for reason in logged["reasons"]:
        assert reason["reason_vi"] in shown and reason["code"] in shown and reason["basis"] in shown
    screenshot(page, "dossier-refused")

    form = page.locator("#step-notify_person")
    form.locator("select[name='field.grounds']").select_option("no_voluntary_rehab")
    for kind, number in (("cv", "3/LL"), ("statement", "3/TT"), ("compiler_proposal", "3/ĐN")):
        form.locator(f"input[name='att.{kind}.number']").fill(number)
        form.locator(f"input[name='att.{kind}.date']").fill(journey.clock.today.isoformat())
    form.locator("button[type=submit]").click()

    assert "Đã thực hiện: Thông báo lập hồ sơ cho người bị đề nghị" in page.inner_text("main")
    assert "Thông báo, người bị đề nghị đọc hồ sơ" in page.inner_text("#stage")
    last = page.locator("#log tr").last.inner_text()
    assert "Thông báo lập hồ sơ cho người bị đề nghị" in last and "cax.quaicang" in last
    assert "→ Thông báo, người bị đề nghị đọc hồ sơ" in last


def test_the_procurator_verifies_the_chain_downloads_the_log_and_is_offered_no_step(server, page, tmp_path) -> None:  # type: ignore[no-untyped-def]
    base, journey = server
    login(page, base, "vks.tuangiao")

    page.goto(f"{base}/dossiers/{journey.dossier_id}")
    assert page.locator("form.fire").count() == 0
    assert "Lò Văn Minh" in page.inner_text("#person")  # the procuracy supervises: it reads the person
    page.click("text=Kiểm tra nhật ký")
    page.click("button:has-text('Kiểm tra chuỗi hash')")
    assert "hợp lệ" in page.inner_text("#result")
    screenshot(page, "audit")
    with page.expect_download() as info:
        page.click("#export")
    saved = Path(tmp_path) / "log.jsonl"
    info.value.save_as(saved)

    entries = [json.loads(line) for line in saved.read_text(encoding="utf-8").splitlines()]
    assert len(entries) == len(journey.results) + 1  # the opening entry and one per step
    assert all(e["hash"] for e in entries)
    response = page.request.post(
        f"{base}/api/dossiers/{journey.dossier_id}/fire", data={"event": "end_complaint_period"}
    )
    assert response.status == 403


def test_an_administrator_does_not_see_the_persons_name_which_the_responsible_court_does(server, page) -> None:  # type: ignore[no-untyped-def]
    base, journey = server

    login(page, base, "admin")
    page.goto(f"{base}/dossiers/{journey.dossier_id}")
    admin_sees = page.inner_text("body")
    page.click("text=Đăng xuất")
    login(page, base, "toa.tuangiao")
    page.goto(f"{base}/dossiers/{journey.dossier_id}")
    court_sees = page.inner_text("#person")

    assert "Lò Văn Minh" not in admin_sees and "011090001234" not in admin_sees
    assert "Lò Văn Minh" in court_sees and "011090001234" in court_sees


def test_an_administrator_hands_an_abolished_offices_open_work_to_its_successor(server, page) -> None:  # type: ignore[no-untyped-def]
    base, journey = server
    court = "dien-bien.tuan-giao.district_court"
    login(page, base, "admin")
    page.goto(f"{base}/inbox/{court}")
    assert page.locator(f"a[href='/dossiers/{journey.dossier_id}']").count() >= 1

    page.fill("input[name=basis]", "Nghị quyết 81/2025/UBTVQH15")
    page.click("text=Chuyển toàn bộ việc đang mở cho cơ quan kế thừa")
    assert "còn hoạt động" in page.inner_text("body") or "still in office" in page.inner_text("body")

    journey.clock.now = datetime(2025, 7, 2, 2, tzinfo=UTC)  # the district court no longer exists
    page.fill("input[name=basis]", "Nghị quyết 81/2025/UBTVQH15")
    page.click("text=Chuyển toàn bộ việc đang mở cho cơ quan kế thừa")

    assert "Đã chuyển cho" in page.inner_text("body")
    assert page.locator(f"table.inbox a[href='/dossiers/{journey.dossier_id}']").count() == 0
    page.goto(f"{base}/dossiers/{journey.dossier_id}")
    assert "reassign_agency" in page.inner_text("body")
    assert page.request.get(f"{base}/api/audit/verify").json()["ok"] is True
