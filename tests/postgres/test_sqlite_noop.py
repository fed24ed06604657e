"""The PostgreSQL migration is a no-op elsewhere, and the engine says why it cannot run."""

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db import connection

from search.engines.base import SearchQuery
from search.engines.postgres.backend import PostgresBackend


@pytest.fixture
def sqlite(db):
    if connection.vendor != "sqlite":
        pytest.skip("checks the SQLite session")


def test_migration_leaves_sqlite_alone(sqlite):
    with connection.cursor() as cursor:
        columns = [
            c.name for c in connection.introspection.get_table_description(cursor, "search_article")
        ]
        tables = connection.introspection.table_names(cursor)
    assert "search_vector" not in columns
    assert "search_vocabulary" not in tables


def test_postgres_engine_on_sqlite_is_a_clear_configuration_error(sqlite):
    backend = PostgresBackend("ignored")
    assert backend.exists() is False
    with pytest.raises(ImproperlyConfigured, match="needs a PostgreSQL database"):
        backend.search(SearchQuery(q="x"))
    with pytest.raises(ImproperlyConfigured, match="needs a PostgreSQL database"):
        backend.rebuild()
