"""Schemathesis against /openapi.json: generated requests to every /api/v1 operation, signed in as an
administrator and as commune police staff, never get a server error (5xx). Bounded: a few examples per
operation, so the whole run stays around a minute."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.python.asgi import ASGIClient
from sqlalchemy import insert

from admin.app import create_app
from tests.integration.test_api import PASSWORD, USERS
from tests.journeys import make_runtime, open_adult
from workflow import users
from workflow.passwords import hash_password
from workflow.tables import User

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning", "ignore:Using `httpx`")
EXAMPLES = 4


@pytest.fixture(scope="module")
def api_schema(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """The schema served by a fresh app: one dossier, a user per role."""
    path: Path = tmp_path_factory.mktemp("schemathesis")
    rt, clock = make_runtime(f"sqlite:///{path}/fuzz.db")
    hashed = hash_password(PASSWORD, iterations=1000)
    rows = [{"username": u, "agency_id": a, "role": r, "password_hash": hashed} for u, (a, r) in USERS.items()]
    with rt.db.begin() as conn:
        conn.execute(insert(User.__table__), rows)  # type: ignore[attr-defined]
    open_adult(rt, clock)
    saved, users.PASSWORD_ITERATIONS = users.PASSWORD_ITERATIONS, 1000
    try:
        yield schemathesis.openapi.from_asgi("/openapi.json", create_app(rt))
    finally:
        users.PASSWORD_ITERATIONS = saved
        rt.db.dispose()


def client_as(app: Any, user: str) -> ASGIClient:
    client = ASGIClient(app)
    token = base64.b64encode(f"{user}:{PASSWORD}".encode()).decode()
    client.headers["Authorization"] = f"Basic {token}"
    return client


def fuzz(operation: Any, mode: GenerationMode, client: ASGIClient) -> list[str]:
    """Up to EXAMPLES generated requests to one operation; the server errors found, described."""
    found: list[str] = []

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    def run(case: Any) -> None:
        request = f"{case.method} {case.formatted_path} query={case.query} body={case.body!r:.300}"
        try:
            status = case.call(session=client).status_code
        except Exception as err:  # the test client re-raises what the app did not handle: a 500
            status = f"500 ({type(err).__name__}: {err!s:.200})"
        if not isinstance(status, int) or status >= 500:
            found.append(f"{request} -> {status}")

    run()
    return found


@pytest.mark.parametrize("user", ["admin", "cax", "vks"])
def test_generated_requests_never_get_a_server_error(api_schema: Any, user: str) -> None:
    errors: list[str] = []
    operations = [result.ok() for result in api_schema.get_all_operations()]
    with client_as(api_schema.app, user) as client:
        for operation in operations:
            for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
                errors += fuzz(operation, mode, client)
    assert len(operations) >= 15
    assert errors == []
