"""The test PostgreSQL server really runs, and fresh databases are isolated from each other."""

import pytest
from sqlalchemy import create_engine, inspect, text

from tests import pg_server

pytestmark = pytest.mark.postgres


def test_fresh_database_is_real_postgres_and_isolated(fresh_postgres_url, postgres_url):
    other_url = pg_server.create_database(postgres_url, "rehab_t_other_for_isolation")
    first = create_engine(fresh_postgres_url)
    second = create_engine(other_url)
    try:
        with first.begin() as conn:
            assert "PostgreSQL" in conn.execute(text("select version()")).scalar_one()
            assert conn.execute(text("select current_database()")).scalar_one() != "rehab_t_other_for_isolation"
            conn.execute(text("create table only_in_first (id integer primary key)"))
        assert inspect(first).has_table("only_in_first")
        assert not inspect(second).has_table("only_in_first")
    finally:
        first.dispose()
        second.dispose()
        pg_server.drop_database(postgres_url, "rehab_t_other_for_isolation")
