"""Administration and the procuracy without a shell, as a browser posts: users (create, change, reset the
password, disable), dead letters with a retry button, reassignment with a successor picker, the log
search with its export links, and checking the log against an uploaded anchor file."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from tests.integration.test_api import PASSWORD, TestClient, as_, client_for, sign_in
from tests.journeys import AGENCY_OF, Journey
from workflow import users

POLICE = AGENCY_OF["commune_police"]


def signed_in(client: TestClient, user: str) -> TestClient:
    client.cookies.clear()
    response = sign_in(client, user, PASSWORD)
    assert response.status_code == 303
    return client


def csrf(client: TestClient, path: str) -> str:
    page = client.get(path).text
    token = re.search(r'name="csrf" (?:value|content)="([0-9a-f]+)"', page)
    assert token, page[:500]
    return token.group(1)


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[TestClient, Journey]]:
    monkeypatch.setattr(users, "PASSWORD_ITERATIONS", 1000)
    with client_for(tmp_path) as (client, journey):
        yield signed_in(client, "admin"), journey


def test_an_administrator_creates_a_user_from_the_page_choosing_the_agency_from_a_list(site) -> None:  # type: ignore[no-untyped-def]
    client, journey = site
    page = client.get("/admin/users").text
    assert '<select name="agency_id"' in page and "Công an cấp xã" in page  # grouped by kind, names not ids
    assert f'<option value="{POLICE}">' in page

    created = client.post(
        "/admin/users",
        data={
            "csrf": csrf(client, "/admin/users"),
            "username": "cax.hoa",
            "display_name": "Lò Thị Hoa",
            "role": "staff",
            "agency_id": POLICE,
            "password": "mat-khau-dai",
        },
        follow_redirects=False,
    )

    assert created.status_code == 303 and created.headers["location"] == "/admin/users/cax.hoa?done=created"
    assert "Đã tạo người dùng." in client.get(created.headers["location"]).text
    assert client.get(f"/api/v1/dossiers/{journey.dossier_id}", auth=("cax.hoa", "mat-khau-dai")).status_code == 200


def test_a_bad_user_form_shows_every_problem_in_vietnamese_and_keeps_what_was_typed(site) -> None:  # type: ignore[no-untyped-def]
    client, _ = site

    response = client.post(
        "/admin/users",
        data={
            "csrf": csrf(client, "/admin/users"),
            "username": "x",
            "display_name": "Lò Thị Hoa",
            "role": "staff",
            "agency_id": "",
            "password": "short",
        },
    )

    assert response.status_code == 422
    problems = re.findall(r'class="refused field-error">([^<]+)<', response.text)
    assert problems == ["Quá ngắn: tối thiểu 3 ký tự.", "Quá ngắn: tối thiểu 8 ký tự."]
    assert 'value="Lò Thị Hoa"' in response.text and 'value="x"' in response.text
    assert "short" not in response.text  # a password is never sent back
    missing_agency = client.post(
        "/admin/users",
        data={"csrf": csrf(client, "/admin/users"), "username": "cax.hoa", "role": "staff", "password": "mat-khau-dai"},
    )
    assert missing_agency.status_code == 422 and "Hãy chọn cơ quan." in missing_agency.text


def test_the_user_page_resets_a_password_once_and_disables_the_account(site) -> None:  # type: ignore[no-untyped-def]
    client, journey = site
    token = csrf(client, "/admin/users/cax")

    reset = client.post("/admin/users/cax/password", data={"csrf": token, "password": ""})
    generated = re.search(r'id="generated">Mật khẩu mới: <code class="code">([^<]+)</code>', reset.text)
    assert generated, reset.text
    assert client.get(f"/api/v1/dossiers/{journey.dossier_id}", auth=("cax", generated.group(1))).status_code == 200
    assert generated.group(1) not in client.get("/admin/users/cax").text  # shown once

    disabled = client.post("/admin/users/cax/disable", data={"csrf": token})

    assert "Đã khóa tài khoản" in disabled.text and "Mở khóa tài khoản" in disabled.text
    assert client.get(f"/api/v1/dossiers/{journey.dossier_id}", auth=("cax", generated.group(1))).status_code == 401
    own = client.post("/admin/users/admin/disable", data={"csrf": token})
    assert own.status_code == 422 and "Không thể tự khóa tài khoản của mình." in own.text


def test_administration_pages_are_for_administrators_only(site) -> None:  # type: ignore[no-untyped-def]
    client, _ = site
    signed_in(client, "cax")

    for path in ("/admin/users", "/admin/users/cax", "/admin/deliveries", "/admin/agencies"):
        response = client.get(path)
        assert response.status_code == 403 and "Không có quyền" in response.text, path
    token = csrf(client, f"/inbox/{POLICE}")
    assert client.post("/admin/users", data={"csrf": token, "username": "x"}).status_code == 403
    client.cookies.clear()
    assert client.get("/admin/users", follow_redirects=False).headers["location"].startswith("/login")


def test_reassignment_picks_the_successor_from_a_list_and_moves_the_work(site) -> None:  # type: ignore[no-untyped-def]
    client, journey = site
    journey.clock.now = datetime(2025, 7, 2, 2, tzinfo=UTC)  # district courts ended on 30/6/2025
    court = AGENCY_OF["district_court"]

    page = client.get("/admin/agencies").text
    form = page[page.index(f'action="/admin/agencies/{court}/reassign"') :]
    options = re.findall(r'<option value="([^"]+)"', form[: form.index("</select>")])
    assert len(options) == 1 and "regional_court" in options[0]
    assert "TAND khu vực" in form[: form.index("</select>")]

    empty = client.post(
        f"/admin/agencies/{court}/reassign", data={"csrf": csrf(client, "/admin/agencies"), "successor_id": options[0]}
    )
    moved = client.post(
        f"/admin/agencies/{court}/reassign",
        data={"csrf": csrf(client, "/admin/agencies"), "successor_id": options[0], "basis": "NQ 81/2025/UBTVQH15"},
    )

    assert empty.status_code == 422 and "Không chuyển giao được" in empty.text
    assert moved.status_code == 200 and 'id="notice">Đã chuyển cho TAND khu vực' in moved.text


def test_a_dead_letter_has_a_retry_button(site) -> None:  # type: ignore[no-untyped-def]
    client, journey = site
    with journey.rt.db.begin() as conn:  # a delivery that failed every attempt, as the worker leaves it
        outbox = conn.execute(
            text(
                "INSERT INTO outbox (created_at, kind, dossier_id, agency_id, context, status, dedupe_key) "
                "VALUES (:now, 'overdue', :d, :a, '{}', 'sent', 'page:dead') RETURNING id"
            ),
            {"now": journey.clock.now, "d": journey.dossier_id, "a": POLICE},
        ).scalar_one()
        conn.execute(
            text(
                "INSERT INTO delivery (outbox_id, channel, recipient, status, attempts, next_attempt_at, last_error) "
                "VALUES (:o, 'email', 'cax@example.vn', 'dead', 6, :now, 'SMTP 550')"
            ),
            {"o": outbox, "now": journey.clock.now},
        )

    page = client.get("/admin/deliveries").text
    action = re.search(r'action="(/admin/deliveries/\d+/retry)"', page)
    assert action and "SMTP 550" in page
    retried = client.post(action.group(1), data={"csrf": csrf(client, "/admin/deliveries")})

    assert "Đã xếp lịch gửi lại" in retried.text and "SMTP 550" not in retried.text


# ----------------------------------------------------------------------------- the procuracy


@pytest.fixture
def procurator(site) -> tuple[TestClient, Journey]:  # type: ignore[no-untyped-def]
    client, journey = site
    client.post(f"/api/v1/dossiers/{journey.dossier_id}/fire", json={"event": "request_determination"}, auth=as_("cax"))
    return signed_in(client, "vks"), journey


def test_the_log_search_page_finds_refused_attempts_with_reasons_and_offers_exports(procurator) -> None:  # type: ignore[no-untyped-def]
    client, journey = procurator
    day = journey.clock.today.strftime("%d/%m/%Y")

    page = client.get("/audit/log", params={"outcome": "refused", "since": day, "until": day})

    assert page.status_code == 200
    rows = re.findall(r'<tr class="refusal">', page.text)
    assert len(rows) == 1 and 'id="total"><strong>1</strong>' in page.text
    assert "Bị từ chối" in page.text and "Đề nghị xác định tình trạng nghiện" in page.text  # labels, not codes
    assert "Luật PCMT" in page.text  # the reason's legal basis
    export = re.search(r'id="export-csv" href="([^"]+)"', page.text)
    assert export
    csv_text = client.get(export.group(1).replace("&amp;", "&")).text
    assert csv_text.count("\n") == 2 and "documents.missing" in csv_text


def test_the_log_search_page_names_bad_dates_in_vietnamese(procurator) -> None:  # type: ignore[no-untyped-def]
    client, _ = procurator

    page = client.get("/audit/log", params={"since": "31/02/2026", "until": "01/01/2020"})

    assert page.status_code == 422 and "Ngày không hợp lệ: hãy nhập dd/mm/yyyy." in page.text
    backwards = client.get("/audit/log", params={"since": "02/01/2020", "until": "01/01/2020"})
    assert backwards.status_code == 422 and "Ngày cuối phải từ ngày đầu trở đi." in backwards.text


def upload(client: TestClient, anchor: Any) -> Any:
    content = anchor if isinstance(anchor, bytes) else json.dumps(anchor).encode()
    return client.post(
        "/audit/anchor/check",
        data={"csrf": csrf(client, "/audit")},
        files={"anchor": ("neo.json", content, "application/json")},
    )


def test_the_log_is_checked_against_an_uploaded_anchor_file(procurator) -> None:  # type: ignore[no-untyped-def]
    client, journey = procurator
    anchor = client.get("/api/v1/audit/anchor").json()

    intact = upload(client, anchor)
    altered = upload(client, {**anchor, "chains": {k: [v[0], "0" * 64] for k, v in anchor["chains"].items()}})
    garbage = upload(client, b"not json")

    assert intact.status_code == 200 and 'id="anchor-result"' in intact.text and "khớp" in intact.text
    assert "bản neo đã bị sửa" in altered.text or "KHÔNG" in altered.text
    assert garbage.status_code == 422 and "không phải bản neo hợp lệ" in garbage.text


def test_verifying_a_dossier_that_does_not_exist_says_so_not_ok(procurator) -> None:  # type: ignore[no-untyped-def]
    client, journey = procurator

    missing = client.get("/audit", params={"verify": "1", "dossier": "4242"})
    present = client.get("/audit", params={"verify": "1", "dossier": str(journey.dossier_id)})

    assert (
        missing.status_code == 404
        and "Không có hồ sơ số 4242" in missing.text
        and "hợp lệ</strong> (ok)" not in missing.text
    )
    assert present.status_code == 200 and "hợp lệ</strong> (ok)" in present.text
