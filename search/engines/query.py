"""The query language: query text -> a small engine-neutral tree, parsed once for every engine.

    words            all must match (a plain list of words is *ranked*: see ParsedQuery.ranked)
    "a phrase"       the words next to each other (also “curly” and „low“ quotes)
    a OR b           either (OR in capitals; a lower-case "or" is an ordinary, common word)
    NOT a, -a        without
    ( ... )          groups
    city:Wuxi  org:"Ping An"  title:word  year:2017  year:2016-2018
    word*            words starting with "word"        word~ / word~2  words within 1/2 edits

Each engine compiles the tree (whoosh/query.py, postgres/sql.py). What the parser cannot read
as written is read as plain words with a note, never an error; what would cost too much (very
long queries, deep nesting, too many clauses or expanding terms) is cut with a note.
"""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass, field

from search.engines import analysis

# -- the tree -------------------------------------------------------------------------------

TEXT_FIELDS = ("title",)  # None = title and body
FACET_FIELDS = ("city", "organisation")
# Spellings people type -> the field they mean.
FIELD_NAMES = {
    "city": "city",
    "org": "organisation",
    "orgs": "organisation",
    "organisation": "organisation",
    "organization": "organisation",
    "year": "year",
    "title": "title",
}


class Node:
    __slots__ = ()


@dataclass(frozen=True)
class Word(Node):
    text: str  # as typed (lower-cased); engines analyse it (stemming, accents)
    field: str | None = None  # None: title and body; "title"


@dataclass(frozen=True)
class Phrase(Node):
    words: tuple[str, ...]
    field: str | None = None


@dataclass(frozen=True)
class Prefix(Node):
    text: str
    field: str | None = None  # also "city" / "organisation": facet names starting so


@dataclass(frozen=True)
class Fuzzy(Node):
    text: str
    distance: int = 1
    field: str | None = None


@dataclass(frozen=True)
class FacetValue(Node):
    field: str  # "city" or "organisation"
    value: str  # as typed; engines match it case- and accent-blind against canonical names


@dataclass(frozen=True)
class YearRange(Node):
    lo: int
    hi: int


@dataclass(frozen=True)
class And(Node):
    children: tuple[Node, ...]


@dataclass(frozen=True)
class Or(Node):
    children: tuple[Node, ...]


@dataclass(frozen=True)
class Not(Node):
    child: Node


@dataclass(frozen=True)
class Budget:
    """What one query may cost; engines cut expansions to it and say so (expansion_note)."""

    max_chars: int = 500
    max_depth: int = 8  # nested brackets / NOTs
    max_clauses: int = 64  # leaves of the tree
    max_expanding: int = 4  # prefix / fuzzy terms in one query
    max_expansion: int = 100  # vocabulary words one prefix / fuzzy term may stand for


BUDGET = Budget()


@dataclass
class ParsedQuery:
    text: str  # the text as read (after the length cut)
    tree: Node | None  # None: nothing to match on (empty, or only very common words)
    notes: list[str] = field(default_factory=list)
    # A plain list of words (and phrases): ranked matching applies. Articles holding every
    # word come first; when they are few, the best partial matches follow (see RANKED_*).
    ranked: bool = False
    budget: Budget = BUDGET

    @property
    def empty(self) -> bool:
        return self.tree is None

    def positive_words(self) -> list[str]:
        """Words and phrase words that a match contains (not those under NOT)."""
        out: list[str] = []

        def walk(node, negated=False):
            if isinstance(node, (And, Or)):
                for c in node.children:
                    walk(c, negated)
            elif isinstance(node, Not):
                walk(node.child, not negated)
            elif not negated and isinstance(node, Word):
                out.append(node.text)
            elif not negated and isinstance(node, Phrase):
                out.extend(node.words)

        if self.tree is not None:
            walk(self.tree)
        return out


# A plain query whose every word matches fewer articles than this also lists partial matches.
RANKED_FEW = 10
# Partial matches: score x (share of the query's term weight held) ** COORDINATION.
COORDINATION = 1.0

# English stop words of both engines (PostgreSQL's english.stop and Whoosh's list): neither
# index holds them, so a query drops them the same way on either engine.
STOP_WORDS = frozenset(
    [
        "i",
        "me",
        "my",
        "myself",
        "we",
        "our",
        "ours",
        "ourselves",
        "you",
        "your",
        "yours",
        "yourself",
        "yourselves",
        "he",
        "him",
        "his",
        "himself",
        "she",
        "her",
        "hers",
        "herself",
        "it",
        "its",
        "itself",
        "they",
        "them",
        "their",
        "theirs",
        "themselves",
        "what",
        "which",
        "who",
        "whom",
        "this",
        "that",
        "these",
        "those",
        "am",
        "is",
        "are",
        "was",
        "were",
        "be",
        "been",
        "being",
        "have",
        "has",
        "had",
        "having",
        "do",
        "does",
        "did",
        "doing",
        "a",
        "an",
        "the",
        "and",
        "but",
        "if",
        "or",
        "because",
        "as",
        "until",
        "while",
        "of",
        "at",
        "by",
        "for",
        "with",
        "about",
        "against",
        "between",
        "into",
        "through",
        "during",
        "before",
        "after",
        "above",
        "below",
        "to",
        "from",
        "up",
        "down",
        "in",
        "out",
        "on",
        "off",
        "over",
        "under",
        "again",
        "further",
        "then",
        "once",
        "here",
        "there",
        "when",
        "where",
        "why",
        "how",
        "all",
        "any",
        "both",
        "each",
        "few",
        "more",
        "most",
        "other",
        "some",
        "such",
        "no",
        "nor",
        "not",
        "only",
        "own",
        "same",
        "so",
        "than",
        "too",
        "very",
        "s",
        "t",
        "can",
        "will",
        "just",
        "don",
        "should",
        "now",
        "may",
        "tbd",
        "us",
        "yet",
    ]
)

# -- reading --------------------------------------------------------------------------------

_QUOTES = str.maketrans({c: '"' for c in "“”„‟«»＂"})
_WORD_RE = re.compile(r"[^\W_]+", re.UNICODE)
_FIELD_RE = re.compile(r"([A-Za-z]+):")
_YEAR_RE = re.compile(r"^(\d{4})(?:(?:-|\.\.|–)(\d{4}))?$")
_FUZZY_RE = re.compile(r"^(.+?)~(\d*)$")
_OPS = {"AND", "OR", "NOT"}


def fold(text: str) -> str:
    """Case, accents and Chinese script do not matter: résumé = Resume, 臺北 = 台北."""
    decomposed = unicodedata.normalize("NFKD", text)
    return analysis.fold("".join(c for c in decomposed if not unicodedata.combining(c)).casefold())


def words_of(text: str) -> list[str]:
    """The words of a piece of text as both engines split it (letters and digits)."""
    return [w.lower() for w in _WORD_RE.findall(text)]


def cut(text: str, limit: int = BUDGET.max_chars) -> tuple[str, bool]:
    """The text cut to `limit` characters at a word boundary; whether it was cut."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text, False
    head = text[: limit + 1]
    space = head.rfind(" ")
    return (head[:space] if space > limit // 2 else text[:limit]).rstrip(), True


class _Unreadable(Exception):
    pass


@dataclass
class _Token:
    kind: str  # "(" ")" "OR" "AND" "NOT" "-" "phrase" "term" "field"
    text: str = ""
    field: str | None = None
    quoted: bool = False


def _tokens(text: str) -> list[_Token]:
    out: list[_Token] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch.isspace():
            i += 1
            continue
        if ch in "()":
            out.append(_Token(ch))
            i += 1
            continue
        if ch == '"':
            end = text.find('"', i + 1)
            if end < 0:
                raise _Unreadable("a quote is not closed")
            out.append(_Token("phrase", text[i + 1 : end]))
            i = end + 1
            continue
        if (
            ch in "-+"
            and i + 1 < n
            and (text[i + 1] == '"' or text[i + 1] == "(" or text[i + 1].isalnum())
        ):
            if ch == "-":  # "+word" means what "word" means
                out.append(_Token("-"))
            i += 1
            continue
        m = _FIELD_RE.match(text, i)
        if (
            m
            and m[1].lower() in FIELD_NAMES
            and i + len(m[0]) < n
            and not text[i + len(m[0])].isspace()
        ):
            name = FIELD_NAMES[m[1].lower()]
            j = i + len(m[0])
            if text[j] == '"':
                end = text.find('"', j + 1)
                if end < 0:
                    raise _Unreadable("a quote is not closed")
                out.append(_Token("field", text[j + 1 : end], name, quoted=True))
                i = end + 1
            else:
                end = j
                while end < n and not text[end].isspace() and text[end] not in '()"':
                    end += 1
                out.append(_Token("field", text[j:end], name))
                i = end
            continue
        end = i
        while end < n and not text[end].isspace() and text[end] not in '()"':
            end += 1
        word = text[i:end]
        out.append(_Token(word if word in _OPS else "term", word))
        i = end
    return out


class _Parser:
    def __init__(self, tokens: list[_Token], budget: Budget) -> None:
        self.tokens, self.at, self.budget = tokens, 0, budget
        self.notes: list[str] = []
        self.depth_cut = False

    def peek(self) -> _Token | None:
        return self.tokens[self.at] if self.at < len(self.tokens) else None

    def take(self) -> _Token:
        tok = self.tokens[self.at]
        self.at += 1
        return tok

    def parse(self) -> Node | None:
        node = self.expr(0)
        if self.peek() is not None:
            raise _Unreadable("a bracket is closed before it is opened")
        return node

    def expr(self, depth: int) -> Node | None:
        parts = [self.conj(depth)]
        while (tok := self.peek()) is not None and tok.kind == "OR":
            self.take()
            if self.peek() is None or self.peek().kind in {")", "OR", "AND"}:
                raise _Unreadable("OR has nothing after it")
            parts.append(self.conj(depth))
        parts = [p for p in parts if p is not None]
        if not parts:
            return None
        return parts[0] if len(parts) == 1 else Or(tuple(parts))

    def conj(self, depth: int) -> Node | None:
        parts = []
        first = True
        while (tok := self.peek()) is not None and tok.kind not in {")", "OR"}:
            if tok.kind == "AND":
                if first:
                    raise _Unreadable("AND has nothing before it")
                self.take()
                nxt = self.peek()
                if nxt is None or nxt.kind in {")", "OR", "AND"}:
                    raise _Unreadable("AND has nothing after it")
                continue
            parts.append(self.unary(depth))
            first = False
        if first and (tok := self.peek()) is not None and tok.kind == "OR":
            raise _Unreadable("OR has nothing before it")
        parts = [p for p in parts if p is not None]
        if not parts:
            return None
        return parts[0] if len(parts) == 1 else And(tuple(parts))

    def unary(self, depth: int) -> Node | None:
        negate = False
        while (tok := self.peek()) is not None and tok.kind in {"NOT", "-"}:
            self.take()
            negate = not negate  # NOT NOT x is x
        tok = self.peek()
        if tok is None or tok.kind in {")", "OR", "AND"}:
            raise _Unreadable("NOT has nothing after it")
        node = self.primary(depth)
        if node is None or not negate:
            return node
        return Not(node)

    def primary(self, depth: int) -> Node | None:
        tok = self.take()
        if tok.kind == "(":
            if depth + 1 > self.budget.max_depth:
                self.depth_cut = True
            node = self.expr(depth + 1)
            if self.peek() is None or self.peek().kind != ")":
                raise _Unreadable("a bracket is not closed")
            self.take()
            return node
        if tok.kind == "phrase":
            return _phrase(_phrase_words(tok.text), None)
        if tok.kind == "field":
            return self.field_value(tok)
        return _term(tok.text, None)

    def field_value(self, tok: _Token) -> Node | None:
        value = tok.text.strip()
        if not value:
            return None
        if tok.field == "year":
            m = _YEAR_RE.match(value)
            if not m:
                self.notes.append(
                    f"“year:{value}” was left out: a year is four digits, or a range "
                    "such as 2016-2018."
                )
                return None
            lo, hi = int(m[1]), int(m[2] or m[1])
            return YearRange(min(lo, hi), max(lo, hi))
        if tok.field in FACET_FIELDS:
            if not tok.quoted and value.endswith("*") and len(value) > 1:
                return Prefix(value[:-1], tok.field)
            return FacetValue(tok.field, value)
        # title:
        if tok.quoted:
            return _phrase(_phrase_words(value), tok.field)
        return _term(value, tok.field)


def _phrase_words(text: str) -> list[str]:
    """The words of a quoted phrase as typed (inner punctuation kept, see _term)."""
    return [w for t in text.split() if (w := _EDGE_RE.sub("", t).lower())]


def _phrase(words: list[str], fieldname: str | None) -> Node | None:
    if not words:
        return None
    if any(analysis.has_cjk(w) for w in words):
        return _cjk_phrase(words, fieldname)
    if len(words) == 1:
        return Word(words[0], fieldname)
    return Phrase(tuple(words), fieldname)


_EDGE_RE = re.compile(r"^[\W_]+|[\W_]+$", re.UNICODE)


def _cjk_phrase(words: list[str], fieldname: str | None) -> Node | None:
    """A quoted phrase holding CJK words: each CJK stretch is one Word of its exact text (CJK
    has no spaces: "深圳 智慧城市" asks for 深圳智慧城市), the other words a phrase of their
    own, all required."""
    parts: list[Node | None] = []
    latin: list[str] = []
    text = _CJK_GAP.sub("", " ".join(words))
    for piece in re.split(f"({analysis.CJK_RUN.pattern})", text):
        if analysis.CJK_RUN.fullmatch(piece):
            parts += [_phrase(latin, fieldname), Word(analysis.fold(piece), fieldname)]
            latin = []
        else:
            latin += _phrase_words(piece)
    parts.append(_phrase(latin, fieldname))
    return _all([p for p in parts if p is not None])


_CJK_GAP = re.compile(rf"(?<={analysis.CJK_CHAR})\s+(?={analysis.CJK_CHAR})")


def _cjk_term(text: str, fieldname: str | None) -> Node | None:
    """A bare term holding CJK characters. CJK runs are cut into words (analysis.query_words:
    jieba with the gazetteer's names); the rest is read as terms. All are required, as if
    typed with spaces between them, so ranked matching weighs each Chinese word as one typed
    word (an article holding every word first, then those holding the rarer ones). Each
    engine matches a CJK word as its characters next to each other."""
    parts: list[Node | None] = []
    for piece in re.split(f"({analysis.CJK_RUN.pattern})", text):
        if analysis.CJK_RUN.fullmatch(piece):
            parts += [Word(w, fieldname) for w in analysis.query_words(piece)]
        elif piece:
            parts.append(_term(piece, fieldname))
    return _all([p for p in parts if p is not None])


def _all(nodes: list[Node]) -> Node | None:
    if not nodes:
        return None
    return nodes[0] if len(nodes) == 1 else And(tuple(nodes))


def _term(text: str, fieldname: str | None) -> Node | None:
    """One bare term: a word, a prefix*, a fuzzy~ term. A word may hold inner punctuation
    ("e-government", "3.5", "Pony.ai"): each engine reads it as its index reads such text."""
    if analysis.has_cjk(text):
        return _cjk_term(text, fieldname)
    if text.endswith("*") and _WORD_RE.fullmatch(text.rstrip("*")):
        return Prefix(text.rstrip("*").lower(), fieldname)
    m = _FUZZY_RE.match(text)
    if m and _WORD_RE.fullmatch(m[1]):
        distance = min(int(m[2]), 2) if m[2] else 1
        return Fuzzy(m[1].lower(), max(distance, 1), fieldname)
    text = _EDGE_RE.sub("", text).lower()
    return Word(text, fieldname) if text else None


# -- after parsing: stop words, budget ------------------------------------------------------


def is_stop_word(text: str) -> bool:
    pieces = words_of(text)
    return all(p in STOP_WORDS for p in pieces)


def _drop_stop_words(node: Node | None, dropped: list[str]) -> Node | None:
    if isinstance(node, Word) and is_stop_word(node.text):
        dropped.append(node.text)
        return None
    if isinstance(node, (And, Or)):
        kids = [k for c in node.children if (k := _drop_stop_words(c, dropped)) is not None]
        if not kids:
            return None
        return kids[0] if len(kids) == 1 else type(node)(tuple(kids))
    if isinstance(node, Not):
        child = _drop_stop_words(node.child, dropped)
        return Not(child) if child is not None else None
    if isinstance(node, Phrase) and all(is_stop_word(w) for w in node.words):
        dropped.extend(node.words)
        return None
    return node


def leaves(node: Node | None) -> list[Node]:
    if node is None:
        return []
    if isinstance(node, (And, Or)):
        return [leaf for c in node.children for leaf in leaves(c)]
    if isinstance(node, Not):
        return leaves(node.child)
    return [node]


def _within_budget(node: Node | None, budget: Budget, notes: list[str]) -> Node | None:
    """The tree cut to the clause and expansion budget (later clauses go first)."""
    kept = {"clauses": 0, "expanding": 0}
    cut_clauses, cut_expanding = [], []

    def walk(n):
        if isinstance(n, (And, Or)):
            kids = [k for c in n.children if (k := walk(c)) is not None]
            if not kids:
                return None
            return kids[0] if len(kids) == 1 else type(n)(tuple(kids))
        if isinstance(n, Not):
            child = walk(n.child)
            return Not(child) if child is not None else None
        if kept["clauses"] >= budget.max_clauses:
            cut_clauses.append(n)
            return None
        if isinstance(n, (Prefix, Fuzzy)) and n.field not in FACET_FIELDS:
            if kept["expanding"] >= budget.max_expanding:
                cut_expanding.append(n)
                # Read as the plain word it starts with: still findable, and cheap.
                return Word(n.text, n.field)
            kept["expanding"] += 1
        kept["clauses"] += 1
        return n

    out = walk(node)
    if cut_clauses:
        notes.append(
            f"Your query has more than {budget.max_clauses} terms; the last "
            f"{len(cut_clauses)} were left out."
        )
    if cut_expanding:
        names = ", ".join(
            f"{n.text}{'*' if isinstance(n, Prefix) else '~'}" for n in cut_expanding[:5]
        )
        notes.append(
            f"A query may hold {budget.max_expanding} terms with * or ~; {names} "
            "were searched as plain words."
        )
    return out


def expansion_note(term: str, kept: int) -> str:
    """The note an engine adds when a prefix / fuzzy term stands for more words than allowed
    (PostgreSQL reads only one word past the limit, so no engine says how many more)."""
    return (
        f"“{term}” matches more than {kept} words; "
        f"searched for the {kept} most frequent. Type more letters to narrow it."
    )


def _is_plain(node: Node | None) -> bool:
    """Only words and phrases, all required: a typed sentence, ranked when few match all."""
    if isinstance(node, (Word, Phrase)):
        return node.field is None
    if isinstance(node, And):
        return all(isinstance(c, (Word, Phrase)) and c.field is None for c in node.children)
    return False


def parse(text: str, budget: Budget = BUDGET) -> ParsedQuery:
    """The query tree of the text, with notes for whatever was not read as written."""
    notes: list[str] = []
    text = unicodedata.normalize("NFC", text or "").translate(_QUOTES)
    text, was_cut = cut(text, budget.max_chars)
    if was_cut:
        # An unclosed quote or bracket left by the cut is not the reader's mistake.
        if text.count('"') % 2:
            text += '"'
        text += ")" * max(0, text.count("(") - text.count(")"))
        notes.append(
            f"Your query is longer than {budget.max_chars} characters; it was cut after "
            f"“{text[-30:].strip()}”."
        )
    if not text:
        return ParsedQuery(text, None, notes)
    parser = None
    operators = False
    try:
        tokens = _tokens(text)
        # A typed operator asks for exactly what it says: no ranked partial matches.
        # Brackets and quotes alone are prose ("MEDLARS (Medical Literature ...)").
        operators = any(t.kind in {"AND", "OR", "NOT", "-"} for t in tokens)
        parser = _Parser(tokens, budget)
        tree = parser.parse()
        notes += parser.notes
    except _Unreadable as problem:
        words = [w for w in words_of(text) if w.upper() not in _OPS]
        tree = _phrase_list(words)
        shown = " ".join(words)
        notes.append(
            f"Your query could not be read as written ({problem}); "
            + (f"searched for its words: “{shown}”." if shown else "it has no words to search for.")
        )
    if parser is not None and parser.depth_cut:
        notes.append(
            f"Brackets nested deeper than {budget.max_depth} levels were read as one level."
        )
    dropped: list[str] = []
    tree = _drop_stop_words(tree, dropped)
    if tree is None and dropped:
        notes.append(
            f"“{' '.join(dict.fromkeys(dropped))}” has only very common words, which are not "
            "indexed; showing all articles."
        )
    tree = _flatten(tree)
    tree = _within_budget(tree, budget, notes)
    ranked = not operators and _is_plain(tree) and len(set(leaves(tree))) > 1
    if isinstance(tree, And) and not ranked:
        # "smart AND smart" asks for one word. A ranked query keeps repeats: a word typed
        # twice weighs twice (BM25's query term frequency).
        kids = tuple(dict.fromkeys(tree.children))
        tree = kids[0] if len(kids) == 1 else And(kids)
    return ParsedQuery(text, tree, notes, ranked=ranked, budget=budget)


def _flatten(node: Node | None) -> Node | None:
    """a AND (b AND c) is a AND b AND c; likewise for OR."""
    if isinstance(node, (And, Or)):
        kids: list[Node] = []
        for c in node.children:
            c = _flatten(c)
            kids += list(c.children) if type(c) is type(node) else [c]
        return type(node)(tuple(kids))
    if isinstance(node, Not):
        return Not(_flatten(node.child))
    return node


def _phrase_list(words: list[str]) -> Node | None:
    return _flatten(_all([n for w in words if (n := _term(w, None)) is not None]))


def ranked_note(all_words: int, total: int) -> str:
    """The one line a page shows when partial matches follow the complete ones."""
    if all_words == 0:
        return (
            "No article holds every word of your query; showing the best matches for "
            "some of them, ranked by how many and how rare the words they hold are."
        )
    return (
        f"{all_words} article{'s' if all_words != 1 else ''} hold{'s' if all_words == 1 else ''} "
        f"every word of your query and {'come' if all_words != 1 else 'comes'} first; "
        f"after {'them' if all_words != 1 else 'it'}, the best matches for some of the words."
    )


def clauses(node: Node | None) -> list[tuple[Node, int]]:
    """The distinct top-level clauses of an AND (the node itself otherwise), each with how
    often it was typed."""
    if node is None:
        return []
    kids = node.children if isinstance(node, And) else (node,)
    counts: dict[Node, int] = {}
    for kid in kids:
        counts[kid] = counts.get(kid, 0) + 1
    return list(counts.items())


# Okapi BM25, the same constants on every engine.
K1, B = 1.2, 0.75


def idf(n_docs: int, df: int) -> float:
    """Robertson-Sparck Jones idf, kept positive: a word in nearly every article weighs
    almost nothing (a long typed question holds many such words)."""
    return math.log(1 + (n_docs - df + 0.5) / (df + 0.5))


def timeout_note(limit_ms: int) -> str:
    return (
        f"Your query took longer than the {limit_ms / 1000:g} s a search may take and was "
        "stopped; try fewer terms, or fewer with * or ~."
    )
