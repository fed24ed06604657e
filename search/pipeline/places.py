"""Cities named in an article, as canonical names from the gazetteer."""

from __future__ import annotations

from search.pipeline.gazetteer import Gazetteer, longest_match, surnames
from search.pipeline.tokens import Token

_ADMIN_WORDS = frozenset({"province", "autonomous", "prefecture", "county-level"})


def find_cities(tokens: list[Token], gazetteer: Gazetteer, covered: set[int]) -> list[str]:
    """Cities in text order; `covered` holds indexes of tokens inside organisation names."""
    index = gazetteer.city_index
    family = surnames()
    found: list[str] = []
    i = 0
    while i < len(tokens):
        if i in covered or not tokens[i].cap:
            i += 1
            continue
        match = longest_match(tokens, i, index)
        if match is None:
            i += 1
            continue
        n, city = match
        if city is not None and not _is_other_use(tokens, i, n, family):
            found.append(city)
        i += n
    return list(dict.fromkeys(found))


def _is_other_use(tokens: list[Token], i: int, n: int, family: frozenset[str]) -> bool:
    prev = tokens[i - 1] if i else None
    # "Wang Xining", "Zhu Dongfang": a given name after a surname is a person, not a place.
    if n == 1 and prev is not None and tokens[i].joined and prev.cap and prev.key in family:
        return True
    nxt = tokens[i + n] if i + n < len(tokens) else None
    # "Jilin province" names the province even where Jilin is also a city.
    return nxt is not None and nxt.joined and nxt.key in _ADMIN_WORDS
