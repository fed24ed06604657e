"""`manage.py reextract` and the gazetteer ingest uses (database rows + built-in data)."""

import datetime as dt

import pytest
from django.core.management import CommandError, call_command

from search.ingest import current_gazetteer, ingest
from search.models import Article, City, Organisation
from tests.conftest import SEEDS

pytestmark = pytest.mark.django_db

WUXI = SEEDS / "002_a7fd775cb03b3b55.txt"
YINCHUAN = SEEDS / "001_02fea0758c87f18a.txt"


def spoil(article: Article) -> None:
    article.published_date, article.year = None, 1999
    article.save()
    article.cities.set([City.objects.get_or_create(name="Nowhere")[0]])
    article.organisations.clear()


def test_ingest_extracts_facets_with_the_builtin_gazetteer():
    article = ingest(WUXI.read_bytes(), fmt="text").article
    assert article.published_date == dt.date(2017, 3, 3)
    assert {"Wuxi", "Nanjing"} <= set(article.cities.values_list("name", flat=True))
    assert "China Electronics Technology Group Corporation" in set(
        article.organisations.values_list("name", flat=True)
    )


def test_reextract_updates_all_but_hand_set_articles(capsys):
    auto = ingest(WUXI.read_bytes(), fmt="text").article
    manual = ingest(YINCHUAN.read_bytes(), fmt="text").article
    for article in (auto, manual):
        spoil(article)
    Article.objects.filter(pk=manual.pk).update(facets_manual=True)

    call_command("reextract", "--all")

    assert capsys.readouterr().out.strip() == "1 updated, 1 set by hand, 0 failed"
    auto.refresh_from_db()
    manual.refresh_from_db()
    assert (auto.year, auto.published_date) == (2017, dt.date(2017, 3, 3))
    assert "Nowhere" not in auto.cities.values_list("name", flat=True)
    assert manual.year == 1999
    assert list(manual.cities.values_list("name", flat=True)) == ["Nowhere"]


def test_reextract_by_id_and_unknown_ids(capsys):
    auto = ingest(WUXI.read_bytes(), fmt="text").article
    other = ingest(YINCHUAN.read_bytes(), fmt="text").article
    spoil(auto)
    spoil(other)
    with pytest.raises(CommandError):
        call_command("reextract", str(auto.pk), "987654")
    captured = capsys.readouterr()
    assert captured.out.strip() == "1 updated, 0 set by hand, 1 failed"
    assert "article 987654: no such article" in captured.err
    auto.refresh_from_db()
    other.refresh_from_db()
    assert auto.year == 2017
    assert other.year == 1999  # not named, not touched


def test_reextract_needs_ids_or_all():
    with pytest.raises(CommandError, match="--all"):
        call_command("reextract")


def test_admin_edited_aliases_are_used_on_reextraction():
    article = ingest(WUXI.read_bytes(), fmt="text").article
    assert "Wuxi Municipal Government" not in article.organisations.values_list("name", flat=True)
    Organisation.objects.create(
        name="Wuxi Municipal Government", aliases="Wuxi municipal government\nWMG"
    )
    gazetteer = current_gazetteer()
    assert gazetteer.organisations["WMG"] == "Wuxi Municipal Government"
    assert gazetteer.cities["Lüliang"] == "Lüliang"  # the built-in data is still there
    call_command("reextract", str(article.pk), verbosity=0)
    article.refresh_from_db()
    # The body says "The Wuxi municipal government and China Electronics Technology Hik Group".
    assert "Wuxi Municipal Government" in article.organisations.values_list("name", flat=True)
