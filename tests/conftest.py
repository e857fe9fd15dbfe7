"""Shared pytest fixtures.

Keep each group of fixtures in its own small section.
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import pytest

from tests import pg_server

# Test databases are not the demo's file, so they would default to production mode and refuse the
# committed development secrets; tests that check production mode set it explicitly.
os.environ.setdefault("REHAB_ENV", "development")

# --------------------------------------------------------------------------- helpers


def _running_in_ci() -> bool:
    return os.environ.get("CI", "").lower() == "true"


def _unavailable(reason: str) -> None:
    """A required external tool is missing: a hard failure in CI, a loud skip elsewhere."""
    if _running_in_ci():
        pytest.fail(f"CI=true but {reason}", pytrace=False)
    pytest.skip(reason)


# --------------------------------------------------------------------------- PostgreSQL


@pytest.fixture(scope="session")
def postgres_url(request: pytest.FixtureRequest) -> str:
    """SQLAlchemy URL of database ``rehab_test`` on a throwaway server started once per session.

    Set REHAB_TEST_POSTGRES_URL to use an existing server instead.
    """
    request.addfinalizer(pg_server.stop_postgres)
    url = pg_server.start_postgres()
    if url is None:
        _unavailable(
            "PostgreSQL server binaries not found: install postgresql "
            "(apt-get install postgresql) to run the PostgreSQL tests"
        )
    return url


@pytest.fixture
def fresh_postgres_url(postgres_url: str):
    """SQLAlchemy URL of a new, empty database (dropped again after the test)."""
    name = f"rehab_t_{uuid.uuid4().hex[:8]}"
    url = pg_server.create_database(postgres_url, name)
    yield url
    pg_server.drop_database(postgres_url, name)


# --------------------------------------------------------------------------- browser

CHROMIUM = Path("/usr/bin/chromium")


@pytest.fixture(scope="session")
def chromium_path() -> str:
    """Path of Debian's Chromium binary."""
    if not CHROMIUM.exists():
        _unavailable(f"{CHROMIUM} not found: install chromium (apt-get install chromium) to run the browser tests")
    return str(CHROMIUM)
