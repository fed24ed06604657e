"""The article page, the export downloads and the URL/highlight helpers behind them."""

import csv
import io
import json

import pytest

from search.engines import highlight
from search.engines.base import SearchQuery
from search.engines.query import parse
from search.links import search_url, with_value
from search.models import Article
from tests.web.pages import soup

pytestmark = pytest.mark.django_db

WUXI = "Wuxi builds an IoT park for sensor makers"


# -- article page ------------------------------------------------------------------------


def test_article_from_a_search_highlights_and_links_back(corpus, client):
    article = Article.objects.get(pk=corpus[WUXI])
    article.source_url = "https://example.org/wuxi-iot"
    article.save()
    doc = soup(client.get(article.get_absolute_url() + "?q=sensors&city=Wuxi&page=1"))
    assert doc.h1.get_text() == WUXI
    marks = [m.get_text() for m in doc.select(".body mark")]
    assert marks and {m.lower() for m in marks} == {"sensor"}  # "sensors" finds "sensor"
    assert doc.select_one("h1 mark").get_text() == "sensor"
    assert doc.select_one("a.back")["href"] == "/?q=sensors&city=Wuxi"
    source = doc.select_one(".meta a")
    assert source["href"] == "https://example.org/wuxi-iot" and source.get_text() == "China Daily"
    assert doc.select_one("time")["datetime"] == "2017-03-03"
    tags = {a.get_text(" ", strip=True): a["href"] for a in doc.select(".tags a.tag")}
    assert tags == {
        "Year: 2017": "/?year=2017",
        "City: Wuxi": "/?city=Wuxi",
        "Organisation: China Mobile": "/?org=China+Mobile",
    }
    assert all("nofollow" in a["rel"] for a in doc.select(".tags a.tag"))
    pages = [a["href"] for a in doc.select(".tags a.tag-page")]
    assert pages == ["/cities/wuxi/", "/organisations/china-mobile/"]
    assert doc.select_one("link[rel=canonical]")["href"].endswith(article.get_absolute_url())


def test_article_without_a_search_has_no_marks(corpus, client):
    article = Article.objects.get(pk=corpus[WUXI])
    doc = soup(client.get(article.get_absolute_url()))
    assert not doc.select("mark")
    assert doc.select_one("a.back")["href"] == "/"
    assert len(doc.select(".body p")) >= 2


def test_more_like_this_lists_other_articles(corpus, client):
    article = Article.objects.get(pk=corpus[WUXI])
    doc = soup(client.get(article.get_absolute_url()))
    more = [a.get_text() for a in doc.select(".more li a")]
    assert more and WUXI not in more
    for a in doc.select(".more li a"):
        assert client.get(a["href"]).status_code == 200


def test_wrong_slug_redirects_and_keeps_the_search(corpus, client):
    pk = corpus[WUXI]
    response = client.get(f"/articles/{pk}/old-title/?q=iot")
    assert response.status_code == 301
    assert (
        response["Location"] == f"/articles/{pk}/wuxi-builds-an-iot-park-for-sensor-makers/?q=iot"
    )


def test_missing_article_is_a_404(corpus, client):
    assert client.get("/articles/99999/nothing/").status_code == 404


def test_article_body_is_escaped(db, django_capture_on_commit_callbacks, client):
    from search.ingest import ingest

    with django_capture_on_commit_callbacks(execute=True):
        article = ingest(
            "Script test headline for escaping\n\nA body with <script>alert(1)</script> "
            "inside and plenty more words to make it an article for the cleaner.\n\n"
            "A second paragraph follows here with more words.",
            fmt="text",
        ).article
    response = client.get(article.get_absolute_url() + "?q=script")
    assert b"<script>alert(1)" not in response.content


# -- export ----------------------------------------------------------------------------


def test_csv_export_has_every_page_and_names_the_file(corpus, client, settings):
    settings.SITE_URL = "https://archive.example.org/smartcity"
    response = client.get("/export/csv/", {"q": "smart", "city": ["Wuxi", "Nanjing"], "page": 2})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert response["Content-Disposition"] == (
        'attachment; filename="smartcity-search_q-smart_city-nanjing-wuxi.csv"'
    )
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert len(rows) == 3  # all matches, not page 2 of them
    wuxi = next(r for r in rows if r["title"] == WUXI)
    assert wuxi["date"] == "2017-03-03" and wuxi["cities"] == "Wuxi"
    # Absolute from SITE_URL, not from the host that served the export.
    assert wuxi["archive_url"].startswith(settings.SITE_URL + "/articles/")


def test_export_walks_pages_beyond_the_engine_page_size(corpus, client, settings):
    response = client.get("/export/json/", {"per_page": 2})
    data = json.loads(b"".join(response.streaming_content))
    assert data["total"] == 12 and data["exported"] == 12
    assert len({r["id"] for r in data["results"]}) == 12


def test_export_is_capped_and_the_cap_is_stated(corpus, client, settings):
    settings.SEARCH_EXPORT_MAX = 5
    data = json.loads(b"".join(client.get("/export/json/").streaming_content))
    assert data["total"] == 12 and data["exported"] == 5 and data["limit"] == 5
    page = client.get("/").content.decode()
    assert "up to the first 5 articles of 12" in page


def test_json_export_keeps_query_and_filters(corpus, client):
    response = client.get("/export/json/", {"q": "iot", "year": "2017", "sort": "oldest"})
    assert response["Content-Disposition"].endswith('q-iot_year-2017_sort-oldest.json"')
    data = json.loads(b"".join(response.streaming_content))
    assert data["query"] == "iot" and data["filters"] == {"year": ["2017"]}
    assert [r["title"] for r in data["results"]] == [
        WUXI,
        "Nanjing and Wuxi share IoT traffic data",
    ]


def test_ris_export(corpus, client):
    response = client.get("/export/ris/", {"q": "sensor", "city": "Wuxi"})
    assert response["Content-Disposition"].endswith('.ris"')
    text = b"".join(response.streaming_content).decode()
    assert text.startswith("TY  - NEWS\r\n")
    assert f"TI  - {WUXI}\r\n" in text and "PY  - 2017\r\n" in text
    assert "DA  - 2017/03/03\r\n" in text and "T2  - China Daily\r\n" in text
    assert "KW  - Wuxi\r\n" in text and text.rstrip().endswith("ER  -")
    assert "UR  - http://localhost:8000/articles/" in text


def test_bibtex_export(corpus, client):
    response = client.get("/export/bibtex/", {"city": "Wuxi", "sort": "oldest"})
    assert response["Content-Disposition"].endswith('city-wuxi_sort-oldest.bib"')
    text = b"".join(response.streaming_content).decode()
    assert text.count("@article{") == 2
    assert f"title = {{{{{WUXI}}}}}" in text
    assert "journal = {China Daily}" in text and "year = {2017}" in text


def test_csv_cells_cannot_become_formulas(db, django_capture_on_commit_callbacks, client):
    from search.ingest import ingest

    with django_capture_on_commit_callbacks(execute=True):
        ingest(
            "=HYPERLINK(1) spreadsheet headline\n\nSpreadsheet body text with plenty of words "
            "so that the cleaner keeps it as an article.\n\nAnother paragraph of words.",
            fmt="text",
        )
    rows = list(
        csv.reader(io.StringIO(b"".join(client.get("/export/csv/").streaming_content).decode()))
    )
    assert all(not row[1].startswith("=") for row in rows[1:])


def test_export_of_bad_parameters_is_a_400_with_a_message(corpus, client):
    response = client.get("/export/csv/", {"year": "abc"})
    assert response.status_code == 400
    assert b"four-digit year" in response.content
    response = client.get("/export/csv/", {"text": "everything"})
    assert response.status_code == 400 and b"text" in response.content


def test_unknown_export_format_is_a_404(corpus, client):
    assert client.get("/export/xlsx/").status_code == 404


# -- helpers -----------------------------------------------------------------------------


def test_search_url_is_canonical_whatever_the_order():
    a = SearchQuery(q="smart city", filters={"year": ("2017",), "city": ("Wuxi", "Nanjing")})
    b = SearchQuery(q="smart city", filters={"city": ("Nanjing", "Wuxi"), "year": ("2017",)})
    assert search_url(a) == search_url(b) == "/?q=smart+city&city=Nanjing&city=Wuxi&year=2017"
    assert search_url(SearchQuery()) == "/"
    full = SearchQuery(
        q="x", filters={"organisation": ("CETC",)}, year_from=2010, year_to=2012,
        sort="newest", page=3, per_page=20,
    )  # fmt: skip
    assert search_url(full) == (
        "/?q=x&org=CETC&year_from=2010&year_to=2012&sort=newest&per_page=20&page=3"
    )


def test_toggling_a_value_goes_back_to_page_one():
    q = SearchQuery(q="x", filters={"city": ("Wuxi",)}, page=4)
    assert search_url(with_value(q, "city", "Nanjing", True)) == "/?q=x&city=Nanjing&city=Wuxi"
    assert search_url(with_value(q, "city", "Wuxi", False)) == "/?q=x"


def test_marks_are_the_query_languages_positive_words():
    marks = highlight.marks_for(parse('smart AND "cities" OR city:Wuxi NOT x governmen*'))
    assert marks.terms == {"smart", "citi"} and marks.prefixes == ("governmen",)


def test_body_marks_what_the_engine_matches():
    text = "Smarter cities.\n\nA city of smartness; outsmart. Résumé of governments."
    html, marked = highlight.body_html(text, highlight.marks_for(parse("smart city resume gov*")))
    # Stems (cities = city, smartness = smart), accents, prefixes; not "Smarter"/"outsmart",
    # which the engines do not match either.
    assert "<mark>cities</mark>" in html and "<mark>city</mark>" in html
    assert "<mark>smartness</mark>" in html and "<mark>Résumé</mark>" in html
    assert "<mark>governments</mark>" in html
    assert "<mark>Smarter</mark>" not in html and "out<mark>" not in html
    assert marked == 5 and html.count("<p>") == 2


def test_snippet_escapes_everything_but_the_marks():
    marks = highlight.marks_for(parse("sensor"))
    html = highlight.snippet_html("<b>sensor</b> & <script>x</script>", marks)
    assert html == "&lt;b&gt;<mark>sensor</mark>&lt;/b&gt; &amp; &lt;script&gt;x&lt;/script&gt;"


@pytest.mark.parametrize("path", ["article", "/cities/wuxi/"])
def test_canonical_link_is_under_site_url_whatever_host_the_request_named(
    corpus, client, settings, path
):
    settings.ALLOWED_HOSTS = ["*"]
    path = Article.objects.get(pk=corpus[WUXI]).get_absolute_url() if path == "article" else path
    internal = {"HTTP_HOST": "10.0.0.7:8000"}  # what a reverse proxy may pass on
    settings.SITE_URL = "https://search.example.org"
    doc = soup(client.get(path, **internal))
    assert doc.select_one("link[rel=canonical]")["href"] == "https://search.example.org" + path
    # Left at its default (a development server), the request's own host is all there is.
    settings.SITE_URL = "http://localhost:8000"
    doc = soup(client.get(path, **internal))
    assert doc.select_one("link[rel=canonical]")["href"] == "http://10.0.0.7:8000" + path
