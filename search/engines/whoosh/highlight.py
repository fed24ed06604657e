"""Highlighting the shown hits: the best window of the text, escaped, matches in <mark>.

Whoosh's highlighter runs the full analyzer over the whole body of every hit (~2-3 ms for a
750-word article). Here words are found with the analyzer's own token pattern and each
distinct word is analysed once per process (a bounded cache: the analyzer is a pure
function), so a hit costs a regex pass and dictionary look-ups.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache

from django.utils.html import escape

# The token pattern of Whoosh's RegexTokenizer (used by StemmingAnalyzer).
TOKEN_RE = re.compile(r"\w+(\.?\w+)*", re.UNICODE)
MAX_CACHED_WORDS = 200_000


@lru_cache(maxsize=256)
def _candidates(terms: frozenset) -> re.Pattern:
    """Words that may analyse to one of the terms, found by the regex engine.

    Lower-casing and stemming keep an ASCII word's first two letters, so a word can only
    match if it starts with a term's first two letters (any case), or has a non-ASCII
    letter there (accents are folded by the analyzer).
    """
    heads = sorted({re.escape(t[:2]) for t in terms}, key=len, reverse=True)
    alternatives = "|".join([*heads, r"\w?[^\W\x00-\x7f]"])
    return re.compile(rf"(?<!\w)(?:{alternatives})\w*(?:\.\w+)*", re.IGNORECASE | re.UNICODE)


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

    def matches(self, text: str, terms: frozenset) -> list[tuple[int, int, str]]:
        """(start, end, term) of every word of the text that is one of the terms."""
        cache = self._terms_of
        out = []
        for m in _candidates(terms).finditer(text):
            word = m.group()
            found = cache.get(word)
            if found is None:
                found = self.terms_of(word)
            for term in found:
                if term in terms:
                    out.append((m.start(), m.end(), term))
                    break
        return out

    def whole(self, text: str, terms: frozenset) -> str:
        """All of the text with its matches marked; '' when nothing matches."""
        found = self.matches(text, terms) if terms else []
        return _mark(text, 0, len(text), found) if found else ""

    def fragment(self, text: str, terms: frozenset, width: int = 300) -> str:
        """The window of about `width` characters with the most distinct matched terms."""
        found = self.matches(text, terms) if terms else []
        if not found:
            return ""
        best, best_key = 0, None
        j = 0
        for i, (start, _, _) in enumerate(found):
            j = max(j, i)
            while j + 1 < len(found) and found[j + 1][1] - start <= width:
                j += 1
            window = found[i : j + 1]
            key = (len({t for _, _, t in window}), len(window))
            if best_key is None or key > best_key:
                best, best_key = i, key
        start = found[best][0]
        # Open a little before the first match, at a word boundary.
        lead = text.rfind(" ", max(0, start - 60), start)
        begin = 0 if start <= 60 else (lead + 1 if lead >= 0 else start)
        end = min(len(text), begin + width)
        if end < len(text):
            cut = text.rfind(" ", begin, end)
            end = cut if cut > begin else end
        inside = [f for f in found if f[0] >= begin and f[1] <= end]
        html = _mark(text, begin, end, inside)
        return ("… " if begin > 0 else "") + html + (" …" if end < len(text) else "")


def _mark(text: str, begin: int, end: int, found: list[tuple[int, int, str]]) -> str:
    parts, at = [], begin
    for start, stop, _ in found:
        parts.append(escape(text[at:start]))
        parts.append(f"<mark>{escape(text[start:stop])}</mark>")
        at = stop
    parts.append(escape(text[at:end]))
    return "".join(parts)
