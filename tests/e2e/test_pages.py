"""A real browser (Debian's Chromium driven by Playwright) reads the server's pages in Vietnamese."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
import uvicorn

from admin.app import create_app
from tests.journeys import Journey, make_runtime, open_adult, to_court_decision

pytestmark = pytest.mark.browser


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def server(tmp_path) -> Iterator[tuple[str, Any]]:  # type: ignore[no-untyped-def]
    rt, clock = make_runtime(f"sqlite:///{tmp_path}/ui.db")
    journey = Journey(rt, clock, open_adult(rt, clock).dossier_id)
    to_court_decision(journey)
    port = _free_port()
    config = uvicorn.Config(create_app(rt), host="127.0.0.1", port=port, log_level="warning")
    srv = uvicorn.Server(config)
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    for _ in range(100):
        if srv.started:
            break
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}", journey
    srv.should_exit = True
    thread.join(timeout=5)
    rt.db.dispose()


@pytest.fixture
def page(chromium_path: str) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=chromium_path,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        yield browser.new_page()
        browser.close()


def test_the_dossier_page_shows_the_regime_stage_deadline_and_the_chained_log(server, page) -> None:  # type: ignore[no-untyped-def]
    base, journey = server

    page.goto(f"{base}/dossiers/{journey.dossier_id}")

    body = page.inner_text("body")
    assert "Thời hạn khiếu nại, kiến nghị, kháng nghị" in body
    assert "vn-2021" in body
    assert "complaint.period" in body
    assert "decide__apply" in body
    page.screenshot(path=str(base_path() / "dossier.png"), full_page=True)


def test_an_agency_inbox_lists_the_dossiers_it_must_act_on(server, page) -> None:  # type: ignore[no-untyped-def]
    base, journey = server

    page.goto(f"{base}/")
    page.click("text=TAND huyện Tuần Giáo")

    assert "Hộp việc: TAND huyện Tuần Giáo" in page.inner_text("h1")
    assert page.locator(f"a[href='/dossiers/{journey.dossier_id}']").count() == 1


def base_path():  # type: ignore[no-untyped-def]
    from pathlib import Path

    out = Path(__file__).resolve().parents[2] / "var" / "screenshots"
    out.mkdir(parents=True, exist_ok=True)
    return out


def test_an_administrator_hands_an_abolished_offices_open_work_to_its_successor(server, page) -> None:  # type: ignore[no-untyped-def]
    base, journey = server
    court = "dien-bien.tuan-giao.district_court"
    page.goto(f"{base}/inbox/{court}")
    assert page.locator(f"a[href='/dossiers/{journey.dossier_id}']").count() == 1

    page.fill("input[name=user]", "admin")
    page.fill("input[name=basis]", "Nghị quyết 81/2025/UBTVQH15")
    page.click("text=Chuyển toàn bộ việc đang mở cho cơ quan kế thừa")
    assert "còn hoạt động" in page.inner_text("body") or "still in office" in page.inner_text("body")

    journey.clock.now = datetime(2025, 7, 2, 2, tzinfo=UTC)  # the district court no longer exists
    page.fill("input[name=user]", "admin")
    page.fill("input[name=basis]", "Nghị quyết 81/2025/UBTVQH15")
    page.click("text=Chuyển toàn bộ việc đang mở cho cơ quan kế thừa")

    assert "Đã chuyển cho" in page.inner_text("body")
    assert page.locator(f"a[href='/dossiers/{journey.dossier_id}']").count() == 0
    page.goto(f"{base}/dossiers/{journey.dossier_id}")
    assert "reassign_agency" in page.inner_text("body")
    assert page.request.get(f"{base}/api/audit/verify").json()["ok"] is True
