"""What tells a reference manager what an article is: Highwire `citation_*` meta tags (read
by Zotero's Embedded Metadata translator, Mendeley and Google Scholar), schema.org
NewsArticle JSON-LD, and COinS spans (OpenURL ContextObjects) in result lists."""

from __future__ import annotations

import json
from urllib.parse import urlencode

from django.utils.safestring import SafeString, mark_safe

from search.export import site_url
from search.links import http_url

# Characters that would let a JSON value end the <script> element or open a comment inside
# it; JSON reads the \u escapes as the same characters.
_SCRIPT_ESCAPES = {
    ord("<"): "\\u003C",
    ord(">"): "\\u003E",
    ord("&"): "\\u0026",
    0x2028: "\\u2028",
    0x2029: "\\u2029",
}


def archive_url(article) -> str:
    return site_url() + article.get_absolute_url()


def citation_meta(article) -> list[tuple[str, str]]:
    """(name, content) pairs, one per field (Zotero joins repeated names), keywords one per
    value (Zotero splits a keywords tag at semicolons)."""
    tags = [("citation_title", article.title)]
    if article.published_date:
        tags.append(("citation_publication_date", article.published_date.strftime("%Y/%m/%d")))
    elif article.year:
        tags.append(("citation_publication_date", str(article.year)))
    if article.source_name:
        tags.append(("citation_publisher", article.source_name))
    # The original is what a citation points to; the archive page is where it was read.
    tags.append(("citation_public_url", http_url(article.source_url) or archive_url(article)))
    tags.append(("citation_fulltext_html_url", archive_url(article)))
    if article.language:
        tags.append(("citation_language", article.language))
    for name in [
        *(c.name for c in article.cities.all()),
        *(o.name for o in article.organisations.all()),
    ]:
        tags.append(("citation_keywords", name.replace(";", ",")))
    return tags


def news_article_jsonld(article) -> SafeString:
    """schema.org NewsArticle as JSON for a <script type="application/ld+json"> data block
    (browsers do not run it, so the Content-Security-Policy has nothing to allow)."""
    data = {
        "@context": "https://schema.org",
        "@type": "NewsArticle",
        "headline": article.title,
        "url": archive_url(article),
        "mainEntityOfPage": archive_url(article),
    }
    if article.published_date:
        data["datePublished"] = article.published_date.isoformat()
    if article.source_name:
        data["publisher"] = {"@type": "Organization", "name": article.source_name}
    if http_url(article.source_url):
        data["isBasedOn"] = article.source_url
        data["sameAs"] = article.source_url
    if article.language:
        data["inLanguage"] = article.language
    places = [{"@type": "Place", "name": c.name} for c in article.cities.all()]
    orgs = [{"@type": "Organization", "name": o.name} for o in article.organisations.all()]
    if places or orgs:
        data["mentions"] = places + orgs
    text = json.dumps(data, ensure_ascii=False, indent=1).translate(_SCRIPT_ESCAPES)
    return mark_safe(text)  # noqa: S308 - JSON with every markup character escaped above


def coins(hit) -> str:
    """The OpenURL ContextObject (KEV) of a result row, for a <span class="Z3988" title>.
    Returned unescaped: the template escapes it as an attribute value."""
    # Only what a reader's reference manager uses: one span per result row, so the optional
    # referrer id and the genre the journal format already implies (an article) are left out.
    fields = [
        ("ctx_ver", "Z39.88-2004"),
        ("rft_val_fmt", "info:ofi/fmt:kev:mtx:journal"),
        ("rft.atitle", hit.title),
    ]
    if hit.source:
        fields.append(("rft.jtitle", hit.source))
    if hit.date:
        fields.append(("rft.date", hit.date.isoformat()))
    elif hit.year:
        fields.append(("rft.date", str(hit.year)))
    if hit.language:
        fields.append(("rft.language", hit.language))
    fields.append(("rft_id", http_url(hit.source_url) or site_url() + hit.url))
    return urlencode(fields)
