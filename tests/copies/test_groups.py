"""Copy groups in the database, the search engines, the pages and the admin.

Articles come from the labelled set (tests/fixtures/copies), ingested as an admin would add
them; searches go to the real engines (Whoosh in a temp dir, PostgreSQL in its session)."""

from __future__ import annotations

import csv
import io
import json

import pytest
from django.core.management import call_command
from django.urls import reverse

from search import copies
from search.engines.base import SearchQuery, get_backend
from search.ingest import ingest, reextract
from search.models import Article, CopyDecision
from tests.copies_labelled import COPIES

LABELS = json.loads((COPIES / "labels.json").read_text(encoding="utf-8"))["articles"]
STORY = "barcelona-sensors-a"  # one release on six sites
TWIN = "barcelona-sensors-b"  # another report of the same partnership
SUMMARY = "barcelona-sensors-summary"

pytestmark = pytest.mark.django_db


def _ingest_stories(*stories: str) -> dict[str, list[Article]]:
    out: dict[str, list[Article]] = {}
    rows = sorted((r for r in LABELS if r["story"] in stories), key=lambda r: r["published"])
    for row in rows:
        path = COPIES / "articles" / row["file"]
        fmt = "html" if path.suffix == ".html" else "text"
        article = ingest(path.read_bytes(), fmt=fmt, source_name=row["source"]).article
        out.setdefault(row["story"], []).append(article)
    return out


@pytest.fixture
def stories(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        made = _ingest_stories(STORY, TWIN, SUMMARY)
    for articles in made.values():
        for a in articles:
            a.refresh_from_db()
    return made


def _total(**kwargs) -> int:
    return get_backend().search(SearchQuery(q="Barcelona", per_page=50, **kwargs)).total


def test_ingest_groups_the_copies_and_nothing_else(stories):
    group = {a.copy_group_id for a in stories[STORY]}
    assert len(group) == 1 and None not in group
    (gid,) = group
    assert all(a.copy_group_id != gid for a in stories[TWIN] + stories[SUMMARY])
    members = Article.objects.filter(copy_group_id=gid)
    assert members.count() == len(stories[STORY])
    assert members.filter(is_representative=True).count() == 1
    assert members.get(is_representative=True).copy_group.size == len(stories[STORY])


def test_the_wire_copy_represents_the_story(stories):
    group = stories[STORY][0].copy_group
    wires = [a for a in group.articles.all() if a.source_name in copies.ORIGINAL_SOURCES]
    rep = group.representative
    if wires:
        assert rep in wires
    else:
        assert rep == min(
            group.articles.all(), key=lambda a: (a.published_date is None, a.published_date, a.pk)
        )


def test_search_shows_a_story_once_and_counts_stories(stories, each_engine):
    get_backend().rebuild()
    n_story, n_twin, n_summary = (len(stories[s]) for s in (STORY, TWIN, SUMMARY))
    twin_groups = len({a.copy_group_id or -a.pk for a in stories[TWIN]})
    assert _total() == 1 + twin_groups + n_summary
    assert _total(all_copies=True) == n_story + n_twin + n_summary
    page = get_backend().search(SearchQuery(q="Barcelona", per_page=50))
    shown = [h for h in page.hits if h.id in {a.pk for a in stories[STORY]}]
    assert len(shown) == 1 and shown[0].copy_group == stories[STORY][0].copy_group_id
    # Facets count stories too: the year histogram's total is the number of results.
    years = page.facets["year"]
    every = get_backend().search(SearchQuery(q="Barcelona", per_page=50, all_copies=True))
    assert sum(f.count for f in years) < sum(f.count for f in every.facets["year"])


def test_api_lists_the_copies_and_says_what_it_counts(stories, client):
    data = client.get("/api/search", {"q": "Barcelona", "per_page": 50}).json()
    assert data["counts"] == "stories"
    row = next(r for r in data["results"] if r["copy_group"] == stories[STORY][0].copy_group_id)
    others = {a.pk for a in stories[STORY]} - {row["id"]}
    assert {c["id"] for c in row["copies"]} == others
    assert all(c["url"].startswith("/articles/") for c in row["copies"])
    every = client.get("/api/search", {"q": "Barcelona", "per_page": 50, "copies": "all"}).json()
    assert every["counts"] == "articles" and every["total"] > data["total"]
    assert client.get("/api/search", {"q": "x", "copies": "some"}).status_code == 400


def test_page_shows_also_published_by_and_the_switch(stories, client):
    html = client.get("/", {"q": "Barcelona"}).content.decode()
    n = len(stories[STORY]) - 1
    assert f"Also published by {n} sources:" in html
    assert "Counting stories" in html
    assert 'id="copies-all" name="copies" value="all">' in html  # not ticked
    every = client.get("/", {"q": "Barcelona", "copies": "all"}).content.decode()
    assert "Counting every copy" in every
    assert 'value="all" checked' in every


def test_export_carries_group_and_copy_count(stories, client):
    response = client.get("/export/csv/", {"q": "Barcelona"})
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    gid = str(stories[STORY][0].copy_group_id)
    grouped = [r for r in rows if r["copy_group"] == gid]
    assert len(grouped) == 1 and grouped[0]["copies"] == str(len(stories[STORY]))
    every = client.get("/export/json/", {"q": "Barcelona", "copies": "all"})
    data = json.loads(b"".join(every.streaming_content))
    assert sum(1 for r in data["results"] if r["copy_group"] == int(gid)) == len(stories[STORY])


def test_rebuild_gives_the_groups_ingest_gave(stories):
    before = {
        a.pk: a.copy_group.articles.count() if a.copy_group else 1 for a in Article.objects.all()
    }
    out = io.StringIO()
    call_command("rebuild_duplicates", verbosity=0, stdout=out)
    assert "stories with copies" in out.getvalue()
    after = {
        a.pk: a.copy_group.articles.count() if a.copy_group else 1 for a in Article.objects.all()
    }
    assert after == before


def test_split_out_survives_rebuild_and_reextraction(stories, django_capture_on_commit_callbacks):
    victim = stories[STORY][-1]
    before = _total()
    with django_capture_on_commit_callbacks(execute=True):
        copies.split_out(victim.pk, by="editor")
    victim.refresh_from_db()
    assert victim.copy_group_id is None and victim.is_representative
    assert _total() == before + 1  # the index followed: a story of its own now
    shown = {h.id for h in get_backend().search(SearchQuery(q="Barcelona", per_page=50)).hits}
    assert victim.pk in shown
    call_command("rebuild_duplicates", verbosity=0)
    reextract(victim)
    copies.place(victim)  # as ingest would on re-extraction
    victim.refresh_from_db()
    assert victim.copy_group_id is None
    assert CopyDecision.objects.filter(article=victim, kind="separate").exists()
    rest = {a.copy_group_id for a in stories[STORY][:-1]}
    assert len(rest) == 1 and None not in rest


def test_merge_survives_rebuild(stories, django_capture_on_commit_callbacks):
    a, b = stories[STORY][0], stories[TWIN][0]
    with django_capture_on_commit_callbacks(execute=True):
        copies.merge_articles(a.pk, b.pk, by="editor")
    a.refresh_from_db()
    b.refresh_from_db()
    assert a.copy_group_id == b.copy_group_id is not None
    size = a.copy_group.size
    call_command("rebuild_duplicates", verbosity=0)
    a.refresh_from_db()
    b.refresh_from_db()
    assert a.copy_group_id == b.copy_group_id is not None and a.copy_group.size == size


def test_rebuild_duplicates_help_explains_itself():
    from search.management.commands.rebuild_duplicates import Command

    text = Command().create_parser("manage.py", "rebuild_duplicates").format_help()
    assert "copies" in text and "decisions" in text


# -- admin ---------------------------------------------------------------------------------


def test_admin_change_page_shows_the_group_with_links(stories, admin_client):
    article = stories[STORY][0]
    page = admin_client.get(reverse("admin:search_article_change", args=[article.pk]))
    html = page.content.decode()
    assert "Copies of this story" in html
    for other in stories[STORY]:
        assert reverse("admin:search_article_change", args=[other.pk]) in html
    assert reverse("admin:search_article_copies", args=[article.pk]) in html


def test_admin_split_and_merge(stories, admin_client):
    victim = stories[STORY][1]
    url = reverse("admin:search_article_copies", args=[victim.pk])
    assert admin_client.get(url).status_code == 200
    response = admin_client.post(url, {"split": "1"})
    assert response.status_code == 302
    victim.refresh_from_db()
    assert victim.copy_group_id is None
    decision = CopyDecision.objects.get(article=victim)
    assert decision.kind == "separate" and decision.decided_by == "admin"
    # Merge it back, by number; a bad number is a form error, not a 500.
    assert (
        "There is no article number"
        in admin_client.post(url, {"merge": "1", "other": 999999}).content.decode()
    )
    response = admin_client.post(url, {"merge": "1", "other": stories[STORY][0].pk})
    assert response.status_code == 302
    victim.refresh_from_db()
    assert victim.copy_group_id == stories[STORY][0].copy_group_id
    assert not CopyDecision.objects.filter(article=victim, kind="separate").exists()


def test_admin_action_merges_selected_stories(stories, admin_client):
    a, b = stories[TWIN][0], stories[SUMMARY][0]
    admin_client.post(
        reverse("admin:search_article_changelist"),
        {"action": "merge_stories", "_selected_action": [a.pk, b.pk]},
    )
    a.refresh_from_db()
    b.refresh_from_db()
    assert a.copy_group_id == b.copy_group_id is not None


def test_article_page_lists_its_copies_not_as_more_like_this(stories, client):
    article = stories[STORY][0]
    html = client.get(article.get_absolute_url()).content.decode()
    listed = html.split('class="copies"')[1].split("</p>")[0]
    for other in stories[STORY][1:]:
        assert other.get_absolute_url() in listed
    more = html.split('id="more-heading"')[1]
    assert all(o.get_absolute_url() not in more for o in stories[STORY][1:])
