"""The API as a contract: one error shape everywhere under /api, 413 and 422 on oversized input, and
an OpenAPI document of /api/v1 with an example for every request body."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.integration.test_api import USERS, as_, client_for, request_determination

SHAPE = {"code", "message_vi", "message_en", "fields", "reasons"}


@pytest.fixture
def api(tmp_path):  # type: ignore[no-untyped-def]
    with client_for(tmp_path) as pair:
        yield pair


def shaped(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == SHAPE, body
    assert body["code"] == code
    assert body["message_vi"] and body["message_en"]
    return body  # type: ignore[no-any-return]


def test_every_kind_of_failure_has_the_one_error_shape(api) -> None:  # type: ignore[no-untyped-def]
    client, journey = api
    url = f"/api/v1/dossiers/{journey.dossier_id}"

    shaped(client.get(url), 401, "auth.required")
    shaped(client.post(f"{url}/fire", json=request_determination(journey), auth=as_("vks")), 403, "auth.forbidden")
    shaped(client.get("/api/v1/dossiers/999999", auth=as_("cax")), 404, "dossier.not_found")
    shaped(client.get("/api/v1/no-such-thing", auth=as_("cax")), 404, "not_found")
    shaped(client.delete(url, auth=as_("cax")), 405, "method.not_allowed")
    refused = shaped(
        client.post(f"{url}/fire", json={"event": "request_determination"}, auth=as_("cax")), 422, "step.refused"
    )
    assert refused["reasons"] and all(r["reason_vi"] and r["basis"] for r in refused["reasons"])
    unavailable = shaped(
        client.post(f"{url}/fire", json={"event": "decide"}, auth=as_("cax")), 409, "step.not_available"
    )
    assert unavailable["reasons"]
    stale = {**request_determination(journey), "expected_version": 0}
    shaped(client.post(f"{url}/fire", json=stale, auth=as_("cax")), 409, "version.conflict")


def test_a_bad_body_names_every_field_at_once_in_vietnamese(api) -> None:  # type: ignore[no-untyped-def]
    client, journey = api

    response = client.post(
        f"/api/v1/dossiers/{journey.dossier_id}/fire",
        json={"payload": [], "expected_version": "one", "surprise": 1},
        auth=as_("cax"),
    )

    body = shaped(response, 422, "validation.failed")
    by_field = {f["field"]: f for f in body["fields"]}
    assert set(by_field) == {"event", "payload", "expected_version", "surprise"}
    assert by_field["event"]["message_vi"] == "Trường này là bắt buộc."
    assert by_field["event"]["code"] == "field.missing"
    assert by_field["surprise"]["message_vi"] == "Trường này không được chấp nhận."
    assert "event" in body["message_vi"]


def test_text_over_a_fields_limit_is_422_never_truncated(api) -> None:  # type: ignore[no-untyped-def]
    client, journey = api

    response = client.post(
        f"/api/v1/dossiers/{journey.dossier_id}/fire",
        json={**request_determination(journey), "idempotency_key": "k" * 129},
        auth=as_("cax"),
    )

    [field] = shaped(response, 422, "validation.failed")["fields"]
    assert field == {
        "field": "idempotency_key",
        "code": "field.string_too_long",
        "message_vi": "Quá dài: tối đa 128 ký tự.",
    }
    assert client.get(f"/api/v1/dossiers/{journey.dossier_id}", auth=as_("cax")).json()["version"] == 1


def test_long_text_inside_a_steps_payload_is_422_naming_each_field(api) -> None:  # type: ignore[no-untyped-def]
    client, journey = api
    body = request_determination(journey)
    body["payload"]["document"]["number"] = "9" * 2001
    body["payload"]["note"] = "ghi chú " * 300

    response = client.post(f"/api/v1/dossiers/{journey.dossier_id}/fire", json=body, auth=as_("cax"))

    fields = shaped(response, 422, "validation.failed")["fields"]
    assert [f["field"] for f in fields] == ["payload.document.number", "payload.note"]
    assert all(f["message_vi"] == "Quá dài: tối đa 2000 ký tự." for f in fields)
    assert client.get(f"/api/v1/dossiers/{journey.dossier_id}", auth=as_("cax")).json()["version"] == 1


def test_a_body_over_the_limit_is_413_by_its_length_or_as_it_streams(api) -> None:  # type: ignore[no-untyped-def]
    client, journey = api
    url = f"/api/v1/dossiers/{journey.dossier_id}/fire"
    big = b'{"event": "request_determination", "payload": {"note": "' + b"x" * 300_000 + b'"}}'

    declared = client.post(url, content=big, headers={"content-type": "application/json"}, auth=as_("cax"))

    def chunks() -> Iterator[bytes]:
        for start in range(0, len(big), 16_384):
            yield big[start : start + 16_384]

    streamed = client.post(url, content=chunks(), headers={"content-type": "application/json"}, auth=as_("cax"))

    for response in (declared, streamed):
        body = shaped(response, 413, "request.too_large")
    assert "256 KiB" in declared.json()["message_vi"]
    assert body["code"] == "request.too_large"
    page = client.post(url.replace("/api/v1", ""), content=big, auth=as_("cax"))
    assert page.status_code == 413 and "quá lớn" in page.text
    history = client.get(f"/api/v1/dossiers/{journey.dossier_id}/history", auth=as_("vks")).json()
    assert [e["event"] for e in history] == ["open_dossier"]  # neither attempt reached the engine


def test_verifying_a_dossier_that_does_not_exist_is_404_not_ok(api) -> None:  # type: ignore[no-untyped-def]
    client, journey = api

    shaped(client.get("/api/v1/audit/verify?dossier=424242", auth=as_("vks")), 404, "dossier.not_found")
    assert client.get(f"/api/v1/audit/verify?dossier={journey.dossier_id}", auth=as_("vks")).json()["ok"] is True


def test_unversioned_routes_stay_as_aliases_of_v1(api) -> None:  # type: ignore[no-untyped-def]
    client, journey = api

    v1 = client.get(f"/api/v1/dossiers/{journey.dossier_id}", auth=as_("cax")).json()
    alias = client.get(f"/api/dossiers/{journey.dossier_id}", auth=as_("cax")).json()

    assert v1 == alias


def test_the_openapi_document_shows_v1_only_with_an_example_for_every_body(api) -> None:  # type: ignore[no-untyped-def]
    client, _ = api

    schema = client.get("/openapi.json").json()

    assert schema["paths"] and all(p.startswith("/api/v1/") for p in schema["paths"])
    bodies = 0
    for path, operations in schema["paths"].items():
        for method, op in operations.items():
            assert "422" in op["responses"] and "401" in op["responses"], (method, path)
            body = op.get("requestBody")
            if body is None:
                continue
            media = body["content"].get("application/json")
            if media is None:  # a file upload (multipart): its fields are described, a file has no example
                continue
            bodies += 1
            ref = media["schema"]["$ref"].rsplit("/", 1)[-1]
            assert schema["components"]["schemas"][ref].get("examples"), (method, path)
    assert bodies >= 3
    assert set(schema["components"]["schemas"]["ErrorBody"]["properties"]) == SHAPE


AUDITORS = {"vks", "admin"}


@pytest.mark.parametrize("user", sorted(USERS))
def test_the_audit_endpoints_answer_the_procuracy_and_administrators_only(api, user: str) -> None:  # type: ignore[no-untyped-def]
    client, journey = api
    anchor = client.get("/api/v1/audit/anchor", auth=as_("vks")).json()
    calls = [
        ("get", "/api/v1/audit/verify", None),
        ("get", f"/api/v1/audit/verify?dossier={journey.dossier_id}", None),
        ("get", "/api/v1/audit/anchor", None),
        ("post", "/api/v1/audit/anchor/check", anchor),
        ("get", "/api/v1/audit/export", None),
        ("get", "/api/v1/audit/log", None),
        ("get", "/api/v1/audit/log/export?format=csv", None),
    ]

    for method, url, body in calls:
        response = client.request(method, url, json=body, auth=as_(user))
        if user in AUDITORS:
            assert response.status_code == 200, (url, response.text)
        else:
            shaped(response, 403, "auth.forbidden")
    if user in AUDITORS:
        checked = client.post("/api/v1/audit/anchor/check", json=anchor, auth=as_(user)).json()
        assert checked == {"ok": True, "entries": None, "dossiers": None, "first_break": None}


def test_an_altered_anchor_is_reported_not_ok(api) -> None:  # type: ignore[no-untyped-def]
    client, journey = api
    anchor = client.get("/api/v1/audit/anchor", auth=as_("vks")).json()
    forged = {**anchor, "chains": {str(journey.dossier_id): [1, "0" * 64]}}

    answer = client.post("/api/v1/audit/anchor/check", json=forged, auth=as_("vks")).json()

    assert answer["ok"] is False and "altered" in answer["first_break"]
    bad = client.post("/api/v1/audit/anchor/check", json={"taken_at": "x"}, auth=as_("vks"))
    assert {f["field"] for f in shaped(bad, 422, "validation.failed")["fields"]} == {"chains", "root"}


@pytest.mark.parametrize("user", sorted(USERS))
def test_only_the_responsible_agencys_staff_take_the_step_and_everyone_reads_deadlines(api, user: str) -> None:  # type: ignore[no-untyped-def]
    client, journey = api
    url = f"/api/v1/dossiers/{journey.dossier_id}"

    fired = client.post(f"{url}/fire", json=request_determination(journey), auth=as_(user))

    if user == "cax":
        assert fired.status_code == 200 and fired.json()["to_state"] == "determination_requested"
    elif user in ("vks", "admin"):
        shaped(fired, 403, "auth.forbidden")  # the procuracy only reads; administrators never act
    else:
        assert fired.status_code in (404, 409, 422) and set(fired.json()) == SHAPE
    applied = [e for e in client.get(f"{url}/history", auth=as_("vks")).json() if e["kind"] == "step"]
    assert len(applied) == (1 if user == "cax" else 0)
    assert client.get("/api/v1/deadlines", auth=as_(user)).status_code == 200
