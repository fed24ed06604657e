import hashlib

import pytest

from search.engines.base import get_backend
from search.models import Article, City, Organisation


@pytest.fixture
def pg(settings, db):
    """The PostgreSQL engine on the session's (PostgreSQL) database."""
    settings.SEARCH_BACKEND = "postgres"
    return get_backend()


@pytest.fixture
def make_article(db):
    """Rows exactly as a test wants them (facets included), bypassing extraction on purpose:
    these tests are about the engine, not about what extraction finds."""

    def make(title, body, *, year=None, cities=(), orgs=(), date=None, source=""):
        article = Article.objects.create(
            title=title,
            body=body,
            raw_content=f"{title}\n\n{body}",
            content_hash=hashlib.sha256(f"{title}\n{body}".encode()).hexdigest(),
            year=year or (date.year if date else None),
            published_date=date,
            source_name=source,
        )
        article.cities.set([City.objects.get_or_create(name=c)[0] for c in cities])
        article.organisations.set([Organisation.objects.get_or_create(name=o)[0] for o in orgs])
        return article

    return make
