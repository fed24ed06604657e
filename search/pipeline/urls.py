"""The page's original (canonical) address, as the page itself declares it.

<link rel="canonical"> first, then og:url, then JSON-LD's mainEntityOfPage/url; for a
text dump, an address on a line of its own near the top or labelled ("URL:", "Source:",
"原文链接"). Only absolute http/https addresses count: anything else is never a link.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from urllib.parse import urlsplit, urlunsplit

URL_KEYS = ("canonical", "og:url", "jsonld.url", "twitter:url")
_LINE_URL = re.compile(
    r"^(?:(?:URL|Link|Original|Source|原文链接|原文地址|链接)\s*[:：]\s*)?<?(https?://\S+?)>?$",
    re.IGNORECASE,
)
MAX_URL = 2000


def clean_url(value: str | None) -> str | None:
    """An absolute http(s) address without a fragment, or None."""
    value = (value or "").strip()
    if not value or len(value) > MAX_URL or any(c.isspace() for c in value):
        return None
    try:
        parts = urlsplit(value)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc or "." not in parts.netloc:
        return None
    return urlunsplit((parts.scheme.lower(), parts.netloc, parts.path, parts.query, ""))


def find_url(
    meta: Mapping[str, str], meta_lines: Iterable[str] = (), paragraphs: tuple[str, ...] = ()
) -> str | None:
    lowered = {key.lower(): value for key, value in meta.items()}
    for key in URL_KEYS:
        if url := clean_url(lowered.get(key)):
            return url
    for line in [*meta_lines, *paragraphs[:3], *paragraphs[-3:]]:
        m = _LINE_URL.match(line.strip()) if len(line) <= MAX_URL else None
        if m and (url := clean_url(m[1])):
            return url
    return None
