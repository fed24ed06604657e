"""HTML pages written in the styles of the sites our users collect, each with its expected
article: menus, breadcrumbs, asides of related links, comments, footers, inline scripts."""

import json
from pathlib import Path

import pytest

from search.pipeline import cleaning
from search.pipeline.cleaning import clean

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "html"
PAGES = sorted(p.stem for p in FIXTURES.glob("*.html"))


def expected_for(name: str) -> dict:
    return json.loads((FIXTURES / f"{name}.expected.json").read_text(encoding="utf-8"))


def test_at_least_six_site_styles():
    assert len(PAGES) >= 6
    assert {"chinadaily", "globaltimes", "xinhua", "prnewswire"} <= set(PAGES)


@pytest.mark.parametrize("name", PAGES)
def test_body_is_exactly_the_article(name):
    cleaned = clean((FIXTURES / f"{name}.html").read_bytes())  # bytes, format guessed
    expected = expected_for(name)
    assert cleaned.fmt == "html"
    assert cleaned.title == expected["title"]
    assert list(cleaned.paragraphs) == expected["paragraphs"]
    assert cleaned.is_article


@pytest.mark.parametrize("name", PAGES)
def test_metadata_lines_and_tags_are_handed_over(name):
    cleaned = clean((FIXTURES / f"{name}.html").read_bytes(), "html")
    expected = expected_for(name)
    for line in expected["meta_lines"]:
        assert any(line in found for found in cleaned.meta_lines), (line, cleaned.meta_lines)
    for key, value in expected["meta"].items():
        assert cleaned.meta.get(key) == value


@pytest.mark.parametrize("name", PAGES)
def test_our_own_extractor_also_gets_the_article(name):
    """The BeautifulSoup fallback (used when the library finds nothing) on the same pages."""
    raw = cleaning.decode((FIXTURES / f"{name}.html").read_bytes())
    cleaned = cleaning._clean_html(raw, "own")
    assert list(cleaned.paragraphs) == expected_for(name)["paragraphs"]


def test_declared_gb2312_page_is_decoded():
    raw = (FIXTURES / "cityportal_zh.html").read_bytes()
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")
    assert "无锡市城市运行管理中心正式启用" in clean(raw).body


def test_page_wrapped_in_one_form_keeps_its_article():
    cleaned = clean((FIXTURES / "cityportal_en.html").read_bytes())
    assert "street lamps dim automatically" in cleaned.body


def test_json_ld_fields_go_to_meta():
    cleaned = clean((FIXTURES / "prnewswire.html").read_bytes())
    assert cleaned.meta["datePublished"] == "2022-11-21T08:00:00-05:00"
    assert cleaned.meta["publisher.name"] == "PR Newswire"


def test_hidden_duplicates_and_comment_sections_are_dropped():
    html = """<html><head><title>Harbin tests smart heating - Example News</title></head><body>
    <nav><a href="/">Home</a> <a href="/n">News</a></nav>
    <article><h1>Harbin tests smart heating</h1>
    <p>Harbin has connected 3,000 apartment blocks to a heating network that adjusts the
    temperature of each building to the weather forecast, the city's heating company said.</p>
    <p>The company expects to burn 8 percent less coal this winter, saving about 40,000
    tonnes, and to cut complaints about cold flats by half.</p>
    <div style="display:none"><p>Harbin has connected 3,000 apartment blocks to a heating
    network, a hidden teaser repeated for a slider on the home page of the site.</p></div>
    </article>
    <section id="comments"><h3>3 comments</h3><p>First! This is great news for all of us
    living up here in the cold north, thank you for the report.</p></section>
    <footer><p>Copyright 2024 Example News. All rights reserved.</p></footer>
    </body></html>"""
    for engine in ("auto", "own"):
        cleaned = cleaning._clean_html(html, engine)
        assert cleaned.title == "Harbin tests smart heating"
        assert len(cleaned.paragraphs) == 2, engine
        assert "hidden teaser" not in cleaned.body
        assert "First!" not in cleaned.body


def test_article_split_by_an_ad_row_is_whole():
    def para(n: int) -> str:
        return (
            f"<p>Paragraph {n} of the Chengdu report says the city added {n * 100} charging "
            "points for electric buses this year, officials said on Monday in a briefing.</p>"
        )

    html = f"""<html><head><title>Chengdu adds charging points | Example Daily</title></head>
    <body><header><nav><a href="/">Home</a><a href="/c">China</a></nav></header>
    <h1>Chengdu adds charging points</h1>
    <div class="story-body">{para(1)}{para(2)}{para(3)}</div>
    <div class="ad-row"><p>Advertisement</p></div>
    <div class="story-body">{para(4)}{para(5)}</div>
    <div class="related-links"><h3>More stories</h3><ul>
    <li><a href="/1">Wuhan metro line opens to the public today</a></li>
    <li><a href="/2">Xi'an tests drones</a></li></ul></div>
    <footer>Copyright 2024 Example Daily</footer></body></html>"""
    for engine in ("auto", "own"):
        paragraphs = cleaning._clean_html(html, engine).paragraphs
        assert [p.split(" of ")[0] for p in paragraphs] == [f"Paragraph {n}" for n in range(1, 6)]
