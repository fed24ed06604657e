"""Facet counting off the database's hot path: each app process keeps the facet columns of
every article (numpy arrays) and counts a search's facets, timelines, tallies and pairs from
the ids of its matches, which is all PostgreSQL is then asked for.

At 100,000 articles a search matching all of them spent ~0.1-0.15 s of server CPU joining
the facet-array rows, ~0.18 s per top-30 tally (250k-300k ids unnested and hashed) and
~0.14 s per pair table; here each is a bincount or a small matrix product over arrays in
memory (milliseconds), and the matches travel as one binary string of ids.

Exactness across app servers: the columns are loaded in one statement together with the
data version (schema.DATA_VERSION), and each search reads the version again in the same
statement as its matches (one snapshot). The columns are used only when both versions are
equal, so a write made through any process (or replayed on a replica) is never counted from
columns loaded before it; a changed version reloads the columns, or, while a reload is
refused (settings.SEARCH_POSTGRES_FACET_RELOAD_SECONDS), the search counts in SQL as before.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field

import numpy as np
from django.conf import settings

from search.engines.base import UNDATED
from search.engines.postgres import schema as pg_schema
from search.engines.postgres.sql import ARTICLE, CITY, ORG, Bool, Sql

EPOCH = dt.date(1970, 1, 1)
NO_DAY = np.iinfo(np.int32).min

_VERSION = f"(SELECT array_agg(stamp ORDER BY shard) FROM {pg_schema.DATA_VERSION})"
_ARRAYS = pg_schema.FACET_ARRAYS
_LINKS = {  # facet -> (array column, value table)
    "city": (pg_schema.FACET_ARRAY_COLUMNS["city"], CITY),
    "organisation": (pg_schema.FACET_ARRAY_COLUMNS["organisation"], ORG),
}


def _binary(column: str, send: str, source: str = "r") -> str:
    """One bytea of every row's value in id order (network byte order)."""
    return f"(SELECT string_agg({send}({column}), ''::bytea ORDER BY r.id) FROM {source})"


# Everything in one statement, so in one snapshot with the version. Rows: the article's own
# columns and its facet arrays; a link facet as its lengths plus every id in the same order.
_LOAD = f"""
WITH r AS MATERIALIZED (
  SELECT a.id, coalesce(a.year, 0)::int2 AS year,
         coalesce((a.published_date - DATE '1970-01-01'), {int(NO_DAY)})::int4 AS day,
         a.source_name, a.language, (a.is_representative IS NOT FALSE) AS rep,
         coalesce(fa.city_ids, '{{}}') AS city_ids, coalesce(fa.org_ids, '{{}}') AS org_ids
  FROM {ARTICLE} a LEFT JOIN {_ARRAYS} fa ON fa.article_id = a.id
)
SELECT {_VERSION},
  {_binary("r.id", "int8send")},
  {_binary("r.year", "int2send")},
  {_binary("r.day", "int4send")},
  (SELECT array_agg(r.source_name ORDER BY r.id) FROM r),
  (SELECT array_agg(r.language ORDER BY r.id) FROM r),
  {_binary("r.rep::int::int2", "int2send")},
  {_binary("cardinality(r.city_ids)::int4", "int4send")},
  (SELECT string_agg(int8send(c), ''::bytea ORDER BY r.id) FROM r, unnest(r.city_ids) c),
  {_binary("cardinality(r.org_ids)::int4", "int4send")},
  (SELECT string_agg(int8send(o), ''::bytea ORDER BY r.id) FROM r, unnest(r.org_ids) o),
  (SELECT array_agg(id ORDER BY id) FROM {CITY}), (SELECT array_agg(name ORDER BY id) FROM {CITY}),
  (SELECT array_agg(id ORDER BY id) FROM {ORG}), (SELECT array_agg(name ORDER BY id) FROM {ORG})
"""


def _ints(data: bytes | None, dtype: str) -> np.ndarray:
    return np.frombuffer(data or b"", dtype=dtype).astype(dtype[1:])


def _codes(values: list[str] | None) -> tuple[np.ndarray, list[str]]:
    """Dictionary-encoded strings: (code per row, names); '' (no value) is code -1."""
    if not values:
        return np.zeros(0, np.int32), []
    names, inverse = np.unique(np.asarray(values, dtype=object), return_inverse=True)
    names = [str(n) for n in names]
    codes = inverse.astype(np.int32)
    if names and names[0] == "":
        codes -= 1
        names = names[1:]
    return codes, names


@dataclass
class Link:
    """A facet with several values per article, as flat entries: entry j says that article
    row article[j] holds the value code codes[j]; code k is the value named names[k]."""

    article: np.ndarray
    codes: np.ndarray
    names: list[str]
    by_name: dict[str, list[int]]

    @classmethod
    def build(cls, lengths, ids, value_ids, value_names) -> Link:
        value_ids = np.asarray(value_ids or [], dtype=np.int64)
        codes = np.searchsorted(value_ids, ids).astype(np.int32)
        names = list(value_names or [])
        by_name: dict[str, list[int]] = {}
        for code, name in enumerate(names):
            by_name.setdefault(name, []).append(code)
        article = np.repeat(np.arange(len(lengths), dtype=np.int32), lengths)
        return cls(article, codes, names, by_name)

    def any_of(self, names, n: int) -> np.ndarray:
        """Per article row (n of them): whether it holds a value of one of these names."""
        wanted = np.zeros(len(self.names), bool)
        for name in names:
            wanted[self.by_name.get(name, [])] = True
        mask = np.zeros(n, bool)
        mask[self.article[wanted[self.codes]]] = True
        return mask

    def count(self, rows: np.ndarray) -> np.ndarray:
        """Articles per value code among the marked rows."""
        return np.bincount(self.codes[rows[self.article]], minlength=len(self.names))


@dataclass
class Columns:
    """One snapshot of every article's facet columns, rows in id order."""

    version: list[int]
    ids: np.ndarray
    year: np.ndarray  # 0: none
    month: np.ndarray  # year * 12 + month - 1 of the publication date; -1: none
    day: np.ndarray  # days since 1970-01-01; NO_DAY: none
    source: np.ndarray
    sources: list[str]
    language: np.ndarray
    languages: list[str]
    representative: np.ndarray
    links: dict[str, Link]
    # The matches of atoms of query conditions, found at this snapshot (see matches()).
    kept: Kept = field(default_factory=lambda: Kept(settings.SEARCH_POSTGRES_MATCH_CACHE_MB))

    @classmethod
    def load(cls, cursor) -> Columns:
        cursor.execute(_LOAD)
        (
            version,
            ids,
            year,
            day,
            sources,
            languages,
            rep,
            city_n,
            city_ids,
            org_n,
            org_ids,
            city_keys,
            city_names,
            org_keys,
            org_names,
        ) = cursor.fetchone()
        day_arr = _ints(day, ">i4")
        dated = day_arr != NO_DAY
        month = np.full(len(day_arr), -1, np.int32)
        if dated.any():
            dates = (np.datetime64("1970-01-01") + day_arr[dated].astype("timedelta64[D]")).astype(
                "datetime64[M]"
            )
            month[dated] = dates.astype(np.int64).astype(np.int32) + 1970 * 12
        source, source_names = _codes(sources)
        language, language_names = _codes(languages)
        return cls(
            version=list(version or []),
            ids=_ints(ids, ">i8"),
            year=_ints(year, ">i2"),
            month=month,
            day=day_arr,
            source=source,
            sources=source_names,
            language=language,
            languages=language_names,
            representative=_ints(rep, ">i2").astype(bool),
            links={
                "city": Link.build(
                    _ints(city_n, ">i4"), _ints(city_ids, ">i8"), city_keys, city_names
                ),
                "organisation": Link.build(
                    _ints(org_n, ">i4"), _ints(org_ids, ">i8"), org_keys, org_names
                ),
            },
        )

    def __len__(self) -> int:
        return len(self.ids)

    def rows(self, ids: np.ndarray) -> np.ndarray | None:
        """A row mask of these article ids; None when one is not here (never, at one version)."""
        at = np.searchsorted(self.ids, ids)
        if len(ids) and (at.max() >= len(self.ids) or not np.array_equal(self.ids[at], ids)):
            return None
        mask = np.zeros(len(self.ids), bool)
        mask[at] = True
        return mask

    # -- the facets' selections and values ----------------------------------------------

    def selected(self, facet: str, values) -> np.ndarray:
        """Rows holding one of the selected values (FACET_SQL's meaning of each facet)."""
        values = list(values)
        if facet in self.links:
            return self.links[facet].any_of(values, len(self.ids))
        if facet == "year":
            years = [int(v) for v in values if v.isdigit()]
            mask = np.isin(self.year, [y for y in years if y > 0])
            if UNDATED in values:
                mask |= self.year == 0
            return mask
        codes, names = self._column(facet)
        chosen = set(values)
        wanted = [i for i, name in enumerate(names) if name in chosen]
        return np.isin(codes, wanted)

    def _column(self, facet: str) -> tuple[np.ndarray, list[str]]:
        if facet == "source":
            return self.source, self.sources
        return self.language, self.languages

    def value_counts(self, facet: str, rows: np.ndarray) -> dict[str, int]:
        """Articles per value of the facet among the marked rows (values with none left out)."""
        if facet in self.links:
            link = self.links[facet]
            counts = link.count(rows)
            out: dict[str, int] = {}
            for code in np.flatnonzero(counts):
                name = link.names[code]
                out[name] = out.get(name, 0) + int(counts[code])
            return out
        if facet == "year":
            counts = np.bincount(self.year[rows], minlength=1)
            out = {str(y): int(n) for y, n in enumerate(counts) if n and y}
            if counts[0]:
                out[UNDATED] = int(counts[0])
            return out
        codes, names = self._column(facet)
        picked = codes[rows]
        counts = np.bincount(picked[picked >= 0], minlength=len(names))
        return {names[i]: int(counts[i]) for i in np.flatnonzero(counts)}

    def timeline(self, rows: np.ndarray) -> tuple[int, dict[int, int], dict[str, int]]:
        """(total, years, months) of the marked rows, as aggregate.timeline counts them."""
        years = np.bincount(self.year[rows], minlength=1)
        months = self.month[rows]
        months = months[months >= 0]
        by_month: dict[str, int] = {}
        if len(months):
            first = int(months.min())
            counts = np.bincount(months - first)
            for i in np.flatnonzero(counts):
                y, m = divmod(first + int(i), 12)
                by_month[f"{y:04d}-{m + 1:02d}"] = int(counts[i])
        return (
            int(rows.sum()),
            {y: int(n) for y, n in enumerate(years) if n and y},
            by_month,
        )

    def page(self, rows: np.ndarray, sort: str, offset: int, limit: int) -> list[int]:
        """Ids of one page of the marked rows in sql.page's order for `sort`: "oldest" by
        publication date then id, undated last; "added" by id, newest first; else by date,
        newest first, undated last."""
        at = np.flatnonzero(rows)  # rows are in id order
        if not len(at) or limit <= 0 or offset >= len(at):
            return []
        if sort == "added":
            key = at.astype(np.int64)
        else:  # one int64 per row, (date, row), undated below (newest) or above every date
            day = self.day[at].astype(np.int64)
            # Not NO_DAY itself: NO_DAY << 32 is the smallest int64, which negates to itself.
            day[day == NO_DAY] = np.iinfo(np.int32).max * (1 if sort == "oldest" else -1)
            key = (day << 32) + at
        if sort != "oldest":
            key = -key
        wanted = min(offset + limit, len(at))
        best = np.argpartition(key, wanted - 1)[:wanted] if wanted < len(at) else np.arange(len(at))
        best = best[np.argsort(key[best])][offset:]
        return [int(i) for i in self.ids[at[best]]]

    def cells(
        self, rows: np.ndarray, row_facet: str, row_codes: list[int], col_facet: str, col_codes
    ) -> np.ndarray:
        """Articles among the marked rows per (row value, column value) of the given codes,
        as a len(row_codes) x len(col_codes) table: each article's row entries paired with
        its column entries (entries are in article order, so an article's column entries
        are one run), and the pairs counted with one bincount. (A product of indicator
        matrices took 0.3-0.6 s of BLAS threads on a busy machine; this takes ~10 ms.)"""
        a_rows, a_pos = self._entries(rows, self.links[row_facet], row_codes)
        b_rows, b_pos = self._entries(rows, self.links[col_facet], col_codes)
        width = len(col_codes)
        per_article = np.bincount(b_rows, minlength=len(self.ids))
        first = np.zeros(len(self.ids), np.int64)
        np.cumsum(per_article[:-1], out=first[1:])
        repeats = per_article[a_rows]  # the column entries each row entry pairs with
        count = int(repeats.sum())
        run_start = np.repeat(first[a_rows] - (np.cumsum(repeats) - repeats), repeats)
        partner = run_start + np.arange(count)
        keys = np.repeat(a_pos, repeats) * width + b_pos[partner]
        table = np.bincount(keys, minlength=len(row_codes) * width)
        return table.reshape(len(row_codes), width)

    @staticmethod
    def _entries(rows: np.ndarray, link: Link, codes: list[int]):
        """(article row, position in `codes`) of the marked rows' entries of these codes."""
        position = np.full(len(link.names), -1, np.int64)
        position[codes] = np.arange(len(codes))
        pos = position[link.codes]
        keep = (pos >= 0) & rows[link.article]
        return link.article[keep], pos[keep]


class FacetColumns:
    """The columns of each database this process reads (per alias: the primary, replicas),
    checked against the data version read with each search's matches."""

    def __init__(self) -> None:
        self._columns: dict[str, Columns] = {}
        self._loaded_at: dict[str, float] = {}
        self._versioned: dict[str, bool] = {}
        self._lock = threading.Lock()

    def matches(self, cursor, alias: str, tree: Bool | Sql) -> tuple[Columns, np.ndarray] | None:
        """(columns, row mask) of the articles matching the condition `tree` (its atoms test
        the article row `a`), or None when the columns cannot be brought to the version of
        the matches (a reload was refused, or the database has no version table).

        A word held by a fifth of 100,000 articles costs a bitmap heap scan of the whole
        table (20-30 ms, 300 ms with a year range) each time a search asks for it. So each
        atom's matches, once fetched (as ids, in the statement that reads the version), are
        kept with the columns until the next write, and the tree combines them here."""
        if not self._has_version(cursor, alias):
            return None
        wanted = {_key(atom): atom for atom in _atoms(tree)}
        for _ in range(2):
            columns = self._columns.get(alias)
            if columns is None:  # none loaded yet: no ids are worth fetching before
                if not self._reload(cursor, alias):
                    return None
                continue
            masks = {key: m for key in wanted if (m := columns.kept.get(key)) is not None}
            missing = [atom for key, atom in wanted.items() if key not in masks]
            found = [
                f"(SELECT string_agg(int8send(a.id), ''::bytea) FROM {ARTICLE} a WHERE {a.sql})"
                for a in missing
            ]
            cursor.execute(
                f"SELECT {', '.join([_VERSION, *found])}", [p for a in missing for p in a.params]
            )
            version, *ids = cursor.fetchone()
            if list(version or []) == columns.version:
                rows = [columns.rows(np.sort(_ints(data, ">i8"))) for data in ids]
                if all(r is not None for r in rows):
                    for atom, atom_rows in zip(missing, rows, strict=True):
                        masks[_key(atom)] = atom_rows
                        columns.kept.put(_key(atom), atom_rows)
                    return columns, _evaluate(tree, masks, len(columns))
            if not self._reload(cursor, alias):
                return None
        return None

    def version(self, cursor, alias: str) -> list[int] | None:
        """The data version this cursor sees; None where the database has no version table."""
        if not self._has_version(cursor, alias):
            return None
        cursor.execute(f"SELECT {_VERSION}")
        return list(cursor.fetchone()[0] or [])

    def _has_version(self, cursor, alias: str) -> bool:
        if alias not in self._versioned:
            cursor.execute("SELECT to_regclass(%s) IS NOT NULL", [pg_schema.DATA_VERSION])
            self._versioned[alias] = cursor.fetchone()[0]
        return self._versioned[alias]

    def _reload(self, cursor, alias: str) -> bool:
        with self._lock:
            now = time.monotonic()
            last = self._loaded_at.get(alias)
            if last is not None and now - last < settings.SEARCH_POSTGRES_FACET_RELOAD_SECONDS:
                return False
            self._columns[alias] = Columns.load(cursor)
            self._loaded_at[alias] = now
            return True


def _key(atom: Sql) -> tuple[str, str]:
    return atom.sql, repr(atom.params)


def _atoms(tree: Bool | Sql) -> list[Sql]:
    if isinstance(tree, Bool):
        return [atom for part in tree.parts for atom in _atoms(part)]
    return [tree]


def _evaluate(tree: Bool | Sql, masks: dict, n: int) -> np.ndarray:
    """The rows matching the tree, from each atom's row mask."""
    if not isinstance(tree, Bool):
        return masks[_key(tree)]
    if tree.op == "NOT":
        return ~_evaluate(tree.parts[0], masks, n)
    if not tree.parts:
        return np.full(n, tree.op == "AND")
    parts = [_evaluate(part, masks, n) for part in tree.parts]
    return (np.logical_and if tree.op == "AND" else np.logical_or).reduce(parts)


class Kept:
    """Atoms' row masks at one snapshot of the columns, as bits, up to `budget_mb`; the least
    recently used go first. Only masks of at least KEEP_SHARE of the rows are kept: fewer
    matches cost the database a few index and heap pages to find again."""

    KEEP_SHARE = 0.01

    def __init__(self, budget_mb: float) -> None:
        self._budget = budget_mb * 1024 * 1024
        self._bits: OrderedDict[tuple, tuple[int, np.ndarray]] = OrderedDict()
        self._size = 0
        self._lock = threading.Lock()

    def get(self, key: tuple) -> np.ndarray | None:
        with self._lock:
            bits = self._bits.get(key)
            if bits is None:
                return None
            self._bits.move_to_end(key)
        n, packed = bits
        return np.unpackbits(packed, count=n).view(bool)

    def put(self, key: tuple, rows: np.ndarray) -> None:
        if rows.sum() < self.KEEP_SHARE * len(rows):
            return
        packed = np.packbits(rows)
        with self._lock:
            if key in self._bits:
                return
            self._bits[key] = (len(rows), packed)
            self._size += packed.nbytes
            while self._size > self._budget and self._bits:
                _, (_, dropped) = self._bits.popitem(last=False)
                self._size -= dropped.nbytes
