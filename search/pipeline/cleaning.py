"""Turn a raw page (plain-text dump or HTML) into the article a researcher reads.

Pure functions, no Django: deterministic and usable from the command line.
`clean(raw, fmt)` -> `Cleaned(title, paragraphs, meta_lines, meta)`: boilerplate gone,
metadata lines (dateline, "Source:", "Updated :", by-lines) handed to extraction instead of
left in the body. Bad input never raises: it comes back with no paragraphs and a `note`.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass, field

import trafilatura
from charset_normalizer import from_bytes

from search.pipeline import dates, guard, html_extract, text_rules

FORMATS = ("text", "html")

# Work is bounded: no article is this long, and a page this size is cut, not choked on.
MAX_INPUT_CHARS = 1_000_000
MAX_LINES = 20_000
# Below this many words from the library, our own extractor gets a say.
_MIN_LIBRARY_WORDS = 40
# Pages with more elements than this skip the library (real news pages have < 5,000).
_MAX_LIBRARY_ELEMENTS = 15_000
# Encoding detection looks at this much of an undeclared, non-UTF-8 byte string.
_DETECT_BYTES = 200_000


@dataclass(frozen=True)
class Cleaned:
    title: str
    paragraphs: tuple[str, ...]
    # Dateline, "Source:", "Published:", by-lines: taken out of the body, handed to extraction.
    meta_lines: tuple[str, ...] = ()
    # Machine-readable page metadata (e.g. "article:published_time", "og:site_name").
    meta: dict[str, str] = field(default_factory=dict)
    fmt: str = "text"
    # Why the result is empty or partial ("empty input", "binary content", ...), for people.
    note: str = ""

    @property
    def body(self) -> str:
        return "\n\n".join(self.paragraphs)

    @property
    def is_article(self) -> bool:
        return bool(self.paragraphs)


# --------------------------------------------------------------------------- decoding

_DECLARED = re.compile(rb"""<meta[^>]{0,200}?charset\s*=\s*["']?\s*([\w\-:.]+)""", re.I)


# As browsers do (WHATWG encoding labels): pages that declare GB2312 use GBK characters,
# pages that declare Latin-1 use Windows-1252 quotes.
# Big5 pages use the Hong Kong additions (as browsers read "big5").
_SUPERSETS = {
    "gb2312": "gb18030", "gbk": "gb18030", "x-gbk": "gb18030", "iso8859-1": "cp1252",
    "big5": "big5hkscs", "x-x-big5": "big5hkscs", "cn-big5": "big5hkscs", "cp950": "big5hkscs",
}  # fmt: skip
# Undeclared, not UTF-8, and the detector has no answer: the Chinese encodings, strictly.
_FALLBACKS = ("gb18030", "big5hkscs")
_SURROGATE = re.compile(r"[\ud800-\udfff]")
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


def looks_binary(raw: str | bytes) -> bool:
    """NUL bytes or many control characters near the start: an image, a PDF, an archive."""
    head = raw[:8192]
    if isinstance(head, bytes) and head.startswith(tuple(bom for bom, _ in _BOMS)):
        return False  # UTF-16/32 text has NUL bytes by design
    if isinstance(head, str):
        head = head.encode("utf-8", errors="replace")
    if b"\x00" in head:
        return True
    controls = sum(1 for b in head if b < 9 or 13 < b < 32)
    return bool(head) and controls / len(head) > 0.05


def decode(raw: str | bytes) -> str:
    """Bytes to text without ever raising: BOM/UTF-8, then the declared charset, then detection."""
    if isinstance(raw, str):
        # lone surrogates (from a bad upstream decode) cannot be encoded or parsed later
        return _SURROGATE.sub("\ufffd", raw)
    for bom, codec in _BOMS:
        if raw.startswith(bom):
            return raw.decode(codec, errors="replace")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    declared = _DECLARED.search(raw[:4096])
    if declared:
        label = declared[1].decode("ascii", "ignore").lower()
        try:
            name = _SUPERSETS.get(label) or codecs.lookup(label).name
            return raw.decode(_SUPERSETS.get(name, name), errors="replace")
        except LookupError:
            pass
    encoding = _detect(raw[:_DETECT_BYTES])
    if encoding:
        return raw.decode(_SUPERSETS.get(encoding, encoding), errors="replace")
    for codec in _FALLBACKS:
        try:
            return raw.decode(codec)
        except UnicodeDecodeError:
            continue
    return raw.decode("utf-8", errors="replace")


# When the detector finds several encodings equally clean, the ones news pages use win
# (short Latin-1 text otherwise comes back as a Baltic code page).
_PREFERRED = ("gb18030", "big5", "cp1252", "shift_jis", "euc_kr", "cp1251", "latin_1")


def _detect(raw: bytes) -> str | None:
    matches = list(from_bytes(raw))
    if not matches:
        return None
    least = min(m.chaos for m in matches)
    clean_ones = {m.encoding for m in matches if m.chaos <= least + 0.01}
    for name in _PREFERRED:
        if name in clean_ones:
            return name
    return matches[0].encoding


def guess_format(text: str) -> str:
    head = text[:4000].lstrip().lower()
    if head.startswith(("<!doctype html", "<html", "<?xml")) or re.search(
        r"<(html|head|body|p|div|article|title|meta)[\s>]", head
    ):
        return "html"
    return "text"


def normalise(text: str) -> str:
    return text_rules.normalise(text)


def split_paragraphs(text: str) -> list[str]:
    return [p.strip() for p in re.split(r"\n\s*\n", text) if p.strip()]


# --------------------------------------------------------------------------- text and HTML


def _clean_text(text: str) -> Cleaned:
    lines = [line for line in normalise(text).split("\n") if line]
    note = f"input cut to its first {MAX_LINES:,} lines" if len(lines) > MAX_LINES else ""
    title, paragraphs, meta_lines = text_rules.clean_lines(lines[:MAX_LINES])
    return Cleaned(
        title or _first_words(paragraphs), tuple(paragraphs), tuple(meta_lines), {}, "text", note
    )


def _first_words(paragraphs: list[str], limit: int = 100) -> str:
    """A title for a page without a headline: the start of its first paragraph."""
    if not paragraphs:
        return ""
    first = paragraphs[0]
    if len(first) <= limit:
        return first
    cut = first[:limit].rsplit(" ", 1)[0]
    return cut + "…"


def _dedupe(lines: list[str]) -> list[str]:
    """Drop repeated long blocks (hidden duplicates, repeated captions); keep the first."""
    seen: set[str] = set()
    out = []
    for line in lines:
        key = line.lower()
        if len(line) >= 40 and key in seen:
            continue
        seen.add(key)
        out.append(line)
    return out


def _library_blocks(text: str) -> list[str]:
    """Main-content text by trafilatura (precision mode): it scored best on real pages."""
    try:
        out = trafilatura.extract(
            text,
            favor_precision=True,
            include_comments=False,
            include_tables=True,
            include_images=False,
            with_metadata=False,
        )
    except Exception:  # a library failure on a broken page must not lose the article
        out = None
    lines = [line for line in normalise(out or "").split("\n") if line]
    if any(_is_layout_row(line) for line in lines):
        # The page is laid out with a table (old portals): the library flattened the
        # article into a table row with the menus; our block walk reads it properly.
        return []
    return lines


def _is_layout_row(line: str) -> bool:
    return line.startswith("|") and any(text_rules.words(cell) >= 60 for cell in line.split("|"))


def _own_blocks(soup) -> list[str]:
    """Main-content text by our BeautifulSoup rules (the fallback)."""
    blocks = []
    for block, link_share in html_extract.main_blocks(soup):
        block = normalise(block)
        # Mostly-link blocks are navigation, unless they are long prose that cites links.
        if block and (link_share < 0.5 or text_rules.words(block) >= 40):
            blocks.append(block)
    return _dedupe(blocks)


def html_blocks(
    text: str, engine: str = "auto"
) -> tuple[str, list[str], dict[str, str], list[str]]:
    """(title, main-content blocks, page metadata, metadata lines by the title) of a page.

    engine "library" is trafilatura, "own" our BeautifulSoup extractor, "auto" the library
    with ours as the fallback when the library finds (next to) nothing.
    """
    soup = html_extract.parse(text)
    meta = {k: normalise(v) for k, v in html_extract.page_meta(soup).items()}
    title = normalise(html_extract.page_title(soup, meta))
    visible = html_extract.visible_dates(soup, html_extract.headline_tag(soup, meta))
    page = html_extract.page_blocks(soup)
    shown = _shown_date(visible) or _month_day_in_header_year(visible, page, title)
    if shown:
        meta["visible.date"] = shown
    around = _meta_near_title(page, title)
    # The library's cost grows fast with the element count; huge pages get our linear walk.
    huge = engine == "auto" and len(soup.find_all(True, limit=_MAX_LIBRARY_ELEMENTS + 1)) > (
        _MAX_LIBRARY_ELEMENTS
    )
    blocks = _library_blocks(text) if engine in ("auto", "library") and not huge else []
    if engine == "auto" and blocks:
        html_extract.strip_furniture(soup.body or soup)
        blocks = _add_missing_chunks(blocks, html_extract.repeated_bodies(soup))
    if engine == "own" or (
        engine == "auto" and sum(text_rules.words(b) for b in blocks) < _MIN_LIBRARY_WORDS
    ):
        own = _own_blocks(soup)
        if sum(map(text_rules.words, own)) > sum(map(text_rules.words, blocks)):
            blocks = own
    return title, blocks, meta, around


def _shown_date(texts: list[str]) -> str:
    """The first text under the headline that holds a whole date (a date inside a sentence
    of the story is a deadline or an event, not the page's own)."""
    for text in texts:
        text = normalise(text)
        if dates.parse_date(text) and not text_rules.is_prose(text):
            return text
    return ""


_YEAR = re.compile(rf"(?<!\d){dates.YEAR}(?!\d)")
# A time stamp of month and day, not a sentence that mentions a day.
_STAMP = re.compile(
    rf"\s*{dates.MONTH_DAY.pattern}[\s\d:]*$|\s*{dates.MONTH_DAY.pattern}\s+\d\d?:\d\d\b.{{0,30}}$"
)


def _month_day_in_header_year(texts: list[str], blocks: list[str], title: str) -> str:
    """ "9月1日 17:45" under the headline, the year only in the page's header above it
    ("2022世界人工智能大会专题报道"): the date with that year, when the header names one."""
    stamp = next((t for t in map(normalise, texts) if _STAMP.match(t)), "")
    if not stamp or not title:
        return ""
    key = title.lower()
    header = []
    for block in blocks[:3000]:
        block = normalise(block)
        if block.lower() == key:
            break
        header.append(block)
    else:
        return ""
    years = {m[0] for block in header for m in _YEAR.finditer(block)}
    if len(years) != 1:
        return ""
    m = dates.MONTH_DAY.search(stamp)
    return f"{years.pop()}年{m[1]}月{m[2]}日"


def _key(text: str) -> str:
    return " ".join(re.findall(r"\w+", text.lower()))


def _add_missing_chunks(blocks: list[str], groups: list[list[list[str]]]) -> list[str]:
    """Put back chunks of an article the library cut off at an ad row.

    When a page repeats its article-body container and the library's text covers some of
    those containers but not others, the others' prose is the rest of the same article.
    """
    have = _key("\n".join(blocks))
    before: list[str] = []
    after: list[str] = []
    for members in groups:
        texts = [[normalise(t) for t in member if t.strip()] for member in members]
        prose = [[t for t in member if text_rules.is_prose(t)] for member in texts]
        covered = [
            sum(_key(t) in have for t in member) / len(member) if member else None
            for member in prose
        ]
        seen = [i for i, c in enumerate(covered) if c is not None and c >= 0.5]
        if not seen:
            continue
        for i, c in enumerate(covered):
            if c is None or c > 0.1 or sum(map(text_rules.words, prose[i])) < 30:
                continue
            (before if i < seen[0] else after).extend(texts[i])
    return before + blocks + after if (before or after) else blocks


def _meta_near_title(blocks: list[str], title: str) -> list[str]:
    """By-lines and update stamps printed next to the headline, outside the article text."""
    blocks = [normalise(b) for b in blocks[:3000]]
    try:
        at = next(i for i, b in enumerate(blocks) if title and b.lower() == title.lower())
    except StopIteration:
        at = 0
    window = blocks[max(0, at - 4) : at + 12]
    return [
        b
        for b in window
        if text_rules.is_meta_line(b) and not text_rules.is_prose(b) and not text_rules.is_junk(b)
    ]


def _clean_html(text: str, engine: str = "auto") -> Cleaned:
    title, blocks, meta, around = html_blocks(text, engine)
    # The headline is the title, not the body's first paragraph.
    blocks = [b for b in blocks if b.lower() != title.lower()]
    _, paragraphs, meta_lines = text_rules.clean_lines(blocks, structured=True)
    meta_lines = list(dict.fromkeys([*around, *meta_lines]))
    title = title or _first_words(paragraphs)
    return Cleaned(title, tuple(paragraphs), tuple(meta_lines), meta, "html")


_CODE = re.compile(
    r"<script(?![^>]*ld\+json)[^>]*>.*?</script\s*>|<style[^>]*>.*?</style\s*>|<!--.*?-->",
    re.IGNORECASE | re.DOTALL,
)


def _strip_code(html: str) -> str:
    """Scripts, styles and comments out before parsing: often half a page's bytes, never
    article text (JSON-LD stays, it carries the publication date)."""
    return _CODE.sub(" ", html)


def clean(raw: str | bytes, fmt: str | None = None) -> Cleaned:
    """The article in raw content: title, paragraphs, metadata lines and page metadata."""
    if fmt is not None and fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}; expected one of {', '.join(FORMATS)}")
    if raw is None or len(raw) == 0:
        return Cleaned("", (), fmt=fmt or "text", note="empty input")
    if looks_binary(raw):
        return Cleaned("", (), fmt=fmt or "text", note="binary content, not text or HTML")
    text = decode(raw)
    note = ""
    fmt = fmt or guess_format(text)
    if fmt == "html":
        hazard = guard.html_hazard(text, window=MAX_INPUT_CHARS)
        if hazard:
            return Cleaned("", (), fmt=fmt, note=guard.REFUSED + hazard)
        text = _strip_code(text)
    if len(text) > MAX_INPUT_CHARS:
        text = text[:MAX_INPUT_CHARS]
        note = f"input cut to its first {MAX_INPUT_CHARS:,} characters"
    if not text.strip():
        return Cleaned("", (), fmt=fmt or "text", note="empty input")
    cleaned = _clean_html(text) if fmt == "html" else _clean_text(text)
    note = note or cleaned.note
    if not any(text_rules.is_prose(p) or text_rules.is_sentence(p) for p in cleaned.paragraphs):
        # a few labels ("Home", "Menu") are what is left of a page without an article
        cleaned = Cleaned(cleaned.title, (), cleaned.meta_lines, cleaned.meta, fmt, note)
    if not cleaned.paragraphs:
        note = note or (
            "not an article: nothing but page furniture (menus, links, headlines) was found"
        )
    if note:
        cleaned = Cleaned(
            cleaned.title, cleaned.paragraphs, cleaned.meta_lines, cleaned.meta, fmt, note
        )
    return cleaned


def clean_everything(raw: str | bytes, fmt: str | None = None) -> Cleaned:
    """Every text block of a page, furniture and all: for a page an admin keeps on purpose
    although it is no article (a listing of headlines)."""
    text = decode(raw)[:MAX_INPUT_CHARS]
    fmt = fmt or guess_format(text)
    if fmt == "html":
        soup = html_extract.parse(_strip_code(text))
        meta = {k: normalise(v) for k, v in html_extract.page_meta(soup).items()}
        title = normalise(html_extract.page_title(soup, meta))
        blocks = _dedupe([normalise(b) for b in html_extract.page_blocks(soup)[:MAX_LINES]])
    else:
        meta, blocks = {}, [line for line in normalise(text).split("\n") if line][:MAX_LINES]
        title = blocks[0] if blocks else ""
    paragraphs = tuple(b for b in blocks if b and b.lower() != title.lower())
    return Cleaned(title or _first_words(list(paragraphs)), paragraphs, (), meta, fmt)


def html_to_text(html: str) -> str:
    """The HTML benchmark's interface: page in, article body out."""
    return clean(html, "html").body


def html_to_text_own(html: str) -> str:
    """Our BeautifulSoup extractor alone, for comparison (bench/cleaning.py)."""
    return _clean_html(html, "own").body


def html_to_text_library(html: str) -> str:
    """trafilatura alone behind our line rules, for comparison."""
    return _clean_html(html, "library").body
