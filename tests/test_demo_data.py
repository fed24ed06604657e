"""Benchmark corpora stay out of the archive people search (issue #20, demo data)."""

import datetime as dt

import pytest
from django.core.management import CommandError, call_command

from search import synthetic
from search.models import Article

pytestmark = pytest.mark.django_db


def test_generate_corpus_refuses_a_database_with_real_articles(seeded):
    with pytest.raises(CommandError, match="refusing to add synthetic articles to your archive"):
        call_command("generate_corpus", 5, seed=2, verbosity=0)
    assert not Article.objects.filter(is_synthetic=True).exists()
    call_command("generate_corpus", 5, seed=2, no_index=True, into_archive=True, verbosity=0)
    assert Article.objects.filter(is_synthetic=True).count() == 5


def test_generate_corpus_refuses_the_default_database_even_when_empty(settings, monkeypatch):
    from django.db import connection

    default = settings.BASE_DIR / "var" / "db.sqlite3"
    monkeypatch.setitem(connection.settings_dict, "NAME", str(default))
    with pytest.raises(CommandError, match="the archive `make run` serves"):
        call_command("generate_corpus", 5, seed=2, verbosity=0)


def test_generate_corpus_fills_a_scratch_database(db):
    call_command("generate_corpus", 5, seed=2, no_index=True, verbosity=0)
    assert Article.objects.filter(is_synthetic=True).count() == 5


def test_synthetic_dates_are_never_in_the_future():
    dates = [synthetic.article(seed, n).date for seed in (1, 7) for n in range(3000)]
    dates = [d for d in dates if d]
    assert max(dates) <= dt.date(2024, 12, 31) < dt.date.today()
    assert min(dates) >= dt.date(2010, 1, 1)


def test_reextract_all_keeps_synthetic_dates(seeded, capsys):
    call_command("generate_corpus", 6, seed=4, no_index=True, into_archive=True, verbosity=0)
    before = dict(Article.objects.filter(is_synthetic=True).values_list("pk", "published_date"))
    assert all(before.values())
    call_command("reextract", "--all")
    after = dict(Article.objects.filter(is_synthetic=True).values_list("pk", "published_date"))
    assert after == before
    assert "(6 synthetic left as generated)" in capsys.readouterr().out
