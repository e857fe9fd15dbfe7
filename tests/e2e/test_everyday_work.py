"""Issue 11's everyday work, in Chromium, without a manual.

A commune police officer opens a new dossier from the page for a person whose earlier compulsory rehab exists
only on paper; each agency in turn takes the dossier to the facility through its own pages; a search without
diacritics finds the person; the police of another commune are told the dossier is not found; the procurator
finds the dossier's refused attempts in the cross-dossier log search.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import insert

from demo.reference import PROVINCE
from tests.e2e.conftest import PASSWORD, login, screenshot, serving
from tests.journeys import Clock, make_runtime
from workflow.passwords import hash_password
from workflow.runtime import Runtime
from workflow.tables import User

pytestmark = pytest.mark.browser

COMMUNE = f"{PROVINCE[0]}.xa-tuan-giao"  # a 2025 commune (NQ 1661): Quài Cang, Quài Nưa, Tuần Giáo town
OTHER_COMMUNE = f"{PROVINCE[0]}.xa-chieng-sinh"
# Who acts under vn-2026 (the 2025 agencies): the commune police compile, PC04 checks and escorts, the regional
# court decides; the users are made for whichever agency of the type serves the commune on the day.
USERS = {
    "cax": ("commune_police", COMMUNE, "staff"),
    "cax.khac": ("commune_police", OTHER_COMMUNE, "staff"),
    "yte": ("health_facility", COMMUNE, "staff"),
    "pc04": ("provincial_police", COMMUNE, "staff"),
    "toakv": ("regional_court", COMMUNE, "staff"),
    "vks": ("procuracy", COMMUNE, "procurator"),
}
PERSON = {"full_name": "Nguyễn Văn Ánh", "id_number": "011092004321", "birth_date": "14/02/1992"}


@pytest.fixture
def world(tmp_path: Path) -> Iterator[tuple[str, Runtime, Clock]]:
    rt, clock = make_runtime(f"sqlite:///{tmp_path}/everyday.db", datetime(2026, 9, 1, 2, tzinfo=UTC))
    directory = rt.engine.directory()
    hashed = hash_password(PASSWORD, iterations=1000)
    rows = []
    for username, (kind, commune, role) in USERS.items():
        agency = directory.resolve(kind, commune, clock.today)
        assert agency is not None, (kind, commune)
        rows.append({"username": username, "agency_id": agency, "role": role, "password_hash": hashed})
    with rt.db.begin() as conn:
        conn.execute(insert(User.__table__), rows)  # type: ignore[attr-defined]
    with serving(rt) as base:
        yield base, rt, clock


def as_user(page: Any, base: str, username: str) -> None:
    page.context.clear_cookies()
    login(page, base, username)


def take_step(page: Any, base: str, dossier_id: int, event: str, number: str | None = None, **fields: str) -> None:
    """Open the step's form on the dossier page, fill it as a person would, send it, expect it applied."""
    page.goto(f"{base}/dossiers/{dossier_id}")
    form = page.locator(f"#step-{event}")
    form.locator("summary").click()
    if number is not None:
        form.locator("input[name='document.number']").fill(number)
    for name, value in fields.items():
        target = form.locator(f"[name='{name}']")
        tag = target.evaluate("e => e.tagName")
        if tag == "SELECT" and value:
            target.select_option(value)
        elif tag == "SELECT":
            target.select_option(index=1)  # the first real choice (the facility of the province)
        elif target.get_attribute("type") == "checkbox":
            target.check()
        else:
            target.fill(value)
    form.locator("button[type=submit]").click()
    page.wait_for_load_state()
    assert page.locator("[role=status]").count() == 1, page.inner_text("main")[:600]


def today(clock: Clock) -> str:
    return f"{clock.today:%d/%m/%Y}"


def test_a_dossier_from_opening_to_the_facility_found_by_name_hidden_elsewhere_audited(world, page) -> None:  # type: ignore[no-untyped-def]
    base, rt, clock = world

    # The commune police open the dossier from the page.
    as_user(page, base, "cax")
    page.goto(f"{base}/dossiers/new")
    form = page.locator("#new-dossier")
    form.locator("input[name='document.number']").fill("21/BB-VPHC")
    form.locator("input[name='document.date']").fill(today(clock))
    form.locator("select[name='commune']").select_option(COMMUNE)
    form.locator("input[name='person.full_name']").fill(PERSON["full_name"])
    form.locator("input[name='person.birth_date']").fill(PERSON["birth_date"])
    form.locator("select[name='person.sex']").select_option("male")
    form.locator("input[name='person.nationality']").fill("VN")
    form.locator("input[name='person.id_number']").fill(PERSON["id_number"])
    form.locator("button[type=submit]").click()
    page.wait_for_url(re.compile(r"/dossiers/\d+"))
    dossier_id = int(re.search(r"/dossiers/(\d+)", page.url).group(1))  # type: ignore[union-attr]
    code = page.inner_text("h1").removeprefix("Hồ sơ ").strip()
    assert "Đã lập biên bản vi phạm" in page.inner_text("#stage")

    # The earlier compulsory rehab, known only from a paper file, is entered on the person's page.
    page.click("#person-link")
    episode = page.locator("#add-episode")
    episode.locator("summary").click()
    episode.locator("select[name='episode.kind']").select_option("compulsory")
    episode.locator("input[name='episode.started_on']").fill("10/03/2019")
    episode.locator("input[name='episode.ended_on']").fill("10/03/2021")
    episode.locator("input[name='episode.document_number']").fill("45/QĐ-TA")
    episode.locator("input[name='episode.document_issuer']").fill("TAND huyện Tuần Giáo")
    episode.locator("button[type=submit]").click()
    page.wait_for_load_state()
    assert "45/QĐ-TA" in page.inner_text("#episodes")
    assert "vn-2026" not in page.inner_text("#dossiers")  # the regime by its name

    # Each agency in turn, on its own pages.
    take_step(page, base, dossier_id, "request_determination", "22/CV-CAX")
    as_user(page, base, "yte")
    clock.advance(days=2)
    take_step(
        page, base, dossier_id, "record_determination", "9/PKQ-TTYT", **{"field.determination_outcome": "addicted"}
    )
    as_user(page, base, "cax")
    clock.advance(days=1)
    take_step(
        page,
        base,
        dossier_id,
        "notify_person",
        "23/TB-CAX",
        **{
            "field.grounds": "no_voluntary_rehab",
            "att.cv.number": "5/LL",
            "att.cv.date": today(clock),
            "att.statement.number": "5/TT",
            "att.statement.date": today(clock),
            "att.compiler_proposal.number": "5/ĐN",
            "att.compiler_proposal.date": today(clock),
        },
    )
    # Too early: the person's reading period runs. Refused, with the reason and its basis; the attempt is logged.
    page.goto(f"{base}/dossiers/{dossier_id}")
    form = page.locator("#step-send_to_labour")
    form.locator("summary").click()
    form.locator("input[name='document.number']").fill("24/CV-CAX")
    form.locator("button[type=submit]").click()
    assert "Thời hạn đọc hồ sơ chưa hết" in page.inner_text("#refusals")
    clock.advance(days=7)
    take_step(page, base, dossier_id, "send_to_labour", "24/CV-CAX")
    as_user(page, base, "pc04")
    clock.advance(days=1)
    take_step(page, base, dossier_id, "propose_to_court", "7/CV-PC04", **{"field.facility_name": ""})
    as_user(page, base, "toakv")
    clock.advance(days=1)
    take_step(page, base, dossier_id, "accept", "3/TB-TA")
    clock.advance(days=1)
    session_on = date.fromordinal(clock.today.toordinal() + 5)
    take_step(page, base, dossier_id, "open_session", "4/QĐ-TA", **{"field.session_on": f"{session_on:%d/%m/%Y}"})
    clock.advance(days=6)
    take_step(page, base, dossier_id, "decide", "5/QĐ-TA", **{"field.outcome": "apply", "field.term_months": "36"})
    assert "36 tháng" in page.inner_text("#court")  # one earlier compulsory episode on paper: 36 months
    clock.advance(days=10)
    take_step(page, base, dossier_id, "end_complaint_period")
    as_user(page, base, "pc04")
    clock.advance(days=2)
    take_step(page, base, dossier_id, "record_escort", "8/BB-BG", **{"field.facility_name": ""})
    assert "Chấp hành tại cơ sở cai nghiện" in page.inner_text("#stage")
    screenshot(page, "everyday-in-facility")

    # A search without diacritics finds the person.
    as_user(page, base, "cax")
    page.fill("header input[name=q]", "nguyen van anh")
    page.press("header input[name=q]", "Enter")
    page.wait_for_load_state()
    assert code in page.inner_text("main")

    # The police of another commune: the dossier does not exist for them.
    as_user(page, base, "cax.khac")
    response = page.goto(f"{base}/dossiers/{dossier_id}")
    assert response is not None and response.status == 404
    assert "Không tìm thấy" in page.inner_text("main")
    page.goto(f"{base}/ho-so/{code}")
    assert "Không tìm thấy hồ sơ" in page.inner_text("main")
    assert PERSON["full_name"] not in page.content()

    # The procurator finds the refused attempt in the cross-dossier log search.
    as_user(page, base, "vks")
    page.goto(f"{base}/audit/log")
    search = page.locator("#search")
    search.locator("select[name=outcome]").select_option("refused")
    search.locator("input[name=dossier]").fill(str(dossier_id))
    search.locator("button[type=submit]").click()
    page.wait_for_load_state()
    entries = page.inner_text("#entries")
    assert "Bị từ chối" in entries and "Thời hạn đọc hồ sơ chưa hết" in entries
