"""Two stateless app servers on one PostgreSQL: what one adds, the other finds."""

import pytest
from django.db import connection

from tests.conftest import SEEDS
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
    "Quokkaville pilots a kerbside sensor network\n\n"
    "March 2, 2019\n\n"
    "Quokkaville, a fictional test town, has begun a pilot of kerbside parking sensors, the "
    "city government said on Saturday. The Zephyrtronics consortium will install four hundred "
    "sensors along the harbour road and publish the occupancy data openly.\n\n"
    "Officials in Quokkaville expect the pilot to cut the time drivers spend searching for a "
    "space and to guide the next phase of the smart city plan.\n"
)


def test_an_article_added_through_one_server_is_found_through_the_other(tmp_path):
    env = production_env(database_url(connection.settings_dict), tmp_path / "var")
    manage(env, "collectstatic", "--noinput", "-v0")
    manage(env, "import_articles", str(SEEDS))

    port_a, port_b = free_port(), free_port()
    with gunicorn(env, port_a) as server_a, gunicorn(env, port_b) as server_b:
        assert port_a != port_b
        before = get_json(f"{server_b}/api/search", q="Quokkaville")
        assert before["total"] == 0

        # Server A's settings add the article (the import command is the ingest entry point
        # its admins use on that machine); server B has never seen it and finds it at once.
        article_file = tmp_path / "quokkaville.txt"
        article_file.write_text(NEW_ARTICLE, encoding="utf-8")
        out = manage(
            {**env, "GUNICORN_BIND": f"127.0.0.1:{port_a}"}, "import_articles", str(article_file)
        )
        assert "1 new" in out.stdout

        for server in (server_b, server_a):
            found = get_json(f"{server}/api/search", q="Quokkaville sensors")
            assert found["total"] == 1
            assert "<mark>Quokkaville</mark>" in found["results"][0]["snippet"]
        # Even spelling suggestions come from the shared database, not from a local index.
        assert get_json(f"{server_b}/api/search", q="Zephyrtronix")["suggestion"] == "zephyrtronics"
        # The HTML page on server B too, under the production CSP.
        page = _get(f"{server_b}/?q=Quokkaville")
        assert "Quokkaville" in page

    # No app server wrote an index directory: the index is the database.
    assert not (tmp_path / "var" / "index").exists()


def _get(url: str) -> str:
    import urllib.request

    with urllib.request.urlopen(url, timeout=10) as response:
        assert "script-src 'self'" in response.headers["Content-Security-Policy"]
        return response.read().decode()
