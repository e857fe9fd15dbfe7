"""Attempts from outside a dossier's jurisdiction never reach its permanent chain (SQLite and PostgreSQL)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from prometheus_client import REGISTRY
from sqlalchemy import insert

from demo.reference import commune_code
from tests.integration.test_api import PASSWORD, TestClient, as_, client_for, request_determination
from tests.journeys import Journey
from workflow.passwords import hash_password
from workflow.tables import User

OTHER_POLICE = f"{commune_code('Xã Quài Nưa')}.commune_police"


@pytest.fixture
def api(tmp_path: Path, db_url: str) -> Iterator[tuple[TestClient, Journey]]:
    with client_for(tmp_path, db_url) as (client, journey):
        row = {"username": "cax.quainua", "agency_id": OTHER_POLICE, "role": "staff"}
        with journey.rt.db.begin() as conn:
            conn.execute(insert(User.__table__), [{**row, "password_hash": hash_password(PASSWORD, iterations=1000)}])  # type: ignore[attr-defined]
        yield client, journey


def chain(client: TestClient, journey: Journey) -> list[dict[str, object]]:
    return list(client.get(f"/api/v1/dossiers/{journey.dossier_id}/history", auth=as_("vks")).json())


def test_another_communes_police_is_refused_and_nothing_is_appended_to_the_chain(api) -> None:  # type: ignore[no-untyped-def]
    from workflow.engine import Actor
    from workflow.errors import OutsideJurisdiction

    client, journey = api
    before = chain(client, journey)
    counted = REGISTRY.get_sample_value("rehab_security_events_total", {"kind": "outside_jurisdiction"}) or 0

    answers = [
        client.post(
            f"/api/v1/dossiers/{journey.dossier_id}/fire", json=request_determination(journey), auth=as_("cax.quainua")
        )
        for _ in range(2)
    ]
    with pytest.raises(OutsideJurisdiction):  # the engine itself, whatever the entry point (CLI, import)
        journey.rt.engine.fire(
            journey.dossier_id, "request_determination", Actor("cax.quainua", OTHER_POLICE), {"document": {}}
        )

    assert {a.status_code for a in answers} <= {403, 404}  # 404: the dossier is not in their reading scope
    assert chain(client, journey) == before
    events = client.get("/api/v1/security/events", auth=as_("admin")).json()
    assert events and events[0]["dossier_id"] == journey.dossier_id
    assert events[0]["agency_id"] == OTHER_POLICE and events[0]["kind"] == "outside_jurisdiction"
    assert (REGISTRY.get_sample_value("rehab_security_events_total", {"kind": "outside_jurisdiction"}) or 0) > counted
    assert client.get("/api/v1/security/events", auth=as_("cax")).status_code == 403


def test_a_refusal_by_an_agency_of_the_dossiers_area_stays_on_the_chain(api) -> None:  # type: ignore[no-untyped-def]
    client, journey = api
    before = len(chain(client, journey))

    refused = client.post(
        f"/api/v1/dossiers/{journey.dossier_id}/fire", json=request_determination(journey), auth=as_("ubndx")
    )

    assert refused.status_code == 422 and refused.json()["reasons"][0]["code"] == "actor.not_authorised"
    after = chain(client, journey)
    assert len(after) == before + 1 and after[-1]["kind"] == "refusal"
    assert client.get("/api/v1/security/events", auth=as_("admin")).json() == []
