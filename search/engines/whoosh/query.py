"""The query tree (search/engines/query.py) compiled to Whoosh queries, evaluated with numpy.

Evaluation: every node gives a boolean match mask and a BM25F score array over all
documents of the index. Term postings are read block by block into arrays, so AND/OR/NOT
are vector operations and the top N come from the full scores (no early termination that
could miss a better document). Phrases, the only nodes needing positions, go through
Whoosh's own matchers.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
from whoosh import query as wq
from whoosh.scoring import BM25F

from search.engines import analysis
from search.engines import query as qt
from search.engines.whoosh.adapter import expand
from search.engines.whoosh.state import FACET_FIELDS, SCORED_FIELDS, SearchState

K1, B = qt.K1, qt.B
# Whoosh's FuzzyTerm compares a term with every word of the field; a fixed first letter
# cuts that to a small share of the vocabulary, and people rarely mistype a first letter.
FUZZY_PREFIX = 1


class Weighting(BM25F):
    """Whoosh's BM25F with the query language's idf: what Evaluator computes, for Whoosh's
    own searcher (tests compare the two)."""

    def idf(self, searcher, fieldname, text):
        parent = searcher.get_parent()
        return qt.idf(parent.doc_count_all(), parent.doc_frequency(fieldname, text))


class QueryTimeout(Exception):
    """The evaluation passed its deadline."""


def compile_tree(node: qt.Node | None, analyzer) -> wq.Query:
    """The Whoosh query for a query tree (Every for None: nothing to narrow by)."""
    if node is None:
        return wq.Every()
    return _compile(node, analyzer)


def _fields(fieldname: str | None) -> tuple[str, ...]:
    return (fieldname,) if fieldname else SCORED_FIELDS


def _analysed(text: str, analyzer) -> list[str]:
    return [t.text for t in analyzer(text)]


def _text_query(words: list[str], fieldname: str | None) -> wq.Query:
    """The terms of analysed words: one term, or a phrase, in each scored field."""
    if not words:
        return wq.NullQuery
    parts = [
        wq.Term(f, words[0]) if len(words) == 1 else wq.Phrase(f, words) for f in _fields(fieldname)
    ]
    return parts[0] if len(parts) == 1 else wq.Or(parts)


def _cjk_word(word: str, fieldname: str | None) -> wq.Query:
    """A CJK word: the word as the index holds it, or its characters next to each other
    (search/engines/analysis.py)."""
    chars = analysis.char_phrase(word)
    if len(chars) == 1:
        return _text_query(chars, fieldname)
    return wq.Or([_text_query([word], fieldname), _text_query(chars, fieldname)])


def _compile(node: qt.Node, analyzer) -> wq.Query:
    if isinstance(node, qt.Word) and analysis.has_cjk(node.text):
        return _cjk_word(analysis.fold(node.text), node.field)
    if isinstance(node, qt.Word):
        return _text_query(_analysed(node.text, analyzer), node.field)
    if isinstance(node, qt.Phrase):
        words = [w for text in node.words for w in _analysed(text, analyzer)]
        return _text_query(words, node.field)
    if isinstance(node, qt.Prefix):
        if node.field in qt.FACET_FIELDS:
            return wq.Prefix(node.field, node.text)
        # Prefixes are not stemmed, but they are folded like the index (résum* = resum*).
        text = qt.fold(node.text)
        parts = [wq.Prefix(f, text) for f in _fields(node.field)]
        return parts[0] if len(parts) == 1 else wq.Or(parts)
    if isinstance(node, qt.Fuzzy):
        words = _analysed(node.text, analyzer) or [qt.fold(node.text)]
        parts = [
            wq.FuzzyTerm(f, words[0], maxdist=node.distance, prefixlength=FUZZY_PREFIX)
            for f in _fields(node.field)
        ]
        return parts[0] if len(parts) == 1 else wq.Or(parts)
    if isinstance(node, qt.FacetValue):
        return wq.Term(node.field, node.value)
    if isinstance(node, qt.YearRange):
        return wq.NumericRange("year", node.lo, node.hi)
    if isinstance(node, qt.Not):
        return wq.Not(_compile(node.child, analyzer))
    if isinstance(node, qt.And):
        positive = [c for c in node.children if not isinstance(c, qt.Not)]
        negative = [c.child for c in node.children if isinstance(c, qt.Not)]
        if not positive:
            return wq.And([_compile(c, analyzer) for c in node.children])
        body = [_compile(c, analyzer) for c in positive]
        q = body[0] if len(body) == 1 else wq.And(body)
        for n in negative:
            q = wq.AndNot(q, _compile(n, analyzer))
        return q
    if isinstance(node, qt.Or):
        return wq.Or([_compile(c, analyzer) for c in node.children])
    raise TypeError(f"not a query node: {node!r}")


@dataclass
class Match:
    mask: np.ndarray
    score: np.ndarray


@dataclass
class Evaluator:
    """Evaluates one parsed query over a SearchState; collects the terms to highlight."""

    state: SearchState
    highlight_terms: set = field(default_factory=set)
    budget: qt.Budget = qt.BUDGET
    deadline: float | None = None  # time.monotonic() after which evaluation gives up
    notes: list[str] = field(default_factory=list)

    def __call__(self, q: wq.Query) -> Match:
        return self._eval(q, positive=True)

    def ranked(self, parts: list[tuple[wq.Query, int]]) -> tuple[Match, int]:
        """Ranked matching of a plain list of words: (the match, how many hold every word).

        Articles holding every word come first. When fewer than qt.RANKED_FEW do, articles
        holding some of the words follow, scored by BM25F times the share of the query's
        term weight (idf) they hold, so an article with more and rarer words ranks higher.
        """
        matches = [self._eval(p, positive=True) for p, _ in parts]
        every = self._and(matches)
        n_all = int((every.mask & self.state.live).sum())
        if n_all >= qt.RANKED_FEW:
            return every, n_all
        repeats = [n for _, n in parts]
        weights = [self._weight(p) * n for (p, _), n in zip(parts, repeats, strict=True)]
        total = sum(weights) or 1.0
        held = np.zeros(self.state.size, dtype=np.float32)
        for m, w in zip(matches, weights, strict=True):
            held += np.where(m.mask, np.float32(w), np.float32(0))
        anyof = self._or(
            [Match(m.mask, m.score * np.float32(n)) for m, n in zip(matches, repeats, strict=True)]
        )
        score = anyof.score * (held / total) ** qt.COORDINATION
        # Complete matches first: lift them above the best partial one.
        lift = float(score.max(initial=0.0)) + 1.0
        score = np.where(every.mask, score + lift, score)
        return Match(anyof.mask, np.where(anyof.mask, score, np.float32(0))), n_all

    def _weight(self, q: wq.Query) -> float:
        """A clause's share of a query: the idf of its rarest term."""
        best = 0.0
        for fieldname, text in q.iter_all_terms():
            if fieldname != "body":
                continue
            df = self.state.doc_frequency(fieldname, text)
            best = max(best, qt.idf(self.state.doc_count_all, df))
        return best or 1.0

    def _tick(self) -> None:
        if self.deadline is not None and time.monotonic() > self.deadline:
            raise QueryTimeout

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
        # Whoosh's BM25F with its (byte-quantised) field lengths and the query language's
        # idf, so that scores equal Whoosh's full scoring with Weighting (tested).
        idf = qt.idf(self.state.doc_count_all, self.state.doc_frequency(fieldname, text))
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
        self._tick()
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
            folded = qt.fold(pattern)
            chosen = [n for n in fi.names if qt.fold(n).startswith(folded)]
        else:
            chosen = [str(t) for t in expand(q, self.state.searcher.reader())]
        return self._only(fi.mask(chosen))

    def _expanded(self, q: wq.MultiTerm, positive: bool) -> Match:
        reader = self.state.searcher.reader()
        state = self.state
        if isinstance(q, wq.FuzzyTerm):
            terms = state.terms_within(q.fieldname, q.text, q.maxdist, q.prefixlength)
        elif isinstance(q, wq.Prefix) and (words := state.words_starting(q.fieldname, q.text)):
            terms = list(words)
        else:
            # Per segment: the reader over several segments compares every word in Python.
            terms = list({t for leaf, _ in state.leaves for t in expand(q, leaf)})
        if isinstance(q, wq.Prefix):
            # The index holds stems, and a stem is often shorter than the typed prefix
            # ("governmen*" should find "government", indexed as "govern"): stems that the
            # prefix starts with, up to four letters shorter, are taken as matches too.
            text = q.text
            for k in range(max(3, len(text) - 4), len(text)):
                if (q.fieldname, text[:k]) in reader:
                    terms.append(text[:k])
        terms = list(dict.fromkeys(terms))
        limit = self.budget.max_expansion
        if len(terms) > limit:
            terms = state.most_frequent(q.fieldname, terms, limit)
            note = qt.expansion_note(q.text + ("*" if isinstance(q, wq.Prefix) else "~"), limit)
            if note not in self.notes:
                self.notes.append(note)
        parts = []
        for btext in terms:
            self._tick()
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
