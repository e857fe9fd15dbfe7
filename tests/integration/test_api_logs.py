"""The procuracy's cross-dossier log search and its export: refused attempts are found with their
reasons, filters and pages work, each procuracy sees its own area, and other roles are refused."""

from __future__ import annotations

import csv
import io
import json
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import insert

from tests.integration.test_api import PASSWORD, as_, client_for, request_determination
from tests.integration.test_api_contract import shaped
from tests.journeys import AGENCY_OF, open_adult
from workflow.passwords import hash_password
from workflow.tables import Agency, Area, User

POLICE = AGENCY_OF["commune_police"]


@pytest.fixture
def logged(tmp_path):  # type: ignore[no-untyped-def]
    """Dossier 1: a refused attempt, then the step applied; dossier 2 opened a day later. A procurator
    of another province (`vks.laichau`) is added."""
    with client_for(tmp_path) as (client, journey):
        url = f"/api/v1/dossiers/{journey.dossier_id}/fire"
        client.post(url, json={"event": "request_determination"}, auth=as_("cax"))
        client.post(url, json=request_determination(journey), auth=as_("cax"))
        journey.clock.now += timedelta(days=1)
        open_adult(journey.rt, journey.clock, id_number="011090009999")
        with journey.rt.db.begin() as conn:
            conn.execute(insert(Area.__table__).values(code="lai-chau", name="Tỉnh Lai Châu", level="province"))
            conn.execute(
                insert(Agency.__table__).values(
                    id="lai-chau.procuracy",
                    type="procuracy",
                    name_vi="VKSND tỉnh Lai Châu",
                    area_code="lai-chau",
                    covers=[],
                )
            )
            conn.execute(
                insert(User.__table__).values(
                    username="vks.laichau",
                    role="procurator",
                    agency_id="lai-chau.procuracy",
                    password_hash=hash_password(PASSWORD, iterations=1000),
                )
            )
        yield client, journey


def search(client: Any, user: str = "vks", **params: Any) -> dict[str, Any]:
    response = client.get("/api/v1/audit/log", params=params, auth=as_(user))
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


def test_a_procurator_finds_the_refused_attempts_with_every_reason(logged) -> None:  # type: ignore[no-untyped-def]
    client, journey = logged

    found = search(client, outcome="refused")

    assert found["total"] == 1
    [entry] = found["entries"]
    assert (entry["dossier_id"], entry["event"], entry["actor"], entry["applied"]) == (
        journey.dossier_id,
        "request_determination",
        "cax",
        False,
    )
    assert entry["dossier_code"].startswith("HS-")
    assert [r["code"] for r in entry["reasons"]] == ["documents.missing"]
    assert entry["reasons"][0]["reason_vi"] and entry["reasons"][0]["basis"]
    assert "payload" not in entry and "Lò Văn Minh" not in json.dumps(found, ensure_ascii=False)


def test_filters_combine_and_dates_are_vietnam_days(logged) -> None:  # type: ignore[no-untyped-def]
    client, journey = logged
    day = journey.clock.today - timedelta(days=1)  # the first day's entries

    assert search(client)["total"] == 4
    assert search(client, outcome="applied", event="request_determination")["total"] == 1
    assert search(client, agency=POLICE, since=day.isoformat(), until=day.isoformat())["total"] == 3
    assert search(client, since=journey.clock.today.isoformat())["total"] == 1
    assert search(client, dossier=journey.dossier_id)["total"] == 3
    assert search(client, agency="nobody")["total"] == 0
    backwards = client.get(
        "/api/v1/audit/log",
        params={"since": day.isoformat(), "until": (day - timedelta(days=1)).isoformat()},
        auth=as_("vks"),
    )
    [field] = shaped(backwards, 422, "validation.failed")["fields"]
    assert field["field"] == "until" and "Ngày cuối" in field["message_vi"]


def test_results_come_a_page_at_a_time_newest_first(logged) -> None:  # type: ignore[no-untyped-def]
    client, _ = logged

    first = search(client, per_page=3)
    second = search(client, per_page=3, page=2)

    assert (first["total"], first["pages"], len(first["entries"]), len(second["entries"])) == (4, 2, 3, 1)
    assert first["entries"][0]["event"] == "open_dossier" and first["entries"][0]["dossier_id"] == 2
    ids = [e["id"] for e in first["entries"] + second["entries"]]
    assert len(set(ids)) == 4


def test_each_procuracy_searches_its_own_area_and_only_auditors_search(logged) -> None:  # type: ignore[no-untyped-def]
    client, _ = logged

    assert search(client, user="vks.laichau")["total"] == 0
    assert search(client, user="admin")["total"] == 4
    for user in ("cax", "toa", "yte"):
        shaped(client.get("/api/v1/audit/log", auth=as_(user)), 403, "auth.forbidden")
        shaped(client.get("/api/v1/audit/log/export", auth=as_(user)), 403, "auth.forbidden")


def test_the_export_holds_every_match_as_json_lines_or_csv(logged) -> None:  # type: ignore[no-untyped-def]
    client, _ = logged

    lines = client.get("/api/v1/audit/log/export", params={"outcome": "refused"}, auth=as_("vks"))
    table = client.get("/api/v1/audit/log/export", params={"format": "csv"}, auth=as_("vks"))

    assert lines.headers["content-type"].startswith("application/x-ndjson")
    assert "attachment" in lines.headers["content-disposition"]
    [entry] = [json.loads(line) for line in lines.text.splitlines()]
    assert entry["reasons"][0]["code"] == "documents.missing"
    rows = list(csv.DictReader(io.StringIO(table.text.lstrip("\ufeff"))))
    assert len(rows) == 4 and rows[0]["event"] == "open_dossier"  # oldest first
    assert [r["reason_codes"] for r in rows if r["applied"] == "0"] == ["documents.missing"]
    assert table.headers["content-type"].startswith("text/csv")
    shaped(client.get("/api/v1/audit/log/export", params={"format": "xml"}, auth=as_("vks")), 422, "validation.failed")
