"""Plans over HTTP: import (admins only), the dashboard page, progress in JSON, the Excel report equal to
the API's figures, marking a report submitted by the agency that owes it."""

from __future__ import annotations

from io import BytesIO
from pathlib import Path

from openpyxl import load_workbook

from tests.integration.test_api import as_, client_for, sign_in
from tests.integration.test_plans import PLAN

D = "dien-bien.tuan-giao"


def _import(client) -> None:  # type: ignore[no-untyped-def]
    response = client.post("/api/v1/plans", json={"toml": PLAN}, auth=as_("admin"))
    assert response.status_code == 201, response.text
    assert response.json()["created"] is True


def test_only_admins_import_plans_and_a_bad_file_gets_every_problem_in_the_error_shape(tmp_path: Path) -> None:
    with client_for(tmp_path) as (client, _):
        assert client.post("/api/v1/plans", json={"toml": PLAN}, auth=as_("cax")).status_code == 403
        bad = client.post("/api/v1/plans", json={"toml": PLAN.replace('"Xã Quài Cang"', '"Xã Ma"')}, auth=as_("admin"))
        assert bad.status_code == 422
        body = bad.json()
        assert body["code"] == "plan.invalid_file" and set(body) >= {"message_vi", "message_en", "fields", "reasons"}
        assert any("Xã Ma" in f["message_vi"] for f in body["fields"])
        assert client.get("/api/v1/plans", auth=as_("admin")).json() == []  # nothing written
        _import(client)
        again = client.post("/api/v1/plans", json={"toml": PLAN}, auth=as_("admin"))
        assert again.json()["changed"] is False


def test_progress_json_and_excel_report_agree_and_the_dashboard_shows_it(tmp_path: Path) -> None:
    with client_for(tmp_path) as (client, _):
        _import(client)
        progress = client.get("/api/v1/plans/tg-2024/progress", auth=as_("cax"))
        assert progress.status_code == 200
        figures = {(t["area_code"], t["category"]): t for t in progress.json()["targets"]}
        assert figures[(f"{D}.quai-cang", "compulsory")]["target"] == 3
        xlsx = client.get("/api/v1/plans/tg-2024/report.xlsx", auth=as_("cax"))
        assert xlsx.status_code == 200 and xlsx.headers["content-type"].startswith("application/vnd.openxml")
        book = load_workbook(BytesIO(xlsx.content))
        rows = {(r[1], r[2]): r for r in book["Chỉ tiêu"].iter_rows(min_row=2, values_only=True)}
        for (area, _category), t in figures.items():
            row = rows[(area, t["category_vi"])]
            assert row[3] == t["target"]
            assert row[4] == (t["done"] if t["tracked"] else "không có dữ liệu trong hệ thống")
        sign_in(client, "ubndx")
        page = client.get("/plans/tg-2024")
        assert page.status_code == 200
        assert "Cai nghiện bắt buộc" in page.text and "<svg" in page.text and "Xã Quài Cang" in page.text
        assert "compulsory" not in page.text.replace("/plans", "")  # Vietnamese names, not codes


def test_bad_period_is_422_and_unknown_plan_404(tmp_path: Path) -> None:
    with client_for(tmp_path) as (client, _):
        _import(client)
        bad = client.get("/api/v1/plans/tg-2024/progress?from=2024-05-01&to=2024-01-01", auth=as_("cax"))
        assert bad.status_code == 422 and bad.json()["fields"][0]["field"] == "to"
        assert client.get("/api/v1/plans/nope/progress", auth=as_("cax")).status_code == 404
        sign_in(client, "cax")
        assert client.get("/plans/nope").status_code == 404
        assert "Không tìm thấy kế hoạch nope" in client.get("/plans/nope").text


def test_the_agency_that_owes_a_report_marks_it_submitted_once_others_may_not(tmp_path: Path) -> None:
    with client_for(tmp_path) as (client, _):
        _import(client)
        reports = client.get("/api/v1/plans/tg-2024/progress", auth=as_("ldtbxh")).json()["reports"]
        q1 = next(r for r in reports if r["period"] == "Q1")
        url = f"/api/v1/plans/tg-2024/reports/{q1['id']}/submit"
        assert client.post(url, auth=as_("cax")).status_code == 403
        first = client.post(url, auth=as_("ldtbxh"))
        assert first.status_code == 200 and first.json()["submitted"] is True
        assert client.post(url, auth=as_("ldtbxh")).json()["submitted"] is False
        after = client.get("/api/v1/plans/tg-2024/progress", auth=as_("ldtbxh")).json()["reports"]
        assert next(r for r in after if r["period"] == "Q1")["status"] == "submitted"
