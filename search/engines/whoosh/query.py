"""The query language: parse with Whoosh's parser, evaluate with numpy over a SearchState.

Parsing: words are ANDed; OR, NOT, -word, "phrases", field:value (city:, org:, year:,
title:), prefix* and fuzzy~ are understood. A query that does not read as written (an
unclosed quote, unbalanced parentheses, a dangling operator) is answered with its plain
words and a note.

Evaluation: every node gives a boolean match mask and a BM25F score array over all
documents of the index. Term postings are read block by block into arrays, so AND/OR/NOT
are vector operations and the top N come from the full scores (no early termination that
could miss a better document). Phrases, the only nodes needing positions, go through
Whoosh's own matchers.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

import numpy as np
from whoosh import query as wq
from whoosh.qparser import AndGroup, FuzzyTermPlugin, MultifieldParser

from search.engines.whoosh.state import FACET_FIELDS, SCORED_FIELDS, SearchState

K1, B = 1.2, 0.75
# Whoosh's FuzzyTerm compares a term with every word of the field; a fixed first letter
# cuts that to a small share of the vocabulary, and people rarely mistype a first letter.
FUZZY_PREFIX = 1
MAX_FUZZY_EDITS = 2
MAX_EXPANSION = 200  # prefix/fuzzy terms kept (the most frequent ones)

_FIELD_ALIASES = {"org": "organisation", "organization": "organisation", "orgs": "organisation"}
_FIELD_ALIAS_RE = re.compile(r"(?<![\w:])(org|organization|orgs)(?=:)", re.IGNORECASE)
_OPERATORS = {"AND", "OR", "NOT"}
_MINUS_RE = re.compile(r"(?<![\w\-])-(?=[\w\"(])")
_PLUS_RE = re.compile(r"(?<![\w+])\+(?=[\w\"(])")
_WORD_RE = re.compile(r"\w+", re.UNICODE)


class QueryParser:
    def __init__(self, schema) -> None:
        self.schema = schema
        self.parser = MultifieldParser(list(SCORED_FIELDS), schema, group=AndGroup)
        self.parser.add_plugin(FuzzyTermPlugin())

    def parse(self, text: str) -> tuple[wq.Query, list[str]]:
        """The query for the text, and notes for the reader when it was not read as written."""
        text = _FIELD_ALIAS_RE.sub(lambda m: _FIELD_ALIASES[m[1].lower()], text.strip())
        # -word and +word as NOT and plain words (Whoosh's PlusMinusPlugin fails on -word
        # inside parentheses); a hyphen inside a word ("e-government") is left alone.
        text = _MINUS_RE.sub("NOT ", _PLUS_RE.sub("", text))
        if not text:
            return wq.Every(), []
        problem = syntax_problem(text)
        parsed = None
        if problem is None:
            try:
                parsed = _tune(self.parser.parse(text))
            except Exception:  # noqa: BLE001 - whatever the parser trips on, fall back
                problem = "it could not be parsed"
        words = plain_words(text)
        if parsed is None or (parsed is wq.NullQuery and words):
            problem = problem or "it has no searchable terms as written"
            plain = " ".join(words)
            parsed = _tune(self.parser.parse(plain)) if plain else wq.NullQuery
            if plain:
                note = (
                    f"Your query was not read as written ({problem}); showing results for: {plain}"
                )
            else:
                note = f"Your query was not read as written ({problem}); it has no words to search for."
            return parsed, [note]
        return parsed, []


def plain_words(text: str) -> list[str]:
    return [w for w in _WORD_RE.findall(text) if w not in _OPERATORS]


def syntax_problem(text: str) -> str | None:
    """Why the text would not be read as written, or None."""
    if text.count('"') % 2:
        return "an unclosed quote"
    depth = 0
    outside = re.sub(r'"[^"]*"', " _ ", text)  # a phrase counts as one word
    for ch in outside:
        depth += ch == "("
        depth -= ch == ")"
        if depth < 0:
            break
    if depth != 0:
        return "unbalanced parentheses"
    tokens = [t for t in re.split(r"[\s()]+", outside) if t]
    ops = [t in _OPERATORS for t in tokens]
    if tokens and (tokens[0] in {"AND", "OR"} or ops[-1]):
        return f"a dangling {tokens[0] if tokens[0] in _OPERATORS else tokens[-1]}"
    for a, b in zip(tokens, tokens[1:], strict=False):
        if a in _OPERATORS and b in {"AND", "OR"}:
            return f"{a} followed by {b}"
    return None


def _tune(q: wq.Query) -> wq.Query:
    """Give fuzzy terms a fixed first letter (see FUZZY_PREFIX)."""
    for leaf in q.leaves() if not q.is_leaf() else [q]:
        if isinstance(leaf, wq.FuzzyTerm):
            leaf.prefixlength = max(leaf.prefixlength, FUZZY_PREFIX)
            # "word~99" would compare every word of the index; two edits is plenty.
            leaf.maxdist = min(leaf.maxdist, MAX_FUZZY_EDITS)
    return q


@dataclass
class Match:
    mask: np.ndarray
    score: np.ndarray


@dataclass
class Evaluator:
    """Evaluates one parsed query over a SearchState; collects the terms to highlight."""

    state: SearchState
    highlight_terms: set = field(default_factory=set)

    def __call__(self, q: wq.Query) -> Match:
        return self._eval(q, positive=True)

    # -- helpers ---------------------------------------------------------------------

    def _empty(self) -> Match:
        n = self.state.size
        return Match(np.zeros(n, dtype=bool), np.zeros(n, dtype=np.float32))

    def _only(self, mask: np.ndarray, boost: float = 0.0) -> Match:
        mask = mask & self.state.live
        return Match(mask, np.where(mask, np.float32(boost), np.float32(0)))

    def _bm25(self, fieldname: str, text, boost: float = 1.0) -> Match:
        ids, weights = self.state.postings(fieldname, text)
        out = self._empty()
        if not len(ids):
            return out
        # Whoosh's BM25F, with its idf and its (byte-quantised) field lengths, so that
        # scores equal Whoosh's full scoring (tested).
        idf = (
            math.log(self.state.doc_count_all / (self.state.doc_frequency(fieldname, text) + 1)) + 1
        )
        length = self.state.lengths[fieldname][ids]
        avg = self.state.avg_length[fieldname]
        score = idf * ((weights * (K1 + 1)) / (weights + K1 * ((1 - B) + B * length / avg)))
        out.mask[ids] = True
        out.score[ids] = score * boost
        return out

    def _facet_term(self, facet: str, value: str) -> Match:
        return self._only(self.state.facets[facet].mask([value]))

    # -- nodes -----------------------------------------------------------------------

    def _eval(self, q: wq.Query, positive: bool) -> Match:
        state = self.state
        if q is wq.NullQuery or isinstance(q, type(wq.NullQuery)):
            return self._empty()
        if isinstance(q, wq.Every):
            return self._only(state.live.copy())
        if isinstance(q, wq.And):
            return self._and([self._eval(c, positive) for c in q.subqueries])
        if isinstance(q, wq.Or):
            return self._or([self._eval(c, positive) for c in q.subqueries])
        if isinstance(q, wq.AndNot):
            pos, neg = self._eval(q.a, positive), self._eval(q.b, not positive)
            mask = pos.mask & ~neg.mask
            return Match(mask, np.where(mask, pos.score, np.float32(0)))
        if isinstance(q, wq.Not):
            child = self._eval(q.query, not positive)
            # Whoosh scores a NOT inside an AND as a constant boost; so do we, to rank alike.
            return self._only(~child.mask, boost=q.boost)
        if isinstance(q, (wq.AndMaybe, wq.Require)):
            a, b = self._eval(q.a, positive), self._eval(q.b, positive)
            if isinstance(q, wq.Require):
                mask = a.mask & b.mask
                return Match(mask, np.where(mask, a.score, np.float32(0)))
            return Match(a.mask, np.where(a.mask, a.score + b.score, np.float32(0)))
        fieldname = getattr(q, "fieldname", None)
        facet = next((f for f, name in FACET_FIELDS.items() if name == fieldname), None)
        if facet == "year":
            return self._year(q)
        if facet is not None and isinstance(q, wq.Term):
            return self._facet_term(facet, str(q.text))
        if facet is not None and isinstance(q, wq.Phrase):
            return self._facet_term(facet, " ".join(q.words))
        if facet is not None and isinstance(q, wq.MultiTerm):
            return self._multi_facet(facet, q)
        if isinstance(q, wq.Term) and fieldname in SCORED_FIELDS:
            if positive:
                self.highlight_terms.add(q.text)
            return self._bm25(fieldname, q.text, q.boost)
        if isinstance(q, wq.MultiTerm) and fieldname in SCORED_FIELDS:
            return self._expanded(q, positive)
        if isinstance(q, wq.Phrase) and fieldname in SCORED_FIELDS and q.slop == 1:
            return self._phrase(q, positive)
        return self._whoosh(q, positive)

    def _and(self, parts: list[Match]) -> Match:
        if not parts:
            return self._empty()
        mask = parts[0].mask.copy()
        score = parts[0].score.copy()
        for p in parts[1:]:
            mask &= p.mask
            score += p.score
        score[~mask] = 0
        return Match(mask, score)

    def _or(self, parts: list[Match]) -> Match:
        if not parts:
            return self._empty()
        mask = parts[0].mask.copy()
        score = parts[0].score.copy()
        for p in parts[1:]:
            mask |= p.mask
            score += p.score
        return Match(mask, score)

    def _year(self, q: wq.Query) -> Match:
        years = self.state.years
        fieldtype = self.state.searcher.schema["year"]
        if isinstance(q, wq.Term):
            value = q.text
            if isinstance(value, bytes):
                value = fieldtype.from_bytes(value)
            try:
                return self._only(years == int(value))
            except (TypeError, ValueError):
                return self._empty()
        if isinstance(q, wq.NumericRange):
            lo = -np.inf if q.start is None else q.start + (1 if q.startexcl else 0)
            hi = np.inf if q.end is None else q.end - (1 if q.endexcl else 0)
            return self._only((years >= lo) & (years <= hi) & (years > 0))
        return self._whoosh(q, positive=False)

    def _multi_facet(self, facet: str, q: wq.MultiTerm) -> Match:
        fi = self.state.facets[facet]
        pattern = getattr(q, "text", "")
        if isinstance(q, wq.Prefix):
            chosen = [n for n in fi.names if n.casefold().startswith(pattern.casefold())]
        else:
            chosen = [str(t) for t in q._btexts(self.state.searcher.reader())]
        return self._only(fi.mask(chosen))

    def _expanded(self, q: wq.MultiTerm, positive: bool) -> Match:
        reader = self.state.searcher.reader()
        # Expanded per segment: a segment walks its word list with an automaton, while the
        # reader over several segments compares every word with Python edit distances.
        terms = list({t for leaf, _ in self.state.leaves for t in q._btexts(leaf)})
        if isinstance(q, wq.Prefix):
            # The index holds stems, and a stem is often shorter than the typed prefix
            # ("governmen*" should find "government", indexed as "govern"): stems that the
            # prefix starts with, up to four letters shorter, are taken as matches too.
            text = q.text
            for k in range(max(3, len(text) - 4), len(text)):
                if (q.fieldname, text[:k]) in reader:
                    terms.append(text[:k])
        if len(terms) > MAX_EXPANSION:
            terms.sort(key=lambda t: -reader.doc_frequency(q.fieldname, t))
            terms = terms[:MAX_EXPANSION]
        parts = []
        for btext in terms:
            text = btext.decode("utf-8") if isinstance(btext, bytes) else btext
            if positive:
                self.highlight_terms.add(text)
            parts.append(self._bm25(q.fieldname, text, q.boost))
        return self._or(parts)

    def _phrase(self, q: wq.Phrase, positive: bool) -> Match:
        """Documents with all the words (vector AND), then adjacent positions (phrase_docs).

        Scored as the sum of its words' BM25F: Whoosh's span scoring costs a Python loop per
        document, and the words' scores rank phrase matches just as sensibly.
        """
        words = [w for w in q.words if w]
        if positive:
            self.highlight_terms.update(words)
        parts = [self._bm25(q.fieldname, w, q.boost) for w in words]
        both = self._and(parts)
        if len(words) < 2 or not both.mask.any():
            return both
        docs = self.state.phrase_docs(q.fieldname, words, both.mask)
        mask = np.zeros(self.state.size, dtype=bool)
        mask[docs] = True
        return Match(mask, np.where(mask, both.score, np.float32(0)))

    def _whoosh(self, q: wq.Query, positive: bool) -> Match:
        """Anything else (phrases, other fields) through Whoosh's matchers, per segment."""
        out = self._empty()
        if positive:
            for fieldname, text in q.iter_all_terms():
                if fieldname in SCORED_FIELDS:
                    self.highlight_terms.add(text.decode() if isinstance(text, bytes) else text)
        for leaf_searcher, offset in self.state.leaf_searchers:
            try:
                m = q.matcher(leaf_searcher)
            except Exception:  # noqa: BLE001 - a field this segment lacks, a bad range
                continue
            ids, scores = [], []
            while m.is_active():
                ids.append(m.id())
                scores.append(m.score())
                m.next()
            if ids:
                at = np.asarray(ids, dtype=np.int64) + offset
                out.mask[at] = True
                out.score[at] = np.asarray(scores, dtype=np.float32)
        out.mask &= self.state.live
        return out
