"""Shared pieces of the admin tests: known names, article texts, and a search helper that asks
the real Whoosh index (never the database) what a researcher would find."""

from __future__ import annotations

import pytest

from search.engines.base import SearchQuery, get_backend
from search.models import Article, City, Organisation


def article_text(word: str, city: str = "Wuxi", org: str = "Huawei", date: str = "2019-05-14"):
    """A small but real-looking plain-text article whose body carries a unique word."""
    return (
        f"{city} opens the {word} sensor platform\n\n"
        f"Published: {date}\n\n"
        f"{city} and {org} announced the {word} platform on Tuesday. It links traffic lights, "
        "water meters and street lamps across the city, and officials say residents will see "
        "shorter waits at junctions within months.\n\n"
        "The system will be extended to every district by the end of next year, according to "
        "the municipal bureau of industry and information technology.\n"
    )


def article_html(word: str, city: str = "Nanjing", org: str = "ZTE", date: str = "2020-03-02"):
    return (
        f"<!doctype html><html><head><title>{city} tests the {word} network</title></head><body>"
        "<nav><a href='/'>Home</a> | <a href='/news'>News</a></nav>"
        f"<article><h1>{city} tests the {word} network</h1><p class='date'>{date}</p>"
        f"<p>{city} and {org} are testing {word}, a network of roadside units, across the old "
        "town, and plan to connect buses and traffic lights to it during the coming year.</p>"
        "<p>More districts will follow once the trial ends, the city government said.</p>"
        "</article><footer>Copyright 2020</footer></body></html>"
    )


def article_row(article: Article) -> dict:
    """The article's editable fields as the database holds them now, with its version: what
    its admin change form shows (tests.sites.change_form_data posts it back)."""
    article.refresh_from_db()
    return {
        "title": article.title,
        "body": article.body,
        "published_date": article.published_date.isoformat() if article.published_date else "",
        "year": article.year or "",
        "source_name": article.source_name,
        "source_url": article.source_url,
        "cities": [c.pk for c in article.cities.all()],
        "organisations": [o.pk for o in article.organisations.all()],
        "version": article.version,
    }


def ids_found(q: str = "", **filters: str) -> set[int]:
    """Article ids the search index returns for a query and facet filters."""
    # Every copy: these tests write one template with a word changed, which is a syndicated
    # copy by its text, and they are about the index following edits, not about copies.
    query = SearchQuery(
        q=q, filters={k: (v,) for k, v in filters.items()}, per_page=100, all_copies=True
    )
    return {hit.id for hit in get_backend().search(query).hits}


@pytest.fixture
def names(db):
    """The gazetteer the test articles are written against."""
    for city in ("Wuxi", "Nanjing"):
        City.objects.get_or_create(name=city)
    for org in ("Huawei", "ZTE"):
        Organisation.objects.get_or_create(name=org)


@pytest.fixture
def commit(django_capture_on_commit_callbacks):
    """Run the index updates a request schedules, as a real commit would."""

    def run(fn, *args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return fn(*args, **kwargs)

    return run
