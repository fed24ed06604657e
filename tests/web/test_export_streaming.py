"""A large export streams: the response is consumed piece by piece and memory stays flat
(the peak while writing 20,000 articles is about that of 2,000), and the query runs once."""

from __future__ import annotations

import tracemalloc

import pytest

from search.engines import base
from search.models import Article, City

pytestmark = pytest.mark.django_db

N = 20_000
BODY = "Smart city sensors and data platforms for urban traffic. " * 30  # ~1.7 kB


@pytest.fixture
def many(db, settings):
    settings.SEARCH_INDEX_PROCS = 1
    city = City.objects.create(name="Wuxi")
    Article.objects.bulk_create(
        Article(
            title=f"Article {n} about smart sensors",
            slug=f"article-{n}",
            source_name="Source",
            year=2010 + n % 15,
            raw_content="",
            body=f"{BODY} number {n}",
            content_hash=f"stream-{n}",
        )
        for n in range(N)
    )
    through = Article.cities.through
    through.objects.bulk_create(
        through(article_id=pk, city_id=city.id)
        for pk in Article.objects.values_list("id", flat=True)[:5000]
    )
    base.get_backend().rebuild()


def peak_while_streaming(client, fmt: str, **params) -> tuple[int, int, int]:
    """(peak traced bytes, bytes written, pieces) while reading one export to its end."""
    response = client.get(f"/export/{fmt}/", params)
    assert response.status_code == 200 and response.streaming
    tracemalloc.start()
    try:
        written = pieces = 0
        for piece in response.streaming_content:
            written += len(piece)
            pieces += 1
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return peak, written, pieces


def test_twenty_thousand_articles_stream_in_flat_memory_from_one_query(
    many, client, settings, monkeypatch
):
    settings.SEARCH_EXPORT_MAX = 2_000
    small_peak, small_bytes, _ = peak_while_streaming(client, "csv", text="full", q="sensors")
    settings.SEARCH_EXPORT_MAX = N
    peak, written, pieces = peak_while_streaming(client, "csv", text="full", q="sensors")
    assert pieces > N  # a piece per row, not one body
    assert written > 9 * small_bytes and written > 30_000_000
    # Ten times the rows, about the same memory: what is held is one chunk of rows.
    assert peak < 1.5 * small_peak + 1_000_000, (peak, small_peak)
    assert peak < written / 5, (peak, written)

    # The engine is asked once, for every id; no page-by-page re-runs.
    backend = base.get_backend()
    calls = []
    for name in ("search", "all_ids"):
        original = getattr(backend, name)

        def counting(*args, _name=name, _original=original, **kwargs):
            calls.append(_name)
            return _original(*args, **kwargs)

        monkeypatch.setattr(backend, name, counting)
    response = client.get("/export/ris/", {"q": "sensors"})
    body = b"".join(response.streaming_content)
    assert body.count(b"TY  - NEWS") == N
    assert calls == ["all_ids"]
