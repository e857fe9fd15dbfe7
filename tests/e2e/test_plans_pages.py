"""The district's dashboard in Chromium: the plan's chart and figures, the Excel report and a dossier's
.docx downloaded from the pages and opened as a user's office software would read them."""

from __future__ import annotations

from io import BytesIO
from pathlib import Path
from typing import Any

import pytest
from docx import Document
from openpyxl import load_workbook

from tests.e2e.conftest import login, screenshot
from tests.integration.test_plans import PLAN
from workflow.plans import import_plan

pytestmark = pytest.mark.browser


def test_a_district_officer_reads_the_dashboard_and_downloads_the_report_and_a_document(
    server: tuple[str, Any], page: Any, tmp_path: Path
) -> None:
    base, journey = server
    import_plan(
        journey.rt.db,
        PLAN.replace("tg-2024", "tg-2023").replace("year = 2024", "year = 2023"),
        journey.rt.policy,
        journey.rt.now(),
    )
    login(page, base, "ubndx.quaicang")
    page.click("a:has-text('Kế hoạch')")
    page.click("a:has-text('Kế hoạch thử 2024')")
    assert page.locator("svg.chart").count() == 1
    assert page.locator("text=Cai nghiện bắt buộc").first.is_visible()
    assert "compulsory" not in page.locator("main").inner_text()
    screenshot(page, "dashboard")
    with page.expect_download() as report:
        page.click("a:has-text('Tải báo cáo Excel')")
    book = load_workbook(BytesIO(Path(report.value.path()).read_bytes()))
    targets = {(r[1], r[2]): r for r in book["Chỉ tiêu"].iter_rows(min_row=2, values_only=True)}
    assert targets[("dien-bien.tuan-giao.quai-cang", "Cai nghiện bắt buộc")][3] == 3
    assert targets[("dien-bien.tuan-giao.quai-cang", "Cai nghiện bắt buộc")][4] == 1  # the court decided in 2023
    page.goto(f"{base}/dossiers/{journey.dossier_id}")
    with page.expect_download() as notice:
        page.click("a:has-text('Thông báo về việc lập hồ sơ')")
    document = Document(BytesIO(Path(notice.value.path()).read_bytes()))
    text = "\n".join(
        [p.text for p in document.paragraphs] + [c.text for t in document.tables for r in t.rows for c in r.cells]
    )
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in text and "Độc lập - Tự do - Hạnh phúc" in text
    assert "Lò Văn Minh" in text and journey_code(page) in text


def journey_code(page: Any) -> str:
    return page.locator("h1").first.inner_text().split()[-1]
