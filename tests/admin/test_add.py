"""Adding articles through the admin: paste, upload, preview, refusals. Every outcome is checked
in the database and through the real search index."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from search.models import Article
from tests.admin.conftest import article_html, article_text, ids_found

ADD = reverse("admin:search_article_add")
PREVIEW = reverse("admin:search_article_preview")
CHANGELIST = reverse("admin:search_article_changelist")

pytestmark = pytest.mark.django_db


def upload(name: str, content: bytes | str) -> SimpleUploadedFile:
    data = content.encode("utf-8") if isinstance(content, str) else content
    return SimpleUploadedFile(name, data, content_type="application/octet-stream")


def test_add_by_paste_saves_and_is_searchable_after_commit(admin_client, names, commit):
    response = commit(
        admin_client.post,
        ADD,
        {
            "raw": article_text("zephyrgrid"),
            "source_name": "Wuxi Daily",
            "source_url": "https://example.org/zephyrgrid",
            "_save": "Save",
        },
    )
    article = Article.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:search_article_change", args=[article.pk])
    assert article.title == "Wuxi opens the zephyrgrid sensor platform"
    assert "zephyrgrid platform on Tuesday" in article.body
    assert article.source_name == "Wuxi Daily"
    assert article.source_url == "https://example.org/zephyrgrid"
    assert article.year == 2019
    assert "Wuxi" in {c.name for c in article.cities.all()}
    assert "Huawei" in {o.name for o in article.organisations.all()}
    assert not article.facets_manual
    assert ids_found("zephyrgrid") == {article.pk}
    assert article.pk in ids_found(city="Wuxi")
    assert article.pk in ids_found(organisation="Huawei")
    assert article.pk in ids_found(year="2019")


def test_preview_shows_cleaned_body_and_facets_and_saves_nothing(admin_client, names, commit):
    data = {"raw": article_text("previewword"), "_preview": "1"}
    # Without JavaScript: the preview button posts the form and the page shows the preview.
    page = commit(admin_client.post, ADD, data)
    assert page.status_code == 200
    html = page.content.decode()
    assert "Preview: pasted text" in html
    assert "Wuxi opens the previewword sensor platform" in html
    assert "previewword platform on Tuesday" in html
    assert '<td class="preview-cities">Wuxi' in html
    assert '<td class="preview-year">2019' in html
    assert "Huawei" in html
    assert 'name="raw"' in html and "previewword" in html  # the form keeps the pasted text
    # With htmx: only the fragment comes back.
    fragment = commit(admin_client.post, PREVIEW, data, headers={"HX-Request": "true"})
    assert fragment.status_code == 200
    assert "<html" not in fragment.content.decode()
    assert "previewword platform on Tuesday" in fragment.content.decode()
    assert Article.objects.count() == 0
    assert ids_found("previewword") == set()


def test_preview_warns_of_a_duplicate_and_a_bad_file(admin_client, names, commit):
    commit(admin_client.post, ADD, {"raw": article_text("dupeword"), "_save": "Save"})
    existing = Article.objects.get()
    fragment = admin_client.post(
        PREVIEW,
        {"raw": article_text("dupeword"), "files": [upload("empty.txt", b"")]},
        headers={"HX-Request": "true"},
    ).content.decode()
    assert reverse("admin:search_article_change", args=[existing.pk]) in fragment
    assert "already in the archive" in fragment
    assert "empty.txt" in fragment and "empty file" in fragment
    assert Article.objects.count() == 1


def test_single_html_file_upload(admin_client, names, commit):
    response = commit(
        admin_client.post,
        ADD,
        {"files": [upload("quill.html", article_html("quillmesh"))], "source_name": "Xinhua"},
    )
    article = Article.objects.get()
    assert response.status_code == 302
    assert article.raw_format == "html"
    assert "<article>" in article.raw_content
    assert "<p" not in article.body and "quillmesh" in article.body
    assert "Copyright 2020" not in article.body
    assert article.source_name == "Xinhua"
    assert "Nanjing" in {c.name for c in article.cities.all()}
    assert ids_found("quillmesh") == {article.pk}
    assert article.pk in ids_found(city="Nanjing")


def test_multi_file_upload_saves_the_good_and_reports_each_bad(
    admin_client, names, commit, settings
):
    settings.ARTICLE_MAX_BYTES = 4000
    files = [
        upload("one.txt", article_text("alphaword")),
        upload("two.html", article_html("betaword")),
        upload("empty.txt", b""),
        upload("binary.txt", b"\x00\x01\x02\xff" * 50),
        upload("huge.txt", article_text("gammaword") + "x" * 5000),
        upload("slides.pdf", b"%PDF-1.4"),
    ]
    response = commit(admin_client.post, ADD, {"files": files}, follow=True)
    assert response.redirect_chain[-1][0] == CHANGELIST
    text = response.content.decode()
    assert "Refused empty.txt: empty file. Nothing was saved from it." in text
    assert "Refused binary.txt: binary file, not text or HTML" in text
    assert "Refused huge.txt: too large:" in text and "the limit is 3.9\xa0KB" in text
    assert "Refused slides.pdf: not a .txt or .html file" in text
    assert text.count("Added “") == 2
    titles = set(Article.objects.values_list("title", flat=True))
    assert titles == {
        "Wuxi opens the alphaword sensor platform",
        "Nanjing tests the betaword network",
    }
    assert len(ids_found("alphaword")) == 1 and len(ids_found("betaword")) == 1
    assert ids_found("gammaword") == set()


def test_a_bad_upload_alone_saves_nothing_and_says_why(admin_client, names, commit, settings):
    settings.ARTICLE_MAX_BYTES = 1000
    for data, reason in [
        ({"files": [upload("empty.html", b"   \n")]}, "empty file"),
        ({"files": [upload("blob.txt", b"\x89PNG\x00\x00" * 10)]}, "binary file"),
        ({"raw": article_text("toolargeword") + "y" * 2000}, "the limit is 1000\xa0bytes"),
    ]:
        response = commit(admin_client.post, ADD, data)
        assert response.status_code == 200  # the form again, with the message
        assert reason in response.content.decode()
    assert Article.objects.count() == 0
    assert ids_found("toolargeword") == set()


def test_empty_form_is_refused(admin_client, db):
    response = admin_client.post(ADD, {"raw": "  ", "_save": "Save"})
    assert response.status_code == 200
    assert "Paste the article" in response.content.decode()
    assert Article.objects.count() == 0


def test_duplicate_is_refused_with_a_link_to_the_existing_article(admin_client, names, commit):
    commit(admin_client.post, ADD, {"raw": article_text("twinword"), "_save": "Save"})
    existing = Article.objects.get()
    # Same content with other line endings and outer white space is the same article.
    again = article_text("twinword").replace("\n", "\r\n") + "\n\n"
    for data in (
        {"raw": again, "source_name": "Elsewhere"},
        {"files": [upload("copy.txt", again)]},
    ):
        response = commit(admin_client.post, ADD, data)
        assert response.status_code == 200
        html = response.content.decode()
        assert "already in the archive" in html
        assert reverse("admin:search_article_change", args=[existing.pk]) in html
    assert Article.objects.count() == 1
    existing.refresh_from_db()
    assert existing.source_name == ""
    assert ids_found("twinword") == {existing.pk}


def test_a_paste_beyond_the_request_limit_is_a_400_that_explains(admin_client, db, settings):
    # Past DATA_UPLOAD_MAX_MEMORY_SIZE Django refuses the request before any form sees it.
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10_000
    response = admin_client.post(ADD, {"raw": article_text("hugeword") + "z" * 20_000})
    assert response.status_code == 400
    text = response.content.decode()
    assert "malformed or too large" in text and "Nothing was saved" in text
    assert Article.objects.count() == 0
