"""HTML page -> title, page metadata and the main content's text blocks (BeautifulSoup).

`page_meta` and `page_title` read what the page says about itself (meta tags, JSON-LD,
<h1>/<title>). `main_blocks` finds the article: it strips page furniture, prefers an element
marked as the article body, else descends from <body> into the child holding most of the
paragraph text, and returns its text blocks with their share of link text.
"""

from __future__ import annotations

import json
import re
import warnings

from bs4 import BeautifulSoup, Comment, NavigableString, PageElement, Tag, XMLParsedAsHTMLWarning

# --------------------------------------------------------------------------- metadata

_META_KEYS = {
    "article:published_time",
    "article:modified_time",
    "article:author",
    "article:section",
    "og:title",
    "og:site_name",
    "og:url",
    "og:description",
    "og:type",
    "twitter:title",
    "author",
    "date",
    "pubdate",
    "publishdate",
    "publish-date",
    "dc.date",
    "dc.date.issued",
    "dc.creator",
    "dc.publisher",
    "dcterms.created",
    "sailthru.date",
    "parsely-pub-date",
    "citation_publication_date",
    "publisher",
    "source",
    "description",
    "keywords",
    # Chinese government portals (TRS and similar CMSs)
    "articletitle",
    "contentsource",
}


def _jsonld_items(soup: BeautifulSoup) -> list[dict]:
    items: list[dict] = []
    for script in soup.find_all("script", type=re.compile(r"ld\+json", re.I)):
        try:
            data = json.loads(script.string or "")
        except (ValueError, TypeError):
            continue
        stack = [data]
        while stack and len(items) < 50:
            node = stack.pop()
            if isinstance(node, list):
                stack.extend(node)
            elif isinstance(node, dict):
                items.append(node)
                if isinstance(node.get("@graph"), list):
                    stack.extend(node["@graph"])
    return items


def _name_of(value) -> str:
    if isinstance(value, dict):
        return str(value.get("name") or "")
    if isinstance(value, list):
        return ", ".join(filter(None, (_name_of(v) for v in value)))
    return str(value or "")


def page_meta(soup: BeautifulSoup) -> dict[str, str]:
    """HTML meta tags and JSON-LD article fields, keyed as the page names them."""
    meta: dict[str, str] = {}
    for tag in soup.find_all("meta"):
        key = (tag.get("property") or tag.get("name") or tag.get("itemprop") or "").strip()
        value = (tag.get("content") or "").strip()
        if key.lower() in _META_KEYS and value and key.lower() not in meta:
            meta[key.lower()] = value
    for item in _jsonld_items(soup):
        kind = item.get("@type")
        kinds = kind if isinstance(kind, list) else [kind]
        if not any(isinstance(k, str) and ("Article" in k or k == "WebPage") for k in kinds):
            continue
        for key in ("datePublished", "dateModified", "headline"):
            if item.get(key) and key not in meta:
                meta[key] = str(item[key])
        for key in ("publisher", "author"):
            name = _name_of(item.get(key))
            if name and f"{key}.name" not in meta:
                meta[f"{key}.name"] = name
    for tag in soup.find_all("time", attrs={"datetime": True}, limit=1):
        meta.setdefault("time.datetime", tag["datetime"])
    return meta


# "Headline - Site", "Headline | Site", and the portals' "Headline_Site" without spaces
_TITLE_SPLIT = re.compile(r"\s+[|\-–—_:»·]\s+|\s*[_|]\s*")


def page_title(soup: BeautifulSoup, meta: dict[str, str]) -> str:
    """The headline: an <h1> the page's titles agree with, else og:title, else <title>."""
    doc_title = soup.title.get_text(" ", strip=True) if soup.title else ""
    named = (
        meta.get("og:title")
        or meta.get("headline")
        or meta.get("twitter:title")
        or meta.get("articletitle")
        or ""
    )
    h1s = [h.get_text(" ", strip=True) for h in soup.find_all("h1", limit=5)]
    h1s = [h for h in h1s if len(h.split()) >= 2 or len(h) >= 6]
    for h1 in h1s:
        if h1 and (h1 in doc_title or h1 in named or (named and named in h1)):
            return h1
    if named:
        return named
    if doc_title:
        # "Headline - Site name": keep the longest part, the headline
        parts = _TITLE_SPLIT.split(doc_title)
        return max(parts, key=len) if len(parts) > 1 else doc_title
    return h1s[0] if h1s else ""


# --------------------------------------------------------------------------- furniture

_DROP_TAGS = [
    "script",
    "style",
    "noscript",
    "template",
    "svg",
    "iframe",
    "object",
    "embed",
    "canvas",
    "button",
    "select",
    "input",
    "textarea",
    "nav",
    "aside",
    "footer",
    "head",
    "link",
    "meta",
    "dialog",
    "menu",
    # captions and galleries describe pictures; the article's sentences are elsewhere
    "figure",
    "figcaption",
]
# Class/id tokens that mark furniture: the keyword is the whole token or one end of it
# ("share", "share-bar", "post-comments"), never a fragment inside a longer name such as
# WordPress's "tag-smart-city" on the article itself.
_FURNITURE_WORDS = (
    r"menu|nav|navbar|navigation|breadcrumbs?|crumbs?|share|sharing|social|socials|"
    r"related|recommend\w*|comments?|commentlist|disqus|footer|cookies?|consent|"
    r"subscribe|subscription|newsletter|signup|advert\w*|ads?|adv|sponsor\w*|promo\w*|"
    r"banner|sidebar|widget|popular|trending|toolbar|pagination|pager|masthead|topbar|"
    r"login|modal|popup|outbrain|taboola|byline|bio|more-?stories|read-?more|also-?read|"
    r"visually-?hidden|sr-only|skip|hidden|tags|tagcloud|rating|print|fontsize|font-size"
)
_FURNITURE_TOKEN = re.compile(
    rf"(?:{_FURNITURE_WORDS})(?:[-_](?:box|bar|list|links?|wrap|wrapper|container|area|"
    rf"section|block|module|widget|inner|outer|top|bottom|tools?|buttons?|icons?|items?))?"
    rf"|[a-z0-9]+[-_](?:{_FURNITURE_WORDS})",
    re.IGNORECASE,
)
# A token naming the article itself protects the element from the furniture rule.
_CONTENT_TOKEN = re.compile(
    r"(article|content|story|entry|post|main|text|body|detail)"
    r"([-_]?(body|text|content|main|detail|inner|wrap|wrapper|container))?"
    r"|(article|story|entry|post|main)[-_]?(body|text|content)[-_]?\w*|articlebody",
    re.IGNORECASE,
)


_WIDGET_TOKEN = re.compile(r"(^|[-_])(share|sharing|social|toolbar|print|font-?size)($|[-_])", re.I)


def _gone(tag: Tag) -> bool:
    """Already destroyed with a decomposed ancestor. (Read from __dict__: on a live Tag, an
    unknown attribute is a child search, `tag.decomposed` walked the whole subtree.)"""
    return bool(tag.__dict__.get("_decomposed"))


def _link_share(tag: Tag) -> float:
    text = len(tag.get_text(strip=True))
    links = sum(len(a.get_text(strip=True)) for a in tag.find_all("a"))
    return links / text if text else 1.0


def _tokens(tag: Tag) -> list[str]:
    classes = tag.get("class") or []
    if isinstance(classes, str):
        classes = classes.split()
    return [t for t in [*classes, tag.get("id") or "", tag.get("role") or ""] if t]


def _is_content(tag: Tag) -> bool:
    return tag.get("itemprop") == "articleBody" or any(
        _CONTENT_TOKEN.fullmatch(t) for t in _tokens(tag)
    )


def _is_furniture(tag: Tag) -> bool:
    if _is_content(tag):
        return False
    if not (tag.name == "header" or any(_FURNITURE_TOKEN.fullmatch(t) for t in _tokens(tag))):
        return False
    # A "widget" or "section" that wraps the article body is layout, not furniture.
    return tag.find(_is_content) is None


_HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.IGNORECASE)
_BLOCK_TAGS = {
    "p",
    "div",
    "section",
    "article",
    "main",
    "header",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "li",
    "ul",
    "ol",
    "dl",
    "dd",
    "dt",
    "blockquote",
    "pre",
    "table",
    "tr",
    "td",
    "th",
    "figure",
    "figcaption",
    "br",
    "hr",
    "center",
    "form",
    "address",
    "tbody",
    "thead",
}


def _is_hidden(tag: Tag) -> bool:
    if tag.has_attr("hidden") or (tag.get("aria-hidden") or "").lower() == "true":
        return True
    return bool(_HIDDEN_STYLE.search(tag.get("style") or ""))


def strip_furniture(body: Tag) -> None:
    """Remove what is never the article, in place."""
    for node in body.find_all(string=lambda s: isinstance(s, Comment)):
        node.extract()
    for tag in body.find_all(_DROP_TAGS):
        tag.decompose()
    total = len(body.get_text(" ", strip=True)) or 1
    for tag in list(body.find_all(True)):
        if _gone(tag) or tag.name in ("body", "html"):
            continue
        hidden = _is_hidden(tag)
        furniture = tag.name == "form" or _is_furniture(tag)
        if not (hidden or furniture):
            continue
        # A wrapper that holds most of the page is layout, not furniture (whole-page <form>).
        if len(tag.get_text(" ", strip=True)) > 0.5 * total and not hidden:
            continue
        tag.decompose()


# --------------------------------------------------------------------------- main content


def _text_blocks(root: Tag) -> list[tuple[str, float]]:
    """Text of each block inside root, with the share of it inside links.

    An explicit stack, not recursion: broken pages nest thousands of elements deep.
    """
    blocks: list[tuple[str, float]] = []
    buf: list[str] = []
    linked = 0

    def flush() -> None:
        nonlocal linked
        text = " ".join("".join(buf).split())
        if text:
            blocks.append((text, min(1.0, linked / len(text))))
        buf.clear()
        linked = 0

    # items: (node, inside a link) to visit, or None to close a block element
    stack: list[tuple[PageElement, bool] | None] = [(c, False) for c in reversed(root.contents)]
    while stack:
        item = stack.pop()
        if item is None:
            flush()
            continue
        node, in_link = item
        if isinstance(node, NavigableString):
            if not isinstance(node, Comment):
                buf.append(str(node))
                if in_link:
                    linked += len(" ".join(str(node).split()))
        elif isinstance(node, Tag):
            if node.name in _BLOCK_TAGS:
                flush()
                stack.append(None)
            link = in_link or node.name == "a"
            stack.extend((c, link) for c in reversed(node.contents))
    flush()
    return blocks


def _text_scores(root: Tag) -> dict[int, int]:
    """Characters of non-link text under each element (by id), in one iterative pass."""
    scores: dict[int, int] = {}
    # post-order walk without recursion: deep, broken pages must not overflow the stack
    stack: list[tuple[Tag, bool, bool]] = [(root, False, False)]
    while stack:
        node, in_link, done = stack.pop()
        if done:
            total = 0
            for child in node.children:
                if isinstance(child, Tag):
                    total += scores.get(id(child), 0)
                elif not in_link and not isinstance(child, Comment):
                    total += len(child.strip())
            scores[id(node)] = total
            continue
        stack.append((node, in_link, True))
        for child in node.children:
            if isinstance(child, Tag):
                stack.append((child, in_link or child.name == "a", False))
    return scores


def _descend(body: Tag) -> Tag:
    """From <body> down into the child holding nearly all of the text outside links."""
    scores = _text_scores(body)
    node = body
    while scores.get(id(node)):
        children = [c for c in node.contents if isinstance(c, Tag)]
        if not children:
            break
        best = max(children, key=lambda c: scores.get(id(c), 0))
        if scores.get(id(best), 0) < 0.7 * scores[id(node)]:
            break
        node = best
    return node


def page_blocks(soup: BeautifulSoup) -> list[str]:
    """Every text block of the page in order (scripts and styles removed from the soup)."""
    for tag in soup.find_all(["script", "style", "noscript", "template", "button"]):
        tag.decompose()
    # Share buttons sit inline beside by-lines; without them the by-line is a line of its own.
    for tag in soup.find_all(lambda t: any(_WIDGET_TOKEN.search(x) for x in _tokens(t))):
        if not _gone(tag) and _link_share(tag) >= 0.8:
            tag.decompose()
    return [text for text, _ in _text_blocks(soup.body or soup)]


def main_root(body: Tag) -> Tag:
    marked = body.find_all(attrs={"itemprop": "articleBody"})
    marked = [m for m in marked if len(m.get_text(" ", strip=True)) >= 200]
    if marked:
        return max(marked, key=lambda m: len(m.get_text(" ", strip=True)))
    return _descend(body)


_BODY_CHUNK = re.compile(
    r"(article|story|entry|post|news)[-_]*(body|content|text)([-_]+\w+)?", re.IGNORECASE
)


def repeated_bodies(soup: BeautifulSoup) -> list[list[list[str]]]:
    """Article-body containers that repeat through the page (same tag, same classes): an
    article cut into chunks by ad rows. Per group, per container, its non-link text blocks."""
    body = soup.body or soup
    groups: dict[tuple, list[Tag]] = {}
    for tag in body.find_all(class_=True):
        # only classes that name an article's body; a bare "content" or "text" also marks
        # each comment and teaser
        if any(_BODY_CHUNK.fullmatch(t) for t in (tag.get("class") or [])):
            groups.setdefault((tag.name, tuple(tag.get("class") or ())), []).append(tag)
    out = []
    for members in groups.values():
        if len(members) < 2:
            continue
        ids = {id(m) for m in members}
        top = [m for m in members if not any(id(p) in ids for p in m.parents)]
        if len(top) >= 2:
            out.append([[t for t, share in _text_blocks(m) if share < 0.5] for m in top])
    return out


def main_blocks(soup: BeautifulSoup) -> list[tuple[str, float]]:
    body = soup.body or soup
    strip_furniture(body)
    return _text_blocks(main_root(body))


def parse(text: str) -> BeautifulSoup:
    with warnings.catch_warnings():
        # feeds and XHTML are read as HTML on purpose: we want their text, not their tree
        warnings.simplefilter("ignore", XMLParsedAsHTMLWarning)
        return BeautifulSoup(text, "lxml")
