"""A user refused too often lately gets 429 with Retry-After and nothing more on any dossier's chain; the count is
in the database (every server process shares it) and reaching the limit is written in the security log."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from admin.app import create_app
from tests.integration.test_api import TestClient, as_, client_for, request_determination, sign_in
from tests.journeys import Journey
from workflow.runtime import Runtime
from workflow.settings import Settings
from workflow.tables import SecurityEvent, TransitionLog

LOG = TransitionLog.__table__  # type: ignore[attr-defined]
EVENTS = SecurityEvent.__table__  # type: ignore[attr-defined]
WRONG_STEP = {"event": "record_determination", "payload": {"determination_outcome": "addicted"}}  # not yet


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def api(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[TestClient, Journey]]:
    url = request.getfixturevalue("fresh_postgres_url") if request.param == "postgres" else None
    with client_for(tmp_path, url) as (client, journey):
        journey.rt.settings.refusals_per_minute = 3
        journey.rt.settings.refusals_per_hour = 5
        yield client, journey


def fire(client: TestClient, journey: Journey, body: dict[str, Any], user: str = "cax") -> Any:
    return client.post(f"/api/v1/dossiers/{journey.dossier_id}/fire", json=body, auth=as_(user))


def entries(journey: Journey) -> list[tuple[str, str]]:
    with journey.rt.db.connect() as conn:
        query = select(LOG.c.kind, LOG.c.actor).where(LOG.c.dossier_id == journey.dossier_id).order_by(LOG.c.seq)
        return [(r.kind, r.actor) for r in conn.execute(query)]


def security_events(journey: Journey) -> list[tuple[str, str, int | None]]:
    with journey.rt.db.connect() as conn:
        return [(r.kind, r.username, r.dossier_id) for r in conn.execute(select(EVENTS).order_by(EVENTS.c.id))]


class TestTheLimitPerUser:
    def test_past_the_minutes_limit_the_user_gets_429_and_nothing_more_is_appended(
        self, api: tuple[TestClient, Journey]
    ) -> None:
        client, journey = api
        refused = [fire(client, journey, WRONG_STEP).status_code for _ in range(3)]

        held = fire(client, journey, WRONG_STEP)
        even_a_good_step = fire(client, journey, request_determination(journey))

        assert refused == [409, 409, 409]
        assert held.status_code == even_a_good_step.status_code == 429
        assert held.json()["code"] == "step.too_many_refusals"
        assert "thử lại sau" in held.json()["message_vi"]
        assert 0 < int(held.headers["Retry-After"]) <= 60
        assert entries(journey) == [("open", "user.commune_police"), *[("refusal", "cax")] * 3]
        assert security_events(journey) == [("refusals_limited", "cax", journey.dossier_id)]

    def test_other_users_are_not_held_back_and_the_user_may_act_again_after_the_window(
        self, api: tuple[TestClient, Journey]
    ) -> None:
        client, journey = api
        for _ in range(3):
            fire(client, journey, WRONG_STEP)

        other = fire(client, journey, WRONG_STEP, user="ubndx")
        journey.clock.now += timedelta(seconds=61)
        again = fire(client, journey, request_determination(journey))

        assert other.status_code == 409  # refused on the chain, as before: ubndx has its own count
        assert again.status_code == 200, again.text
        assert entries(journey)[-1] == ("step", "cax")

    def test_the_hours_limit_holds_across_minutes(self, api: tuple[TestClient, Journey]) -> None:
        client, journey = api
        codes = []
        for _ in range(6):
            codes.append(fire(client, journey, WRONG_STEP).status_code)
            journey.clock.now += timedelta(minutes=2)

        held = fire(client, journey, WRONG_STEP)

        assert codes == [409] * 5 + [429]
        assert held.status_code == 429 and 60 < int(held.headers["Retry-After"]) <= 3600
        assert len([e for e in entries(journey) if e[0] == "refusal"]) == 5

    def test_a_second_server_process_on_the_same_database_holds_the_user_back_too(
        self, api: tuple[TestClient, Journey]
    ) -> None:
        client, journey = api
        for _ in range(3):
            fire(client, journey, WRONG_STEP)
        settings = Settings(database_url=str(journey.rt.db.url.render_as_string(hide_password=False)))
        other = Runtime.build(settings, clock=journey.clock)
        other.settings.refusals_per_minute = 3
        try:
            with TestClient(create_app(other)) as second:
                held = fire(second, journey, WRONG_STEP)
        finally:
            other.db.dispose()

        assert held.status_code == 429

    def test_the_dossier_page_says_why_and_when_to_try_again(self, api: tuple[TestClient, Journey]) -> None:
        client, journey = api
        for _ in range(3):
            fire(client, journey, WRONG_STEP)
        sign_in(client, "cax")
        page = client.get(f"/dossiers/{journey.dossier_id}").text
        token = re.search(r'name="csrf" value="([^"]+)"', page)

        held = client.post(
            f"/dossiers/{journey.dossier_id}/fire",
            data={"csrf": token.group(1) if token else "", "event": "request_determination"},
        )

        assert held.status_code == 429 and "Retry-After" in held.headers
        assert "Bạn đã bị từ chối quá nhiều lần" in html.unescape(held.text)
        with journey.rt.db.connect() as conn:
            count = conn.execute(select(func.count()).select_from(LOG)).scalar_one()
        assert count == 4
