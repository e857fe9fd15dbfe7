"""Who reads what on today's map, through the JSON API: each province's users see only their own dossiers, and
the users of a commune merged on 01/07/2025 still read the history of the dossiers opened there."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import insert

from admin.app import create_app
from demo.reference import DIEN_BIEN_FILE, commune_2025_code, commune_code
from tests.journeys import Clock, Journey, doc, make_runtime, open_adult
from workflow.engine import Actor
from workflow.passwords import hash_password
from workflow.reference import import_file
from workflow.runtime import Runtime
from workflow.tables import User

with warnings.catch_warnings():  # starlette 1.x asks for httpx2, which is not a dependency here
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from fastapi.testclient import TestClient

PASSWORD = "pw"
QUAI_CANG, TUAN_GIAO = commune_code("Xã Quài Cang"), commune_2025_code("Xã Tuần Giáo")
USERS = {
    "cax.quaicang": (f"{QUAI_CANG}.commune_police", "staff"),
    "cax.xatuangiao": (f"{TUAN_GIAO}.commune_police", "staff"),
    "cat.dienbien": ("dien-bien.provincial_police", "staff"),
    "vks.dienbien": ("dien-bien.procuracy", "procurator"),
    "cax.tanlap": ("dak-lak.phuong-tan-lap.commune_police", "staff"),
    "cat.daklak": ("dak-lak.provincial_police", "staff"),
}


@pytest.fixture
def world(tmp_path: Path) -> Iterator[tuple[TestClient, Runtime, Clock]]:
    """Both provinces, their users; the clock in June 2025, before the communes merge."""
    rt, clock = make_runtime(f"sqlite:///{tmp_path}/map.db", datetime(2025, 6, 16, 2, tzinfo=UTC))
    hashed = hash_password(PASSWORD, iterations=1000)
    with rt.db.begin() as conn:
        import_file(conn, DIEN_BIEN_FILE.with_name("dak-lak.toml"))
        rows = [{"username": u, "agency_id": a, "role": r, "password_hash": hashed} for u, (a, r) in USERS.items()]
        conn.execute(insert(User.__table__), rows)  # type: ignore[attr-defined]
    rt.engine.reload_directory()
    try:
        with TestClient(create_app(rt)) as client:
            yield client, rt, clock
    finally:
        rt.db.dispose()


def as_(user: str) -> tuple[str, str]:
    return (user, PASSWORD)


def test_each_provinces_users_see_only_their_own_dossiers(world: tuple[TestClient, Runtime, Clock]) -> None:
    client, rt, clock = world
    clock.now = datetime(2026, 3, 2, 2, tzinfo=UTC)
    opened = rt.engine.open_dossier(
        person={"full_name": "Y Bhin Niê", "id_number": "066090001234", "birth_date": "1990-05-01"},
        commune_code="dak-lak.phuong-tan-lap",
        violation=doc("3/BB-VPHC", clock.today),
        actor=Actor("cax.tanlap", "dak-lak.phuong-tan-lap.commune_police"),
        facts={},
    )
    path = f"/api/v1/dossiers/{opened.dossier_id}"

    theirs = client.get(path, auth=as_("cat.daklak"))
    police = client.get(path, auth=as_("cax.tanlap"))

    assert theirs.status_code == 200 and theirs.json()["commune"]["code"] == "dak-lak.phuong-tan-lap"
    assert police.status_code == 200 and police.json()["person"]["full_name"] == "Y Bhin Niê"
    for other in ("cat.dienbien", "vks.dienbien", "cax.xatuangiao"):
        assert client.get(path, auth=as_(other)).status_code == 404, other
        assert client.get(f"{path}/history", auth=as_(other)).status_code == 404, other


def test_audit_8_a_merged_communes_user_still_reads_the_history_of_its_dossiers(
    world: tuple[TestClient, Runtime, Clock],
) -> None:
    client, rt, clock = world
    journey = Journey(rt, clock, open_adult(rt, clock).dossier_id or 0)
    journey.step("request_determination", "commune_police")
    clock.now = datetime(2026, 3, 2, 2, tzinfo=UTC)
    path = f"/api/v1/dossiers/{journey.dossier_id}"

    old = client.get(f"{path}/history", auth=as_("cax.quaicang"))
    new = client.get(path, auth=as_("cax.xatuangiao"))

    assert old.status_code == 200 and [e["event"] for e in old.json()][:2] == ["open_dossier", "request_determination"]
    assert "person" not in client.get(path, auth=as_("cax.quaicang")).json()  # no longer reads the person's file
    assert new.status_code == 200 and new.json()["commune"]["code"] == QUAI_CANG and "person" in new.json()
