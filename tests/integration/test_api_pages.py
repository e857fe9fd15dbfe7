"""The dossier page's step forms, posted as a browser would: statuses, messages and what gets applied."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.integration.test_api import TestClient, as_, client_for, sign_in, sign_out
from tests.journeys import Journey


@pytest.fixture
def site(tmp_path: Path) -> Iterator[tuple[TestClient, Journey]]:
    with client_for(tmp_path) as (client, journey):
        sign_in(client, "cax")
        yield client, journey


def form(client: TestClient, journey: Journey, **overrides: str) -> dict[str, Any]:
    """The fields the dossier page's form posts, with the session's CSRF token as the page carries it."""
    page = client.get(f"/dossiers/{journey.dossier_id}").text
    token = re.search(r'name="csrf" (?:value|content)="([0-9a-f]+)"', page)
    fields = {
        "csrf": token.group(1) if token else "",
        "event": "request_determination",
        "expected_version": "1",
        "idempotency_key": "key-1",
        "document.number": "3/CV-CA",
        "document.date": journey.clock.today.isoformat(),
    }
    return {**fields, **overrides}


def steps_logged(client: TestClient, journey: Journey) -> list[str]:
    history = client.get(f"/api/dossiers/{journey.dossier_id}/history", auth=as_("cax")).json()
    return [e["event"] for e in history if e["kind"] == "step"]


def test_an_applied_step_redirects_to_the_dossier_with_a_success_note(site) -> None:  # type: ignore[no-untyped-def]
    client, journey = site

    response = client.post(f"/dossiers/{journey.dossier_id}/fire", data=form(client, journey), follow_redirects=False)

    assert response.status_code == 303
    page = client.get(response.headers["location"]).text
    assert "Đã thực hiện: Đề nghị xác định tình trạng nghiện." in page


def test_a_double_submit_applies_the_step_once(site) -> None:  # type: ignore[no-untyped-def]
    client, journey = site

    for _ in range(2):
        client.post(f"/dossiers/{journey.dossier_id}/fire", data=form(client, journey), follow_redirects=False)

    assert steps_logged(client, journey) == ["request_determination"]


def test_a_stale_page_is_409_asking_to_reload(site) -> None:  # type: ignore[no-untyped-def]
    client, journey = site
    client.post(f"/dossiers/{journey.dossier_id}/fire", data=form(client, journey), follow_redirects=False)

    response = client.post(f"/dossiers/{journey.dossier_id}/fire", data=form(client, journey, idempotency_key="key-2"))

    assert response.status_code == 409
    assert "Hồ sơ đã được người khác cập nhật, hãy tải lại trang" in response.text


def test_a_missing_document_number_is_422_naming_the_field(site) -> None:  # type: ignore[no-untyped-def]
    client, journey = site

    response = client.post(
        f"/dossiers/{journey.dossier_id}/fire", data=form(client, journey, **{"document.number": ""})
    )

    assert response.status_code == 422
    assert "document.number" in response.text
    assert steps_logged(client, journey) == []


def test_a_refusal_is_422_listing_each_reason_with_its_code_and_basis(site) -> None:  # type: ignore[no-untyped-def]
    client, journey = site
    empty = form(client, journey, **{"document.number": "", "document.date": ""})

    response = client.post(f"/dossiers/{journey.dossier_id}/fire", data=empty)

    assert response.status_code == 422
    assert "documents.missing" in response.text and "Luật PCMT 73/2021/QH14, Điều 27" in response.text


def test_the_procurator_gets_403_from_the_page_form_too(site) -> None:  # type: ignore[no-untyped-def]
    client, journey = site
    sign_out(client)
    sign_in(client, "vks")

    response = client.post(f"/dossiers/{journey.dossier_id}/fire", data=form(client, journey))

    assert response.status_code == 403
    assert steps_logged(client, journey) == []


def test_an_unknown_dossier_is_404_as_a_page_and_as_json(site) -> None:  # type: ignore[no-untyped-def]
    client, _ = site

    assert client.get("/dossiers/999").status_code == 404
    assert client.get("/api/dossiers/999", auth=as_("cax")).json()["code"] == "dossier.not_found"


def test_a_page_asked_for_before_login_is_shown_after_it(site) -> None:  # type: ignore[no-untyped-def]
    client, journey = site
    client.cookies.clear()

    login_url = client.get(f"/dossiers/{journey.dossier_id}", follow_redirects=False).headers["location"]
    target = client.get(login_url).text
    after = sign_in(client, "cax", next=f"/dossiers/{journey.dossier_id}")

    assert f'value="/dossiers/{journey.dossier_id}"' in target
    assert after.headers["location"] == f"/dossiers/{journey.dossier_id}"


def test_a_form_posted_without_the_pages_token_is_refused_and_changes_nothing(site) -> None:  # type: ignore[no-untyped-def]
    client, journey = site
    forged = {**form(client, journey), "csrf": "0" * 32}

    response = client.post(f"/dossiers/{journey.dossier_id}/fire", data=forged)

    assert response.status_code == 403
    assert steps_logged(client, journey) == []
