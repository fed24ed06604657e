"""The PostgreSQL engine against a real PostgreSQL database (the `postgres` session)."""

import datetime as dt

import pytest
from django.db import connection, transaction

from search.engines.base import SearchQuery
from search.engines.postgres import schema as pg_schema

pytestmark = pytest.mark.postgres


@pytest.fixture
def corpus(make_article, pg):
    a = make_article(
        "Wuxi signs IoT partnership with China Mobile",
        "The city of Wuxi and China Mobile agreed to build sensor networks for traffic.",
        date=dt.date(2017, 3, 3),
        cities=["Wuxi"],
        orgs=["China Mobile"],
    )
    b = make_article(
        "Nanjing opens smart traffic centre",
        "Nanjing's traffic centre uses cameras and IoT sensors; Huawei supplied the cloud.",
        date=dt.date(2018, 5, 1),
        cities=["Nanjing"],
        orgs=["Huawei"],
    )
    c = make_article(
        "Expo in Wuxi and Nanjing shows digital government",
        "Digital government services were shown at an expo held in two cities.",
        date=dt.date(2018, 9, 9),
        cities=["Wuxi", "Nanjing"],
        orgs=["Huawei"],
    )
    d = make_article(
        "Zürich studies smart lighting",
        "Street lights dim when nobody is near <b>and</b> save energy & money.",
        date=dt.date(2015, 1, 2),
        cities=["Zürich"],
    )
    pg.rebuild()
    return {"wuxi": a, "nanjing": b, "expo": c, "zurich": d}


def _ids(page):
    return [h.id for h in page.hits]


def _counts(page, facet):
    return {f.value: (f.count, f.selected) for f in page.facets[facet]}


def test_migration_made_the_generated_column_gin_index_and_vocabulary(pg):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT is_generated FROM information_schema.columns "
            "WHERE table_name = 'search_article' AND column_name = %s",
            [pg_schema.VECTOR_COLUMN],
        )
        assert cursor.fetchone() == ("ALWAYS",)
        cursor.execute(
            "SELECT indexdef FROM pg_indexes WHERE indexname = 'search_article_search_vector_gin'"
        )
        assert "USING gin" in cursor.fetchone()[0]
        cursor.execute(
            "SELECT indexdef FROM pg_indexes WHERE indexname = 'search_vocabulary_word_trgm'"
        )
        assert "gin_trgm_ops" in cursor.fetchone()[0]
    assert pg.exists()
    assert pg.index_dir is None


def test_words_are_found_with_title_ranked_above_body(corpus, pg):
    page = pg.search(SearchQuery(q="traffic"))
    assert page.total == 2
    # "traffic" is in the Nanjing title (weight A) and only in the Wuxi body (weight B).
    assert _ids(page) == [corpus["nanjing"].id, corpus["wuxi"].id]
    assert page.hits[0].score > page.hits[1].score


def test_websearch_syntax_phrases_or_and_exclusion(corpus, pg):
    assert _ids(pg.search(SearchQuery(q='"digital government"'))) == [corpus["expo"].id]
    assert pg.search(SearchQuery(q='"services government"')).total == 0
    assert set(_ids(pg.search(SearchQuery(q="lighting or expo")))) == {
        corpus["zurich"].id,
        corpus["expo"].id,
    }
    assert _ids(pg.search(SearchQuery(q="traffic -huawei"))) == [corpus["wuxi"].id]
    # Stemming: "sensor" finds "sensors"; accents fold: "zurich" finds "Zürich".
    assert pg.search(SearchQuery(q="sensor")).total == 2
    assert _ids(pg.search(SearchQuery(q="zurich"))) == [corpus["zurich"].id]


def test_whoosh_spellings_mean_the_same_here(corpus, pg):
    # Prefixes, upper-case NOT/AND, and fuzzy marks as the Whoosh engine reads them.
    assert set(_ids(pg.search(SearchQuery(q="sens*")))) == {corpus["wuxi"].id, corpus["nanjing"].id}
    assert _ids(pg.search(SearchQuery(q="traffic NOT huawei"))) == [corpus["wuxi"].id]
    assert _ids(pg.search(SearchQuery(q="traffic AND cameras"))) == [corpus["nanjing"].id]
    assert _ids(pg.search(SearchQuery(q="lighting~"))) == [corpus["zurich"].id]
    assert "<mark>sensor" in pg.search(SearchQuery(q="sens*")).hits[0].snippet


def test_malformed_queries_never_raise(corpus, pg):
    for q in [
        '"unclosed',
        "((",
        "a:b:c",
        "-",
        "!!! & |",
        "title:",
        "city:",
        "'; drop table x",
        "*",
        "a*",
        "x' & y*",
        "NOT",
        "the*",
        ":*",
    ]:
        page = pg.search(SearchQuery(q=q))
        assert page.total >= 0


def test_field_terms_filter_before_the_full_text_query(corpus, pg):
    assert _ids(pg.search(SearchQuery(q="city:wuxi traffic"))) == [corpus["wuxi"].id]
    assert set(_ids(pg.search(SearchQuery(q='org:"huawei"')))) == {
        corpus["nanjing"].id,
        corpus["expo"].id,
    }
    assert _ids(pg.search(SearchQuery(q="year:2015"))) == [corpus["zurich"].id]
    assert pg.search(SearchQuery(q="year:2017-2018")).total == 3
    # title: matches the title only ("traffic" is also in the Wuxi body).
    assert _ids(pg.search(SearchQuery(q="title:traffic"))) == [corpus["nanjing"].id]


def test_field_terms_apply_to_every_facet_count(corpus, pg):
    page = pg.search(SearchQuery(q="city:Nanjing"))
    assert _counts(page, "city") == {"Nanjing": (2, False), "Wuxi": (1, False)}
    assert _counts(page, "year") == {"2018": (2, False)}


def test_facets_are_disjunctive(corpus, pg):
    page = pg.search(SearchQuery(filters={"city": ("Wuxi",)}))
    assert page.total == 2
    # The city facet ignores its own filter: choosing Nanjing too would add articles.
    assert _counts(page, "city") == {
        "Nanjing": (2, False),
        "Wuxi": (2, True),
        "Zürich": (1, False),
    }
    # Other facets count only within Wuxi.
    assert _counts(page, "year") == {"2018": (1, False), "2017": (1, False)}
    assert _counts(page, "organisation") == {"China Mobile": (1, False), "Huawei": (1, False)}
    assert [f.value for f in page.facets["year"]] == ["2018", "2017"]

    both = pg.search(SearchQuery(filters={"city": ("Wuxi", "Nanjing"), "year": ("2018",)}))
    assert set(_ids(both)) == {corpus["nanjing"].id, corpus["expo"].id}
    assert _counts(both, "year") == {"2018": (2, True), "2017": (1, False)}


def test_a_selected_value_with_no_matches_still_shows(corpus, pg):
    page = pg.search(SearchQuery(filters={"city": ("Atlantis",)}))
    assert page.total == 0
    assert _counts(page, "city")["Atlantis"] == (0, True)


def test_year_range_and_sorts_and_pages(corpus, pg):
    assert pg.search(SearchQuery(year_from=2016, year_to=2017)).total == 1
    newest = _ids(pg.search(SearchQuery(sort="newest")))
    assert newest == [corpus[k].id for k in ("expo", "nanjing", "wuxi", "zurich")]
    assert _ids(pg.search(SearchQuery(sort="oldest")))[0] == corpus["zurich"].id
    page2 = pg.search(SearchQuery(sort="newest", page=2, per_page=3))
    assert _ids(page2) == [corpus["zurich"].id] and page2.total == 4 and page2.pages == 2
    assert pg.search(SearchQuery(page=99)).hits == []


def test_highlights_mark_terms_and_escape_everything_else(corpus, pg):
    hit = pg.search(SearchQuery(q="energy")).hits[0]
    assert "<mark>energy</mark>" in hit.snippet
    assert "near &lt;b&gt;and&lt;/b&gt; save" in hit.snippet and "&amp;" in hit.snippet
    assert "<b>" not in hit.snippet
    title = pg.search(SearchQuery(q="smart lighting")).hits[0].title_html
    assert title == "Zürich studies <mark>smart</mark> <mark>lighting</mark>"


def test_sentinel_characters_in_a_body_cannot_forge_marks(make_article, pg):
    make_article("Odd bytes", "payload \ue000<script>\ue001 beacon \ue002 x \ue003")
    snippet = pg.search(SearchQuery(q="beacon")).hits[0].snippet
    assert snippet.count("<mark>") == 1 == snippet.count("</mark>")
    assert "&lt;script&gt;" in snippet and "<script>" not in snippet
    # Words after a "<tag>" in plain text are indexed, not swallowed as markup.
    assert pg.search(SearchQuery(q="script")).total == 1


def test_stop_words_only_query_says_so(corpus, pg):
    page = pg.search(SearchQuery(q="the and of"))
    assert page.total == 4
    assert page.notes and "common words" in page.notes[0]


def test_suggestion_only_when_nothing_matches_and_it_finds_something(corpus, pg):
    page = pg.search(SearchQuery(q="trafic"))
    assert page.total == 0
    assert page.suggestion == "traffic"
    assert pg.search(SearchQuery(q="traffic")).suggestion is None
    # Only the misspelt word changes; the rest of the query is kept as typed.
    assert pg.search(SearchQuery(q="city:Wuxi trafic")).suggestion == "city:Wuxi traffic"
    assert pg.search(SearchQuery(q="qqqqzzzz")).suggestion is None
    # A suggestion must also find something under the selected facets.
    assert pg.search(SearchQuery(q="lightng", filters={"city": ("Wuxi",)})).suggestion is None


def test_the_column_follows_every_write_without_update(corpus, pg):
    article = corpus["zurich"]
    article.body = "Now about hydrogen buses."
    article.save()
    assert _ids(pg.search(SearchQuery(q="hydrogen"))) == [article.id]
    assert pg.search(SearchQuery(q="lighting")).total == 1  # the title still has it
    article.delete()
    assert pg.search(SearchQuery(q="hydrogen")).total == 0


def test_update_adds_new_words_to_the_vocabulary(corpus, pg, make_article):
    new = make_article("Quantum sensors", "Quokkas inspect quantum sensors.")
    pg.update([new.id])
    assert pg.search(SearchQuery(q="quokas")).suggestion == "quokkas"


def test_more_like_this(corpus, pg):
    similar = pg.more_like_this(corpus["wuxi"].id, limit=3)
    # Nanjing shares traffic, IoT and sensors; the expo shares Wuxi; Zürich shares nothing.
    assert {h.id for h in similar} == {corpus["nanjing"].id, corpus["expo"].id}
    assert pg.more_like_this(10**9) == []


def test_rebuild_counts_articles(corpus, pg):
    progress = []
    assert pg.rebuild(progress=progress.append) == 4
    assert sum(progress) == 4


@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_article_is_never_found(pg, make_article):
    with pytest.raises(RuntimeError), transaction.atomic():
        make_article("Phantom tram", "A tram that never was.")
        raise RuntimeError
    assert pg.search(SearchQuery(q="phantom")).total == 0


def test_json_api_serves_the_postgres_engine(corpus, pg, client):
    data = client.get("/api/search", {"q": "traffic", "city": "Wuxi"}).json()
    assert data["total"] == 1
    assert "<mark>traffic</mark>" in data["results"][0]["snippet"]
    assert {"value": "Nanjing", "count": 1, "selected": False} in data["facets"]["city"]
