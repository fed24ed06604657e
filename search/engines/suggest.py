""" "Did you mean": one rule for every engine.

A word is replaced only when the archive does not hold it; the replacement is the nearest
word of the index vocabulary or of a facet name (cities and organisations with their
aliases), and the suggestion is offered only when it finds more than the query as typed.
Engines supply what differs: whether a word is known, its near vocabulary words, and a count.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from functools import lru_cache

from search.engines import query as qt

MIN_LENGTH = 3
MAX_EDITS = 2


def edits(a: str, b: str, limit: int = MAX_EDITS) -> int:
    """Optimal string alignment distance (a swap of neighbours is one edit), capped at limit+1."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    prev2, prev = None, list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            cost = ca != cb
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb and prev2 is not None:
                cur[j] = min(cur[j], prev2[j - 2] + 1)
        if min(cur) > limit:
            return limit + 1
        prev2, prev = prev, cur
    return prev[-1]


def facet_words() -> dict[str, str]:
    """Folded word -> the word as written, of every city and organisation name and alias."""
    from search.models import City, Organisation

    rows = [*City.objects.values_list("name", "aliases")]
    rows += [*Organisation.objects.values_list("name", "aliases")]
    return _facet_words(tuple(rows))


@lru_cache(maxsize=4)
def _facet_words(rows: tuple) -> dict[str, str]:
    out: dict[str, str] = {}
    for name, aliases in rows:
        for text in [name, *aliases.splitlines()]:
            for word in re.findall(r"[^\W\d_]+", text):
                if len(word) >= MIN_LENGTH:
                    out.setdefault(qt.fold(word), word)
    return out


def replaceable(parsed: qt.ParsedQuery) -> list[str]:
    """The words of a query a suggestion may replace: plain words of letters, not negated."""
    return [
        w
        for w in dict.fromkeys(parsed.positive_words())
        if len(w) >= MIN_LENGTH and w.isalpha() and not qt.is_stop_word(w)
    ]


def suggest(
    parsed: qt.ParsedQuery,
    typed_total: int,
    *,
    known: Callable[[str], bool],
    near: Callable[[str], Iterable[tuple[str, int]]],
    count: Callable[[str], int],
) -> str | None:
    """The query with each unknown word replaced by its nearest known word, when that finds
    more than the query as typed; else None.

    `known(word)`: the index holds the word. `near(word)`: (word, document frequency) of
    vocabulary words within MAX_EDITS. `count(text)`: how many articles a query finds.
    """
    names = facet_words()
    text, changed = parsed.text, False
    for word in replaceable(parsed):
        folded = qt.fold(word)
        if folded in names or known(word):
            continue  # never replace a word the archive holds
        best = None  # (edits, not a name, -frequency, word)
        for candidate, freq in near(word):
            d = edits(folded, qt.fold(candidate))
            if 0 < d <= MAX_EDITS:
                key = (d, 1, -freq, candidate.lower())
                best = key if best is None or key < best else best
        for key_word, written in names.items():
            if key_word[:1] != folded[:1]:
                continue
            d = edits(folded, key_word)
            if 0 < d <= MAX_EDITS:
                key = (d, 0, 0, written)
                best = key if best is None or key < best else best
        if best is None:
            continue
        typed = re.compile(rf"(?i)(?<!\w){re.escape(word)}(?!\w)")
        replacement = best[3]
        m = typed.search(text)
        if best[1] == 0 and m and m[0].islower() and known(replacement.lower()):
            # A word of a name that the texts also use as a word ("City" of a company's
            # name for "citty"): written as the reader wrote theirs, in lower case.
            replacement = replacement.lower()
        text = typed.sub(replacement.replace("\\", "\\\\"), text, count=1)
        changed = True
    if not changed or text == parsed.text:
        return None
    return text if count(text) > typed_total else None
