"""Mark a search's words in an article body shown after a click from the results.

The engine highlights snippets itself; the article page shows the whole stored body, so this
is a small engine-free approximation: each query word matches words that start with its stem
("cities" finds "city", "smart" finds "smarter"), case- and accent-blind.
"""

from __future__ import annotations

import re
import unicodedata

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

_OPERATORS = {"and", "or", "not", "to"}
_WORD = re.compile(r"\w+", re.UNICODE)
_FIELD = re.compile(r"\b\w+:")
_MIN_STEM = 3


def _fold(text: str) -> str:
    return "".join(
        c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c)
    ).lower()


def _stem(word: str) -> str:
    for suffix in ("ies", "es", "s", "y", "ing", "ed"):
        if word.endswith(suffix) and len(word) - len(suffix) >= _MIN_STEM:
            return word[: -len(suffix)]
    return word


def query_stems(q: str) -> list[str]:
    """The stems worth marking: query words less operators, field names and tiny words."""
    words = _WORD.findall(_FIELD.sub(" ", q))
    stems = {_stem(_fold(w)) for w in words if w.lower() not in _OPERATORS}
    return sorted((s for s in stems if len(s) >= 2), key=len, reverse=True)


def highlight_body(body: str, q: str) -> tuple[SafeString, int]:
    """The body as HTML paragraphs with the query's words in <mark>, and how many were marked."""
    html, marked = _mark(body, q)
    paragraphs = [p.strip() for p in re.split(r"\n\s*\n", html) if p.strip()]
    return (
        mark_safe("\n".join(f"<p>{p.replace(chr(10), '<br>')}</p>" for p in paragraphs)),
        marked,
    )


def highlight_text(text: str, q: str) -> SafeString:
    """One line of text (a title), escaped, with the query's words in <mark>."""
    return mark_safe(_mark(text, q)[0])


def _mark(text: str, q: str) -> tuple[str, int]:
    stems = query_stems(q)
    body = text
    # NFKD folding can change lengths, so fold and match word by word.
    marked = 0
    pieces: list[str] = []
    last = 0
    for m in _WORD.finditer(body):
        folded = _fold(m.group())
        if any(folded.startswith(s) for s in stems):
            pieces.append(escape(body[last : m.start()]))
            pieces.append(f"<mark>{escape(m.group())}</mark>")
            last = m.end()
            marked += 1
    pieces.append(escape(body[last:]))
    return "".join(pieces), marked
