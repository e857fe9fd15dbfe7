"""`POST /api/v1/dossiers` and `/api/v1/people/{id}`: each role's allowed and refused calls, the one error
shape, every field error at once, NFC names and the idempotency key."""

from __future__ import annotations

import unicodedata
import warnings
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import insert

from admin.app import create_app
from demo.reference import PROVINCE, REGIONAL_PROCURACY, commune_2025_code
from tests.journeys import Clock, make_runtime
from tests.regime_cases import AGENCY
from workflow.passwords import hash_password
from workflow.runtime import Runtime
from workflow.tables import User

with warnings.catch_warnings():  # starlette 1.x asks for httpx2, which is not a dependency here
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from fastapi.testclient import TestClient

PASSWORD = "pw"
COMMUNE = commune_2025_code("Xã Tuần Giáo")  # the 2025 commune that took in Quài Cang
USERS = {
    "cax": (f"{COMMUNE}.commune_police", "staff"),
    "cax.chiengsinh": (f"{commune_2025_code('Xã Chiềng Sinh')}.commune_police", "staff"),
    "ubndx": (f"{COMMUNE}.commune_committee", "staff"),
    "cat": (f"{PROVINCE[0]}.provincial_police", "staff"),
    "yte": (AGENCY["health_facility"], "staff"),
    "vks": (REGIONAL_PROCURACY, "procurator"),
    "admin": (None, "admin"),
}
SHAPE = {"code", "message_vi", "message_en", "fields", "reasons"}
TODAY = "2026-08-04"


def body(**person: Any) -> dict[str, Any]:
    return {
        "person": {
            "full_name": "Lò Văn Minh",
            "birth_date": "1990-05-01",
            "sex": "male",
            "nationality": "VN",
            "id_number": "011090001234",
            "residence_commune": COMMUNE,
            **person,
        },
        "commune": COMMUNE,
        "violation_record": {"number": "12/BB-VPHC", "date": TODAY},
        "facts": {"stable_residence": True},
    }


@pytest.fixture
def api(tmp_path: Path) -> Iterator[tuple[TestClient, Runtime, Clock]]:
    rt, clock = make_runtime(f"sqlite:///{tmp_path}/api.db", datetime(2026, 8, 4, 2, tzinfo=UTC))
    hashed = hash_password(PASSWORD, iterations=1000)
    rows = [{"username": u, "agency_id": a, "role": r, "password_hash": hashed} for u, (a, r) in USERS.items()]
    with rt.db.begin() as conn:
        conn.execute(insert(User.__table__), rows)  # type: ignore[attr-defined]
    try:
        with TestClient(create_app(rt)) as client:
            yield client, rt, clock
    finally:
        rt.db.dispose()


def as_(user: str) -> tuple[str, str]:
    return (user, PASSWORD)


def opened(client: TestClient, user: str = "cax", **person: Any) -> dict[str, Any]:
    response = client.post("/api/v1/dossiers", json=body(**person), auth=as_(user))
    assert response.status_code == 201, response.text
    return dict(response.json())


# ----------------------------------------------------------------------------- opening


@pytest.mark.parametrize("user", ["cax", "ubndx", "cat"])
def test_the_agencies_that_record_violations_open_a_dossier(api, user: str) -> None:  # type: ignore[no-untyped-def]
    client, _, _ = api

    made = opened(client, user)

    assert made["code"].startswith("HS-2026-") and made["regime"] == "vn-2026"
    assert made["state"] == "violation_recorded" and made["person_id"] >= 1
    assert client.get(f"/api/dossiers/{made['id']}", auth=as_("cax")).json()["state"] == "violation_recorded"


@pytest.mark.parametrize("user", ["vks", "admin"])
def test_roles_that_never_act_are_forbidden_in_the_error_shape(api, user: str) -> None:  # type: ignore[no-untyped-def]
    client, _, _ = api

    response = client.post("/api/v1/dossiers", json=body(), auth=as_(user))

    assert response.status_code == 403 and set(response.json()) == SHAPE
    assert response.json()["message_vi"]


def test_an_anonymous_request_is_401(api) -> None:  # type: ignore[no-untyped-def]
    client, _, _ = api

    assert client.post("/api/v1/dossiers", json=body()).status_code == 401


@pytest.mark.parametrize(
    ("user", "code"),
    [("cax.chiengsinh", "actor.outside_jurisdiction"), ("yte", "actor.not_authorised")],
    ids=["police-of-another-commune", "health-facility"],
)
def test_an_agency_that_may_not_open_here_gets_422_with_the_legal_reason(api, user: str, code: str) -> None:  # type: ignore[no-untyped-def]
    client, _, _ = api

    response = client.post("/api/v1/dossiers", json=body(), auth=as_(user))

    assert response.status_code == 422 and set(response.json()) == SHAPE
    reasons = response.json()["reasons"]
    assert code in {r["code"] for r in reasons} and all(r["reason_vi"] and r["basis"] for r in reasons)


def test_exclusions_and_age_are_every_reason_at_once(api) -> None:  # type: ignore[no-untyped-def]
    client, _, _ = api
    request = body(birth_date="2015-01-01", sex="female")
    request["facts"] = {"pregnant": True}

    response = client.post("/api/v1/dossiers", json=request, auth=as_("cax"))

    assert response.status_code == 422
    assert {"eligibility.under_12", "eligibility.pregnant"} <= {r["code"] for r in response.json()["reasons"]}


def test_every_bad_field_is_named_in_vietnamese_at_once(api) -> None:  # type: ignore[no-untyped-def]
    client, _, _ = api
    request = body(full_name="", birth_date="2030-01-01", id_number="12345")
    request["commune"] = "khong-co"
    request["violation_record"] = {"number": "12/BB", "date": "2099-01-01"}
    request["extra"] = 1

    response = client.post("/api/v1/dossiers", json=request, auth=as_("cax"))

    assert response.status_code == 422 and set(response.json()) == SHAPE
    assert {f["field"] for f in response.json()["fields"]} == {"extra"}  # the body's shape first
    del request["extra"]
    response = client.post("/api/v1/dossiers", json=request, auth=as_("cax"))
    fields = {f["field"]: f for f in response.json()["fields"]}
    assert set(fields) == {
        "person.full_name",
        "person.birth_date",
        "person.id_number",
        "commune",
        "violation_record.date",
    }
    assert "12 chữ số" in fields["person.id_number"]["message_vi"]
    assert "tương lai" in fields["person.birth_date"]["message_vi"]
    assert all(set(f) >= {"field", "code", "message_vi"} for f in fields.values())


def test_text_over_a_fields_limit_is_422_never_truncated(api) -> None:  # type: ignore[no-untyped-def]
    client, _, _ = api

    response = client.post("/api/v1/dossiers", json=body(full_name="A" * 121), auth=as_("cax"))

    assert response.status_code == 422
    assert [f["field"] for f in response.json()["fields"]] == ["person.full_name"]


def test_a_decomposed_name_is_stored_and_shown_composed(api) -> None:  # type: ignore[no-untyped-def]
    client, _, _ = api

    made = opened(client, full_name=unicodedata.normalize("NFD", "Nguyễn Thị Hường"))

    shown = client.get(f"/api/v1/people/{made['person_id']}", auth=as_("cax")).json()["identity"]["full_name"]
    assert shown == "Nguyễn Thị Hường" and unicodedata.is_normalized("NFC", shown)


def test_the_idempotency_key_header_replays_the_first_opening(api) -> None:  # type: ignore[no-untyped-def]
    client, _, _ = api
    headers = {"Idempotency-Key": "open-42"}

    first = client.post("/api/v1/dossiers", json=body(), auth=as_("cax"), headers=headers).json()
    again = client.post("/api/v1/dossiers", json=body(), auth=as_("cax"), headers=headers).json()

    assert again["id"] == first["id"] and again["replayed"] is True and first["replayed"] is False


# ----------------------------------------------------------------------------- people


def test_identity_goes_to_entitled_roles_only(api) -> None:  # type: ignore[no-untyped-def]
    client, _, _ = api
    person = opened(client)["person_id"]

    police = client.get(f"/api/v1/people/{person}", auth=as_("cax")).json()
    procurator = client.get(f"/api/v1/people/{person}", auth=as_("vks")).json()
    admin = client.get(f"/api/v1/people/{person}", auth=as_("admin"))
    elsewhere = client.get(f"/api/v1/people/{person}", auth=as_("cax.chiengsinh"))

    assert police["identity"]["id_number"] == "011090001234" and len(police["dossiers"]) == 1
    assert procurator["identity"]["full_name"] == "Lò Văn Minh"
    assert admin.status_code == 200 and "identity" not in admin.json() and "011090001234" not in admin.text
    assert elsewhere.status_code == 404 and set(elsewhere.json()) == SHAPE
    assert client.get("/api/v1/people/9999", auth=as_("cax")).status_code == 404


def test_entered_episodes_are_listed_and_counted_on_the_open_dossier(api) -> None:  # type: ignore[no-untyped-def]
    client, _, _ = api
    made = opened(client)
    episode = {
        "kind": "compulsory",
        "started_on": "2021-03-15",
        "ended_on": "2023-03-15",
        "document_number": "45/QĐ-TA",
        "document_issuer": "TAND huyện Tuần Giáo",
    }

    response = client.post(f"/api/v1/people/{made['person_id']}/episodes", json=episode, auth=as_("cax"))

    assert response.status_code == 201 and response.json()["dossiers_updated"] == [made["code"]]
    person = client.get(f"/api/v1/people/{made['person_id']}", auth=as_("cax")).json()
    assert [e["document_number"] for e in person["episodes"]] == ["45/QĐ-TA"]
    assert person["dossiers"][0]["earlier_episodes"]["recorded"]["compulsory"] == 1


@pytest.mark.parametrize(("user", "status"), [("vks", 403), ("admin", 403), ("cax.chiengsinh", 404)])
def test_others_may_not_enter_episodes_or_correct_identity(api, user: str, status: int) -> None:  # type: ignore[no-untyped-def]
    client, _, _ = api
    person = opened(client)["person_id"]

    entered = client.post(f"/api/v1/people/{person}/episodes", json={"kind": "voluntary"}, auth=as_(user))
    corrected = client.patch(f"/api/v1/people/{person}", json={"full_name": "X"}, auth=as_(user))

    assert (entered.status_code, corrected.status_code) == (status, status)
    assert set(entered.json()) == SHAPE


def test_a_correction_is_validated_and_logged_without_values(api) -> None:  # type: ignore[no-untyped-def]
    client, _, _ = api
    made = opened(client)
    url = f"/api/v1/people/{made['person_id']}"

    bad = client.patch(url, json={"id_number": "1234", "birth_date": "01/01/2099", "sex": "x"}, auth=as_("cax"))
    good = client.patch(url, json={"id_number": "011090009876"}, auth=as_("ubndx"))

    assert bad.status_code == 422
    assert {f["field"] for f in bad.json()["fields"]} == {"id_number", "birth_date", "sex"}
    assert good.status_code == 200 and good.json()["changed"] == ["id_number"]
    last = client.get(f"/api/dossiers/{made['id']}/history", auth=as_("vks")).json()[-1]
    assert (last["event"], last["actor"], last["payload"]) == ("correct_identity", "ubndx", {"fields": ["id_number"]})
    assert "011090009876" not in str(last)


@pytest.mark.parametrize(("user", "status"), [("cax", 201), ("ubndx", 422)])
def test_only_the_commune_police_open_with_a_drug_user_management_decision(api, user: str, status: int) -> None:  # type: ignore[no-untyped-def]
    client, _, _ = api
    request = body()
    del request["violation_record"]
    request["user_management_decision"] = {"number": "5/QĐ-CAX", "date": TODAY}
    request["facts"] = {"positive_test_on": "03/08/2026"}

    response = client.post("/api/v1/dossiers", json=request, auth=as_(user))

    assert response.status_code == status
    if status == 201:
        assert (response.json()["state"], response.json()["regime"]) == ("drug_user_management", "vn-2026")
    else:
        assert [r["code"] for r in response.json()["reasons"]] == ["actor.not_authorised"]
