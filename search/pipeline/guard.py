"""A cheap pre-scan that refuses pathological HTML before any parser sees it.

Parsers (lxml, html5lib, trafilatura) spend seconds and hundreds of MB on a million nested
tags, an element with a hundred thousand attributes or a flood of entity references; real
news pages are nowhere near these limits (a few thousand elements, nesting in the tens, a few
dozen attributes on the busiest element). The scan is pure and linear: C-level counting first,
then at most MAX_TAGS regex matches.
"""

from __future__ import annotations

import re

# Far above any real page, far below what takes a parser seconds.
MAX_TAGS = 100_000
MAX_DEPTH = 1_000
MAX_ATTRIBUTES = 1_000  # on one element
MAX_ENTITY_REFS = 100_000
# Comments, scripts and styles that never close: each makes a non-greedy "<!--.*?-->" scan
# to the end of the page (the scripts-and-comments strip before parsing), so a page of them
# is quadratic. Real pages have none or one.
MAX_UNCLOSED = 20
REFUSED = "refused: "

# [^<>] not [^>]: an unclosed "<a " must not make each match scan to the end (quadratic).
_TAG = re.compile(r"<(/?)([A-Za-z][^\s/<>]*)([^<>]*)>")
_ATTRIBUTE = re.compile(r"[^\s=/>]+\s*(?:=\s*(?:\"[^\"]*\"|'[^']*'|[^\s>]*))?")
_ENTITY_REF = re.compile(r"&(?:#\d+|#[xX][0-9a-fA-F]+|[A-Za-z][A-Za-z0-9]*);?")
# Never closed, or closed by the parser on their own: they do not deepen the tree.
_NO_DEPTH = frozenset(
    [
        "area",
        "base",
        "br",
        "col",
        "embed",
        "hr",
        "img",
        "input",
        "link",
        "meta",
        "source",
        "track",
        "wbr",
        "param",
        "keygen",
        "p",
        "li",
        "dt",
        "dd",
        "tr",
        "td",
        "th",
        "option",
        "thead",
        "tbody",
        "tfoot",
        "colgroup",
        "rp",
        "rt",
        "optgroup",
    ]
)


def html_hazard(html: str, window: int | None = None) -> str | None:
    """Why this HTML is refused before parsing (for the person who uploaded it), or None.

    `window`: how much of the page will be parsed (the cleaner cuts longer pages); the element
    checks look at that much, the checks for what makes the whole-page strip of scripts and
    comments slow look at everything.
    """
    whole, html = html, html[:window] if window else html
    tags = html.count("<")
    if tags > MAX_TAGS:
        return f"{tags:,} tags or '<' signs (a news page has a few thousand; the limit is {MAX_TAGS:,})"
    if "<!ENTITY" in whole or "<!entity" in whole:
        return "the page declares its own entities (<!ENTITY>), as entity-expansion attacks do"
    unclosed = whole.count("<!--") - whole.count("-->")
    if unclosed > MAX_UNCLOSED:
        return f"{unclosed:,} comments that are never closed"
    lower = whole.lower()
    unclosed = sum(lower.count(f"<{t}") - lower.count(f"</{t}") for t in ("script", "style"))
    if unclosed > MAX_UNCLOSED:
        return f"{unclosed:,} script or style elements that are never closed"
    if html.count("&") > MAX_ENTITY_REFS:
        refs = _ENTITY_REF.subn("", html)[1]
        if refs > MAX_ENTITY_REFS:
            return f"{refs:,} entity references (the limit is {MAX_ENTITY_REFS:,})"
    last = html.rfind("<")
    if last != -1 and ">" not in html[last:] and len(html) - last > 4 * MAX_ATTRIBUTES:
        # A tag still open where the parsed part is cut: its attributes are all the parser sees.
        count = sum(1 for _ in _ATTRIBUTE.finditer(html, last + 1))
        if count > MAX_ATTRIBUTES:
            return f"an element with {count:,} attributes (the limit is {MAX_ATTRIBUTES:,})"
    depth = deepest = 0
    for match in _TAG.finditer(html):
        closing, name, rest = match.groups()
        name = name.lower()
        if len(rest) > 4 * MAX_ATTRIBUTES:
            count = sum(1 for _ in _ATTRIBUTE.finditer(rest))
            if count > MAX_ATTRIBUTES:
                return f"an element <{name[:20]}> with {count:,} attributes (the limit is {MAX_ATTRIBUTES:,})"
        if name in _NO_DEPTH or rest.endswith("/"):
            continue
        if closing:
            depth = max(0, depth - 1)
        else:
            depth += 1
            if depth > deepest:
                deepest = depth
                if deepest > MAX_DEPTH:
                    return f"elements nested more than {MAX_DEPTH:,} deep"
    return None
