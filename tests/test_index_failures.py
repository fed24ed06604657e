"""An index that cannot be written: a real tiny (full) and a real read-only file system.

The index lives on a 3 MB tmpfs mounted for the test (root only; elsewhere these tests are
skipped with the reason). A full or read-only disk must never cost an article or look like
success: the admin names the cause, the article is saved and queued, the import command
exits non-zero naming what is not searchable, and everything is indexed once the disk
recovers.
"""

from __future__ import annotations

import contextlib
import errno
import io
import os
import subprocess

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from search import indexing
from search.engines import base
from search.engines.base import SearchQuery
from search.engines.whoosh.identity import NotEnoughSpace
from search.ingest import ingest
from search.models import Article
from tests.admin.conftest import article_text

pytestmark = pytest.mark.django_db(transaction=True)

ADD = reverse("admin:search_article_add")
CHANGELIST = reverse("admin:search_article_changelist")


@pytest.fixture
def disk(tmp_path, settings):
    mount = tmp_path / "disk"
    mount.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=3m", "tmpfs", str(mount)], capture_output=True
    )
    if done.returncode:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.decode().strip()}")
    settings.SEARCH_BACKEND = "whoosh"
    settings.SEARCH_INDEX_DIR = mount / "index"
    settings.SEARCH_INDEX_PROCS = 1
    base._backend.cache_clear()
    try:
        yield mount
    finally:
        base._backend.cache_clear()
        subprocess.run(["umount", "-l", str(mount)], check=False)


def _fill(mount) -> None:
    """Fill the disk to the last byte."""
    fd = os.open(mount / "filler", os.O_WRONLY | os.O_CREAT, 0o644)
    try:
        for size in (65536, 4096, 1):
            with contextlib.suppress(OSError):
                while True:
                    os.write(fd, b"\0" * size)
    finally:
        os.close(fd)


def _remount(mount, mode: str) -> None:
    subprocess.run(["mount", "-o", f"remount,{mode}", str(mount)], check=True)


def _messages(response) -> list[str]:
    return [str(m) for m in response.context["messages"]] if response.context else []


def _found(word: str) -> set[int]:
    return {h.id for h in base.get_backend().search(SearchQuery(q=word, all_copies=True)).hits}


def test_full_disk_admin_names_the_cause_keeps_the_article_and_recovers(admin_client, disk):
    first = ingest(article_text("firstword")).article
    assert _found("firstword") == {first.pk}
    _fill(disk)
    response = admin_client.post(ADD, {"raw": article_text("fullword")}, follow=True)
    text = " ".join(_messages(response))
    assert "Added" in text
    assert "not yet searchable" in text and "disk holding the index is full" in text
    article = Article.objects.get(title__icontains="fullword")
    assert indexing.pending_ids() == {article.pk}
    assert _found("fullword") == set()
    # The article list shows it waiting; the filter finds it.
    listing = admin_client.get(CHANGELIST, {"index": "waiting"}).content.decode()
    assert "fullword" in listing.casefold() and "index-waiting" in listing
    assert "firstword" not in listing.casefold()
    # index_status reports it, with the cause, and fails as a probe.
    out = io.StringIO()
    with pytest.raises(CommandError):
        call_command("index_status", stdout=out)
    report = out.getvalue()
    assert f"pending:   1 ({article.pk})" in report and "disk holding the index is full" in report
    # The disk recovers: the next drain (the indexer) makes it searchable.
    (disk / "filler").unlink()
    assert indexing.index_pending().indexed == {article.pk}
    assert _found("fullword") == {article.pk} and indexing.pending_ids() == set()
    call_command("index_status", stdout=io.StringIO())  # healthy: no error


def test_read_only_disk_admin_change_is_saved_queued_and_indexed_later(admin_client, disk):
    article = ingest(article_text("roword")).article
    _remount(disk, "ro")
    try:
        data = {
            "title": "Renamed quokkaword",
            "body": article.body,
            "published_date": article.published_date.isoformat(),
            "year": article.year,
            "cities": [c.pk for c in article.cities.all()],
            "organisations": [o.pk for o in article.organisations.all()],
            "seen_version": article.version,
            "_save": "Save",
        }
        change = reverse("admin:search_article_change", args=[article.pk])
        response = admin_client.post(change, data, follow=True)
        text = " ".join(_messages(response))
        assert "was changed successfully" in text
        assert "read-only file system" in text and "queued" in text
        assert Article.objects.get(pk=article.pk).title == "Renamed quokkaword"
        assert _found("quokkaword") == set()  # the old entry still serves
    finally:
        _remount(disk, "rw")
    indexing.index_pending()
    assert _found("quokkaword") == {article.pk}


def test_import_on_a_full_disk_exits_non_zero_naming_unsearchable_articles(disk, tmp_path):
    ingest(article_text("seedword"))  # the index exists
    folder = tmp_path / "in"
    folder.mkdir()
    for word in ("alphaword", "betaword"):
        (folder / f"{word}.txt").write_text(article_text(word), encoding="utf-8")
    _fill(disk)
    out, err = io.StringIO(), io.StringIO()
    with pytest.raises(CommandError, match="2 saved article"):
        call_command("import_articles", str(folder), stdout=out, stderr=err, verbosity=0)
    assert "2 new, 0 unchanged, 0 failed" in out.getvalue()
    assert "disk holding the index is full" in err.getvalue()
    assert "alphaword.txt" in err.getvalue() and "betaword.txt" in err.getvalue()
    assert Article.objects.count() == 3
    (disk / "filler").unlink()
    # The next writer start replays the journal.
    call_command("import_articles", str(folder), stdout=io.StringIO(), verbosity=0)
    assert len(_found("alphaword")) == 1 and len(_found("betaword")) == 1


def test_rebuild_checks_free_space_first_and_says_what_it_needs(disk):
    for word in ("one", "two", "three"):
        ingest(article_text(f"{word}spaceword"))
    identity = base.get_backend().identity()
    _fill(disk)
    with pytest.raises(NotEnoughSpace) as caught:
        indexing.rebuild()
    assert caught.value.errno == errno.ENOSPC
    assert "needs about" in str(caught.value) and "free" in str(caught.value)
    err = io.StringIO()
    with pytest.raises(CommandError, match="live index is unchanged.*needs about"):
        call_command("rebuild_index", stderr=err, verbosity=0)
    # Nothing was swapped, nothing left behind, and the live index still serves.
    assert base.get_backend().identity() == identity
    assert len(_found("onespaceword")) == 1
    assert [p.name for p in (disk / "index").iterdir() if p.is_dir()] == [identity.split(".")[0]]
