"""Health, readiness, Prometheus metrics and request ids, as an operator's monitoring sees them."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from prometheus_client import REGISTRY
from sqlalchemy import text

from admin.app import create_app
from tests.integration.test_api import TestClient, as_, client_for, request_determination
from tests.journeys import Journey
from workflow import credentials
from workflow.health import head_revision, readiness
from workflow.logs import configure_logging
from workflow.runtime import Runtime
from workflow.settings import Settings


@pytest.fixture
def site(tmp_path: Path) -> Iterator[tuple[TestClient, Journey]]:
    with client_for(tmp_path) as pair:
        yield pair


def scraper(journey: Journey, address: str = "127.0.0.1") -> TestClient:
    return TestClient(create_app(journey.rt), client=(address, 40000))


def sample(text_: str, name: str, **labels: str) -> float | None:
    """The value of one sample in Prometheus text format."""
    for line in text_.splitlines():
        if line.startswith(name + ("{" if labels else " ")) and all(f'{k}="{v}"' in line for k, v in labels.items()):
            return float(line.rsplit(" ", 1)[1])
    return None


def test_healthz_and_readyz_answer_without_a_session(site) -> None:  # type: ignore[no-untyped-def]
    client, _ = site

    ready = client.get("/readyz")

    assert client.get("/healthz").text == "ok"
    assert ready.status_code == 200
    assert ready.json() == {
        "ok": True,
        "database": "ok",
        "migration": head_revision(),
        "migration_head": head_revision(),
        "problem": "",
    }


def test_readyz_is_503_when_migrations_are_behind_or_the_database_is_gone(site) -> None:  # type: ignore[no-untyped-def]
    client, journey = site
    with journey.rt.db.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '0001'"))

    behind = client.get("/readyz")
    gone = readiness(Runtime.build(Settings(database_url="postgresql+psycopg://x@127.0.0.1:9/none")).db)

    assert behind.status_code == 503 and "rehab init" in behind.json()["problem"]
    assert not gone.ok and gone.as_dict()["database"] == "unreachable"


def test_metrics_count_steps_applied_and_refused_by_step_and_agency_type(site) -> None:  # type: ignore[no-untyped-def]
    client, journey = site
    labels = {"step": "request_determination", "agency_type": "commune_police"}
    before = {
        o: REGISTRY.get_sample_value("rehab_steps_total", {**labels, "outcome": o}) or 0 for o in ("applied", "refused")
    }
    refused = client.post(
        f"/api/v1/dossiers/{journey.dossier_id}/fire", json={"event": "request_determination"}, auth=as_("cax")
    )
    applied = client.post(
        f"/api/v1/dossiers/{journey.dossier_id}/fire", json=request_determination(journey), auth=as_("cax")
    )
    assert (refused.status_code, applied.status_code) == (422, 200)

    with scraper(journey) as prometheus:
        page = prometheus.get("/metrics")

    assert page.status_code == 200 and page.headers["content-type"].startswith("text/plain")
    assert sample(page.text, "rehab_steps_total", **labels, outcome="applied") == before["applied"] + 1
    assert sample(page.text, "rehab_steps_total", **labels, outcome="refused") == before["refused"] + 1
    route = "/api/v1/dossiers/{dossier_id}/fire"
    assert sample(page.text, "rehab_http_request_duration_seconds_count", route=route, status="2xx") is not None
    assert "Lò Văn Minh" not in page.text and "cax" not in page.text


def test_metrics_read_alerts_deliveries_and_queues_from_the_database(site) -> None:  # type: ignore[no-untyped-def]
    from workflow.service import cycle

    client, journey = site
    journey.step("request_determination", "commune_police")
    journey.clock.advance(days=60)  # the health facility's deadline is long past
    cycles = REGISTRY.get_sample_value("rehab_sweep_duration_seconds_count") or 0

    cycle(journey.rt)
    with scraper(journey) as prometheus:
        page = prometheus.get("/metrics").text

    assert (sample(page, "rehab_alerts_written", kind="overdue") or 0) >= 1
    assert (sample(page, "rehab_deliveries", channel="inbox", status="sent") or 0) >= 1
    assert sample(page, "rehab_dead_letters") == 0
    assert sample(page, "rehab_queue_depth", queue="outbox") == 0
    assert sample(page, "rehab_sweep_duration_seconds_count") == cycles + 1


def test_metrics_are_hidden_from_other_addresses_but_open_to_an_admin_token(site) -> None:  # type: ignore[no-untyped-def]
    from admin.auth import utc_now

    _, journey = site
    admin_token, _ = credentials.issue_token(journey.rt.db, "admin", by="t", label="prometheus", now=utc_now())
    staff_token, _ = credentials.issue_token(journey.rt.db, "cax", by="t", label="x", now=utc_now())

    with scraper(journey, "203.0.113.5") as outsider:
        assert outsider.get("/metrics").status_code == 404
        assert outsider.get("/metrics", headers={"Authorization": f"Bearer {staff_token}"}).status_code == 404
        assert outsider.get("/metrics", headers={"Authorization": f"Bearer {admin_token}"}).status_code == 200


def test_every_answer_has_a_request_id_and_the_json_log_line_carries_it(
    site, capsys: pytest.CaptureFixture[str]
) -> None:  # type: ignore[no-untyped-def]
    client, journey = site
    configure_logging("INFO", json=True)
    try:
        given = client.get("/api/v1/dossiers", auth=as_("cax"), headers={"X-Request-ID": "abc-123"})
        fresh = client.get("/healthz")
        hostile = client.get("/api/v1/dossiers", auth=as_("cax"), headers={"X-Request-ID": "x" * 65})
    finally:
        lines = capsys.readouterr().err.splitlines()
        configure_logging("INFO")

    assert given.headers["x-request-id"] == "abc-123"
    assert re.fullmatch(r"[0-9a-f]{32}", fresh.headers["x-request-id"])
    assert hostile.headers["x-request-id"] != "x" * 65
    logged = [json.loads(line) for line in lines if line.startswith("{")]
    request = next(e for e in logged if e.get("event") == "http.request" and e.get("request_id") == "abc-123")
    assert request["route"] == "/api/v1/dossiers" and request["status"] == 200
