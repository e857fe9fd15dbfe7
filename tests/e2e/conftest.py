"""Browser fixtures: a real server on a free port over a fresh SQLite database, users, a Chromium page."""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from sqlalchemy import insert

from admin.app import create_app
from tests.journeys import AGENCY_OF, Journey, make_runtime, open_adult, to_court_decision
from workflow.passwords import hash_password
from workflow.runtime import Runtime
from workflow.tables import User

PASSWORD = "demo"
# The demo's usernames (demo.py: agency type prefix + area name) and roles.
USERS = {
    "cax.quaicang": (AGENCY_OF["commune_police"], "staff"),
    "ubndx.quaicang": (AGENCY_OF["commune_committee"], "staff"),
    "yte.tuangiao": (AGENCY_OF["health_facility"], "staff"),
    "ldtbxh.tuangiao": (AGENCY_OF["labour_office"], "staff"),
    "toa.tuangiao": (AGENCY_OF["district_court"], "staff"),
    "vks.tuangiao": (AGENCY_OF["procuracy"], "procurator"),
    "admin": (None, "admin"),
}
SCREENSHOTS = Path(os.environ.get("REHAB_SCREENSHOTS") or Path(__file__).resolve().parents[2] / "var" / "screenshots")


def add_users(rt: Runtime) -> None:
    hashed = hash_password(PASSWORD, iterations=1000)  # a test password: speed over strength
    rows = [
        {"username": u, "agency_id": a, "role": r, "display_name": f"Cán bộ {u}", "password_hash": hashed}
        for u, (a, r) in USERS.items()
    ]
    with rt.db.begin() as conn:
        conn.execute(insert(User.__table__), rows)  # type: ignore[attr-defined]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def serving(rt: Runtime) -> Iterator[str]:
    port = _free_port()
    srv = uvicorn.Server(uvicorn.Config(create_app(rt), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    for _ in range(100):
        if srv.started:
            break
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        srv.should_exit = True
        thread.join(timeout=5)
        rt.db.dispose()


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[str, Journey]]:
    """A vn-2021 dossier in its complaint period (the district court is responsible)."""
    rt, clock = make_runtime(f"sqlite:///{tmp_path}/ui.db")
    add_users(rt)
    journey = Journey(rt, clock, open_adult(rt, clock).dossier_id)
    to_court_decision(journey)
    with serving(rt) as base:
        yield base, journey


@pytest.fixture
def compiling_server(tmp_path: Path) -> Iterator[tuple[str, Journey]]:
    """A vn-2025 dossier being compiled by the commune police of Quài Cang (addiction confirmed)."""
    rt, clock = make_runtime(f"sqlite:///{tmp_path}/ui.db", datetime(2025, 4, 1, 2, tzinfo=UTC))
    add_users(rt)
    journey = Journey(rt, clock, open_adult(rt, clock).dossier_id)
    journey.step("request_determination", "commune_police")
    journey.step("record_determination", "health_facility", {"determination_outcome": "addicted"}, days=2)
    with serving(rt) as base:
        yield base, journey


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
        context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="vi-VN", accept_downloads=True)
        yield context.new_page()
        browser.close()


def login(page: Any, base: str, username: str, password: str = PASSWORD) -> None:
    page.goto(f"{base}/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    with page.expect_navigation():
        page.click("button:has-text('Đăng nhập')")


def screenshot(page: Any, name: str) -> None:
    """Into var/screenshots, or REHAB_SCREENSHOTS=docs/screenshots to refresh the README's pictures."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)
