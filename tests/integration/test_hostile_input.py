"""Hostile input, on SQLite and PostgreSQL: idempotency keys bound to their user and request, implausible
dates, and text or numbers a database cannot take are 4xx naming the field, never a server error."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.integration.test_api import TestClient, as_, client_for, request_determination
from tests.journeys import COMMUNE, Journey, actor, doc, open_adult
from workflow.engine import Actor
from workflow.errors import IdempotencyConflict, InvalidInput, StepRefused


@pytest.fixture
def api(tmp_path: Path, db_url: str) -> Iterator[tuple[TestClient, Journey]]:
    with client_for(tmp_path, db_url) as pair:
        yield pair


def fire(client: TestClient, journey: Journey, body: dict[str, Any], user: str = "cax") -> Any:
    return client.post(f"/api/v1/dossiers/{journey.dossier_id}/fire", json=body, auth=as_(user))


def version(client: TestClient, journey: Journey) -> int:
    return int(client.get(f"/api/v1/dossiers/{journey.dossier_id}", auth=as_("cax")).json()["version"])


def field_of(response: Any) -> str:
    assert response.status_code == 422, response.text
    return str(response.json()["fields"][0]["field"])


# ----------------------------------------------------------------------------- idempotency keys


def test_the_same_key_and_body_replays_but_another_body_under_it_is_409(api) -> None:  # type: ignore[no-untyped-def]
    client, journey = api
    body = request_determination(journey, idempotency_key="k-1")

    first, again = fire(client, journey, body), fire(client, journey, body)
    other = {**body, "payload": {"document": doc("99/CV-CA", journey.clock.today)}}
    conflict = fire(client, journey, other)

    assert first.status_code == again.status_code == 200 and again.json()["replayed"] is True
    assert conflict.status_code == 409 and conflict.json()["code"] == "idempotency.conflict"
    assert "idempotency_key" in conflict.json()["message_vi"]
    assert version(client, journey) == 2


def test_a_key_belongs_to_its_user_and_never_replays_someone_elses_result(journey_runtime) -> None:  # type: ignore[no-untyped-def]
    rt, clock = journey_runtime
    first, second = open_adult(rt, clock), open_adult(rt, clock, id_number="011090007777")
    police = actor("commune_police").agency_id
    payload = {"document": doc("5/CV", clock.today)}

    a = rt.engine.fire(first.dossier_id, "request_determination", Actor("a", police), payload, idempotency_key="k")
    b = rt.engine.fire(second.dossier_id, "request_determination", Actor("b", police), payload, idempotency_key="k")

    assert a.applied and b.applied and not b.replayed and b.dossier_id == second.dossier_id


def race(rt: Any, dossiers: list[int], key: str, payload: dict[str, Any]) -> list[str]:
    """Fire the same step with the same key on each dossier at the same moment; what each one got."""
    gate, outcomes = threading.Barrier(len(dossiers)), []

    def one(dossier_id: int) -> None:
        gate.wait()
        try:
            rt.engine.fire(dossier_id, "request_determination", actor("commune_police"), payload, idempotency_key=key)
            outcomes.append("applied")
        except IdempotencyConflict:
            outcomes.append("409")
        except Exception as err:  # noqa: BLE001  (what the test is for: nothing else may come out)
            outcomes.append(repr(err))

    threads = [threading.Thread(target=one, args=(d,)) for d in dossiers]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return sorted(outcomes)


def test_one_key_racing_on_two_dossiers_applies_once_and_answers_409_never_a_server_error(journey_runtime) -> None:  # type: ignore[no-untyped-def]
    rt, clock = journey_runtime
    payload = {"document": doc("5/CV", clock.today)}
    for attempt in range(4):
        dossiers = [open_adult(rt, clock, id_number=f"011090{attempt:02d}{i:04d}").dossier_id for i in range(2)]

        assert race(rt, dossiers, f"race-{attempt}", payload) == ["409", "applied"]


def test_an_overlong_or_unprintable_key_is_422_but_any_printable_text_is_a_key(journey_runtime) -> None:  # type: ignore[no-untyped-def]
    rt, clock = journey_runtime
    dossier = open_adult(rt, clock).dossier_id
    for key in ("k" * 129, "bad\x00key", "\ud800"):
        with pytest.raises(InvalidInput) as err:
            rt.engine.fire(dossier, "request_determination", actor("commune_police"), {}, idempotency_key=key)
        assert err.value.field == "idempotency_key"
    assert rt.engine.fire(
        dossier,
        "request_determination",
        actor("commune_police"),
        {"document": doc("1/CV", clock.today)},
        idempotency_key="khóa-5/QĐ",
    ).applied


# ----------------------------------------------------------------------------- dates


def test_a_document_dated_01_01_0001_is_refused_with_a_clear_message(api) -> None:  # type: ignore[no-untyped-def]
    client, journey = api
    body = {"event": "request_determination", "payload": {"document": {"number": "3/CV", "date": "0001-01-01"}}}

    response = fire(client, journey, body)

    assert field_of(response) == "document.date"
    assert "01/01/0001" in response.json()["fields"][0]["message_vi"]
    assert version(client, journey) == 1


def test_a_document_before_the_dossiers_first_document_or_in_the_future_is_refused(api) -> None:  # type: ignore[no-untyped-def]
    client, journey = api
    today = journey.clock.today
    for when, words in ((today - timedelta(days=1), "văn bản đầu tiên"), (today + timedelta(days=1), "tương lai")):
        body = {"event": "request_determination", "payload": {"document": doc("3/CV", when)}}

        response = fire(client, journey, body)

        assert field_of(response) == "document.date" and words in response.json()["fields"][0]["message_vi"]
    assert version(client, journey) == 1


def test_an_attachment_may_be_older_than_the_dossier_but_not_older_than_the_person(journey_runtime) -> None:  # type: ignore[no-untyped-def]
    from tests.journeys import attachments

    rt, clock = journey_runtime
    j = Journey(rt, clock, open_adult(rt, clock, birth="1990-05-01").dossier_id)
    j.step("request_determination", "commune_police")
    j.step("record_determination", "health_facility", {"determination_outcome": "addicted"}, days=2)
    old = [{**a, "date": "2020-01-01"} for a in attachments(clock.today)]
    born_later = [{**a, "date": "1980-01-01"} for a in attachments(clock.today)]

    with pytest.raises(InvalidInput, match="birth"):
        j.step("notify_person", "commune_committee", {"grounds": "no_voluntary_rehab", "attachments": born_later})
    assert j.step("notify_person", "commune_committee", {"grounds": "no_voluntary_rehab", "attachments": old}).applied


def test_a_violation_before_the_persons_birth_or_an_impossible_birth_date_is_refused(journey_runtime) -> None:  # type: ignore[no-untyped-def]
    rt, clock = journey_runtime
    with pytest.raises((InvalidInput, StepRefused)):  # named as a date or as the age it gives
        rt.engine.open_dossier(
            person={"full_name": "A", "birth_date": "2022-07-01"},
            commune_code=COMMUNE,
            violation=doc("12/BB", date(2022, 6, 1)),
            actor=actor("commune_police"),
        )
    with pytest.raises(InvalidInput) as impossible:
        open_adult(rt, clock, birth="0001-01-01")
    assert impossible.value.field == "person.birth_date"
    with pytest.raises(InvalidInput) as future:
        open_adult(rt, clock, birth=(date.today() + timedelta(days=400)).isoformat())
    assert future.value.field == "person.birth_date"


# ----------------------------------------------------------------------------- text and numbers


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"event": "request_determination", "payload": {"note": "a\x00b"}}, "payload.note"),
        ({"event": "request_determination\x00", "payload": {}}, "event"),
        ({"event": "request_determination", "expected_version": 2**63}, "expected_version"),
        ({"event": "request_determination", "expected_version": -(2**40)}, "expected_version"),
    ],
)
def test_nul_lone_surrogates_and_huge_integers_in_a_body_are_422(api, body: dict[str, Any], field: str | None) -> None:  # type: ignore[no-untyped-def]
    client, journey = api

    response = fire(client, journey, body)

    named = field_of(response)
    assert field is None or named == field
    assert version(client, journey) == 1


def test_a_lone_surrogate_sent_as_raw_json_is_422(api) -> None:  # type: ignore[no-untyped-def]
    client, journey = api
    raw = b'{"event": "request_determination", "payload": {"note": "\\ud800"}}'

    response = client.post(
        f"/api/v1/dossiers/{journey.dossier_id}/fire",
        content=raw,
        headers={"content-type": "application/json"},
        auth=as_("cax"),
    )

    assert field_of(response) == "payload.note"


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/dossiers/99999999999999999999",
        "/api/v1/dossiers/2147483648/history",
        "/api/v1/dossiers?offset=99999999999999999999",
        "/api/v1/dossiers?agency=a%00b",
        "/api/v1/dossiers?state=%ED%A0%80",
        "/dossiers/99999999999999",
    ],
)
def test_out_of_range_ids_and_nul_in_the_url_are_422(api, path: str) -> None:  # type: ignore[no-untyped-def]
    client, _ = api

    response = client.get(path, auth=as_("cax"))

    assert response.status_code == 422 and response.json()["code"] == "validation.failed"


def test_deeply_nested_json_is_422(api) -> None:  # type: ignore[no-untyped-def]
    client, journey = api
    for depth in (40, 50_000):
        raw = b'{"event": "request_determination", "payload": {"note": ' + b"[" * depth + b"]" * depth + b"}}"
        response = client.post(
            f"/api/v1/dossiers/{journey.dossier_id}/fire",
            content=raw,
            headers={"content-type": "application/json"},
            auth=as_("cax"),
        )
        assert response.status_code == 422


def test_a_nul_in_a_login_form_is_422_not_a_server_error(api) -> None:  # type: ignore[no-untyped-def]
    client, _ = api

    response = client.post("/login", data={"username": "cax\x00", "password": "x", "csrf": "y"})

    assert field_of(response) == "username"


def test_nul_or_bad_text_through_the_engine_directly_is_refused_naming_the_field(journey_runtime) -> None:  # type: ignore[no-untyped-def]
    rt, clock = journey_runtime
    with pytest.raises(InvalidInput) as opened:
        rt.engine.open_dossier(
            person={"full_name": "Lò\x00Văn", "birth_date": "1990-01-01"},
            commune_code=COMMUNE,
            violation=doc("1/BB", clock.today),
            actor=actor("commune_police"),
        )
    assert "person.full_name" in {e.get("field") for e in opened.value.errors}
    dossier = open_adult(rt, clock).dossier_id
    with pytest.raises(InvalidInput) as fired:
        rt.engine.fire(
            dossier, "request_determination", actor("commune_police"), {"document": doc("1\x00", clock.today)}
        )
    assert fired.value.field == "payload.document.number"
