"""Running servers: a rebuilt index is seen on the next search; two admins saving at once
(SQLite here, PostgreSQL in tests/postgres/test_concurrent_admins.py); the background
indexer making a saved article searchable."""

from __future__ import annotations

import sqlite3
import threading
import time

import pytest

from tests.admin.conftest import article_text
from tests.postgres.servers import free_port, get_json, gunicorn
from tests.sites import AdminSession, change_form_data, make_site

PASSWORD = "a-long-test-password-1"


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    site = make_site(
        tmp_path_factory.mktemp("servers") / "var",
        serve=True,
        WEB_CONCURRENCY="2",
        GUNICORN_THREADS="2",
        GUNICORN_ACCESS_LOG="",
    )
    for name in ("alice", "bob"):
        site.manage(
            "createsuperuser",
            "--noinput",
            "--username",
            name,
            "--email",
            f"{name}@example.org",
            env={"DJANGO_SUPERUSER_PASSWORD": PASSWORD},
        )
    folder = site.var / "in"
    folder.mkdir()
    for word in ("pickupword", "firstedit", "secondedit"):
        (folder / f"{word}.txt").write_text(article_text(word), encoding="utf-8")
    site.manage("import_articles", str(folder))
    return site


@pytest.fixture(scope="module")
def server(site):
    with gunicorn(site.env, free_port()) as base:
        yield base


def _row(site, title_word: str) -> dict:
    with sqlite3.connect(site.db_path) as db:
        db.row_factory = sqlite3.Row
        row = dict(
            db.execute(
                "SELECT * FROM search_article WHERE title LIKE ?", [f"%{title_word}%"]
            ).fetchone()
        )
        row["cities"] = [
            r[0]
            for r in db.execute(
                "SELECT city_id FROM search_article_cities WHERE article_id=?", [row["id"]]
            )
        ]
        row["organisations"] = [
            r[0]
            for r in db.execute(
                "SELECT organisation_id FROM search_article_organisations WHERE article_id=?",
                [row["id"]],
            )
        ]
    return row


def test_a_running_server_sees_a_rebuilt_index_on_its_next_search(site, server):
    # Warm both workers on the current build.
    for _ in range(6):
        assert get_json(f"{server}/api/search", q="pickupword", copies="all")["total"] == 1
    before = get_json(f"{server}/api/search", q="pickupword", copies="all")
    # Change the database behind the index's back (no journal): only a rebuild shows it.
    with sqlite3.connect(site.db_path) as db:
        db.execute("UPDATE search_article SET title='Wallaby tram' WHERE title LIKE '%pickupword%'")
    assert get_json(f"{server}/api/search", q="wallaby", copies="all")["total"] == 0
    site.manage("rebuild_index", "-v0")
    # Every request, whichever worker answers it, now reads the new build.
    for _ in range(8):
        assert get_json(f"{server}/api/search", q="wallaby", copies="all")["total"] == 1
    assert before["total"] == 1


def _save_at_once(sessions, posts) -> list[tuple[int, str]]:
    start = threading.Barrier(len(posts))
    results = [None] * len(posts)

    def run(i: int) -> None:
        path, data = posts[i]
        start.wait()
        results[i] = sessions[i].post(path, data)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(posts))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    return results


def test_two_admins_saving_the_same_article_at_once_one_is_refused(site, server):
    alice, bob = AdminSession(server, "alice", PASSWORD), AdminSession(server, "bob", PASSWORD)
    row = _row(site, "firstedit")
    path = f"/admin/search/article/{row['id']}/change/"
    posts = [
        (path, change_form_data(row, title="Alice's firstedit title")),
        (path, change_form_data(row, title="Bob's firstedit title")),
    ]
    results = _save_at_once([alice, bob], posts)
    statuses = sorted(status for status, _ in results)
    # One saved (redirect), the other shown the form again with the reason: no 500.
    assert statuses == [200, 302], statuses
    refused = next(body for status, body in results if status == 200)
    assert "saved this article" in refused and "while you were editing it" in refused
    saved_title = _row(site, "firstedit")["title"]
    assert saved_title in ("Alice's firstedit title", "Bob's firstedit title")
    # The other person's version is shown, escaped.
    assert saved_title.replace("'", "&#x27;") in refused


def test_two_admins_saving_different_articles_at_once_both_succeed(site, server):
    alice, bob = AdminSession(server, "alice", PASSWORD), AdminSession(server, "bob", PASSWORD)
    for round_ in range(3):
        first, second = _row(site, "firstedit"), _row(site, "secondedit")
        posts = [
            (
                f"/admin/search/article/{first['id']}/change/",
                change_form_data(first, body=first["body"] + f" alice{round_}"),
            ),
            (
                f"/admin/search/article/{second['id']}/change/",
                change_form_data(second, body=second["body"] + f" bob{round_}"),
            ),
        ]
        results = _save_at_once([alice, bob], posts)
        assert [status for status, _ in results] == [302, 302], [b[:500] for _, b in results]
        assert _row(site, "firstedit")["body"].endswith(f"alice{round_}")
        assert _row(site, "secondedit")["body"].endswith(f"bob{round_}")


def test_a_save_is_searchable_in_a_moment_through_the_indexer(site, server):
    alice = AdminSession(server, "alice", PASSWORD)
    status, body = alice.post("/admin/search/article/add/", {"raw": article_text("momentword")})
    assert status == 302
    _, listing = alice.get("/admin/search/article/?index=waiting")
    assert "momentword" in listing.casefold()  # saved, waiting for the indexer
    assert "searchable in a moment" in listing
    assert get_json(f"{server}/api/search", q="momentword", copies="all")["total"] == 0
    indexer = site.popen("run_indexer", "-v0")
    try:
        deadline = time.monotonic() + 60
        while get_json(f"{server}/api/search", q="momentword", copies="all")["total"] == 0:
            assert time.monotonic() < deadline, "the indexer did not index the saved article"
            time.sleep(0.2)
    finally:
        indexer.terminate()
        indexer.wait(20)
    _, listing = alice.get("/admin/search/article/?index=waiting")
    assert "momentword" not in listing.casefold()


def test_the_same_upload_from_two_admins_at_once_is_one_article_and_one_duplicate(site, server):
    alice, bob = AdminSession(server, "alice", PASSWORD), AdminSession(server, "bob", PASSWORD)
    raw = article_text("racedupword")
    results = _save_at_once([alice, bob], [("/admin/search/article/add/", {"raw": raw})] * 2)
    assert all(status in (200, 302) for status, _ in results), results
    with sqlite3.connect(site.db_path) as db:
        count = db.execute(
            "SELECT count(*) FROM search_article WHERE title LIKE '%racedupword%'"
        ).fetchone()[0]
    assert count == 1
    _, messages = alice.get("/admin/search/article/")
    _, other = bob.get("/admin/search/article/")
    # The duplicate is reported on the re-shown form, the addition after the redirect.
    shown = messages + other + "".join(body for _, body in results)
    assert "Added" in shown and "already in the archive" in shown
    assert "unexpected error" not in shown
