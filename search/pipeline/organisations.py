"""Organisations named in an article: curated names plus names found by their shape.

A name found by shape is a run of capitalised words ending in a head noun (Group, University,
Commission, Co., Ltd. ...), optionally followed by "of/for ..." (Chinese Academy of
Engineering). An acronym in brackets right after a name is its alias for the whole article.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from search.pipeline.gazetteer import Gazetteer, longest_match, surnames
from search.pipeline.tokens import Token, name_key


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


HEADS = _words(
    """Group Corporation Corp University Center Centre Commission Alliance Institute Academy
    Association Company Ministry Bureau Council Federation Foundation Agency Administration
    Laboratory Laboratories Bank Authority Organization Organisation Society College
    Consortium Inc Ltd Department Office Police Court Committee Party Army Navy Studios
    Airlines Airways Exchange Observatory Hospital Infirmary Holdings Technologies Systems
    Energy Motors Pharmaceuticals Partners Ventures Capital Securities Entertainment
    Embassy Consulate Airline Studio Productions Records Pictures
    Times Post Journal Chronicle Tribune Herald Gazette"""
)
# A name ending in one of these is a place people go to, not an organisation ("Staples
# Center", "KeyBank Center", "Madison Square Garden"), unless it also names an institution's
# work ("State Information Center", "Moffitt Cancer Center").
VENUE_HEADS = _words(
    "Center Centre Arena Stadium Garden Gardens Amphitheater Amphitheatre Field Dome Coliseum Pavilion Park Hall Theater Theatre Plaza Square"
)
INSTITUTION_WORDS = _words(
    """Information Research Data Medical Development Science Sciences Technology Innovation
    Study Studies Policy National Cancer Health Urban Computing Engineering Control
    Prevention Disease Services Service Support Education Training Law Legal Justice
    Policy Strategic International Public Academic Space Flight Operations"""
)
# "Shenzhen Convention and Exhibition Center" is a building, not an organisation.
VENUE_WORDS = _words(
    """Convention Exhibition Expo Conference Shopping Sports Trade Visitor Visitors
    Cultural Culture Arts Performing Financial Business Commercial Service Services Call
    Community Fitness Transit Transport Transportation Logistics"""
)
# Capitalised words that start a sentence or a title, or are job titles: never the first
# word of an organisation name ("President of ...", "Meanwhile Tsinghua University ...").
LEADING_NOISE = _words(
    """The A An This That These Those Its It Their His Her Our Both Also Meanwhile Moreover
    However Yesterday Today Currently Recently Last Next According Among Since Although Under
    President Vice Director Deputy Chairman Chairwoman Secretary General Manager Mayor
    Minister Professor Prof Dr Mr Mrs Ms Chief Engineer Head Dean Founder CEO CTO CFO COO
    Executive Senior Former Party Officials Official State-owned"""
)
# Capitalised function words in headlines end a name ("... Partnership With China ...").
BREAKING_CAPS = _words(
    """The With To At In On By From Into Onto Over Under Between Among Amid After Before During
    Through Via Against As Is Are Was Were Be Been Has Have Had Will Would Can Could May Might
    Must Should Shall Do Does Did Not But Or Nor So Yet If Then Than When While Where Who
    Which What Why How About Across Along Around Toward Towards Up Down Out Off Per Vs"""
)
CONNECTORS = frozenset({"of", "for", "on", "and", "&"})
# "Commission on Monday": after "on" a date, never the rest of a name.
_DATE_WORDS = _words(
    """Monday Tuesday Wednesday Thursday Friday Saturday Sunday January February March April
    May June July August September October November December Jan Feb Mar Apr Jun Jul Aug
    Sep Sept Oct Nov Dec"""
)
# A name made only of these and a head noun is a slogan, not an organisation ("Smart Society").
GENERIC_WORDS = _words(
    """Smart Digital New Global Future Intelligent Green Open Modern Better Good Great Big
    Information Harmonious Civil Learning Sharing Knowledge Whole Our Your Every Wise Happy
    Safe Healthy Beautiful Innovative Creative Connected Sustainable National International
    Data Media Research Technology Science Development Service Services Training Main Central"""
)
# "Commission of China": after a government body's head a trailing "of <country>" describes
# it ("State Grid Corporation of China" and "Bank of China" keep theirs: it is their name).
_DESCRIBED_BY_COUNTRY = frozenset({"Commission", "Ministry", "Bureau", "Council", "Agency"})
# "ZTE Data Center": a known organisation's own facility or unit counts as that organisation.
# Likewise its legal name: "China Mobile Communications Group Co., Ltd." is China Mobile.
FACILITY_WORDS = _words(
    """Data Cloud Computing Research Innovation Technologies Technology Communications
    Information Electronics Holdings Holding Group Corporation Company International"""
)
MAX_NAME_WORDS = 14
_ACRONYM_AFTER = re.compile(r"[ \t]*\(([A-Z][A-Za-z0-9&-]{1,11})\)")


@dataclass(frozen=True)
class Mention:
    canonical: str
    first: int  # token indexes, inclusive
    last: int
    alias: str = ""  # the acronym or other spelling the text used, if not the canonical name


def _run_member(token: Token) -> bool:
    if token.kind in ("ltd", "group", "amp"):
        return True
    if token.text in CONNECTORS:
        return True
    return token.cap and token.text not in BREAKING_CAPS


def _runs(tokens: list[Token]) -> list[tuple[int, int]]:
    """Maximal stretches [start, end) of joined capitalised words and connectors."""
    runs, start = [], None
    for i, token in enumerate(tokens):
        # _run_member inline (a call per word of the article), the usual answer first.
        if not (
            token.cap
            and token.text not in BREAKING_CAPS
            or token.kind != "word"
            or token.text in CONNECTORS
        ):
            if start is not None:
                runs.append((start, i))
            start = None
        elif start is None or not token.joined:
            if start is not None:
                runs.append((start, i))
            start = i
    if start is not None:
        runs.append((start, len(tokens)))
    return runs


def _is_connector(token: Token) -> bool:
    return token.kind == "amp" or token.text in CONNECTORS


def _is_head(token: Token) -> bool:
    return token.kind == "ltd" or token.text in HEADS


def _trim(tokens: list[Token], first: int, last: int) -> tuple[int, int]:
    while first <= last and (
        _is_connector(tokens[first])
        or tokens[first].text in LEADING_NOISE
        or tokens[first].kind != "word"
    ):
        first += 1
    while last >= first and _is_connector(tokens[last]):
        last -= 1
    return first, last


def _plausible(tokens: list[Token], first: int, last: int) -> bool:
    words = [t for t in tokens[first : last + 1] if t.kind != "amp" and not _is_connector(t)]
    if len(words) < 2 or len(words) > MAX_NAME_WORDS:
        return False
    if all(_is_head(t) or t.text in GENERIC_WORDS for t in words):
        return False
    heads = [i for i in range(first, last + 1) if _is_head(tokens[i])]
    last_head = tokens[heads[-1]].text if heads else ""
    if last_head in ("Center", "Centre"):
        core = tokens[first : heads[-1]]
        if any(t.text in VENUE_WORDS for t in core):
            return False
    return not _is_venue(tokens, first, last)


def _is_venue(tokens: list[Token], first: int, last: int) -> bool:
    return tokens[last].text in VENUE_HEADS and not any(
        t.text in INSTITUTION_WORDS for t in tokens[first:last]
    )


def _all_capitals(tokens: list[Token]) -> bool:
    return all(t.text.isupper() for t in tokens)


def _after_known_and(
    tokens: list[Token], first: int, last: int, known: Callable[[int, int], bool]
) -> int:
    """Start of a company name, skipping "Tencent and ..." where what precedes "and" is a
    known name of its own."""
    for i in range(first, last):
        if tokens[i].text in ("and", "&") and known(first, i - 1):
            first = i + 1
    return first


def _names_in_run(
    tokens: list[Token], start: int, end: int, known: Callable[[int, int], bool]
) -> list[tuple[int, int]]:
    """Organisation-shaped spans (first, last) inside one run."""
    spans: list[tuple[int, int]] = []
    # "X Co., Ltd." / "X Inc.": the company name runs back to the start of the run.
    ltd = [i for i in range(start, end) if tokens[i].kind == "ltd"]
    if ltd:
        begin = start
        for i in ltd:
            spans.append(_trim(tokens, _after_known_and(tokens, begin, i, known), i))
            begin = i + 1
        if begin < end:
            spans.extend(_names_in_run(tokens, begin, end, known))
        return spans
    # Split the run into segments at connectors: [Chinese Academy] of [Engineering].
    segments: list[tuple[int, int, str]] = []  # (first, last, connector before it)
    seg_start, connector = start, ""
    for i in range(start, end + 1):
        if i == end or _is_connector(tokens[i]):
            if seg_start < i:
                segments.append((seg_start, i - 1, connector))
            if i < end:
                connector = tokens[i].text
            seg_start = i + 1
    used = -1  # segments up to this one already belong to a name
    for k, (first, last, _) in enumerate(segments):
        if k <= used:
            continue
        heads = [i for i in range(first, last + 1) if _is_head(tokens[i])]
        if not heads:
            continue
        name_first, name_last = first, heads[-1]
        # Backwards over "and": [National Development] and [Reform Commission].
        j = k
        while (
            j - 1 > used
            and segments[j][2] in ("and", "&")
            and not any(_is_head(t) for t in tokens[segments[j - 1][0] : segments[j - 1][1] + 1])
            # "Cisco Systems and Tongji University", "SBI and ICICI Bank" are two each.
            and not known(segments[j - 1][0], segments[j - 1][1])
            and not _all_capitals(tokens[segments[j - 1][0] : segments[j - 1][1] + 1])
        ):
            j -= 1
            name_first = segments[j][0]
        # Forwards over "of"/"for" when the head ends its segment: Academy [of Engineering].
        used = k
        if name_last == last:
            m = k + 1
            while m < len(segments) and (m > k + 1 or segments[m][2] in ("of", "for", "on")):
                seg_first, seg_last, _ = segments[m]
                if any(_is_head(tokens[i]) for i in range(seg_first, seg_last + 1)):
                    break
                if segments[m][2] == "on" and (
                    m > k + 1
                    or any(t.text in _DATE_WORDS for t in tokens[seg_first : seg_last + 1])
                ):
                    break
                person = _person_start(tokens, seg_first, seg_last)
                name_last, used = (seg_last if person is None else person - 1), m
                if person is not None:
                    break
                m += 1
        spans.append(_trim(tokens, name_first, name_last))
    return spans


def _person_start(tokens: list[Token], first: int, last: int) -> int | None:
    """Where a Chinese personal name (surname + given name) starts inside a segment, if any:
    "... Commission of China Jin Xiaotao" ends before "Jin"."""
    family = surnames()
    for i in range(max(first, first + 1), last):
        if tokens[i].key in family and tokens[i + 1].cap and tokens[i + 1].key not in family:
            return i
    return None


def _facility_of(tokens: list[Token], first: int, last: int, index) -> str | None:
    match = longest_match(tokens, first, index)
    if match is None or match[1] is None or first + match[0] > last:
        return None
    rest = tokens[first + match[0] : last]
    if _is_head(tokens[last]) and all(t.text in FACILITY_WORDS or t.kind != "word" for t in rest):
        return match[1]
    return None


def _drop_country_tail(
    tokens: list[Token], first: int, last: int, gazetteer: Gazetteer
) -> tuple[int, int]:
    if last - first < 3 or tokens[last - 1].text != "of":
        return first, last
    head = tokens[last - 2]
    country = gazetteer.city_index.entries.get(tokens[last].key, "") is None
    if country and head.text in _DESCRIBED_BY_COUNTRY:
        return first, last - 2
    return first, last


def _shape_names(tokens: list[Token], gazetteer: Gazetteer) -> list[tuple[int, int]]:
    def known(first: int, last: int) -> bool:
        """Whether tokens first..last open with a known name that ends inside them."""
        for index in (gazetteer.organisation_index, gazetteer.city_index):
            match = longest_match(tokens, first, index)
            if match is not None and first + match[0] - 1 <= last:
                return True
        return False

    spans = []
    for start, end in _runs(tokens):
        for first, last in _names_in_run(tokens, start, end, known):
            if first <= last and _plausible(tokens, first, last):
                spans.append((first, last))
    return spans


def _initials(name: str) -> str:
    letters = []
    for word in re.findall(r"[^\W\d_][\w]*", name):
        if word in CONNECTORS or word == "the":
            continue
        letters.append(word[0].upper())
        letters.extend(c for c in word[1:] if c.isupper() and not word.isupper())
    return "".join(letters)


def acronym_fits(acronym: str, name: str) -> bool:
    """CETC fits China Electronics Technology Group Corporation: its letters are initials."""
    letters = [c for c in acronym.upper() if c.isalpha()]
    initials = _initials(name)
    if not letters or not initials or letters[0] != initials[0]:
        return False
    pos = 0
    for letter in letters:
        pos = initials.find(letter, pos) + 1
        if pos == 0:
            return False
    return True


def find_organisations(
    text: str, tokens: list[Token], gazetteer: Gazetteer, known_acronyms: dict[str, str]
) -> list[Mention]:
    """Organisation mentions in text order; acronyms defined inline go into known_acronyms."""
    index = gazetteer.organisation_index
    mentions: list[Mention] = []
    covered: set[int] = set()
    for first, last in _shape_names(tokens, gazetteer):
        spelled = " ".join(text[tokens[first].start : tokens[last].end].split())
        canonical = index.entries.get(name_key(spelled)) or _facility_of(tokens, first, last, index)
        if _event_after(tokens, last + 1):
            continue
        if canonical is None:
            first, last = _drop_country_tail(tokens, first, last, gazetteer)
            spelled = " ".join(text[tokens[first].start : tokens[last].end].split())
            canonical = index.entries.get(name_key(spelled)) or spelled
        mentions.append(Mention(canonical, first, last))
        covered.update(range(first, last + 1))
    # longest_match's own first test, here: most words start no known name, and a call
    # per word of the article costs more than the test.
    first_words, acronyms = index.first_words, index.acronyms
    i = 0
    while i < len(tokens):
        token = tokens[i]
        if i in covered or (token.key not in first_words and token.text not in acronyms):
            i += 1
            continue
        match = longest_match(tokens, i, index)
        # Acronyms wait until the whole article's own definitions are known.
        if match is None or match[1] is None or tokens[i].text in index.acronyms:
            i += 1
            continue
        n, canonical = match
        spelled = " ".join(text[tokens[i].start : tokens[i + n - 1].end].split())
        if (
            not _same_letters(spelled, canonical)
            or _venue_after(tokens, i + n)
            or _event_after(tokens, i + n)
            or _inside_longer_name(tokens, i, n)
            or _credit_tag(text, tokens[i].start, tokens[i + n - 1].end)
        ):
            # "Über-smart" is not Uber; "Pepsi Center" is Pepsi's arena, not Pepsi
            i += n
            continue
        mentions.append(Mention(canonical, i, i + n - 1, alias=spelled))
        covered.update(range(i, i + n))
        i += n
    mentions.sort(key=lambda m: m.first)
    for mention in mentions:
        m = _ACRONYM_AFTER.match(text, tokens[mention.last].end)
        if m and acronym_fits(m[1], mention.canonical) and m[1] != mention.canonical:
            known_acronyms.setdefault(m[1], mention.canonical)
    return mentions


def _same_letters(spelled: str, canonical: str) -> bool:
    """Accents count in a one-word name: folding them makes "Über" the company Uber."""
    return " " in spelled or spelled.isascii() or not canonical.isascii()


def _inside_longer_name(tokens: list[Token], i: int, n: int) -> bool:
    """ "Smart City Expo World Congress": a known one-word name at the end of a longer
    capitalised name is part of that name."""
    if n > 1 or i == 0 or not tokens[i].joined:
        return False
    prev = tokens[i - 1]
    return prev.cap and prev.text not in LEADING_NOISE and prev.text not in BREAKING_CAPS


_CREDIT = re.compile(r"\(\s*$")


def _credit_tag(text: str, start: int, end: int) -> bool:
    """ "(Reuters)", "(Xinhua)": a wire's credit tag, not a mention in the story."""
    return text[max(0, start - 1) : start] == "(" and text[end : end + 1] == ")"


def _venue_after(tokens: list[Token], i: int) -> bool:
    return i < len(tokens) and tokens[i].joined and tokens[i].text in VENUE_HEADS


# "United Nations Climate Action Summit", "Africa Movie Academy Award", "CBS Upfront Week":
# a name that goes on into an event's or an award's name is that event's, not a mention.
EVENT_HEADS = _words(
    """Summit Award Awards Prize Prizes Festival Championship Championships Cup Games Show
    Expo Week Forum Fair Marathon Tournament Gala Ceremony Conference Convention"""
)
_EVENT_REACH = 4


def _event_after(tokens: list[Token], i: int) -> bool:
    for j in range(i, min(len(tokens), i + _EVENT_REACH)):
        token = tokens[j]
        if not token.joined or not token.cap:
            return False
        if token.text in EVENT_HEADS:
            return True
    return False


def resolve_acronyms(
    tokens: list[Token], acronyms: dict[str, str], covered: set[int]
) -> list[Mention]:
    """Bare acronyms: the article's own definitions, else the gazetteer's (CETC, NDRC)."""
    return [
        Mention(acronyms[t.text], i, i, alias=t.text)
        for i, t in enumerate(tokens)
        if i not in covered and t.kind == "word" and t.text in acronyms
    ]


_DEFINED = re.compile(r"\(([A-Z][A-Za-z&]{1,10})\)")
# "pneumonitis, or HP", "pneumonitis (HP)": an acronym given for the words before it.
# (`o(?<!\wo)r` is `\bor`, written to start with a literal, which the regex engine can skip
# to instead of trying the pattern at every character: same matches, a quarter of the time.)
_GIVEN_ACRONYM = re.compile(r"(?:o(?<!\wo)r\s+|\()([A-Z]{2,6})\b")


def defined_acronyms(text: str) -> dict[str, str]:
    """Acronyms an article defines for a capitalised name: "The New York State Attorney
    General (NYAG)" makes a later "NYAG" that name."""
    out: dict[str, str] = {}
    for m in _DEFINED.finditer(text):
        words = text[max(0, m.start() - 120) : m.start()].split()[-10:]
        for n in range(1, len(words) + 1):
            phrase = " ".join(words[-n:])
            if not words[-n][:1].isupper() or words[-n] in ("The", "A", "An"):
                continue
            if acronym_fits(m[1], phrase) or _fits_every_word(m[1], phrase):
                out.setdefault(m[1], phrase.strip(",;:"))
                break
    return out


def _fits_every_word(acronym: str, phrase: str) -> bool:
    """ "ERCOT" for "Electric Reliability Council of Texas": some acronyms keep the "of"."""
    initials = "".join(w[0].upper() for w in phrase.split() if w[:1].isalpha())
    return len(initials) == len(acronym) and initials == acronym.upper()


def lowercase_acronyms(text: str) -> frozenset[str]:
    """Acronyms an article defines for an ordinary phrase ("hypersensitivity pneumonitis, or
    HP"): there they are not the organisation a gazetteer knows by those letters."""
    out = set()
    for m in _GIVEN_ACRONYM.finditer(text):
        acronym = m[1]
        words = [
            w.strip(",;:") for w in text[max(0, m.start() - 25 * len(acronym)) : m.start()].split()
        ]
        tail = words[-len(acronym) :]
        if (
            len(tail) == len(acronym)
            and all(w.isalpha() and w.islower() for w in tail)
            and "".join(w[0] for w in tail).upper() == acronym
        ):
            out.add(acronym)
    return frozenset(out)
