"""A real streaming replica of the test server behind an app server (DATABASE_REPLICA_URLS):
searches read from it, a new article is found through it once replayed, and with it stopped
searches fall back to the primary."""

import pytest
from django.db import connection

from tests.conftest import SEEDS
from tests.postgres.replica import Replica
from tests.postgres.servers import (
    database_url,
    free_port,
    get_json,
    gunicorn,
    manage,
    production_env,
)

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

NEW_ARTICLE = (
    "Wombatford opens a tidal energy testbed\n\n"
    "June 4, 2020\n\n"
    "Wombatford, a fictional test town, has opened a tidal energy testbed beside its harbour, "
    "the city council said on Thursday. The Quillwave group will measure how much power the "
    "estuary can give the town's street lights and share the readings as open data.\n\n"
    "Councillors in Wombatford hope the testbed guides the next step of the smart city plan.\n"
)


@pytest.fixture
def replica(django_db_blocker):
    """A streaming replica of the test database's server, started after the test database
    exists (it is copied with everything else) and stopped and removed afterwards."""
    settings = connection.settings_dict
    host = settings.get("HOST") or "127.0.0.1"
    if host not in ("127.0.0.1", "localhost"):
        pytest.skip(f"the replica is made with pg_basebackup on this machine; {host} is not local")
    primary = {"host": host, "port": settings.get("PORT") or 5432, "user": settings["USER"]}
    made = Replica(primary)
    try:
        made.create()
    except Exception as exc:  # say how to fix it rather than a bare traceback
        made.remove()
        detail = getattr(exc, "stderr", "") or exc
        raise RuntimeError(
            f"pg_basebackup of the test server failed ({detail}); `make postgres` allows "
            "replication over loopback in pg_hba.conf"
        ) from exc
    try:
        made.start()
        yield made
    finally:
        made.remove()


def _search(server: str, q: str) -> dict:
    return get_json(f"{server}/api/search", q=q)


def test_searches_read_from_the_replica_and_fall_back_to_the_primary(tmp_path, replica):
    db_name = connection.settings_dict["NAME"]
    env = production_env(database_url(connection.settings_dict), tmp_path / "var")
    manage(env, "collectstatic", "--noinput", "-v0")
    manage(env, "import_articles", str(SEEDS))
    replica.wait_for_replay()
    env["DATABASE_REPLICA_URLS"] = replica.url(db_name)

    with gunicorn(env, free_port()) as server:
        assert _search(server, "smart city")["total"] > 0
        assert _search(server, "Wombatford")["total"] == 0

        # Replay paused: the primary has the new article, the replica not yet, and searches
        # answer what the replica holds.
        replica.pause_replay()
        article_file = tmp_path / "wombatford.txt"
        article_file.write_text(NEW_ARTICLE, encoding="utf-8")
        assert "1 new" in manage(env, "import_articles", str(article_file)).stdout
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM search_article WHERE title LIKE 'Wombatford%%'")
            assert cursor.fetchone()[0] == 1
        assert _search(server, "Wombatford")["total"] == 0
        assert _search(server, "tidal testbed")["total"] == 0

        # Replayed: found through the replica, highlighted as usual.
        replica.resume_replay()
        replica.wait_for_replay()
        found = _search(server, "Wombatford")
        assert found["total"] == 1
        assert "<mark>Wombatford</mark>" in found["results"][0]["snippet"]

        # The replica stops (its postmaster, by process id): the app server's open connection
        # to it is dead, and searches go to the primary without an error.
        replica.stop()
        for q in ("tidal testbed", "Wombatford", "smart city"):
            assert _search(server, q)["total"] > 0
