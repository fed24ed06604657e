"""The one highlighter: snippets, titles and the article page mark the words a query matched.

A word of the text is marked when it analyses (stemming, accents, case) to a term of the
query's positive leaves, to a word a prefix* or fuzzy~ term expanded to, or starts with a
prefix. Every engine marks through this module (`SearchBackend.highlight` for the article
page), so what is marked is what the query language matches.

Whoosh's highlighter runs the full analyzer over the whole body of every hit (~2-3 ms for a
750-word article). Here words are found with the analyzer's own token pattern and each
distinct word is analysed once per process (a bounded cache: the analyzer is a pure
function), so a hit costs a regex pass and dictionary look-ups.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from whoosh.analysis import CharsetFilter, LowercaseFilter, StemFilter, StopFilter
from whoosh.support.charset import accent_map

from search.engines import analysis
from search.engines import query as qt

# Accents are folded before stemming, so "résumé" and "resume" share a stem; one-letter words
# are kept ("e-government" is the phrase "e government"); the stop list is the query
# language's. The Whoosh index is analysed with this too. The tokenizer reads alphabetic words
# as Whoosh's RegexTokenizer does and CJK runs as analysis.py says.
ANALYZER = (
    analysis.Tokenizer()
    | LowercaseFilter()
    | CharsetFilter(accent_map)
    | StopFilter(stoplist=qt.STOP_WORDS, minsize=1)
    | StemFilter()
)

MAX_CACHED_WORDS = 200_000


@lru_cache(maxsize=256)
def _candidates(terms: frozenset, prefixes: tuple[str, ...] = ()) -> re.Pattern:
    """Words that may analyse to one of the terms, found by the regex engine.

    Lower-casing and stemming keep an ASCII word's first two letters, so a word can only
    match if it starts with a term's first two letters (any case), or has a non-ASCII
    letter there (accents are folded by the analyzer).
    """
    heads = sorted({re.escape(t[:2]) for t in [*terms, *prefixes]}, key=len, reverse=True)
    alternatives = "|".join([*heads, r"\w?[^\W\x00-\x7f]"])
    return re.compile(rf"(?<!\w)(?:{alternatives})\w*(?:\.\w+)*", re.IGNORECASE | re.UNICODE)


@lru_cache(maxsize=256)
def _ascii_candidates(terms: frozenset, prefixes: tuple[str, ...] = ()) -> re.Pattern | None:
    """_candidates for lower-cased ASCII text (None: no term can match there)."""
    heads = sorted(
        {re.escape(t[:2].lower()) for t in [*terms, *prefixes] if t[:2].isascii()},
        key=len,
        reverse=True,
    )
    if not heads:
        return None
    return re.compile(rf"(?<!\w)(?:{'|'.join(heads)})\w*(?:\.\w+)*")


class Highlighter:
    def __init__(self, analyzer: Callable) -> None:
        self.analyzer = analyzer
        self._terms_of: dict[str, tuple[str, ...]] = {}

    def terms_of(self, word: str) -> tuple[str, ...]:
        """The index terms one word of text becomes (stemmed, folded; none for stop words)."""
        found = self._terms_of.get(word)
        if found is None:
            found = tuple(t.text for t in self.analyzer(word))
            if len(self._terms_of) >= MAX_CACHED_WORDS:
                self._terms_of.clear()
            self._terms_of[word] = found
        return found

    def matches(
        self, text: str, terms: frozenset, prefixes: tuple[str, ...] = ()
    ) -> list[tuple[int, int, str]]:
        """(start, end, term) of every word of the text that is one of the terms or starts
        with one of the (folded) prefixes; CJK terms wherever their characters stand."""
        cache = self._terms_of
        if text.isascii():
            # No CJK, and lower() keeps every offset: a case-sensitive scan of the lowered
            # text (a third of the time of the case-insensitive one over a long body).
            out = []
            pattern = _ascii_candidates(terms, prefixes)
            lowered = text.lower()
            found_words = (
                ((m.start(), m.end(), m.group()) for m in pattern.finditer(lowered))
                if pattern is not None
                else ()
            )
        else:
            out = _cjk_matches(text, terms)
            found_words = _words(_candidates(terms, prefixes).finditer(text))
        for start, end, word in found_words:
            found = cache.get(word)
            if found is None:
                found = self.terms_of(word)
            for term in found:
                if term in terms:
                    out.append((start, end, term))
                    break
            else:
                if prefixes:
                    folded = qt.fold(word)
                    hit = next((p for p in prefixes if folded.startswith(p)), None)
                    if hit is not None:
                        out.append((start, end, hit + "*"))
        return sorted(out) if out and analysis.has_cjk(text) else out

    def whole(self, text: str, terms: frozenset, prefixes: tuple[str, ...] = ()) -> str:
        """All of the text with its matches marked; '' when nothing matches."""
        found = self.matches(text, terms, prefixes) if terms or prefixes else []
        return _mark(text, 0, len(text), found) if found else ""

    def fragment(
        self, text: str, terms: frozenset, width: int = 300, prefixes: tuple[str, ...] = ()
    ) -> str:
        """The window of about `width` characters with the most distinct matched terms."""
        found = self.matches(text, terms, prefixes) if terms or prefixes else []
        if not found:
            return ""
        best, best_key = 0, None
        # Windows found[i..j], slid along with a count of each term in the window.
        in_window: dict[str, int] = {}
        j = -1
        for i, (start, _, _) in enumerate(found):
            if 0 < i <= j + 1:
                term = found[i - 1][2]
                in_window[term] -= 1
                if not in_window[term]:
                    del in_window[term]
            if j < i:
                j = i
                in_window[found[i][2]] = in_window.get(found[i][2], 0) + 1
            while j + 1 < len(found) and found[j + 1][1] - start <= width:
                j += 1
                in_window[found[j][2]] = in_window.get(found[j][2], 0) + 1
            key = (len(in_window), j - i + 1)
            if best_key is None or key > best_key:
                best, best_key = i, key
        start = found[best][0]
        # Open a little before the first match, at a word boundary.
        lead = _last_break(text, max(0, start - 60), start)
        begin = 0 if start <= 60 else (lead + 1 if lead >= 0 else start)
        end = min(len(text), begin + width)
        if end < len(text):
            cut = _last_break(text, begin, end)
            end = cut if cut > begin else end
        inside = [f for f in found if f[0] >= begin and f[1] <= end]
        html = _mark(text, begin, end, inside)
        return ("… " if begin > 0 else "") + html + (" …" if end < len(text) else "")


def _words(candidates: Iterable[re.Match]) -> Iterator[tuple[int, int, str]]:
    """(start, end, word) of candidate words; in one glued to CJK characters ("Huawei在深圳
    发布5G"), its alphabetic words alone (the CJK characters are _cjk_matches' part)."""
    for m in candidates:
        word = m.group()
        if not analysis.has_cjk(word):
            yield m.start(), m.end(), word
            continue
        for piece in analysis.WORD_RE.finditer(word):
            yield m.start() + piece.start(), m.start() + piece.end(), piece.group()


# Where a snippet may open or close: a space, or Chinese punctuation (Chinese has no spaces).
_BREAKS = re.compile(r"[\s。！？；，、：]")


def _last_break(text: str, lo: int, hi: int) -> int:
    """The offset of the last break in text[lo:hi], -1 when there is none."""
    found = -1
    for m in _BREAKS.finditer(text, lo, hi):
        found = m.start()
    return found


def _cjk_matches(text: str, terms: frozenset) -> list[tuple[int, int, str]]:
    """Where the CJK terms stand in the text. A CJK query word matches as its characters
    next to each other, so each place it occurs is marked. A single character that is also
    part of a longer term of the query is one of that word's characters (an engine may
    report it as matched), not a word of its own: it is not marked alone."""
    cjk = [t for t in terms if analysis.has_cjk(t)]
    if not cjk:
        return []
    longer = [t for t in cjk if len(t) > 1]
    words = [t for t in cjk if len(t) > 1 or not any(t in w for w in longer)]
    return analysis.spans(text, words)


def _mark(text: str, begin: int, end: int, found: list[tuple[int, int, str]]) -> str:
    parts, at = [], begin
    for start, stop, _ in found:
        parts.append(escape(text[at:start]))
        parts.append(f"<mark>{escape(text[start:stop])}</mark>")
        at = stop
    parts.append(escape(text[at:end]))
    return "".join(parts)


HIGHLIGHTER = Highlighter(ANALYZER)


@dataclass(frozen=True)
class Marks:
    """What to mark for one query: index terms, and prefixes of folded words."""

    terms: frozenset = frozenset()
    prefixes: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.terms or self.prefixes)


def marks_for(parsed: qt.ParsedQuery, expanded: Iterable[str] = ()) -> Marks:
    """The marks of a query's positive text leaves; `expanded` adds the words an engine
    expanded prefix / fuzzy terms to (analysed like the text)."""
    terms: set[str] = set()
    prefixes: list[str] = []
    for leaf in positive_leaves(parsed.tree):
        if isinstance(leaf, (qt.Word, qt.Phrase)):
            words = [leaf.text] if isinstance(leaf, qt.Word) else list(leaf.words)
            for word in words:
                terms.update(HIGHLIGHTER.terms_of(word))
        elif isinstance(leaf, qt.Prefix) and leaf.field not in qt.FACET_FIELDS:
            prefixes.append(qt.fold(leaf.text))
        elif isinstance(leaf, qt.Fuzzy) and leaf.field not in qt.FACET_FIELDS:
            terms.update(HIGHLIGHTER.terms_of(leaf.text))
    for word in expanded:
        terms.update(HIGHLIGHTER.terms_of(word))
    return Marks(frozenset(terms), tuple(sorted(set(prefixes), key=len, reverse=True)))


def positive_leaves(node: qt.Node | None, negated: bool = False) -> list[qt.Node]:
    """The leaves a match holds (not those under NOT)."""
    if node is None:
        return []
    if isinstance(node, (qt.And, qt.Or)):
        return [leaf for c in node.children for leaf in positive_leaves(c, negated)]
    if isinstance(node, qt.Not):
        return positive_leaves(node.child, not negated)
    return [] if negated else [node]


def title_html(title: str, marks: Marks) -> str:
    return HIGHLIGHTER.whole(title, marks.terms, marks.prefixes) or escape(title)


def snippet_html(body: str, marks: Marks, width: int = 300) -> str:
    found = HIGHLIGHTER.fragment(body, marks.terms, width, marks.prefixes) if marks else ""
    if found:
        return found
    if len(body) <= width:
        return escape(body)
    return escape(body[:width].rsplit(" ", 1)[0]) + " …"


def body_html(body: str, marks: Marks) -> tuple[SafeString, int]:
    """The whole body as HTML paragraphs with the matches marked, and how many were marked."""
    found = HIGHLIGHTER.matches(body, marks.terms, marks.prefixes) if marks else []
    html = _mark(body, 0, len(body), found)
    paragraphs = [p.strip() for p in re.split(r"\n\s*\n", html) if p.strip()]
    rendered = "\n".join(f"<p>{p.replace(chr(10), '<br>')}</p>" for p in paragraphs)
    return mark_safe(rendered), len(found)  # noqa: S308 - every piece escaped by _mark
