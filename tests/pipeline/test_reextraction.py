"""Re-extraction's skip and its worker processes (search/reextraction.py): an article is not
read again while nothing it depends on changed, and is as soon as something did; the worker
processes give the facets extraction gives in one process; one failing article is reported."""

import gc
from dataclasses import replace

import pytest
from django.core.management import call_command

from search import reextraction
from search.ingest import current_gazetteer, ingest
from search.models import Article, City, Organisation
from search.pipeline.gazetteer import default_gazetteer
from tests.conftest import SEEDS

WUXI = SEEDS / "002_a7fd775cb03b3b55.txt"


def _batch() -> list[Article]:
    return list(Article.objects.order_by("pk").prefetch_related("cities", "organisations"))


def _reextract() -> reextraction.Report:
    return reextraction.reextract_batch(_batch())


def _names(article: Article, facet: str) -> set[str]:
    return set(getattr(article, facet).values_list("name", flat=True))


@pytest.fixture
def seeds(db) -> list[Article]:
    return [ingest(path.read_bytes(), fmt="text").article for path in sorted(SEEDS.glob("*.txt"))]


def test_an_unchanged_article_is_skipped_the_second_time(seeds):
    first = _reextract()
    assert first.skipped == 0 and not first.failed
    again = _reextract()
    assert again.skipped == len(seeds) and again.updated == 0


def test_a_blocked_name_or_a_new_alias_reads_the_articles_that_hold_it_again(seeds):
    _reextract()
    article = ingest(WUXI.read_bytes(), fmt="text").article  # the one saved already
    assert "Nanjing" in _names(article, "cities")
    City.objects.filter(name="Nanjing").update(blocked=True)
    City.objects.get(name="Nanjing").save()  # (update() leaves the row's time as it was)
    report = _reextract()  # a block list is read for every article
    assert report.skipped == 0 and report.updated >= 1
    assert "Nanjing" not in _names(article, "cities")

    # An alias only the Wuxi article uses: that article alone is read again.
    Organisation.objects.create(
        name="Wuxi Municipal Government", aliases="Wuxi municipal government"
    )
    report = _reextract()
    assert report.skipped == len(seeds) - 1
    assert "Wuxi Municipal Government" in _names(article, "organisations")


def test_a_changed_facet_or_text_reads_the_article_again(seeds):
    _reextract()
    article = ingest(WUXI.read_bytes(), fmt="text").article
    article.cities.clear()  # an edit that did not mark the facets as set by hand
    report = _reextract()
    assert report.skipped == len(seeds) - 1 and report.updated == 1
    assert "Wuxi" in _names(article, "cities")
    Article.objects.filter(pk=article.pk).update(body=article.body + "\n\nShenzhen too.")
    report = _reextract()
    assert report.skipped == len(seeds) - 1
    assert "Shenzhen" in _names(article, "cities")


def test_a_new_extraction_code_version_reads_everything_again(seeds):
    _reextract()
    gazetteer = current_gazetteer()
    ctx = reextraction.Context(gazetteer, code="another release")
    prepared = reextraction.prepare(_batch(), ctx)
    assert prepared.report.skipped == 0 and len(prepared.jobs) == len(seeds)


@pytest.mark.django_db(transaction=True)
def test_worker_processes_extract_what_one_process_extracts(index_dir, monkeypatch):
    monkeypatch.setattr(reextraction, "START_WORKERS", 1)
    for path in sorted(SEEDS.glob("*.txt")):
        ingest(path.read_bytes(), fmt="text")
    jobs = [reextraction.job_for(a, full=full) for a in _batch() for full in (False, True)]
    gazetteer = current_gazetteer()
    serial = [reextraction.run(job, gazetteer) for job in jobs]
    with reextraction.Pool(gazetteer, procs=2) as pool:
        parallel = pool.submit(jobs)()
        assert pool._pool is not None
    assert parallel == serial
    assert Article.objects.count() == len(jobs) // 2  # the database is still there for us


def test_workers_start_only_for_a_batch_with_enough_to_extract():
    """A run whose articles are all skipped by their key forks no worker and builds no
    gazetteer index: the workers start on the first batch with enough to extract."""
    gazetteer = default_gazetteer().merged()
    few = [reextraction.Job(1, "Wuxi", "Wuxi opened a lab.", "text")]
    with reextraction.Pool(gazetteer, procs=2) as pool:
        assert pool.submit([])() == []
        gazetteer.version_for("Trams in Wuxi.")
        assert "city_index" not in gazetteer.__dict__  # (a cached_property not built)
        assert "Wuxi" in pool.submit(few)()[0].cities
        assert pool._pool is None


def test_workers_keep_what_was_made_before_the_fork_frozen_and_this_process_does_not():
    """The objects made before the fork (the gazetteer's tables) are frozen in the workers,
    whose collections then never walk them; this process collects as before."""
    gazetteer = default_gazetteer().merged()
    with reextraction.Pool(gazetteer, procs=2) as pool:
        pool.submit(
            [reextraction.Job(i, "Wuxi", "Wuxi opened a lab.", "text") for i in range(40)]
        )()
        assert pool._pool is not None
        assert pool._pool.apply(gc.get_freeze_count) > 0
    assert gc.get_freeze_count() == 0


@pytest.mark.django_db(transaction=True)
def test_the_command_with_worker_processes_stores_the_same_facets(index_dir, capsys, monkeypatch):
    monkeypatch.setattr(reextraction, "START_WORKERS", 1)
    articles = [ingest(p.read_bytes(), fmt="text").article for p in sorted(SEEDS.glob("*.txt"))]
    expected = {a.pk: (_names(a, "cities"), _names(a, "organisations")) for a in articles}
    for article in articles:
        article.cities.clear()
        article.organisations.clear()
    call_command("reextract", "--all", "--jobs", "2", verbosity=0)
    assert capsys.readouterr().out.strip().endswith("0 failed")
    found = {a.pk: (_names(a, "cities"), _names(a, "organisations")) for a in _batch()}
    assert found == expected


def test_one_failing_article_is_reported_and_the_rest_goes_on():
    broken = reextraction.Job(1, None, "body", "text")  # no title: extraction raises
    result = reextraction.run(broken, default_gazetteer())
    assert isinstance(result, str) and result.startswith("extraction failed: ")
    ok = reextraction.run(reextraction.Job(2, "Wuxi", "Wuxi opened a lab.", "text"), None)
    assert not isinstance(ok, str) and "Wuxi" in ok.cities


def test_the_gazetteer_version_of_a_text_follows_only_the_names_it_holds():
    base = default_gazetteer()
    added = base.merged({"atlantis city": "Atlantis City"}, {"acme grid": "Acme Grid"})
    plain, acme = "Trams in Wuxi.", "Acme Grid wires Wuxi."
    assert added.version_for(plain) == base.merged().version_for(plain)
    assert added.version_for(acme) != base.merged().version_for(acme)
    # Every word of the name, in any order: a superset of the texts it can match in.
    apart = "Grid and acme, apart."
    assert added.version_for(apart) != base.merged().version_for(apart)
    blocked = replace(added, blocked_cities=frozenset({"wuxi"}))
    assert blocked.version_for(plain) != added.version_for(plain)


@pytest.mark.django_db(transaction=True)
def test_when_most_of_the_archive_changed_the_index_is_rebuilt_once(monkeypatch, capsys):
    from search.engines.base import SearchQuery, get_backend
    from search.management.commands import reextract as command
    from search.models import IndexJournal

    seeds = [ingest(p.read_bytes(), fmt="text").article for p in sorted(SEEDS.glob("*.txt"))]
    monkeypatch.setattr(command, "REBUILD_MIN", 1)
    identity = get_backend().identity()
    wuxi = ingest(WUXI.read_bytes(), fmt="text").article
    for article in seeds:
        article.cities.clear()  # journalled, drained: the index shows no city now
    assert get_backend().search(SearchQuery(filters={"city": ("Wuxi",)})).total == 0

    call_command("reextract", "--all", verbosity=0)

    assert capsys.readouterr().out.strip().endswith("0 failed")
    assert get_backend().identity().split(".")[0] != identity.split(".")[0]  # a new build
    assert not IndexJournal.objects.exists()
    found = get_backend().search(SearchQuery(filters={"city": ("Wuxi",)}))
    assert [hit.id for hit in found.hits] == [wuxi.pk]


@pytest.mark.django_db(transaction=True)
def test_a_run_that_could_end_in_a_rebuild_commits_its_updates_once_at_the_end(monkeypatch):
    """Until the run knows how much changed, it does not pay for batch-by-batch updates
    that a rebuild would make useless: here two changes in two batches, one commit."""
    from search.engines.base import SearchQuery, get_backend
    from search.management.commands import reextract as command

    seeds = [ingest(p.read_bytes(), fmt="text").article for p in sorted(SEEDS.glob("*.txt"))]
    monkeypatch.setattr(command, "REBUILD_MIN", 1)
    monkeypatch.setattr(command, "REBUILD_SHARE", 0.9)  # 2 of 5 changed: updated, not rebuilt
    with_cities = [a for a in seeds if a.cities.exists()][:2]
    for article in with_cities:
        article.cities.clear()  # journalled, drained
    build, generation = get_backend().identity().rsplit(".", 1)

    call_command("reextract", "--all", "--batch-size", "1", verbosity=0)

    assert get_backend().identity() == f"{build}.{int(generation) + 1}"
    for article in with_cities:
        city = Article.objects.get(pk=article.pk).cities.first()
        found = get_backend().search(SearchQuery(filters={"city": (city.name,)}))
        assert article.pk in [hit.id for hit in found.hits]
