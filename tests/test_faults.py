"""kill -9 of real commands at random points: after a restart the index equals the database.

Each test drives a throw-away installation (SQLite + Whoosh, production settings) through
manage.py subprocesses, kills one with SIGKILL after a random delay (several seeds), lets
`run_indexer --once` start as it would after a restart, and compares every article's id and
cities in the database with the live index. `python -m bench kills` runs more seeds.
"""

from __future__ import annotations

import random
import sqlite3

import pytest

from tests.sites import kill_at_random, make_site, write_articles

SEEDS = [11, 12, 13]


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    return make_site(tmp_path_factory.mktemp("faults") / "var")


def _assert_survived(outcome, what: str) -> None:
    # The delays fall inside each command's running time on an idle machine of this size
    # (a loaded one only runs longer); a command that finished first would prove nothing.
    assert outcome.killed, f"{what} finished before the kill after {outcome.delay:.2f} s"
    assert outcome.consistent, f"{what} killed after {outcome.delay:.2f} s: {outcome.detail}"
    assert outcome.leftover_children == [], f"{what}: children outlived it"


@pytest.mark.parametrize("seed", SEEDS)
def test_a_killed_import_loses_nothing(site, tmp_path, seed):
    folder = write_articles(tmp_path / "articles", seed=seed, count=100)
    outcome = kill_at_random(
        site, ["import_articles", str(folder)], random.Random(seed), low=2.0, high=4.5
    )
    _assert_survived(outcome, "import_articles")
    # A rerun imports the rest; what the killed run saved is "unchanged" and searchable.
    site.manage("import_articles", str(folder))
    assert site.database_facets() == site.index_facets()
    assert site.pending() == 0


@pytest.fixture(scope="module")
def corpus_site(tmp_path_factory):
    site = make_site(tmp_path_factory.mktemp("faults-corpus") / "var")
    site.manage("generate_corpus", "400", "--seed", "5", "-v0")
    return site


@pytest.mark.parametrize("seed", SEEDS)
def test_a_killed_reextract_loses_nothing(corpus_site, seed):
    site = corpus_site

    def strip_cities() -> None:
        # Every city gone from the database (and that state indexed), so re-extraction
        # changes most articles while it is killed.
        with sqlite3.connect(site.db_path) as db:
            db.execute("DELETE FROM search_article_cities")
        site.manage("rebuild_index", "-v0")
        assert all(not cities for cities in site.index_facets().values())

    outcome = kill_at_random(
        site,
        ["reextract", "--all", "-v0"],
        random.Random(seed),
        low=2.0,
        high=4.5,
        prepare=strip_cities,
    )
    _assert_survived(outcome, "reextract")


@pytest.mark.parametrize("seed", SEEDS)
def test_a_killed_rebuild_leaves_the_live_index_and_cleans_up(corpus_site, seed):
    site = corpus_site
    before = site.index_facets()
    outcome = kill_at_random(
        site,
        ["rebuild_index", "-v0"],
        random.Random(seed),
        low=2.0,
        high=4.5,
    )
    _assert_survived(outcome, "rebuild_index")
    assert site.index_facets() == before == site.database_facets()
    # The leftovers of the killed build were removed by the indexer's start.
    builds = [p.name for p in site.index_dir.iterdir() if p.is_dir()]
    assert builds == [(site.index_dir / "CURRENT").read_text().strip()]


def test_the_children_of_a_killed_rebuild_die_with_it(corpus_site):
    site = corpus_site
    site.env["SEARCH_INDEX_PROCS"] = "2"  # the rebuild forks a segment writer per process
    try:
        outcome = kill_at_random(
            site, ["rebuild_index", "-v0"], random.Random(1), low=3.0, high=3.5
        )
    finally:
        del site.env["SEARCH_INDEX_PROCS"]
    _assert_survived(outcome, "rebuild_index with 2 processes")
