"""Organisations the text itself shows to be organisations, whatever their name.

Most companies, outlets and agencies in the news carry no head noun ("Corvane", "Flexport",
"Nomura") and no curated list can hold the long tail. The sentence around a capitalised name
often says what it is:

- an appositive or a descriptor: "Corvane, a Boston-based maker of drones", "Ukrainian
  energy company Burisma", "the journal Nature Astronomy", "the Independent newspaper";
- a role at it: "an analyst at Bernstein", "chief executive of Hipcricket";
- what only organisations have: "shares of DoorDash", "Lyft's chief policy officer",
  "Instacart's spokesperson", "Flexport, which coordinates shipments";
- a source the story cites: "according to Axios", "told the Portland Mercury", "the
  Oregonian reported" (people are cited the same way, so a bare two-word name there is taken
  for a person's);
- a list: in "Uber, Lyft, DoorDash and Gopuff" the names beside a known company are companies
  too.

People are the main risk: "Whitfield said" after "Dana Whitfield" is a person, so a name whose
word ends a person-shaped name elsewhere in the article, or that takes "who", is never taken.
A name at the start of a sentence whose word also appears in lower case ("Officials said") is
an ordinary word. Places (the gazetteer's cities, regions and countries), days and months are
never organisations.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from search.pipeline.gazetteer import Gazetteer, longest_match, surnames
from search.pipeline.organisations import LEADING_NOISE, Mention, defined_acronyms
from search.pipeline.tokens import Token, name_key


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Nouns that say what kind of organisation a name is, in "X, a ... NOUN" and "NOUN X".
_KIND_NOUN_LIST = [
    *_words(
        """company companies firm startup start-up maker manufacturer automaker carmaker
    chipmaker carrier airline retailer chain bank lender insurer broker brokerage agency group
    publisher newspaper paper daily tabloid magazine journal outlet website broadcaster network
    station studio label conglomerate giant developer operator provider supplier distributor
    consultancy think-tank organisation organization nonprofit non-profit charity subsidiary
    unit division rival competitor recycler exchange association club team franchise utility
    foundation institute cooperative co-op"""
    ),
    "think tank",
]
_KIND_NOUNS = "|".join(re.escape(w) for w in sorted(_KIND_NOUN_LIST, key=len, reverse=True))
# "the company Jane Doe founded": the name after the noun is then its founder, not its name.
_RELATIVE_VERB = re.compile(
    r"\s+(?:founded|co-founded|started|runs|ran|leads|led|joined|left|heads|headed|owns|"
    r"owned|created|built|bought|sold|works|worked|chairs)\b"
)
_DESCRIPTOR_BEFORE = re.compile(rf"(?:^|[^\w'’-])(?:{_KIND_NOUNS})\s+(?:the\s+)?$")
# "X, a Boston-based maker of delivery drones," / "X, the ... firm that ..." / "X, a unit of".
_APPOSITIVE = re.compile(
    r",\s+(?:an?|the|another)\s+"
    r"(?:(?!(?:of|for|at|with|to|in|on|by|and|or|who|whose)\b)[\w’'$%.-]+\s+){0,6}?"
    rf"(?:{_KIND_NOUNS})(?![\w’'-])"
    r"(?=\s*[,.;:)—–]|\s+(?:of|that|which|whose|based|headquartered|founded|co-founded|owned|"
    r"backed|known|behind|in|with|for|from|run|led|listed|and|on|to|at|by|operating|"
    r"specializing|specialising|providing|offering|making|selling|where|whose)\b)"
)
_NEWSPAPER_AFTER = re.compile(r"\s+(?:newspaper|magazine|journal|tabloid|daily)\b")
_WHICH = re.compile(
    r",\s+which\s+(?:it\s+|also\s+)?(?:makes|sells|operates|owns|runs|provides|supplies|"
    r"employs|builds|develops|offers|acquired|bought|coordinates|manufactures|publishes|"
    r"invests|lends|insures|was\s+founded|is\s+based|is\s+headquartered|is\s+listed|"
    r"is\s+owned|was\s+bought|was\s+acquired|has\s+(?:about\s+|some\s+|more\s+than\s+)?[\d,.]+"
    r"\s+(?:employees|staff|workers|stores|branches))\b"
)
# What only an organisation has: "X's chief executive", "X's shares".
_POSSESSION = re.compile(
    r"['’]s?\s+(?:(?:own|new|former|current|top|global|chief|senior|outgoing|incoming)\s+)?"
    r"(?:CEO|chief\s+executive|chief\s+\w+\s+officer|chairman|chairwoman|board|shares|stock|"
    r"share\s+price|shareholders|spokes(?:man|woman|person)|headquarters|subsidiary|parent|"
    r"revenue|revenues|quarterly|profit|profits|earnings|market\s+value|valuation|"
    r"executives|employees|workforce|stores|factory|factories|IPO|portfolio|"
    r"acquisition|takeover|newsroom|editors?|reporters?)\b"
)
_ROLE_AT = re.compile(
    r"(?i)(?:^|\W)(?:analysts?|economists?|strategists?|executives?|spokes(?:man|woman|person)|"
    r"founder|co-founder|chief\s+executive|chief\s+\w+\s+officer|CEO|CFO|CTO|COO|"
    r"chairman|chairwoman|director|partner|reporter|correspondent|editor|employees?|"
    r"engineers?|researchers?|scientists?)\s+(?:at|of|for|with)\s+(?:the\s+)?$"
)
_OWNED_BY = re.compile(
    r"(?i)(?:^|\W)(?:shares|stock|shareholders|unit|subsidiary|owner|parent|acquisition|takeover|"
    r"division|stake|investors)\s+(?:of|in)\s+(?:the\s+)?$|"
    r"(?:^|\W)(?:acquired|acquire|acquiring|invested\s+in|merged\s+with|merger\s+with|"
    r"owned\s+by|backed\s+by|a\s+unit\s+of)\s+(?:the\s+)?$"
)
# A source the story cites. Reports and data come from organisations; people are told and
# quoted as often as outlets are ("according to Smith").
_REPORTED_BY = re.compile(
    r"(?i)(?:^|\W)(?:according\s+to\s+(?:data|a\s+report|figures|a\s+survey|research|an\s+"
    r"analysis|estimates)\s+(?:from|by|in|compiled\s+by)|reported\s+by|report(?:ed)?\s+(?:from|by|"
    r"in)|data\s+(?:from|compiled\s+by|provider)|surveyed\s+by|polled\s+by|published\s+in)"
    r"\s+(?:the\s+)?$"
)
_CITED = re.compile(
    r"(?i)(?:^|\W)(?:according\s+to|told|published\s+by|quoted\s+by|cited\s+by|interview\s+with|"
    r"statement\s+to|spoke\s+to|speaking\s+to)\s+(the\s+)?$"
)
# "Commerzbank analyst Carsten Fritsch", "Steelers defensive captain Cam Heyward".
_ROLE_AFTER = re.compile(
    r"\s+(?:[a-z]+\s+)?(?:analyst|economist|strategist|spokes(?:man|woman|person)|"
    r"chief\s+executive|CEO|CFO|CTO|COO|chairman|chairwoman|founder|co-founder|president|"
    r"executive|engineer|researcher|scientist|reporter|correspondent|editor|coach|"
    r"quarterback|captain|player|keeper|goalkeeper|striker|defender|midfielder|pitcher|"
    r"linebacker|rusher|receiver|director)\s+[A-Z][a-z]"
)
# The last word (as a token: "start-up" ends in "up") of every cue before a name, for a
# cheap first test before the regexes above.
_KIND_WORDS = frozenset(re.split(r"[ -]", w)[-1] for w in _KIND_NOUN_LIST)
_LEFT_LAST = _KIND_WORDS | _words(
    """at of for with in by to from told interview statement spoke speaking according
    acquired acquire acquiring merged merger owned backed compiled provider surveyed polled
    published quoted cited reported report data"""
)
# Nationality words before a role ("American economist") are not organisations.
_DEMONYM = re.compile(r".*(?:an|ese|ish|ic|i)$")
_CITES = re.compile(
    r"\s+(?:said|says|reported|reports|announced|confirmed|denied|declined|estimated|"
    r"estimates|noted|wrote|found)\b"
)
# Left context that makes a capitalised name a person's.
_PERSON_BEFORE = re.compile(
    r"(?:^|\W)(?:Mr|Mrs|Ms|Dr|Prof|Gov|Sen|Rep|Gen|Lt|Col|Capt|Sgt|St|Rev|Sir|Dame|Lady|Lord|"
    r"President|Chancellor|Premier|Minister|Mayor|Judge|Justice|Coach|Officer)\.?\s+$"
)
_PERSON_AFTER = re.compile(
    r",\s+(?:who|\d{1,3},)\s|\s+(?:said|says|added|told|wrote)\s+(?:he|she|him|her)\b|"
    r"['’]s\s+(?:wife|husband|son|daughter|mother|father|family|brother|sister|lawyer)\b"
)
_TITLES = _words(
    """Mr Mrs Ms Dr Prof Gov Sen Rep Gen Lt Col Capt Sgt St Rev Sir Dame Lady Lord President
    Chancellor Premier Minister Mayor Judge Justice Coach Officer"""
)
_PERSON_AFTER_FIRST = frozenset(", '’")
_SENTENCE_GAP = re.compile(r"[.!?\n:;—–•|]")
_STOP_WORDS = _words(
    """I He She It We They You His Her Its Our Their This That These Those There Here What
    Who Why How When Where Which Yes No Not But And Or So If As At In On By For From To With
    Monday Tuesday Wednesday Thursday Friday Saturday Sunday January February March April
    May June July August September October November December Mon Tue Wed Thu Fri Sat Sun
    Jan Feb Mar Apr Jun Jul Aug Sep Sept Oct Nov Dec AM PM GMT UTC EST PST Mr Mrs Ms Dr
    God Covid COVID Internet Web"""
)
_POSSESSIVE = re.compile(r"['’]s?\s+\w")  # "Apple's AirPlay"; not "Macy's, Kellogg's"
# Job titles and sentence openers (organisations.py) never begin an organisation's name.
_TITLE_WORDS = LEADING_NOISE
_PARTICIPLE = re.compile(r"(?:ed|ing|ly)$")
LIST_GAP = re.compile(r"\s*(?:,\s*(?:and\s+|or\s+)?|\s+(?:and|or)\s+)(?:the\s+)?$")
MAX_WORDS = 6


def _plain(token: Token) -> bool:
    """A word spelled like a person's name: "Whitfield", not "DoorDash" or "NASA"."""
    text = token.text
    return token.kind == "word" and text[:1].isupper() and text[1:].islower()


def _brand(words: list[Token]) -> bool:
    """Spelled as no person is: "iFixit", "DoorDash", "MSCI" (cited like a person, a brand
    is still a brand)."""
    return any(
        t.kind == "word" and len(t.text) > 2 and not t.text[1:].islower() and t.text.isalpha()
        for t in words
    )


def _word(token: Token) -> bool:
    """A capitalised word, a brand in mixed case (iFixit, DoorDash) or an & / Inc. inside."""
    if token.kind in ("amp", "ltd", "group"):
        return True
    text = token.text
    return token.cap or (not text.islower() and not text.isdigit() and text[:1].isalpha())


def name_runs(tokens: list[Token], text: str) -> list[tuple[int, int]]:
    """Maximal stretches [first, last] of joined capitalised words ("Kestrel Aerospace",
    "Mitsui & Co.", "Polygraph.info")."""
    runs: list[tuple[int, int]] = []
    append = runs.append
    start = None
    for i, token in enumerate(tokens):
        # Most words are lower case: the cheap test first.
        member = token.cap or token.kind != "word" or (not token.text.islower() and _word(token))
        if start is not None:
            if (
                token.kind == "ltd"
                or (
                    token.joined
                    and (
                        member
                        # "Polygraph.info", "Wday.ru": a domain's lower-case end.
                        or (text[tokens[i - 1].end : token.start] == "." and token.text.isalpha())
                    )
                )
            ):
                continue
            append((start, i - 1))
            start = None
        if member and token.kind == "word":
            start = i
    if start is not None:
        append((start, len(tokens) - 1))
    return runs


class Evidence:
    """The organisation names one text shows by its own words (see the module docstring)."""

    def __init__(
        self,
        text: str,
        tokens: list[Token],
        is_place: Callable[[int, int], bool],
        known: Callable[[int, int], bool],
    ):
        self.text, self.tokens = text, tokens
        self.is_place, self.known = is_place, known
        self.runs = name_runs(tokens, text)
        self.lowercase_words = {t.key for t in tokens if not t.cap}
        self.person_words = self._person_words()
        # Words that make a name on their own somewhere in the text.
        self.alone_words = {tokens[f].key for f, e in self.runs if f == e}

    # -- people and ordinary words -------------------------------------------------------

    def _starts_sentence(self, i: int) -> bool:
        if i == 0:
            return True
        token = self.tokens[i]
        if token.joined:  # only a space or a hyphen before it
            return False
        return bool(_SENTENCE_GAP.search(self.text, self.tokens[i - 1].end, token.start))

    def _person_words(self) -> set[str]:
        """Words that are people's names here: the last word of a plain two- or three-word
        capitalised name ("Dana Whitfield"), a word after a title ("Mr. Garrett"), a name
        that takes "who"."""
        people: set[str] = set()
        text, tokens = self.text, self.tokens
        family = surnames()
        for first, last in self.runs:
            start, end = tokens[first].start, tokens[last].end
            if (
                first
                and tokens[first - 1].text in _TITLES
                and _PERSON_BEFORE.search(text, max(0, start - 12), start)
            ) or (text[end : end + 1] in _PERSON_AFTER_FIRST and _PERSON_AFTER.match(text, end)):
                people.add(tokens[last].key)
                continue
            # The last two words of a run: "Salesforce CEO Marc Benioff" ends in a person.
            if last == first or not all(_plain(t) for t in tokens[last - 1 : last + 1]):
                continue
            if last - 1 == first and self._starts_sentence(first):
                continue
            if not self.known(last - 1, last) and not self.is_place(last - 1, last):
                people.add(tokens[last].key)
                # "Yang Yujing" ... "according to Yang": a Chinese name puts the family first.
                if tokens[last - 1].key in family:
                    people.add(tokens[last - 1].key)
        return people

    def _person_like(self, first: int, last: int, strong: bool) -> bool:
        words = self.tokens[first : last + 1]
        if len(words) == 1:
            return words[0].key in self.person_words
        # "Priya Raman" ... "Raman said": a person's surname stands alone elsewhere.
        if words[-1].key in self.alone_words and words[-1].key in self.person_words:
            return True
        if strong:
            return False
        # A bare name cited like a person: two or three plain capitalised words.
        return len(words) <= 3 and all(_plain(t) for t in words)

    def _acceptable(self, first: int, last: int, strong: bool) -> bool:
        tokens = self.tokens
        words = tokens[first : last + 1]
        if not words or len(words) > MAX_WORDS or words[0].kind != "word":
            return False
        if any(t.text in _STOP_WORDS for t in words) or words[0].text in _TITLE_WORDS:
            return False
        # "Named for economist Simon Kuznets": a sentence's first word, a participle.
        if len(words) == 1 and self._starts_sentence(first) and _PARTICIPLE.search(words[0].key):
            return False
        if all(len(t.text) < 2 for t in words):  # initials: "U.S", "J."
            return False
        if self.is_place(first, last) or self._person_like(first, last, strong):
            return False
        # "Officials said": a sentence's first word that the text also uses in lower case.
        return not (
            len(words) == 1
            and self._starts_sentence(first)
            and words[0].key in self.lowercase_words
        )

    # -- the cues --------------------------------------------------------------------------

    def _trimmed(self, first: int, last: int) -> int:
        """Skip a sentence's first word when it is a descriptor or an ordinary word
        ("Rival Zipline", "Carrier SunExpress", "The Oregonian")."""
        tokens = self.tokens
        while first < last and (
            tokens[first].text in ("The", "A", "An")
            or (self._starts_sentence(first) and tokens[first].key in self.lowercase_words)
            or (self._starts_sentence(first) and tokens[first].key in _KIND_WORDS)
        ):
            first += 1
        return first

    def _cue(self, first: int, last: int) -> str | None:
        """Which cue shows tokens[first..last] to be an organisation (None for none)."""
        text, tokens = self.text, self.tokens
        start, end = tokens[first].start, tokens[last].end
        after = text[end : end + 160]
        # Every cue before a name ends in a word of _LEFT_LAST (then perhaps "the"): most
        # names are not preceded by one, and the regexes below are the costly part.
        prev = first - 1
        if prev >= 0 and tokens[prev].key == "the":
            prev -= 1
        left = prev >= 0 and tokens[prev].key in _LEFT_LAST
        before = text[max(0, start - 60) : start] if left else ""
        if left and _DESCRIPTOR_BEFORE.search(before) and not _RELATIVE_VERB.match(after):
            return "descriptor"
        # "Carrier SunExpress" at a sentence's start has been trimmed to "SunExpress".
        if (
            first > 0
            and tokens[first].joined
            and tokens[first - 1].key in _KIND_WORDS
            and re.fullmatch(_KIND_NOUNS, tokens[first - 1].key)
            and self._starts_sentence(first - 1)
        ):
            return "descriptor"
        head = after[:1]
        if head == "," and (_APPOSITIVE.match(after) or _WHICH.match(after)):
            return "appositive"
        if head in ("'", "’") and _POSSESSION.match(after):
            return "possession"
        if head == " " and _NEWSPAPER_AFTER.match(after):
            return "appositive"
        if left:
            if _ROLE_AT.search(before):
                return "role"
            if _OWNED_BY.search(before):
                return "owned"
            if _REPORTED_BY.search(before):
                return "reported"
        the = (first > 0 and tokens[first - 1].key == "the") and (
            tokens[first - 1].text == "the" or tokens[first].joined
        )
        if left and _CITED.search(before):
            return "cited-the" if the else "cited"
        if head != " ":
            return None
        # "the Oregonian reported"; a bare "Prakash said" is nearly always a person.
        if _CITES.match(after) and (the or _brand(tokens[first : last + 1])):
            return "cites-the"
        if _ROLE_AFTER.match(after) and not (
            first == last and _DEMONYM.fullmatch(tokens[first].text)
        ):
            return "role-after"
        return None

    def find(self, skip: set[int]) -> list[tuple[int, int, str]]:
        """(first, last, cue) of every name shown to be an organisation, in text order."""
        out = []
        for run_first, last in self.runs:
            first = self._trimmed(run_first, last)
            if any(i in skip for i in range(first, last + 1)):
                continue
            cue = self._cue(first, last)
            if cue is None:
                continue
            strong = cue not in ("cited", "cites")
            if self._acceptable(first, last, strong):
                out.append((first, last, cue))
        return out

    def listed_with(
        self, organisations: set[tuple[int, int]], skip: set[int]
    ) -> list[tuple[int, int, str]]:
        """Names in a list ("Uber, Lyft, DoorDash and Gopuff") beside a name that is exactly
        an organisation found already ("Apple CarPlay and Android Auto" lists products)."""
        text, tokens = self.text, self.tokens
        chains: list[list[tuple[int, int]]] = []
        gaps: list[str] = []
        for first, last in self.runs:
            first = self._trimmed(first, last)
            if chains:
                prev_last = chains[-1][-1][1]
                gap = text[tokens[prev_last].end : tokens[first].start]
                if LIST_GAP.match(gap) and len(gap) <= 12:
                    chains[-1].append((first, last))
                    gaps[-1] = gap
                    continue
            chains.append([(first, last)])
            gaps.append("")
        out = []
        for chain, final_gap in zip(chains, gaps, strict=True):
            # A list closes with "and" or "or"; commas alone join clauses as often.
            if len(chain) < 2 or not re.search(r"\b(?:and|or)\b", final_gap):
                continue
            known = [span in organisations for span in chain]
            if not any(known) or sum(known) * 2 < len(chain) and len(chain) > 3:
                continue
            # Places in it make it a list of places or an address; a possessive ("Apple's
            # AirPlay") a list of things.
            if any(self.is_place(f, e) for f, e in chain) or any(
                _POSSESSIVE.match(text, tokens[e].end) for _, e in chain
            ):
                continue
            # The last item of a list that runs on ("... and Star Wars movies") is a
            # modifier, not a name.
            end = tokens[chain[-1][1]].end
            tail = re.match(r"\s+([a-z]+)", text[end : end + 20])
            for k, ((first, last), is_known) in enumerate(zip(chain, known, strict=True)):
                if is_known or any(i in skip for i in range(first, last + 1)):
                    continue
                if k == len(chain) - 1 and tail and tail[1] not in _VERB_AFTER_LIST:
                    continue
                # "Inside, Audi ...": a sentence's first word before a comma is an adverb.
                if first == last and self._starts_sentence(first):
                    continue
                if self._acceptable(first, last, strong=False):
                    out.append((first, last, "list"))
        return out


# Words that may follow a list of companies as its verb, not as a noun it modifies.
_VERB_AFTER_LIST = _words(
    """and or have has had are were was is will would can could said say says announced
    also all both each which who that to in on at for of with as have rose fell gained lost
    reported agreed plan plans declined did do does did not may might must should others
    other more among"""
)


def evidenced_organisations(
    text: str, tokens: list[Token], mentions: list[Mention], gazetteer: Gazetteer
) -> list[Mention]:
    """Names the text shows to be organisations (org_evidence.py), then names listed beside
    any organisation found so far ("Uber, Lyft, DoorDash and Gopuff")."""
    cities, organisations = gazetteer.city_index, gazetteer.organisation_index

    def spans(index):
        def covers(first: int, last: int) -> bool:
            match = longest_match(tokens, first, index)
            return match is not None and match[0] == last - first + 1

        return covers

    evidence = Evidence(text, tokens, spans(cities), spans(organisations))
    covered = {i for m in mentions for i in range(m.first, m.last + 1)}
    found: list[Mention] = []

    defined = defined_acronyms(text)

    names = {name_key(m.canonical) for m in mentions}

    def add(first: int, last: int) -> None:
        spelled = " ".join(text[tokens[first].start : tokens[last].end].split())
        spelled = defined.get(spelled, spelled)  # "NYAG" -> the name it was defined for
        canonical = organisations.entries.get(name_key(spelled)) or spelled
        covered.update(range(first, last + 1))
        # An acronym for a name found already in a shorter form ("Electric Reliability
        # Council" before its "of Texas" was cut) is that name, not a second one.
        key = name_key(canonical)
        if not any(key == k or key.startswith(f"{k} ") for k in names):
            names.add(key)
            found.append(Mention(canonical, first, last))

    for first, last, _cue in evidence.find(covered):
        add(first, last)
    for first, last, _cue in evidence.listed_with(
        {(m.first, m.last) for m in [*mentions, *found]}, covered
    ):
        add(first, last)
    return found
