"""Integration fixtures: the same engine tests run on SQLite and on a real PostgreSQL server."""

from __future__ import annotations

from collections.abc import Iterator

import pytest


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path) -> Iterator[str]:  # type: ignore[no-untyped-def]
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path}/rehab.db"
    else:
        yield request.getfixturevalue("fresh_postgres_url")


@pytest.fixture
def journey_runtime(db_url: str):  # type: ignore[no-untyped-def]
    """A migrated database with the reference agencies, and its settable clock."""
    from tests.journeys import make_runtime

    rt, clock = make_runtime(db_url)
    yield rt, clock
    rt.db.dispose()
