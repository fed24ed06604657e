"""Pathological HTML is refused by a pre-scan, with the reason, before any parser runs;
real pages pass it untouched."""

import gzip
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from search.ingest import IngestError, parse
from search.models import Article
from search.pipeline import guard
from search.pipeline.cleaning import clean, decode

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
HEAD = "<!doctype html><html><head><title>T</title></head><body><p>A sentence is here.</p>"

HOSTILE = {
    "a million nested tags": (HEAD + "<div>" * 1_000_000, "tags or '<' signs"),
    "nesting deeper than the limit": (HEAD + "<span>" * 5_000 + "x", "nested more than"),
    "an element with 100,000 attributes": (
        HEAD + "<div " + " ".join(f"a{i}=1" for i in range(100_000)) + ">x</div>",
        "attributes",
    ),
    "an element whose attributes run past the parsed part": (
        HEAD + "<div " + " ".join(f"a{i}=1" for i in range(300_000)) + ">x</div>",
        "attributes",
    ),
    "an entity flood": (HEAD + "<p>" + "&amp;" * 1_000_000 + "</p>", "entity references"),
    "entity declarations": (
        '<!DOCTYPE html [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;">]>' + HEAD + "&b;",
        "declares its own entities",
    ),
    "comments never closed": (HEAD + "<!-- x" * 50_000, "comments that are never closed"),
    "scripts never closed": (HEAD + "<script/>x" * 50_000, "never closed"),
}


@pytest.mark.parametrize("name", HOSTILE)
def test_hostile_html_is_refused_with_the_reason(name):
    html, reason = HOSTILE[name]
    assert reason in guard.html_hazard(html)
    cleaned = clean(html.encode())
    assert not cleaned.is_article
    assert cleaned.note.startswith(guard.REFUSED) and reason in cleaned.note
    with pytest.raises(IngestError, match="^(?!refused)") as refused:
        parse(html)
    assert reason in str(refused.value)


def real_pages():
    pages = [
        decode(gzip.decompress(p.read_bytes()))
        for p in (FIXTURES / "article-extraction/html").glob("*.gz")
    ]
    pages += [decode(p.read_bytes()) for p in (FIXTURES / "html").glob("*.html")]
    assert len(pages) > 5
    return pages


def test_real_pages_pass_the_pre_scan():
    assert [guard.html_hazard(page) for page in real_pages()] == [None] * len(real_pages())


def test_an_unclosed_angle_bracket_flood_is_not_quadratic_for_the_scan():
    # "<a " never closed: the tag pattern stops at the next "<" instead of scanning to the end.
    assert guard.html_hazard(HEAD + "<a " * 90_000) is None


@pytest.mark.django_db
def test_the_admin_upload_of_a_million_nested_tags_is_refused_with_the_reason(admin_client):
    html = (HEAD + "<b>" * 1_000_000).encode()
    response = admin_client.post(
        reverse("admin:search_article_add"),
        {"files": SimpleUploadedFile("deep.html", html), "_save": "Save"},
        follow=True,
    )
    text = response.content.decode()
    assert "Refused deep.html" in text and "tags or" in text and "the limit is 100,000" in text
    assert not Article.objects.exists()
