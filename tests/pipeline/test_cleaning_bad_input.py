"""Bad input gives a clear result (no paragraphs, a note saying why) or a clear error."""

import pytest

from search.pipeline.cleaning import MAX_INPUT_CHARS, clean, decode, guess_format
from tests.pipeline.hostile_inputs import (
    half_a_million_lines,
    twenty_megabytes_of_html,
    twenty_megabytes_of_text,
)


@pytest.mark.parametrize("raw", [b"", "", "   \n\n\t  ", b"\xef\xbb\xbf"])
def test_empty_input_is_not_an_article(raw):
    cleaned = clean(raw)
    assert not cleaned.is_article
    assert cleaned.body == ""
    assert "empty" in cleaned.note


@pytest.mark.parametrize(
    "raw",
    [
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 20,
        b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\x00\x01\x02" * 50,
        bytes(range(256)) * 100,
    ],
)
@pytest.mark.parametrize("fmt", [None, "text", "html"])
def test_binary_input_is_not_an_article(raw, fmt):
    cleaned = clean(raw, fmt)
    assert not cleaned.is_article
    assert "binary" in cleaned.note


def test_undecodable_bytes_never_raise():
    raw = "Smart city news in Latin-1: café, naïve, São Paulo. ".encode("latin-1") * 20
    assert "café" in decode(raw)
    cleaned = clean(raw + b"\xff\xfe\x81", "text")
    assert cleaned.body.startswith("Smart city news in Latin-1: caf")
    assert cleaned.title  # a dump without a headline is titled by its first words


def test_twenty_megabytes_of_text_are_cut_to_the_limit():
    """(Its time is in `python -m bench bad_input`.)"""
    raw = twenty_megabytes_of_text()
    assert len(raw) > 20_000_000
    cleaned = clean(raw)
    assert cleaned.is_article and cleaned.title == "Huge page"
    assert "cut" in cleaned.note and len(cleaned.body) <= MAX_INPUT_CHARS
    assert cleaned.body.startswith("Hangzhou connected its traffic lights")


def test_twenty_megabytes_of_html_are_cut_to_the_limit():
    raw = twenty_megabytes_of_html()
    assert len(raw) > 19_000_000
    cleaned = clean(raw)
    assert "cut" in cleaned.note and len(cleaned.body) <= MAX_INPUT_CHARS


def test_deeply_nested_html_does_not_overflow():
    raw = "<html><body>" + "<div>" * 5000 + "<p>" + "Deep text in a city portal. " * 20
    raw += "</p>" + "</div>" * 5000 + "</body></html>"
    cleaned = clean(raw, "html")
    assert "Deep text in a city portal." in cleaned.body or cleaned.note


@pytest.mark.parametrize(
    "raw",
    [
        "<html><head><title>Nothing here</title></head></html>",
        "<html><head><title>Only a head</title><meta charset='utf-8'></head><body></body></html>",
        "<!DOCTYPE html><html><body><script>var a = 1;</script><style>p{}</style></body></html>",
    ],
)
def test_html_without_a_body_is_not_an_article(raw):
    cleaned = clean(raw)
    assert cleaned.fmt == "html"
    assert not cleaned.is_article
    assert "not an article" in cleaned.note


def test_text_with_only_a_menu_is_not_an_article():
    menu = "\n".join(
        [
            "Home > News",
            "• Facebook",
            "• Twitter",
            "News",
            "Sports",
            "Business",
            "Travel",
            "Culture",
            "Photos",
            "Videos",
            "Copyright © Example. All rights reserved.",
        ]
    )
    cleaned = clean(menu, "text")
    assert not cleaned.is_article
    assert "not an article" in cleaned.note


def test_html_with_only_a_menu_is_not_an_article():
    links = "".join(f"<li><a href='/{i}'>Section {i}</a></li>" for i in range(40))
    cleaned = clean(f"<html><body><nav><ul>{links}</ul></nav><ul>{links}</ul></body></html>")
    assert not cleaned.is_article


def test_unknown_format_is_a_clear_error():
    with pytest.raises(ValueError, match="unknown format 'pdf'"):
        clean("text", "pdf")


@pytest.mark.parametrize(
    ("text", "fmt"),
    [
        ("<!DOCTYPE html><html><body><p>x</p></body></html>", "html"),
        ("  <html lang='en'><head>", "html"),
        ("<div class='a'>text</div>", "html"),
        ("Plain words < and > signs, no tags.", "text"),
        ("Home > News > Content\n\nTitle", "text"),
    ],
)
def test_format_is_guessed(text, fmt):
    assert guess_format(text) == fmt


@pytest.mark.parametrize(
    "raw",
    [
        "Title\n\nA lone surrogate \ud800 from a bad upstream decode, in a long enough line of text.",
        "<html><body><h1>T</h1><p>A lone surrogate \ud800 inside an HTML paragraph, long enough "
        "to count as prose.</p></body></html>",
        "<html><body><p>Control \x0b\x0c characters \x1b in HTML</p></body></html>",
        "<" * 100_000,
        "<?xml version='1.0'?><rss><channel><item><title>A feed</title></item></channel></rss>",
        b"\xff\xfe\xfd" * 1000,
    ],
)
def test_odd_input_never_raises(raw):
    clean(raw)


def test_utf16_with_bom_is_text_not_binary():
    text = "Wuxi opens IoT lab\n\nWuxi opened a laboratory on Friday to test Internet of Things sensors."
    cleaned = clean(text.encode("utf-16"))
    assert cleaned.title == "Wuxi opens IoT lab"
    assert cleaned.is_article


def test_half_a_million_lines_are_cut():
    cleaned = clean(half_a_million_lines(), "text")
    assert "lines" in cleaned.note


def test_declared_gb2312_with_gbk_characters_decodes_fully():
    # 镕 is in GBK but not in GB2312: browsers read such pages as GB18030, and so do we.
    html = "<html><head><meta charset='gb2312'></head><body><p>朱镕基视察无锡。</p></body></html>"
    assert "朱镕基视察无锡" in decode(html.encode("gbk"))


def test_a_few_labels_are_not_an_article():
    page = (
        "<html><head><title>x</title></head><body><nav><a href='/'>Home</a></nav>Menu</body></html>"
    )
    cleaned = clean(page)
    assert not cleaned.is_article
    assert "not an article" in cleaned.note
