"""Administration through /api/v1: users (create, change, reset password, disable), dead letters with
retry, and reassignment with its successor choices. Administrators only; everyone else gets 403."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import insert, update

from notifications.testing import WebhookReceiver
from notifications.worker import deliver_pending
from tests.integration.test_api import USERS, as_, client_for, sign_in
from tests.integration.test_api_contract import shaped
from tests.journeys import AGENCY_OF
from workflow import users
from workflow.settings import WebhookSettings
from workflow.tables import Agency, Outbox

POLICE = AGENCY_OF["commune_police"]
NEW = {
    "username": "cax.moi",
    "password": "mat-khau-dai",
    "role": "staff",
    "agency_id": POLICE,
    "display_name": "Lò Thị Hoa",
}


@pytest.fixture
def api(tmp_path, monkeypatch):  # type: ignore[no-untyped-def]
    monkeypatch.setattr(users, "PASSWORD_ITERATIONS", 1000)  # hashing cost is not under test here
    with client_for(tmp_path) as pair:
        yield pair


def test_an_administrator_creates_a_user_who_can_then_sign_in(api) -> None:  # type: ignore[no-untyped-def]
    client, journey = api

    created = client.post("/api/v1/users", json=NEW, auth=as_("admin"))

    assert created.status_code == 201, created.text
    assert created.json() == {
        "username": "cax.moi",
        "role": "staff",
        "role_label": "Cán bộ",
        "agency_id": POLICE,
        "display_name": "Lò Thị Hoa",
        "disabled": False,
    }
    assert "password" not in created.text and "mat-khau" not in created.text
    assert client.get(f"/api/v1/dossiers/{journey.dossier_id}", auth=("cax.moi", "mat-khau-dai")).status_code == 200
    listed = [u["username"] for u in client.get("/api/v1/users", auth=as_("admin")).json()]
    assert set(listed) == set(USERS) | {"cax.moi"}


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"username": "Bad Name!"}, "username", "Tên đăng nhập"),
        ({"username": "cax"}, "username", "đã có người dùng"),
        ({"role": "procurator"}, "agency_id", "Viện kiểm sát"),
        ({"role": "admin"}, "agency_id", "không thuộc cơ quan"),
        ({"agency_id": "no.such.agency"}, "agency_id", "chọn cơ quan"),
        ({"role": "king"}, "role", "Phải là một trong"),
        ({"password": "short"}, "password", "tối thiểu 8"),
        ({"display_name": "x" * 201}, "display_name", "tối đa 200"),
    ],
)
def test_a_bad_new_user_is_422_naming_the_field_in_vietnamese_and_nothing_is_stored(  # type: ignore[no-untyped-def]
    api, change: dict[str, str], field: str, message: str
) -> None:
    client, _ = api

    response = client.post("/api/v1/users", json={**NEW, **change}, auth=as_("admin"))

    body = shaped(response, 422, "validation.failed")
    assert [f["field"] for f in body["fields"]] == [field]
    assert message in body["fields"][0]["message_vi"]
    assert len(client.get("/api/v1/users", auth=as_("admin")).json()) == len(USERS)


def test_a_disabled_user_can_no_longer_sign_in_or_use_the_api_until_enabled(api) -> None:  # type: ignore[no-untyped-def]
    client, journey = api
    url = f"/api/v1/dossiers/{journey.dossier_id}"
    login = sign_in(client, "cax")
    assert login.status_code == 303 and client.get(url).status_code == 200  # a live session

    disabled = client.post("/api/v1/users/cax/disable", auth=as_("admin"))

    assert disabled.json()["disabled"] is True
    assert client.get(url).status_code == 401  # the session of a disabled user ends at once
    assert client.get(url, auth=as_("cax")).status_code == 401
    again = sign_in(client, "cax")
    assert again.status_code == 401 and "Sai tên đăng nhập hoặc mật khẩu" in again.text
    client.post("/api/v1/users/cax/enable", auth=as_("admin"))
    assert client.get(url, auth=as_("cax")).status_code == 200


def test_nobody_disables_themselves_nor_the_last_administrator(api) -> None:  # type: ignore[no-untyped-def]
    client, _ = api

    self_ = client.post("/api/v1/users/admin/disable", auth=as_("admin"))
    demote = client.put("/api/v1/users/admin", json={"role": "staff", "agency_id": POLICE}, auth=as_("admin"))

    assert "tự khóa" in shaped(self_, 422, "validation.failed")["fields"][0]["message_vi"]
    assert "quản trị viên cuối cùng" in shaped(demote, 422, "validation.failed")["fields"][0]["message_vi"]
    assert client.get("/api/v1/users/admin", auth=as_("admin")).json()["role"] == "admin"


def test_a_password_reset_replaces_the_old_one_or_generates_one_shown_once(api) -> None:  # type: ignore[no-untyped-def]
    client, journey = api
    url = f"/api/v1/dossiers/{journey.dossier_id}"

    chosen = client.post("/api/v1/users/cax/password", json={"password": "mot-mat-khau-moi"}, auth=as_("admin"))
    assert chosen.json() == {"username": "cax", "generated_password": None}
    assert client.get(url, auth=as_("cax")).status_code == 401
    assert client.get(url, auth=("cax", "mot-mat-khau-moi")).status_code == 200

    generated = client.post("/api/v1/users/cax/password", json={}, auth=as_("admin")).json()["generated_password"]
    assert len(generated) >= 12
    assert client.get(url, auth=("cax", generated)).status_code == 200


def test_changing_a_user_changes_what_they_may_do_at_once(api) -> None:  # type: ignore[no-untyped-def]
    client, journey = api
    body = {"role": "procurator", "agency_id": AGENCY_OF["procuracy"], "display_name": "KSV"}

    changed = client.put("/api/v1/users/cax", json=body, auth=as_("admin"))

    assert changed.json()["role"] == "procurator"
    fire = client.post(f"/api/v1/dossiers/{journey.dossier_id}/fire", json={"event": "x"}, auth=as_("cax"))
    assert fire.status_code == 403
    shaped(client.get("/api/v1/users/nobody", auth=as_("admin")), 404, "user.not_found")


CALLS: list[tuple[str, str, dict[str, Any] | None]] = [
    ("get", "/api/v1/users", None),
    ("post", "/api/v1/users", NEW),
    ("get", "/api/v1/users/cax", None),
    ("put", "/api/v1/users/cax", {"role": "staff", "agency_id": POLICE}),
    ("post", "/api/v1/users/cax/password", {}),
    ("post", "/api/v1/users/cax/disable", None),
    ("post", "/api/v1/users/cax/enable", None),
    ("get", "/api/v1/deliveries/dead", None),
    ("post", "/api/v1/deliveries/1/retry", None),
    ("get", f"/api/v1/agencies/{AGENCY_OF['district_court']}/successors", None),
    ("post", f"/api/v1/agencies/{AGENCY_OF['district_court']}/reassign", {"basis": "NQ 81/2025"}),
]


@pytest.mark.parametrize("user", [u for u in USERS if u != "admin"])
def test_only_administrators_may_administer(api, user: str) -> None:  # type: ignore[no-untyped-def]
    client, _ = api

    for method, url, body in CALLS:
        response = client.request(method, url, json=body, auth=as_(user))
        shaped(response, 403, "auth.forbidden")
    assert client.get("/api/v1/users/cax", auth=as_("admin")).json()["disabled"] is False


# ----------------------------------------------------------------------------- dead letters, reassignment


@pytest.fixture
def failing_hook() -> Iterator[WebhookReceiver]:
    with WebhookReceiver(status=500) as server:
        yield server


def test_a_dead_letter_is_listed_and_a_retry_delivers_it(api, failing_hook) -> None:  # type: ignore[no-untyped-def]
    client, journey = api
    rt = journey.rt
    deliver_pending(rt.db, rt.settings, journey.clock.now)  # what opening the dossier queued: delivered
    with rt.db.begin() as conn:
        conn.execute(
            update(Agency.__table__).where(Agency.__table__.c.id == POLICE).values(webhook_url=failing_hook.url)
        )
        conn.execute(
            insert(Outbox.__table__).values(
                created_at=journey.clock.now,
                kind="overdue",
                dossier_id=journey.dossier_id,
                agency_id=POLICE,
                context={},
                status="pending",
                dedupe_key="test:dead",
            )
        )
    config = rt.settings.model_copy(update={"webhook": WebhookSettings(secret="s"), "delivery_max_attempts": 1})
    deliver_pending(rt.db, config, journey.clock.now)

    [dead] = client.get("/api/v1/deliveries/dead", auth=as_("admin")).json()
    assert (dead["channel"], dead["agency_id"], dead["last_error"]) == ("webhook", POLICE, "webhook HTTP 500")
    failing_hook.status = 204
    retried = client.post(f"/api/v1/deliveries/{dead['delivery_id']}/retry", auth=as_("admin"))
    assert retried.json() == {"delivery_id": dead["delivery_id"], "status": "pending"}
    assert client.get("/api/v1/deliveries/dead", auth=as_("admin")).json() == []
    stats = deliver_pending(rt.db, config, journey.clock.now + timedelta(minutes=1))
    assert stats.sent == 1
    again = client.post(f"/api/v1/deliveries/{dead['delivery_id']}/retry", auth=as_("admin"))
    shaped(again, 404, "delivery.not_found")


def test_reassignment_offers_only_lawful_successors_and_moves_the_work(api) -> None:  # type: ignore[no-untyped-def]
    client, journey = api
    court = AGENCY_OF["district_court"]
    in_office = client.post(f"/api/v1/agencies/{court}/reassign", json={"basis": "NQ 81/2025"}, auth=as_("admin"))
    journey.clock.now = datetime(2025, 7, 2, 2, tzinfo=UTC)  # district courts ended on 30/6/2025

    [choice] = client.get(f"/api/v1/agencies/{court}/successors", auth=as_("admin")).json()
    empty = client.post(f"/api/v1/agencies/{court}/reassign", json={"basis": ""}, auth=as_("admin"))
    moved = client.post(
        f"/api/v1/agencies/{court}/reassign",
        json={"basis": "NQ 81/2025", "successor_id": choice["id"]},
        auth=as_("admin"),
    )

    refused = shaped(in_office, 422, "reassign.refused")
    assert "still in office" in refused["message_en"]
    assert refused["message_vi"].startswith("Không chuyển giao được: TAND huyện Tuần Giáo vẫn còn hoạt động")
    assert choice["type"] == "regional_court" and choice["name_vi"].startswith("TAND khu vực")
    assert [f["field"] for f in shaped(empty, 422, "validation.failed")["fields"]] == ["basis"]
    assert moved.status_code == 200 and moved.json()["to_agency"] == choice["id"]
    shaped(client.get("/api/v1/agencies/nowhere/successors", auth=as_("admin")), 404, "agency.not_found")
