"""Reads that may lag go to the replica (REHAB_DATABASE_READ_URL); a dossier, and every read right after a write,
go to the primary.

The "replica" here is a second database built the same way as the primary and then left behind: whatever is
written to the primary afterwards is missing from it, as on a replica that lags. Which database answered is
then plain to see.
"""

from __future__ import annotations

import time
import uuid
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import insert

import admin.replica
from admin.app import create_app
from admin.replica import FRESH_COOKIE
from tests import pg_server
from tests.integration.test_api import PASSWORD, USERS, request_determination, sign_in
from tests.journeys import AGENCY_OF, Journey, make_runtime, open_adult
from workflow.passwords import hash_password
from workflow.runtime import Runtime
from workflow.settings import Settings
from workflow.tables import User

with warnings.catch_warnings():  # starlette 1.x asks for httpx2, which is not a dependency here
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from fastapi.testclient import TestClient

POLICE = ("cax", PASSWORD)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def urls(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, str]]:
    """Two empty databases: the primary and the replica."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path}/primary.db", f"sqlite:///{tmp_path}/replica.db"
        return
    server = request.getfixturevalue("postgres_url")
    names = [f"rehab_r_{uuid.uuid4().hex[:8]}" for _ in range(2)]
    primary, replica = (pg_server.create_database(server, name) for name in names)
    yield primary, replica
    for name in names:
        pg_server.drop_database(server, name)


def same_start(url: str) -> tuple[Runtime, Any]:
    """Users and one dossier at violation_recorded, written the same way (same clock) into `url`."""
    rt, clock = make_runtime(url)
    hashed = hash_password(PASSWORD, iterations=1000)
    rows = [{"username": u, "agency_id": a, "role": r, "password_hash": hashed} for u, (a, r) in USERS.items()]
    with rt.db.begin() as conn:
        conn.execute(insert(User.__table__), rows)  # type: ignore[attr-defined]
    open_adult(rt, clock)
    return rt, clock


@pytest.fixture
def split(urls: tuple[str, str]) -> Iterator[tuple[TestClient, Journey, int]]:
    """A server reading lists from the replica; the primary has moved on: a second dossier, not replicated."""
    primary_url, replica_url = urls
    populated, _ = same_start(replica_url)
    populated.dispose()
    seeded, clock = same_start(primary_url)
    unreplicated = open_adult(seeded, clock, id_number="011090005678").dossier_id
    seeded.dispose()
    settings = Settings(database_url=primary_url, database_read_url=replica_url, read_after_write_seconds=30)
    rt = Runtime.build(settings, clock=clock)
    try:
        with TestClient(create_app(rt)) as client:
            yield client, Journey(rt, clock, 1), unreplicated
    finally:
        rt.dispose()


def listed(client: TestClient, **params: str) -> dict[int, str]:
    """Dossier id -> state, as the list answers (a read that may lag)."""
    answer = client.get("/api/v1/dossiers", params=params, auth=POLICE)
    assert answer.status_code == 200, answer.text
    return {item["id"]: item["state"] for item in answer.json()["items"]}


def test_lists_read_the_replica_and_a_dossier_reads_the_primary(split) -> None:
    client, _, unreplicated = split

    assert listed(client) == {1: "violation_recorded"}  # the replica does not have the second dossier yet
    assert client.get(f"/api/v1/dossiers/{unreplicated}", auth=POLICE).status_code == 200  # the primary has it
    deadlines = client.get("/api/v1/deadlines", auth=POLICE).json()
    assert {d["dossier_id"] for d in deadlines} == {1}
    inbox = client.get(f"/api/v1/inbox/{AGENCY_OF['commune_police']}", auth=POLICE).json()
    assert {d["id"] for d in inbox["dossiers"]} == {1}
    assert client.get("/readyz").json()["replica"] == "ok"


def test_after_a_write_the_writer_reads_the_primary_until_the_marker_lapses(split, monkeypatch) -> None:
    client, journey, unreplicated = split
    monkeypatch.setattr(admin.replica, "wall_clock", lambda: 1_800_000_000.0)

    fired = client.post("/api/v1/dossiers/1/fire", json=request_determination(journey), auth=POLICE)

    assert fired.status_code == 200, fired.text
    assert FRESH_COOKIE in fired.cookies
    assert listed(client) == {1: "determination_requested", unreplicated: "violation_recorded"}  # its own write
    monkeypatch.setattr(admin.replica, "wall_clock", lambda: 1_800_000_030.0)  # read_after_write_seconds=30
    assert listed(client) == {1: "violation_recorded"}  # the replica again, which never got the writes


def test_a_refused_write_or_another_client_does_not_read_the_primary(split) -> None:
    client, journey, _ = split
    other = TestClient(client.app)

    refused = client.post("/api/v1/dossiers/1/fire", json={"event": "decide_compulsory", "payload": {}}, auth=POLICE)
    fired = other.post("/api/v1/dossiers/1/fire", json=request_determination(journey), auth=POLICE)

    assert refused.status_code in (409, 422) and FRESH_COOKIE not in refused.cookies
    assert fired.status_code == 200
    assert listed(client) == {1: "violation_recorded"}  # the first client wrote nothing: it may see the lag


def test_pages_list_from_the_replica_and_show_the_dossier_from_the_primary(split) -> None:
    client, _, unreplicated = split
    assert sign_in(client, "cax").status_code == 303  # signing in writes a session: fresh for a while
    client.cookies.delete(FRESH_COOKIE)

    listing = client.get("/dossiers")
    page = client.get(f"/dossiers/{unreplicated}")

    code = client.get(f"/api/v1/dossiers/{unreplicated}").json()["code"]
    assert listing.status_code == 200 and code not in listing.text  # listed from the replica
    assert page.status_code == 200 and code in page.text  # the dossier itself from the primary
    client.cookies.set(FRESH_COOKIE, str(int(time.time()) + 30))  # as after the redirect from a form's POST
    assert code in client.get("/dossiers").text


def test_without_a_replica_a_write_sets_no_marker(tmp_path: Path) -> None:
    rt, clock = same_start(f"sqlite:///{tmp_path}/one.db")
    try:
        with TestClient(create_app(rt)) as client:
            fired = client.post(
                "/api/v1/dossiers/1/fire", json=request_determination(Journey(rt, clock, 1)), auth=POLICE
            )
        assert fired.status_code == 200 and FRESH_COOKIE not in fired.cookies
        assert rt.reading_replica() is rt.db
    finally:
        rt.dispose()
