"""Who may read what, as a matrix: every kind of reader × every read endpoint and page × dossiers in their
commune, another commune of the area, and another area. A dossier a reader may not read does not exist for
them (404, word for word as a dossier that does not exist); names, ID numbers and the addiction result reach
only the readers of personal data."""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterator
from typing import Any

import pytest

from admin.app import create_app
from tests.access_world import PASSWORD, PEOPLE, USERS, World, build_world
from tests.integration.test_api import sign_in
from workflow.names import fold

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from fastapi.testclient import TestClient

DIEN_BIEN = {"toa.dienbien", "cat.dienbien", "cscn.dienbien", "vks.dienbien", "admin"}  # the province's agencies
READERS = {
    "tuan_giao": DIEN_BIEN
    | {"cax.tuangiao", "ubndx.tuangiao", "yte.tuangiao", "toakv.khuvuctuangiao", "vks.khuvuctuangiao"},
    "chieng_sinh": DIEN_BIEN | {"cax.chiengsinh", "yte.tuangiao", "toakv.khuvuctuangiao", "vks.khuvuctuangiao"},
    "other": {"cap.tanlap", "cat.daklak", "vks.khuvucbuonmathuot", "admin"},  # Đắk Lắk
}
PERSON_READERS = {
    "tuan_giao": {"cax.tuangiao", "ubndx.tuangiao", "toakv.khuvuctuangiao", "toa.dienbien"}
    | {"vks.khuvuctuangiao", "vks.dienbien"},
    "chieng_sinh": {"cax.chiengsinh", "toakv.khuvuctuangiao", "toa.dienbien", "vks.khuvuctuangiao", "vks.dienbien"},
    "other": {"cap.tanlap", "vks.khuvucbuonmathuot"},
}
MATRIX = [(user, dossier) for user in USERS for dossier in READERS]
NOWHERE = 999_999


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    built = build_world(f"sqlite:///{tmp_path_factory.mktemp('access')}/w.db")
    yield built
    built.rt.db.dispose()


@pytest.fixture(scope="module")
def app_client(world: World) -> Iterator[TestClient]:
    with TestClient(create_app(world.rt)) as client:
        yield client


@pytest.fixture(scope="module")
def sessions(world: World) -> Iterator[dict[str, TestClient]]:
    """One logged-in browser-like client per user, made on first use."""
    made: dict[str, TestClient] = {}

    def _exit() -> None:
        for client in made.values():
            client.__exit__(None, None, None)

    yield made
    _exit()


def session(sessions: dict[str, TestClient], world: World, user: str) -> TestClient:
    if user not in sessions:
        client = TestClient(create_app(world.rt)).__enter__()
        sign_in(client, user)
        sessions[user] = client
    return sessions[user]


def get(client: TestClient, user: str, url: str) -> Any:
    return client.get(url, auth=(user, PASSWORD))


def not_found_like(body: str, dossier_id: int) -> str:
    """The answer with the dossier's number blanked (a page: its main part, without the session's tokens)."""
    main = re.search(r"<main>(.*)</main>", body, re.DOTALL)
    return re.sub(rf"\b{dossier_id}\b", "ID", main.group(1) if main else body)


# --------------------------------------------------------------------------- the API


@pytest.mark.parametrize(("user", "dossier"), MATRIX)
def test_the_dossier_detail_is_read_by_its_readers_and_absent_for_everyone_else(
    app_client: TestClient, world: World, user: str, dossier: str
) -> None:
    dossier_id = world.ids[dossier]

    got = get(app_client, user, f"/api/dossiers/{dossier_id}")

    if user not in READERS[dossier]:
        nowhere = get(app_client, user, f"/api/dossiers/{NOWHERE}")
        assert got.status_code == nowhere.status_code == 404
        assert not_found_like(got.text, dossier_id) == not_found_like(nowhere.text, NOWHERE)
        return
    body = got.json()
    assert got.status_code == 200 and body["code"] == world.codes[dossier]
    person_reader = user in PERSON_READERS[dossier]
    assert ("person" in body) is person_reader
    assert (PEOPLE[dossier]["full_name"] in got.text) is person_reader
    assert (PEOPLE[dossier]["id_number"] in got.text) is person_reader
    if dossier == "tuan_giao":  # health data: the addiction determination's result
        assert (body["facts"].get("determination_outcome") == "addicted") is person_reader
        assert ("addicted" in got.text) is person_reader


@pytest.mark.parametrize(("user", "dossier"), MATRIX)
def test_the_history_is_absent_for_non_readers_and_keeps_health_facts_from_the_administrator(
    app_client: TestClient, world: World, user: str, dossier: str
) -> None:
    got = get(app_client, user, f"/api/dossiers/{world.ids[dossier]}/history")

    if user not in READERS[dossier]:
        assert got.status_code == 404
    elif user in PERSON_READERS[dossier] or USERS[user][1] in ("procurator", "admin"):
        assert got.status_code == 200 and got.json()[0]["event"] == "open_dossier"
        assert ("determination_outcome" in got.text) is (dossier == "tuan_giao" and user in PERSON_READERS[dossier])
    else:
        assert got.status_code == 403  # may know the dossier, not read its log


@pytest.mark.parametrize(("user", "dossier"), MATRIX)
def test_lists_deadlines_and_search_show_a_dossier_only_to_its_readers(
    app_client: TestClient, world: World, user: str, dossier: str
) -> None:
    code, reader = world.codes[dossier], user in READERS[dossier]
    person = PEOPLE[dossier]

    listed = get(app_client, user, "/api/v1/dossiers?page_size=200").json()
    alias = get(app_client, user, "/api/dossiers?page_size=200").json()  # the unversioned alias
    deadlines = get(app_client, user, "/api/deadlines").json()
    by_code = get(app_client, user, f"/api/v1/dossiers?q={code.lower()}").json()
    address_bar = get(app_client, user, f"/api/v1/dossiers/by-code/{code}")

    assert (code in [i["code"] for i in listed["items"]]) is reader
    assert (code in [d["code"] for d in alias["items"]]) is reader
    assert (code in [d["dossier_code"] for d in deadlines]) is reader
    assert ([i["code"] for i in by_code["items"]] == [code]) is reader
    assert address_bar.status_code == (200 if reader else 404)
    names = [i.get("full_name") for i in listed["items"] if i["code"] == code]
    assert (names == [person["full_name"]]) is (user in PERSON_READERS[dossier])


@pytest.mark.parametrize(("user", "dossier"), MATRIX)
def test_a_name_or_id_number_finds_a_person_only_for_readers_of_their_personal_data(
    app_client: TestClient, world: World, user: str, dossier: str
) -> None:
    code, person = world.codes[dossier], PEOPLE[dossier]

    by_name = get(app_client, user, f"/api/v1/dossiers?q={fold(person['full_name'])}").json()
    by_id = get(app_client, user, f"/api/v1/dossiers?q={person['id_number']}").json()

    found = user in PERSON_READERS[dossier]
    assert (code in [i["code"] for i in by_name["items"]]) is found
    assert ([i["code"] for i in by_id["items"]] == [code]) is found
    assert by_id["matched_by"] == "id_number" and by_name["matched_by"] == "name"


@pytest.mark.parametrize("user", [u for u, (_, role) in USERS.items() if role == "staff"])
def test_a_step_on_a_dossier_the_user_may_not_read_is_not_found_not_refused(
    app_client: TestClient, world: World, user: str
) -> None:
    for dossier, readers in READERS.items():
        if user in readers:
            continue
        body = {"event": "request_determination", "payload": {}}
        got = app_client.post(f"/api/dossiers/{world.ids[dossier]}/fire", json=body, auth=(user, PASSWORD))
        assert got.status_code == 404, (user, dossier)


def test_an_agencys_inbox_is_for_its_staff_the_administrator_and_the_procuracy_of_its_area(
    app_client: TestClient, world: World
) -> None:
    inbox = f"/api/inbox/{USERS['cax.tuangiao'][0]}"

    assert get(app_client, "cax.tuangiao", inbox).status_code == 200
    assert get(app_client, "admin", inbox).status_code == 200
    assert get(app_client, "vks.khuvuctuangiao", inbox).status_code == 200
    assert get(app_client, "cax.chiengsinh", inbox).status_code == 403
    assert get(app_client, "vks.khuvucbuonmathuot", inbox).status_code == 403
    assert get(app_client, "cat.dienbien", inbox).status_code == 403


# --------------------------------------------------------------------------- the pages


@pytest.mark.parametrize(("user", "dossier"), MATRIX)
def test_pages_show_a_dossier_only_to_its_readers_and_its_person_only_to_readers_of_personal_data(
    sessions: dict[str, TestClient], world: World, user: str, dossier: str
) -> None:
    client, code, person = session(sessions, world, user), world.codes[dossier], PEOPLE[dossier]

    page = client.get(f"/dossiers/{world.ids[dossier]}")
    typed = client.get(f"/ho-so/{code}", follow_redirects=False)
    searched = client.get("/dossiers", params={"q": fold(person["full_name"])})

    if user in READERS[dossier]:
        assert page.status_code == 200 and code in page.text
        assert typed.status_code == 303 and typed.headers["location"] == f"/dossiers/{world.ids[dossier]}"
    else:
        nowhere = client.get(f"/dossiers/{NOWHERE}")
        assert page.status_code == nowhere.status_code == 404
        assert not_found_like(page.text, world.ids[dossier]) == not_found_like(nowhere.text, NOWHERE)
        assert typed.status_code == 404 and "Không tìm thấy hồ sơ có mã" in typed.text
    person_reader = user in PERSON_READERS[dossier]
    assert (person["full_name"] in page.text) is person_reader
    assert (person["id_number"] in page.text) is person_reader
    assert (code in searched.text) is person_reader


@pytest.mark.parametrize("user", list(USERS))
def test_the_home_page_counts_and_lists_only_readable_dossiers(
    sessions: dict[str, TestClient], world: World, user: str
) -> None:
    page = session(sessions, world, user).get("/").text

    for dossier, readers in READERS.items():
        if user not in readers:
            assert world.codes[dossier] not in page
    assert re.search(r"Hồ sơ theo giai đoạn", page)


@pytest.mark.parametrize("user", [u for u, (_, role) in USERS.items() if role in ("procurator", "admin")])
def test_the_procuracy_verifies_and_exports_the_chain_only_of_a_dossier_it_may_read(
    app_client: TestClient, world: World, user: str
) -> None:
    for dossier, readers in READERS.items():
        verified = get(app_client, user, f"/api/v1/audit/verify?dossier={world.ids[dossier]}")
        exported = get(app_client, user, f"/api/v1/audit/export?dossier={world.ids[dossier]}")
        expected = 200 if user in readers else 404
        assert (verified.status_code, exported.status_code) == (expected, expected), dossier
        assert (verified.json().get("ok") is True) is (user in readers)
