"""Cities named in an article, as canonical names from the gazetteer.

A city counts where the text names the place, not where its name is part of another name
("Los Angeles Times", "Real Madrid", "Manchester United", "FC Porto"), stands for a
government ("Beijing said", "Washington wants"), or is a person ("Jackson said").
"""

from __future__ import annotations

import re
from functools import lru_cache

from search.pipeline.gazetteer import (
    Gazetteer,
    capital_city_keys,
    geonames,
    longest_match,
    qualified_places,
    surnames,
    world_only_city_names,
)
from search.pipeline.tokens import Token, name_key

_ADMIN_WORDS = frozenset(
    {"province", "autonomous", "prefecture", "county-level", "state", "county", "district"}
)
# Capitalised words that may stand before a city's name without making it part of another
# name: sentence openers, prepositions, directions, "Greater", "Downtown".
_LEAD_WORDS = frozenset(
    [
        "a",
        "an",
        "the",
        "in",
        "at",
        "on",
        "of",
        "from",
        "to",
        "for",
        "into",
        "near",
        "outside",
        "inside",
        "across",
        "around",
        "by",
        "via",
        "and",
        "or",
        "but",
        "while",
        "when",
        "where",
        "as",
        "after",
        "before",
        "since",
        "until",
        "like",
        "with",
        "without",
        "between",
        "within",
        "greater",
        "downtown",
        "central",
        "north",
        "south",
        "east",
        "west",
        "northern",
        "southern",
        "eastern",
        "western",
        "northeast",
        "northwest",
        "southeast",
        "southwest",
        "uptown",
        "midtown",
        "metro",
        "metropolitan",
        "suburban",
        "rural",
        "urban",
        "old",
        "new",
        "both",
        "all",
        "each",
        "every",
        "many",
        "some",
        "several",
        "most",
        "only",
        "also",
        "even",
        "visit",
        "visiting",
        "visited",
        "leave",
        "leaving",
        "left",
        "reach",
        "reaching",
        "reached",
        "says",
        "said",
        "says",
    ]
)
# Words after a capital's name that make it its government ("Beijing wants", "Moscow
# denied"); a copula or an auxiliary does not ("Beijing is 56th").
_GOVERNMENT_VERBS = frozenset(
    [
        "wants",
        "wanted",
        "insists",
        "insisted",
        "accused",
        "accuses",
        "demanded",
        "demands",
        "rejected",
        "rejects",
        "agreed",
        "agrees",
        "denied",
        "denies",
        "warned",
        "warns",
        "urged",
        "urges",
        "announced",
        "believes",
        "hopes",
        "sees",
        "views",
        "plans",
        "intends",
        "refused",
        "refuses",
        "responded",
        "retaliated",
        "signalled",
        "signaled",
        "balked",
        "balks",
        "vowed",
        "vows",
        "threatened",
        "threatens",
        "invaded",
        "imposed",
        "sanctioned",
        "pledged",
        "pressed",
    ]
)
_TEAM_WORDS = frozenset(
    [
        "quarterback",
        "quarterbacks",
        "coach",
        "coaches",
        "soccer",
        "football",
        "basketball",
        "hockey",
        "baseball",
        "player",
        "players",
        "fans",
        "squad",
        "striker",
        "midfielder",
        "defender",
        "goalkeeper",
        "linebacker",
        "receiver",
        "pitcher",
        "forward",
        "forwards",
    ]
)
_SPEECH = frozenset(["said", "says", "told", "added", "explained", "noted", "argued", "wrote"])
_SENTENCE_GAP = re.compile(r"[.!?:;\"“”]\s*$|\n")


def find_cities(
    tokens: list[Token],
    gazetteer: Gazetteer,
    covered: set[int],
    text: str = "",
    title_case: bool = False,
) -> list[str]:
    """Cities in text order; `covered` holds indexes of tokens inside organisation names.

    `text` (the string the tokens come from) lets a sentence's first word be told apart;
    in a Title Case headline every word is capitalised, so neighbours prove nothing there.
    """
    index = gazetteer.city_index
    family = surnames()
    capitals = capital_city_keys()
    weak = world_only_city_names()
    found: list[str] = []
    mid_sentence: set[str] = set()
    at_start: list[str] = []
    capital_uses: dict[str, set[str]] = {}
    first_words = index.first_words  # (longest_match's first test, without the call)
    i = 0
    while i < len(tokens):
        token = tokens[i]
        if not token.cap or token.key not in first_words or i in covered:
            i += 1
            continue
        match = longest_match(tokens, i, index)
        if match is None:
            i += 1
            continue
        n, city = match
        key = " ".join(t.key for t in tokens[i : i + n])
        if city is not None and key in capitals:
            use = _capital_use(tokens, i, n, text)
            if use:
                capital_uses.setdefault(city, set()).add(use)
        if city is not None and not _is_other_use(tokens, i, n, family, capitals, title_case, text):
            if title_case or (
                _starts_sentence(tokens, i, text) and not _dateline(tokens, i, n, text)
            ):
                at_start.append(city)
            else:
                mid_sentence.add(city)
            found.append(city)
        i += n
    # A name only the world list knows, seen only as a sentence's first word (or in a Title
    # Case headline), is more likely an ordinary word there ("Mobile", "Reading") than a city.
    doubtful = {c for c in at_start if c in weak and c not in mid_sentence}
    # A capital the article uses for its government ("Beijing's demands", "talks with
    # Beijing") counts as a place only where the article also puts something in it.
    doubtful |= {
        c for c, uses in capital_uses.items() if "government" in uses and "place" not in uses
    }
    return list(dict.fromkeys(c for c in found if c not in doubtful))


# Before a capital: where something is ("in Beijing") or what it is dealt with as
# ("talks with Beijing", "pressure on Beijing", "toward Beijing").
_LOCATIVE = frozenset(
    [
        "in",
        "at",
        "near",
        "outside",
        "inside",
        "around",
        "across",
        "into",
        "throughout",
        "downtown",
        "central",
        "visited",
        "visit",
        "visiting",
        "to",
        "via",
    ]
)
_DEALT_WITH = frozenset(["with", "toward", "towards", "against", "on", "confronting", "pressure"])


def _capital_use(tokens: list[Token], i: int, n: int, text: str) -> str:
    """ "place", "government" or "" (cannot tell) for one mention of a national capital."""
    prev = tokens[i - 1] if i else None
    nxt = tokens[i + n] if i + n < len(tokens) else None
    end = tokens[i + n - 1].end
    after = text[end : end + 12] if text else ""
    if after.startswith(("'s", "’s")) or (
        nxt is not None and nxt.joined and nxt.key in _GOVERNMENT_VERBS
    ):
        return "government"
    if prev is not None and tokens[i].joined and prev.key in _DEALT_WITH:
        return "government"
    if (prev is not None and tokens[i].joined and prev.key in _LOCATIVE) or re.match(
        r"-based|\s*[,(]\s*[A-Z]|\s*[—–-]\s", after
    ):
        return "place"
    return ""


def _dateline(tokens: list[Token], i: int, n: int, text: str) -> bool:
    """ "INDIANAPOLIS (AP) —", "Indianapolis – Several thousand": a dateline names a place."""
    after = text[tokens[i + n - 1].end : tokens[i + n - 1].end + 3] if text else ""
    return bool(re.match(r"\s*[,(–—-]", after))


def _starts_sentence(tokens: list[Token], i: int, text: str) -> bool:
    if i == 0:
        return True
    if not text:
        return False
    gap = text[tokens[i - 1].end : tokens[i].start]
    return bool(_SENTENCE_GAP.search(gap))


def _is_other_use(
    tokens: list[Token],
    i: int,
    n: int,
    family: frozenset[str],
    capitals: frozenset[str],
    title_case: bool,
    text: str = "",
) -> bool:
    prev = tokens[i - 1] if i else None
    nxt = tokens[i + n] if i + n < len(tokens) else None
    # "Wang Xining", "Zhu Dongfang": a given name after a surname is a person, not a place.
    if n == 1 and prev is not None and tokens[i].joined and prev.cap and prev.key in family:
        return True
    # "Jilin province" names the province even where Jilin is also a city.
    if nxt is not None and nxt.joined and nxt.key in _ADMIN_WORDS:
        return True
    if nxt is not None and nxt.joined and nxt.key in _SPEECH:
        return True  # "Jackson said": a person; "Beijing said": a government
    if nxt is not None and nxt.joined and nxt.key in _TEAM_WORDS:
        return True  # "the Pittsburgh quarterback", "Barcelona soccer player": a team
    key = " ".join(t.key for t in tokens[i : i + n])
    if key in _us_state_keys() and _listed_with_states(tokens, i, n):
        return True  # "Colorado, Washington, Alaska and Oregon": the state
    if key in capitals:
        if nxt is not None and nxt.joined and nxt.key in _GOVERNMENT_VERBS:
            return True
        # "Beijing's demands", "to Beijing's chagrin": the government's, as news uses it
        end = tokens[i + n - 1].end
        if text[end : end + 2] in ("'s", "’s"):
            return True
    if title_case:
        return False
    # Inside a longer capitalised name: "Real Madrid", "FC Porto", "Los Angeles Times",
    # "Manchester United", "Madison Square Garden".
    inside = prev is not None and tokens[i].joined and (prev.cap or prev.kind == "amp")
    if inside and prev.key not in _LEAD_WORDS:
        return True
    if nxt is not None and nxt.joined and (nxt.cap or nxt.kind in ("ltd", "group")):
        # ... unless the longer name is a place in the city: "Suzhou Industrial Park",
        # "Fuzhou Strait International Conference and Exhibition Center"
        return not _place_in_city(tokens, i + n)
    return False


# Words of names of places inside a city (parks, zones, venues, transport), which name the
# city they are in; a newspaper, a team or a company does not.
_PLACE_WORDS = frozenset(
    [
        "park",
        "zone",
        "district",
        "port",
        "airport",
        "station",
        "road",
        "street",
        "avenue",
        "square",
        "strait",
        "lake",
        "river",
        "island",
        "expo",
        "center",
        "centre",
        "hall",
        "arena",
        "stadium",
        "conference",
        "exhibition",
        "convention",
        "museum",
        "campus",
        "terminal",
        "metro",
        "railway",
        "harbour",
        "harbor",
        "pier",
        "plaza",
        "tower",
    ]
)


def _place_in_city(tokens: list[Token], i: int) -> bool:
    j = i
    while j < len(tokens) and j - i < 12 and tokens[j].joined:
        if tokens[j].key in _PLACE_WORDS:
            return True
        if not (tokens[j].cap or tokens[j].key in ("of", "and", "for", "the")):
            break
        j += 1
    return False


# "Greenbelt, Maryland", "Ithaca, N.Y.", "Baar (Switzerland)": a town and where it is.
# (`[A-Z](?<!\w[A-Z])` is `\b[A-Z]`: a pattern that starts with a character class lets the
# regex engine skip to the next capital; one that starts with `\b` is tried at every
# character of the text. Same matches, a third of the time.)
_QUALIFIED = re.compile(
    r"([A-Z](?<!\w[A-Z])[\w'’.-]+(?: [A-Z][\w'’.-]+){0,2})(?:, | \()([A-Z][\w.]+(?: [A-Z][\w.]+)?)"
)


def find_qualified_places(text: str, covered_spans: list[tuple[int, int]] = ()) -> list[str]:
    """Towns the city list leaves out (too small) that the text places in a US state or a
    country, outside organisation names."""
    places = qualified_places()
    found = []
    for m in _QUALIFIED.finditer(text):
        if any(a <= m.start() < b for a, b in covered_spans):
            continue
        region = name_key(m[2].replace(".", ""))
        words = m[1].split(" ")
        for n in range(len(words)):  # "In Greenbelt" and "Greenbelt" alike
            hit = places.get((name_key(" ".join(words[n:])), region))
            if hit:
                found.append(hit)
                break
    return found


@lru_cache(maxsize=1)
def _us_state_keys() -> frozenset[str]:
    return frozenset(name_key(s["name"]) for s in geonames("us_states").values())


def _listed_with_states(tokens: list[Token], i: int, n: int) -> bool:
    """Whether the word before or after the name (across a comma or "and") is a US state."""
    states = _us_state_keys()
    before = [t.key for t in tokens[max(0, i - 2) : i]]
    after = [t.key for t in tokens[i + n : i + n + 2]]
    near = {before[-1] if before else "", after[0] if after else ""}
    if before[-1:] == ["and"] and len(before) == 2:
        near.add(before[0])
    if after[:1] == ["and"] and len(after) == 2:
        near.add(after[1])
    return bool(near & states)
