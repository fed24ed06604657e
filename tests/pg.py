"""The PostgreSQL half of the suite (tests marked `postgres`).

pytest-django runs one database per session, so the PostgreSQL tests run in their own session
with DATABASE_URL pointing at TEST_POSTGRES_URL (`make test` runs both sessions; pytest-django
creates and drops test_<name>, never touching <name> itself). In the SQLite session they are
deselected with a note; in the PostgreSQL session they are skipped, with the reason, only when
no server answers.
"""

from __future__ import annotations

import os

import psycopg
import pytest

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/smartcity"


def test_postgres_url() -> str:
    return os.environ.get("TEST_POSTGRES_URL", DEFAULT_URL)


test_postgres_url.__test__ = False  # a helper, not a test


def _session_is_postgres() -> bool:
    from django.conf import settings

    return settings.DATABASES["default"]["ENGINE"].endswith("postgresql")


def _server_problem() -> str | None:
    """Why the configured PostgreSQL server cannot be used, or None when it answers."""
    from django.conf import settings

    db = settings.DATABASES["default"]
    try:
        psycopg.connect(
            host=db.get("HOST") or None,
            port=db.get("PORT") or None,
            user=db.get("USER") or None,
            password=db.get("PASSWORD") or None,
            dbname="postgres",
            connect_timeout=3,
        ).close()
    except psycopg.OperationalError as exc:
        where = f"{db.get('HOST') or 'localhost'}:{db.get('PORT') or 5432}"
        return f"no PostgreSQL server answers at {where} ({str(exc).strip().splitlines()[0]})"
    return None


_deselected: list[pytest.Item] = []


def pytest_collection_modifyitems(config, items):
    marked = [item for item in items if item.get_closest_marker("postgres")]
    if not marked:
        return
    if not _session_is_postgres():
        _deselected.extend(marked)
        config.hook.pytest_deselected(items=marked)
        items[:] = [item for item in items if not item.get_closest_marker("postgres")]
        return
    problem = _server_problem()
    if problem:
        for item in marked:
            item.add_marker(pytest.mark.skip(reason=problem))


def pytest_terminal_summary(terminalreporter):
    if _deselected:
        terminalreporter.write_line(
            f"{len(_deselected)} PostgreSQL test(s) left for the PostgreSQL session: "
            f"DATABASE_URL={test_postgres_url()} pytest -m postgres  (`make test` runs it)"
        )


# For suites that run against every engine (the contract suite): parametrise with these and
# each engine's tests go to the session that has its database.
ENGINES = ["whoosh", pytest.param("postgres", marks=pytest.mark.postgres)]


@pytest.fixture(params=ENGINES)
def each_engine(request, settings) -> str:
    """SEARCH_BACKEND set to each engine in turn (PostgreSQL in the PostgreSQL session)."""
    settings.SEARCH_BACKEND = request.param
    return request.param
