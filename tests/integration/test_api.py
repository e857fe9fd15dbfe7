"""The JSON API behind a login: who may read and act, what each answer says, and where personal data goes."""

from __future__ import annotations

import base64
import json
import re
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.routing import APIRoute, iter_route_contexts
from sqlalchemy import insert

from admin.app import create_app
from admin.auth import COOKIE, SessionSigner, safe_next
from handlers import periods
from states.labels import value_labels
from tests.journeys import AGENCY_OF, Journey, doc, make_runtime, open_adult
from workflow.passwords import hash_password
from workflow.tables import User

with warnings.catch_warnings():  # starlette 1.x asks for httpx2, which is not a dependency here
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from fastapi.testclient import TestClient

PASSWORD = "pw"
USERS = {
    "cax": (AGENCY_OF["commune_police"], "staff"),
    "ubndx": (AGENCY_OF["commune_committee"], "staff"),
    "yte": (AGENCY_OF["health_facility"], "staff"),
    "ldtbxh": (AGENCY_OF["labour_office"], "staff"),
    "toa": (AGENCY_OF["district_court"], "staff"),
    "vks": (AGENCY_OF["procuracy"], "procurator"),
    "admin": (None, "admin"),
}
NAME, ID_NUMBER = "Lò Văn Minh", "011090001234"  # tests.journeys.open_adult's person


@contextmanager
def client_for(tmp_path: Path, url: str | None = None) -> Iterator[tuple[TestClient, Journey]]:
    """A fresh database (SQLite unless `url`) with one dossier at violation_recorded (the commune police act)
    and users."""
    rt, clock = make_runtime(url or f"sqlite:///{tmp_path}/api.db")
    hashed = hash_password(PASSWORD, iterations=1000)
    rows = [{"username": u, "agency_id": a, "role": r, "password_hash": hashed} for u, (a, r) in USERS.items()]
    with rt.db.begin() as conn:
        conn.execute(insert(User.__table__), rows)  # type: ignore[attr-defined]
    journey = Journey(rt, clock, open_adult(rt, clock).dossier_id)
    try:
        with TestClient(create_app(rt)) as client:
            yield client, journey
    finally:
        rt.db.dispose()


@pytest.fixture
def api(tmp_path: Path) -> Iterator[tuple[TestClient, Journey]]:
    with client_for(tmp_path) as pair:
        yield pair


def sign_in(client: TestClient, username: str, password: str = PASSWORD, **fields: str) -> Any:
    """Post the login form as a browser does: with the token of the form page just served."""
    page = client.get("/login").text
    token = re.search(r'name="csrf" value="([^"]+)"', page)
    data = {"username": username, "password": password, "csrf": token.group(1) if token else "", **fields}
    return client.post("/login", data=data, follow_redirects=False)


def sign_out(client: TestClient) -> Any:
    """Press the page's logout button: the form carries the session's token."""
    page = client.get("/").text
    token = re.search(r'name="csrf" (?:value|content)="([^"]+)"', page)
    return client.post("/logout", data={"csrf": token.group(1) if token else ""}, follow_redirects=False)


def as_(user: str) -> tuple[str, str]:
    return (user, PASSWORD)


def request_determination(journey: Journey, **overrides: Any) -> dict[str, Any]:
    body = {"event": "request_determination", "payload": {"document": doc("3/CV-CA", journey.clock.today)}}
    return {**body, **overrides}


# ----------------------------------------------------------------------------- authentication


def test_every_route_but_login_and_health_needs_a_session(api) -> None:  # type: ignore[no-untyped-def]
    client, _ = api
    # /logout only clears the cookie and goes to /login; /readyz and /metrics are for monitoring (no personal data)
    public = {"/login", "/healthz", "/logout", "/readyz", "/metrics"}
    checked = 0

    for route in iter_route_contexts(client.app.routes):  # type: ignore[attr-defined]
        if not isinstance(route.route, APIRoute) or route.path in public:
            continue
        path = route.path.replace("{dossier_id}", "1").replace("{agency_id}", AGENCY_OF["commune_police"])
        for method in route.methods:
            response = client.request(method, path, follow_redirects=False)

            if path.startswith("/api/"):
                assert response.status_code == 401, path
                assert response.json()["code"] == "auth.required", path
                assert response.headers["www-authenticate"].startswith("Basic")
            else:
                assert response.status_code == 303, path
                assert response.headers["location"].startswith("/login"), path
            checked += 1
    assert checked >= 15


def test_health_answers_without_a_session(api) -> None:  # type: ignore[no-untyped-def]
    client, _ = api

    assert client.get("/healthz").text == "ok"


def test_a_wrong_password_or_an_unknown_user_gets_the_same_401_that_names_neither(api) -> None:  # type: ignore[no-untyped-def]
    client, _ = api

    wrong_password = sign_in(client, "cax", "nope")
    unknown_user = sign_in(client, "nobody")

    for response in (wrong_password, unknown_user):
        assert response.status_code == 401
        assert "Sai tên đăng nhập hoặc mật khẩu" in response.text
        assert COOKIE not in response.headers.get("set-cookie", "")
    assert client.get("/api/dossiers", auth=("cax", "nope")).status_code == 401


def test_login_sets_an_httponly_lax_signed_cookie_and_follows_only_local_next(api) -> None:  # type: ignore[no-untyped-def]
    client, _ = api

    response = sign_in(client, "cax", next="//evil.example/x")

    assert response.status_code == 303 and response.headers["location"] == "/"
    cookie = response.headers["set-cookie"]
    assert cookie.startswith(f"{COOKIE}=") and "HttpOnly" in cookie and "samesite=lax" in cookie.lower()
    assert client.get("/api/dossiers").status_code == 200


def test_a_tampered_or_expired_session_is_no_session(api) -> None:  # type: ignore[no-untyped-def]
    client, _ = api
    now = [1_000_000.0]
    signer = SessionSigner("s3cret", hours=12, clock=lambda: now[0])
    value = signer.sign("cax")
    body, mac = value.split(".")
    forged = base64.urlsafe_b64encode(b'{"u":"admin","exp":9999999999}').rstrip(b"=").decode() + "." + mac

    assert signer.unsign(value) == "cax"
    assert signer.unsign(forged) is None
    assert SessionSigner("other", hours=12, clock=lambda: now[0]).unsign(value) is None
    now[0] += 12 * 3600
    assert signer.unsign(value) is None
    client.cookies.set(COOKIE, forged)
    assert client.get("/api/dossiers").status_code == 401


def test_next_after_login_must_be_a_local_path() -> None:
    assert [safe_next(t) for t in ("/dossiers/3", "//evil", "https://evil", "/\\evil", None)] == [
        "/dossiers/3",
        "/",
        "/",
        "/",
        "/",
    ]


# ----------------------------------------------------------------------------- acting


def test_a_staff_member_acts_as_themselves_whatever_the_body_says(api) -> None:  # type: ignore[no-untyped-def]
    client, journey = api

    response = client.post(
        f"/api/dossiers/{journey.dossier_id}/fire", json=request_determination(journey), auth=as_("cax")
    )
    spoofed = client.post(
        f"/api/dossiers/{journey.dossier_id}/fire", json={"event": "x", "user": "admin"}, auth=as_("cax")
    )

    assert response.status_code == 200 and response.json()["to_state"] == "determination_requested"
    last = client.get(f"/api/dossiers/{journey.dossier_id}/history", auth=as_("cax")).json()[-1]
    assert (last["actor"], last["actor_agency"]) == ("cax", AGENCY_OF["commune_police"])
    assert spoofed.status_code == 422  # the body cannot name a user


def test_the_procurator_may_not_fire_and_nothing_is_logged(api) -> None:  # type: ignore[no-untyped-def]
    client, journey = api
    before = len(client.get(f"/api/dossiers/{journey.dossier_id}/history", auth=as_("vks")).json())

    response = client.post(
        f"/api/dossiers/{journey.dossier_id}/fire", json=request_determination(journey), auth=as_("vks")
    )

    assert response.status_code == 403 and response.json()["code"] == "auth.forbidden"
    assert len(client.get(f"/api/dossiers/{journey.dossier_id}/history", auth=as_("vks")).json()) == before


def test_a_document_dated_in_the_future_is_422_naming_the_field_and_the_reason(api) -> None:  # type: ignore[no-untyped-def]
    client, journey = api
    tomorrow = journey.clock.today + timedelta(days=1)
    body = request_determination(journey, payload={"document": doc("3/CV-CA", tomorrow)})

    response = client.post(f"/api/dossiers/{journey.dossier_id}/fire", json=body, auth=as_("cax"))

    assert response.status_code == 422
    [field] = response.json()["fields"]
    assert field["field"] == "document.date"
    assert "future" in response.json()["message_en"]


def test_a_refused_step_is_422_with_every_reason_and_its_basis(api) -> None:  # type: ignore[no-untyped-def]
    client, journey = api

    response = client.post(
        f"/api/dossiers/{journey.dossier_id}/fire", json={"event": "request_determination"}, auth=as_("cax")
    )

    assert response.status_code == 422
    refusals = response.json()["reasons"]
    assert [r["code"] for r in refusals] == ["documents.missing"]
    assert all(r["reason_vi"] and r["basis"] for r in refusals)


def test_a_stale_expected_version_is_409(api) -> None:  # type: ignore[no-untyped-def]
    client, journey = api
    version = client.get(f"/api/dossiers/{journey.dossier_id}", auth=as_("cax")).json()["version"]

    response = client.post(
        f"/api/dossiers/{journey.dossier_id}/fire",
        json=request_determination(journey, expected_version=version - 1),
        auth=as_("cax"),
    )

    assert response.status_code == 409 and response.json()["code"] == "version.conflict"


def test_a_double_submit_with_one_idempotency_key_applies_once(api) -> None:  # type: ignore[no-untyped-def]
    client, journey = api
    body = request_determination(journey, idempotency_key="k-1")
    url = f"/api/dossiers/{journey.dossier_id}/fire"

    first, second = (client.post(url, json=body, auth=as_("cax")).json() for _ in range(2))

    assert first["applied"] and second["replayed"] and second["version"] == first["version"]


def test_only_an_administrator_reassigns_or_sees_dead_letters(api) -> None:  # type: ignore[no-untyped-def]
    client, _ = api
    url = f"/api/agencies/{AGENCY_OF['district_court']}/reassign"

    assert client.post(url, json={"basis": "NQ 81/2025"}, auth=as_("toa")).status_code == 403
    assert client.post(url, json={"basis": "NQ 81/2025"}, auth=as_("admin")).status_code == 422  # still in office
    assert client.get("/api/deliveries/dead", auth=as_("cax")).status_code == 403
    assert client.get("/api/deliveries/dead", auth=as_("admin")).json() == []


def test_the_procurator_verifies_and_exports_the_log_as_json_lines(api) -> None:  # type: ignore[no-untyped-def]
    client, journey = api

    verified = client.get("/api/audit/verify", auth=as_("vks")).json()
    export = client.get(f"/api/audit/export?dossier={journey.dossier_id}", auth=as_("vks"))

    assert verified["ok"] is True
    lines = [json.loads(line) for line in export.text.splitlines()]
    assert export.headers["content-type"].startswith("application/x-ndjson")
    assert [e["seq"] for e in lines] == [1] and lines[0]["hash"]
    assert client.get("/api/audit/export", auth=as_("cax")).status_code == 403


# ----------------------------------------------------------------------------- personal data


def test_the_dossier_list_names_the_person_only_for_readers_of_personal_data_and_the_inbox_never(api) -> None:  # type: ignore[no-untyped-def]
    client, _ = api

    for user, named in (("cax", True), ("vks", True), ("yte", False), ("admin", False)):
        listed = client.get("/api/dossiers", auth=as_(user))
        inbox = client.get(f"/api/inbox/{AGENCY_OF['commune_police']}", auth=as_(user))
        assert listed.status_code == 200 and listed.json()["total"] == 1
        assert (NAME in listed.text) is named
        for response in (listed, inbox):
            assert ID_NUMBER not in response.text and "1990-05-01" not in response.text
        if user != "yte":  # another agency's inbox: its staff, administrators and the procuracy of its area
            assert inbox.status_code == 200 and NAME not in inbox.text


@pytest.mark.parametrize(
    ("user", "sees"),
    [
        ("cax", True),  # commune police: responsible now
        ("ubndx", True),  # the dossier's commune committee
        ("toa", True),  # the court serving the area
        ("vks", True),  # the procurator supervises
        ("yte", False),  # the health centre is not responsible yet
        ("ldtbxh", False),
        ("admin", False),  # runs the system, never reads people
    ],
)
def test_the_detail_carries_the_person_only_for_roles_that_need_it(api, user: str, sees: bool) -> None:  # type: ignore[no-untyped-def]
    client, journey = api

    view = client.get(f"/api/dossiers/{journey.dossier_id}", auth=as_(user)).json()

    assert ("person" in view) is sees
    assert (NAME in json.dumps(view, ensure_ascii=False)) is sees


def test_the_agency_that_becomes_responsible_then_reads_the_person(api) -> None:  # type: ignore[no-untyped-def]
    client, journey = api
    client.post(f"/api/dossiers/{journey.dossier_id}/fire", json=request_determination(journey), auth=as_("cax"))

    view = client.get(f"/api/dossiers/{journey.dossier_id}", auth=as_("yte")).json()

    assert view["person"]["full_name"] == NAME


def test_the_form_choices_are_the_grounds_the_engine_accepts() -> None:
    assert set(value_labels("postpone", "ground")) == periods.POSTPONEMENT_GROUNDS
    assert set(value_labels("exempt", "ground")) == periods.EXEMPTION_GROUNDS


# ----------------------------------------------------------------------------- review findings


def test_the_transition_log_is_not_open_to_staff_of_an_uninvolved_agency(api) -> None:  # type: ignore[no-untyped-def]
    client, journey = api

    health = client.get(f"/api/dossiers/{journey.dossier_id}/history", auth=as_("yte"))
    procuracy = client.get(f"/api/dossiers/{journey.dossier_id}/history", auth=as_("vks"))

    assert health.status_code == 403
    assert procuracy.status_code == 200 and procuracy.json()[0]["event"] == "open_dossier"


def test_a_forged_cookie_with_non_ascii_text_is_simply_not_a_session() -> None:
    signer = SessionSigner("secret", hours=1)

    assert signer.unsign("eyJ1IjoiYSJ9.é") is None
    assert signer.unsign(signer.sign("cax")) == "cax"


def test_staff_of_an_abolished_court_no_longer_read_personal_data(api) -> None:  # type: ignore[no-untyped-def]
    from datetime import UTC, datetime

    client, journey = api
    before = client.get(f"/api/dossiers/{journey.dossier_id}", auth=as_("toa")).json()
    journey.clock.now = datetime(2025, 7, 2, 2, tzinfo=UTC)  # the district court ended on 30/06/2025

    after = client.get(f"/api/dossiers/{journey.dossier_id}", auth=as_("toa")).json()

    assert before["person"]["full_name"] == NAME
    assert "person" not in after


def test_an_invalid_value_is_named_but_never_echoed_into_the_log(api) -> None:  # type: ignore[no-untyped-def]
    client, journey = api
    body = request_determination(journey)
    body["payload"]["on"] = f"{NAME} {ID_NUMBER}"

    answer = client.post(f"/api/dossiers/{journey.dossier_id}/fire", json=body, auth=as_("cax"))
    log = client.get(f"/api/dossiers/{journey.dossier_id}/history", auth=as_("vks")).text

    assert answer.status_code == 422 and answer.json()["fields"][0]["field"] == "on"
    assert ID_NUMBER not in answer.text and ID_NUMBER not in log and NAME not in log


def test_the_procuracy_downloads_an_anchor_of_every_chain(api) -> None:  # type: ignore[no-untyped-def]
    client, journey = api

    staff = client.get("/api/audit/anchor", auth=as_("cax"))
    anchor = client.get("/api/audit/anchor", auth=as_("vks"))

    assert staff.status_code == 403
    assert anchor.status_code == 200
    assert anchor.json()["chains"][str(journey.dossier_id)][0] == 1
    assert len(anchor.json()["root"]) == 64
