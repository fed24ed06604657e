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
    "dc.title",
}


def _jsonld_items(soup: BeautifulSoup) -> list[dict]:
    items: list[dict] = []
    for script in soup.find_all("script", type=re.compile(r"ld\+json", re.I)):
        raw = (script.string or "").strip()
        try:
            data = json.loads(raw)
        except (ValueError, TypeError):
            # CMSs leave raw newlines and tabs inside strings; JSON forbids them
            try:
                data = json.loads(re.sub(r"[\x00-\x1f]+", " ", raw))
            except (ValueError, TypeError):
                continue
        stack = [data]
        while stack and len(items) < 50:
            node = stack.pop(0)
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


def _url_of(value) -> str:
    if isinstance(value, dict):
        return str(value.get("@id") or value.get("url") or "")
    if isinstance(value, list) and value:
        return _url_of(value[0])
    return str(value or "")


# Meta names (lower case) that carry a date: published first in dates.META_DATE_KEYS order.
_DATE_META = re.compile(r"date|time|pdate|publish|created|issued", re.I)
_JSONLD_ARTICLE = re.compile(r"Article|Posting|Report|NewsArticle|WebPage|Blog", re.I)


def page_meta(soup: BeautifulSoup) -> dict[str, str]:
    """HTML meta tags and JSON-LD article fields, keyed as the page names them (lower case
    for <meta>, schema.org's names for JSON-LD), plus what the page's furniture says:
    "canonical" (<link rel=canonical>), "title.site" (the site part of <title>),
    "visible.date" (a date printed under the headline)."""
    meta: dict[str, str] = {}
    for tag in soup.find_all("meta"):
        key = (tag.get("property") or tag.get("name") or tag.get("itemprop") or "").strip()
        value = (tag.get("content") or "").strip()
        low = key.lower()
        if value and low not in meta and (low in _META_KEYS or _DATE_META.search(low)):
            meta[low] = value
    articles, others = [], []
    for item in _jsonld_items(soup):
        kind = item.get("@type")
        kinds = kind if isinstance(kind, list) else [kind]
        named = any(isinstance(k, str) and _JSONLD_ARTICLE.search(k) for k in kinds)
        (articles if named or item.get("datePublished") else others).append(item)
    # Article items first: a WebPage or a WebSite item in the same graph says less.
    articles.sort(key=lambda i: 0 if "Article" in str(i.get("@type")) else 1)
    for item in articles:
        for key in ("datePublished", "dateModified", "dateCreated", "headline"):
            if item.get(key) and key not in meta and isinstance(item[key], str | int):
                meta[key] = str(item[key])
        for key in ("publisher", "author"):
            name = _name_of(item.get(key))
            if name and f"{key}.name" not in meta:
                meta[f"{key}.name"] = name
        page = _url_of(item.get("mainEntityOfPage")) or _url_of(item.get("url"))
        if page.startswith("http") and "jsonld.url" not in meta:
            meta["jsonld.url"] = page
    for item in others:
        if "WebSite" in str(item.get("@type")) and item.get("name") and "website.name" not in meta:
            meta["website.name"] = _name_of(item.get("name"))
    for tag in soup.find_all("time", attrs={"datetime": True}, limit=1):
        meta.setdefault("time.datetime", tag["datetime"])
    for link in soup.find_all("link", href=True):
        rels = [r.lower() for r in (link.get("rel") or [])]
        if "canonical" in rels and "canonical" not in meta:
            meta["canonical"] = link["href"].strip()
    if name := _copyright_name(soup):
        meta["copyright.name"] = name
    if name := _logo_name(soup):
        meta["logo.name"] = name
    if soup.title:
        site = title_site_part(soup.title.get_text(" ", strip=True))
        if site:
            meta["title.site"] = site
    return meta


_COPYRIGHT = re.compile(
    r"(?:©|\(c\)|Copyright)\s*(?:©\s*)?(?:(?:19|20)\d\d\s*(?:[-–]\s*(?:19|20)\d\d)?\s*,?\s*)"
    r"([A-Z][\w.&'’ -]{1,50}?)(?=\s*(?:[.,|•·]|All rights|Inc\b|Ltd\b|LLC\b|$))",
    re.IGNORECASE,
)
_LEGAL = re.compile(r"[\s,]+(?:GmbH|AG|Inc|Ltd|LLC|S\.?A|B\.?V|Co|Corp|PLC|Limited)\.?$", re.I)
_LOGO_WORDS = re.compile(r"\b(?:logo|image|img|brand|home(?:page)?|header|site)\b", re.I)


def _copyright_name(soup: BeautifulSoup) -> str:
    """ "© 2019 Ascom. All rights reserved": the owner a page names at its foot."""
    texts = soup.find_all(string=re.compile(r"©|Copyright", re.I), limit=20)
    for text in reversed(texts):  # the page's own notice is the last one
        if m := _COPYRIGHT.search(" ".join(str(text).split())):
            name = _LEGAL.sub("", m[1]).strip(" -–,")
            if name and not re.match(r"(?:by|the\s+copyright)\b", name, re.I):
                return name
    return ""


def _logo_name(soup: BeautifulSoup) -> str:
    """The site's logo names the site in its alt or title text."""
    for img in soup.find_all("img", limit=60):
        marks = " ".join([*(img.get("class") or []), img.get("id") or "", img.get("src") or ""])
        if "logo" not in marks.lower():
            continue
        text = (img.get("alt") or img.get("title") or "").strip()
        text = _LOGO_WORDS.sub(" ", re.sub(r"[-_]", " ", text)) if "logo" in text.lower() else text
        text = " ".join(text.split())
        if len(text) >= 3:
            return text
    return ""


def title_site_part(doc_title: str) -> str:
    """ "Headline - Site": the site part, when the title has exactly one such tail."""
    parts = [p for p in _TITLE_SPLIT.split(doc_title) if p.strip()]
    if len(parts) < 2:
        return ""
    last = parts[-1].strip()
    longest = max(len(p) for p in parts[:-1])
    return last if 0 < len(last.split()) <= 5 and len(last) < longest else ""


# "Headline - Site", "Headline | Site", the portals' "Headline_Site" without spaces, and
# Chinese sites' "标题--科技--人民网", "网站-栏目-标题" between Chinese characters
_TITLE_SPLIT = re.compile(
    r"\s+[|\-–—_:»·]\s+|\s*[_|]\s*|(?<=[\u4e00-\u9fff])\s*(?:--|[-－—])\s*(?=[\u4e00-\u9fff])"
)
_KEY = re.compile(r"\w+")


def _key(text: str) -> str:
    return " ".join(_KEY.findall(text.lower()))


def _agrees(h1: str, *titles: str) -> bool:
    """The headline shown in the page is the one the page's titles give (quotes, dashes and
    a site name aside)."""
    k = _key(h1)
    if not k:
        return False
    for t in titles:
        kt = _key(t)
        if kt and ((k in kt and len(k) >= 0.4 * len(kt)) or kt in k):
            return True
    return False


def site_names(meta: dict[str, str]) -> set[str]:
    return {
        _key(meta[k]) for k in ("og:site_name", "title.site", "website.name") if meta.get(k)
    } - {""}


def headline_tag(soup: BeautifulSoup, meta: dict[str, str]) -> Tag | None:
    """The element that shows the article's headline, in order of trust: an <h1> the page's
    titles agree with; a lower heading repeating og:title (the page's <h1> is then some
    other block's); the page's only <h1> that is not the site's name."""
    doc_title = soup.title.get_text(" ", strip=True) if soup.title else ""
    named = _named_title(meta)
    sites = site_names(meta)
    h1s = [
        h
        for h in soup.find_all("h1", limit=5)
        if _long_enough(h.get_text(" ", strip=True))
        and _key(h.get_text(" ", strip=True)) not in sites
    ]
    for h1 in h1s:
        if _agrees(h1.get_text(" ", strip=True), doc_title, named, meta.get("headline", "")):
            return h1
    if named and _key(named) not in sites:
        for h in soup.find_all(["h2", "h3"], limit=40):
            if _key(h.get_text(" ", strip=True)) == _key(named):
                return h
    if len(h1s) == 1 and len(h1s[0].get_text(" ", strip=True).split()) >= 3:
        return h1s[0]
    return None


def _long_enough(text: str) -> bool:
    return len(text.split()) >= 2 or len(text) >= 6


def _named_title(meta: dict[str, str]) -> str:
    return (
        meta.get("og:title")
        or meta.get("headline")
        or meta.get("twitter:title")
        or meta.get("articletitle")
        or meta.get("dc.title")
        or ""
    )


def page_title(soup: BeautifulSoup, meta: dict[str, str]) -> str:
    """The headline as the page shows it (see headline_tag), else og:title, else <title>
    without its site-name part."""
    doc_title = soup.title.get_text(" ", strip=True) if soup.title else ""
    named = _named_title(meta)
    tag = headline_tag(soup, meta)
    if tag is not None:
        return tag.get_text(" ", strip=True)
    if named and _key(named) not in site_names(meta):
        return named
    if doc_title:
        # "Headline - Site name": keep the longest part, the headline
        parts = _TITLE_SPLIT.split(doc_title)
        return max(parts, key=len) if len(parts) > 1 else doc_title
    h1s = [h.get_text(" ", strip=True) for h in soup.find_all("h1", limit=5)]
    h1s = [h for h in h1s if _long_enough(h)]
    return h1s[0] if h1s else ""


def visible_dates(soup: BeautifulSoup, after: Tag | None, limit: int = 400) -> list[str]:
    """Short texts that follow the headline in the page (by-lines, time stamps), in page
    order: where the page prints its own date. Before the headline sit the site's header
    strip and its crawl-day date, so the walk starts at the headline when there is one."""
    start = after or soup.body or soup
    out: list[str] = []
    seen = 0
    for node in start.next_elements if after is not None else start.descendants:
        if seen > limit or len(out) >= 6:
            break
        if isinstance(node, Tag):
            if node.name == "time" and node.get("datetime"):
                out.append(node.get_text(" ", strip=True) + " " + node["datetime"])
            continue
        if not isinstance(node, NavigableString) or isinstance(node, Comment):
            continue
        text = str(node).strip()
        if not text:
            continue
        seen += 1
        if len(text) <= 120 and re.search(r"\d", text):
            parent = node.parent
            # the text of a <time> element was taken above with its datetime
            if parent is not None and parent.name != "time":
                out.append(text)
    return out


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
