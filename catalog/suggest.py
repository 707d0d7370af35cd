"""Suggest the section of a list where a newly discovered article belongs.

How a suggestion is made (``suggest_section``), strongest signal first:

1. **Company / proper noun.** Curated lists group case studies in letter sections
   ("A companies", "U companies", "K technologies", "S interview", "X white papers"). A
   title's *name tokens* are its words that are neither stop words nor generic title words
   (a word is generic for a family of letter sections when titles in that family's sections
   of *other* letters also use it: "How", "Scaled", "Million", "Reasons"). A name token
   that already occurs in a section's titles (and, for a letter section, starts with its
   letter) is the strongest evidence: "Uber" in "How Uber Computes ETA..." is in every
   title of "U companies".
2. **Initial letter.** The title's subject (its first name token, else any name token) starts
   with the letter of a letter section: "How Instagram Scaled..." -> "I companies" even when
   that section is empty.
3. **Family.** Which family of letter sections (companies, technologies, interview, white
   papers) the title resembles: TF-IDF cosine against all titles of the family, plus the
   family's own name in the title ("System Design Interview: ..." -> interview).
4. **Topic overlap.** TF-IDF cosine similarity between the title and each section's titles
   (IDF over all titles of the list); the only signal for sections that are not letter
   groups.
5. **Feed hint and rules.** ``feed_hint`` (e.g. a section named for the feed in the
   config) adds to the section it names; a ``Rule`` whose regex matches the title or URL
   adds its weight to its section, or decides outright when ``override`` is set (for
   trusted feeds that always go to one section).

Each signal is a function of ``SIGNALS`` (``company_name``, ``initial_letter``,
``family_resemblance``, ``plain_name``, ``topic_overlap``, ``feed_hint``, ``rule_match``)
and every weight is a field of ``Weights`` (``WEIGHTS``). The score is their sum; the section
with the highest score wins, ties broken by the order of ``sections``.
``Suggestion.reason`` names the signals that decided.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

import ftfy

if TYPE_CHECKING:
    from catalog.parsed import ParsedDocument


# "A companies", "# companies", "K technologies", "S interview", "X white papers": one
# letter (or #) then lower-case words naming the family
_LETTER_GROUP = re.compile(r"^\s*\\?([#0-9A-Za-z])\s+([a-z][a-z ]*[a-z])\s*$")
_INFLECTED = re.compile(r"^[a-z]{3,}(?:ed|ing|ies|es)$")  # Scaled, Handles: words, not names
_TOKEN = re.compile(r"[A-Za-z0-9][A-Za-z0-9+']*")

_STOP_TEXT = """
a an and are as at be by can do does did for from how i if in into is it its of on or our so
than that the their this to vs via was were what when where which who why will with you your
we us my not no yes part up out over under after before about all any each every more most
new one two three simply explained
"""
STOP_WORDS = frozenset(_STOP_TEXT.split())


@dataclass(frozen=True)
class Rule:
    """A config rule: ``pattern`` (a regex, case-insensitive) on the title, URL or either."""

    pattern: str
    section: str
    on: Literal["title", "url", "any"] = "any"
    weight: float = 3.0
    override: bool = False  # when it matches, the rule decides

    def matches(self, title: str, url: str) -> bool:
        regex = re.compile(self.pattern, re.IGNORECASE)
        if self.on == "title":
            return bool(regex.search(title))
        if self.on == "url":
            return bool(regex.search(url))
        return bool(regex.search(title) or regex.search(url))


@dataclass(frozen=True)
class Suggestion:
    section: str | None  # None when ``sections`` is empty
    score: float
    reason: str
    scores: Mapping[str, float] = field(default_factory=dict, compare=False, repr=False)


@dataclass(frozen=True)
class _Group:
    letter: str  # "#" or an upper-case letter
    family: str  # "companies", "technologies", ...


def letter_group(heading: str) -> tuple[str, str] | None:
    """("U", "companies") for "U companies", ("#", "companies") for "# companies"."""
    match = _LETTER_GROUP.match(heading)
    if match is None:
        return None
    letter = match.group(1).upper()
    if letter.isdigit():
        letter = "#"
    return letter, match.group(2).lower()


def with_missing_letters(sections: Mapping[str, Sequence[str]]) -> dict[str, list[str]]:
    """``sections`` with an empty section for each letter a family of letter groups has no
    heading for yet ("E companies" beside "A companies" and "U companies"): the letter
    signal can then name it. The new headings are written as the family's are."""
    out = {name: list(titles) for name, titles in sections.items()}
    families: dict[str, tuple[str, set[str]]] = {}
    for name in sections:
        group = letter_group(name)
        if group is not None:
            word = name.strip().split(" ", 1)[1].strip()
            families.setdefault(group[1], (word, set()))[1].add(group[0])
    for word, letters in families.values():
        for letter in ("#", *(chr(c) for c in range(ord("A"), ord("Z") + 1))):
            if letter not in letters:
                out.setdefault(f"{letter} {word}", [])
    return out


def _fix(text: str) -> str:
    return ftfy.fix_text(text) if "â" in text or "Ã" in text else text


def raw_tokens(text: str) -> list[str]:
    """Words as written (case kept), possessives and trailing '+' dropped."""
    out: list[str] = []
    for token in _TOKEN.findall(_fix(text).replace("’", "'")):
        token = token.rstrip("+'")
        if token.lower().endswith("'s"):
            token = token[:-2]
        if token:
            out.append(token)
    return out


def stem(word: str) -> str:
    word = word.lower()
    for suffix in ("ing", "es", "s"):
        if len(word) > len(suffix) + 3 and word.endswith(suffix):
            return word[: -len(suffix)]
    return word


def terms(text: str) -> list[str]:
    return [
        stem(token)
        for token in raw_tokens(text)
        if token.lower() not in STOP_WORDS and not token[0].isdigit()
    ]


def _family_stem(family: str) -> set[str]:
    words = {stem(word) for word in family.split()}
    words |= {"paper"} if "paper" in family else set()
    words |= {"interview"} if "interview" in family else set()
    return words


class _Tfidf:
    def __init__(self, documents: Iterable[list[str]]) -> None:
        df: Counter[str] = Counter()
        count = 0
        for doc in documents:
            count += 1
            df.update(set(doc))
        self.count = max(count, 1)
        self.df = df

    def idf(self, term: str) -> float:
        return math.log((1 + self.count) / (1 + self.df.get(term, 0))) + 1.0

    def vector(self, terms: Iterable[str]) -> dict[str, float]:
        counts = Counter(terms)
        vec = {term: (1 + math.log(n)) * self.idf(term) for term, n in counts.items()}
        norm = math.sqrt(sum(v * v for v in vec.values())) or 1.0
        return {term: v / norm for term, v in vec.items()}

    @staticmethod
    def cosine(a: Mapping[str, float], b: Mapping[str, float]) -> float:
        if len(a) > len(b):
            a, b = b, a
        return sum(value * b.get(term, 0.0) for term, value in a.items())


def generic_words(lettered: Iterable[tuple[str, Sequence[str]]], *, at_least: int = 1) -> set[str]:
    """Words of titles filed under letters that are not names: a word that titles under
    other letters use more than titles under its own letter ("How", "Scaled", "System"),
    and inflected words ("Handles", "Scaling"). ``lettered``: (letter, titles) pairs;
    ``at_least``: the uses under other letters it takes."""
    own: Counter[str] = Counter()
    other: Counter[str] = Counter()
    for letter, titles in lettered:
        for entry_title in titles:
            for word in {token.lower() for token in raw_tokens(entry_title)}:
                if word[0].upper() == letter:
                    own[word] += 1
                else:
                    other[word] += 1
    generic = {word for word, n in other.items() if n > own[word] and n >= at_least}
    return generic | {word for word in own | other if _INFLECTED.search(word)}


def _name_tokens(title: str, generic: set[str]) -> list[str]:
    """Candidate names in title order (lower-cased): not stop words, numbers or generic."""
    names: list[str] = []
    for token in raw_tokens(title):
        lowered = token.lower()
        if lowered in STOP_WORDS or token[0].isdigit() or lowered in generic:
            continue
        if lowered not in names:
            names.append(lowered)
    return names


@dataclass(frozen=True)
class Weights:
    """Every weight of a suggestion, in one place: what each signal adds to a section."""

    company: float = 4.0  # a name of the section's letter already in its titles
    company_not_subject: float = 0.6  # its share when that name is not the title's subject
    company_family_floor: float = 0.5  # its share for a family the title does not resemble
    letter: float = 1.5  # the title's subject starts with the section's letter
    letter_other_name: float = 0.75  # another name of the title starts with it
    family: float = 1.5  # the title reads like the family's titles (relative to the best)
    family_named: float = 1.0  # resemblance added when the title names the family
    plain_name: float = 2.0  # a name the titles of a plain (not letter) section use
    topic: float = 2.0  # TF-IDF similarity to the section's titles
    topic_in_letter_group: float = 0.5  # its share in a letter group (its letter defines it)
    topic_said: float = 0.2  # similarity from which the reason mentions it
    hint_names_it: float = 2.0  # the feed's section hint is the section's name
    hint_word: float = 1.0  # the hint shares a word with the section's name


WEIGHTS = Weights()


@dataclass
class Evidence:
    """What the signals read about one title, computed once for all sections."""

    title: str
    url: str
    sections: Mapping[str, Sequence[str]]
    weights: Weights
    feed_hint: str | None = None
    rules: Sequence[Rule] = ()
    groups: dict[str, _Group] = field(default_factory=dict)
    names: list[str] = field(default_factory=list)  # the title's name tokens, subject first
    words: dict[str, list[set[str]]] = field(default_factory=dict)  # section -> title words
    family_score: dict[str, float] = field(default_factory=dict)
    best_family: float = 0.0
    tfidf: _Tfidf | None = None
    title_vec: dict[str, float] = field(default_factory=dict)
    term_docs: dict[str, list[list[str]]] = field(default_factory=dict)

    def family_ratio(self, group: _Group) -> float:
        fam = self.family_score.get(group.family, 0.0)
        return fam / self.best_family if self.best_family > 0 else 1.0


def evidence(
    title: str,
    url: str,
    sections: Mapping[str, Sequence[str]],
    *,
    feed_hint: str | None = None,
    rules: Sequence[Rule] = (),
    weights: Weights = WEIGHTS,
) -> Evidence:
    """The title read against the list's sections: its names (words that are neither stop
    words nor generic for the list's letter groups), TF-IDF vectors, family resemblance."""
    ev = Evidence(title, url, sections, weights, feed_hint, rules)
    names = list(sections)
    ev.groups = {name: _Group(*g) for name in names if (g := letter_group(name)) is not None}
    families = {group.family for group in ev.groups.values()}
    generic = generic_words((g.letter, sections[name]) for name, g in ev.groups.items())
    ev.names = _name_tokens(title, generic)
    ev.words = {
        name: [{token.lower() for token in raw_tokens(t)} for t in sections[name]] for name in names
    }
    ev.term_docs = {name: [terms(t) for t in sections[name]] for name in names}
    ev.tfidf = tfidf = _Tfidf(doc for docs in ev.term_docs.values() for doc in docs)
    title_terms = terms(title)
    ev.title_vec = tfidf.vector(title_terms)

    # family resemblance looks at the wording, not at the names ("How X Works",
    # "System Design Interview: Design X")
    def style(text: str) -> list[str]:
        return [
            stem(token)
            for token in raw_tokens(text)
            if token.lower() in generic and token.lower() not in STOP_WORDS
        ]

    title_style = tfidf.vector(style(title))
    for family in families:
        vec = tfidf.vector(
            term
            for name, group in ev.groups.items()
            if group.family == family
            for entry_title in sections[name]
            for term in style(entry_title)
        )
        named = weights.family_named if set(title_terms) & _family_stem(family) else 0.0
        ev.family_score[family] = _Tfidf.cosine(title_style, vec) + named
    ev.best_family = max(ev.family_score.values(), default=0.0)
    return ev


Found = tuple[float, list[str]]  # what a signal adds to a section, and why


def company_name(ev: Evidence, name: str) -> Found:
    """A name of the section's letter that its titles already use ("Uber" in every title
    of "U companies"): full weight for the title's subject, less for a name further on,
    less again for a family the title does not read like."""
    group, w = ev.groups.get(name), ev.weights
    if group is None or not ev.names:
        return 0.0, []
    hits = [
        n
        for n in ev.names
        if n[0].upper() == group.letter and any(n in words for words in ev.words[name])
    ]
    if not hits:
        return 0.0, []
    share = 1.0 if hits[0] == ev.names[0] else w.company_not_subject
    floor = w.company_family_floor
    score = w.company * share * (floor + (1 - floor) * ev.family_ratio(group))
    return score, [f"company {hits[0]!r} already in {name!r}"]


def initial_letter(ev: Evidence, name: str) -> Found:
    """The title's subject (its first name token) starts with the section's letter; less
    when only another name does."""
    group = ev.groups.get(name)
    if group is None or not ev.names:
        return 0.0, []
    if ev.names[0][0].upper() == group.letter:
        return ev.weights.letter, [f"initial letter {group.letter}"]
    if any(n[0].upper() == group.letter for n in ev.names):
        return ev.weights.letter_other_name, [f"a name starting with {group.letter}"]
    return 0.0, []


def family_resemblance(ev: Evidence, name: str) -> Found:
    """The title reads like the titles of the section's family of letter groups (TF-IDF
    cosine of their generic wording, plus the family's name in the title), relative to
    the family it reads most like."""
    group = ev.groups.get(name)
    if group is None or ev.best_family <= 0:
        return 0.0, []
    ratio = ev.family_ratio(group)
    why = [f"like the {group.family} titles"] if ratio == 1.0 else []
    return ev.weights.family * ratio, why


def plain_name(ev: Evidence, name: str) -> Found:
    """A name of the title that a plain (not letter) section's titles use."""
    if name in ev.groups:
        return 0.0, []
    hits = [n for n in ev.names if any(n in words for words in ev.words[name])]
    return (ev.weights.plain_name, [f"name {hits[0]!r} already in {name!r}"]) if hits else (0.0, [])


def topic_overlap(ev: Evidence, name: str) -> Found:
    """TF-IDF similarity to the section's closest title and to its titles as a whole (IDF
    over all titles of the list); a letter group counts it less."""
    docs, tfidf = ev.term_docs[name], ev.tfidf
    if not docs or tfidf is None:
        return 0.0, []
    section_vec = tfidf.vector(term for doc in docs for term in doc)
    closest = max(_Tfidf.cosine(ev.title_vec, tfidf.vector(doc)) for doc in docs)
    topic = 0.5 * closest + 0.5 * _Tfidf.cosine(ev.title_vec, section_vec)
    if topic <= 0:
        return 0.0, []
    share = ev.weights.topic_in_letter_group if name in ev.groups else 1.0
    why = [f"topic overlap {topic:.2f}"] if topic >= ev.weights.topic_said else []
    return ev.weights.topic * topic * share, why


def feed_hint(ev: Evidence, name: str) -> Found:
    """The followed feed's section hint names the section, or shares a word with it."""
    if not ev.feed_hint:
        return 0.0, []
    if ev.feed_hint.strip().lower() == name.strip().lower():
        return ev.weights.hint_names_it, ["feed hint names it"]
    if set(terms(ev.feed_hint)) & set(terms(name)):
        return ev.weights.hint_word, ["feed hint"]
    return 0.0, []


def rule_match(ev: Evidence, name: str) -> Found:
    """Config rules for this section whose pattern matches the title or URL: each adds its
    own weight."""
    score, why = 0.0, []
    for rule in ev.rules:
        if rule.section == name and rule.matches(ev.title, ev.url):
            score += rule.weight
            why.append(f"rule {rule.pattern!r}")
    return score, why


Signal = Callable[[Evidence, str], Found]
# The signals in the order their reasons are given, strongest first.
SIGNALS: tuple[Signal, ...] = (
    company_name,
    initial_letter,
    family_resemblance,
    plain_name,
    topic_overlap,
    feed_hint,
    rule_match,
)


def suggest_section(
    title: str,
    url: str,
    *,
    sections: Mapping[str, Sequence[str]],
    feed_hint: str | None = None,
    rules: Sequence[Rule] = (),
    weights: Weights = WEIGHTS,
) -> Suggestion:
    """The section of ``sections`` (heading -> titles already in it) where an article fits.

    Each of ``SIGNALS`` adds to each section (``WEIGHTS`` says how much); the section with
    the highest sum wins, ties broken by the order of ``sections``. A rule with
    ``override`` decides outright. ``reason`` says which signals decided, e.g.
    ``"company 'uber' already in 'U companies'; initial letter U"``.
    """
    if not sections:
        return Suggestion(None, 0.0, "no sections to choose from")
    for rule in rules:
        if rule.override and rule.section in sections and rule.matches(title, url):
            return Suggestion(rule.section, math.inf, f"rule {rule.pattern!r} -> {rule.section}")
    ev = evidence(title, url, sections, feed_hint=feed_hint, rules=rules, weights=weights)
    names = list(sections)
    scores: dict[str, float] = {}
    reasons: dict[str, list[str]] = {}
    for name in names:
        found = [signal(ev, name) for signal in SIGNALS]
        scores[name] = sum(score for score, _ in found)
        reasons[name] = [why for _, whys in found for why in whys]
    best = max(names, key=lambda n: (scores[n], -names.index(n)))
    reason = "; ".join(reasons[best]) or "no evidence: first section"
    return Suggestion(best, round(scores[best], 4), reason, scores)


def holdout_accuracy(
    parsed: ParsedDocument, *, families: Sequence[str] | None = None
) -> tuple[int, int]:
    """Hold out each entry of a letter-group section, suggest its section from the rest.

    ``parsed`` is ``catalog.readme_parser.parse_markdown``'s result. Sections are the headings
    that hold items (titles of their items, the held-out one removed) plus every letter
    section, even one left empty by the removal. Only entries whose first link is a web
    URL are held out: relative links that the README's interleaving placed under a letter
    heading (the learning-path table rows under "K companies" in the seed) are not case
    studies. ``families`` restricts which letter groups are held out (e.g. ["companies"]).
    Returns (correct, total).
    """
    from catalog.urls import classify

    headings = parsed.headings
    by_section: dict[str, list[tuple[int, str]]] = {}
    held: list[tuple[int, str, str, str]] = []  # (item index, section, title, url)
    for index, item in enumerate(parsed.items):
        if item.heading is None:
            continue
        name = headings[item.heading].text
        by_section.setdefault(name, []).append((index, item.title))
        group = letter_group(name)
        url = item.links[0].url if item.links else ""
        if group is None or (families is not None and group[1] not in families):
            continue
        if classify(url) not in ("external", "no_scheme"):
            continue
        held.append((index, name, item.title, url))
    for heading in headings:
        if letter_group(heading.text) is not None:
            by_section.setdefault(heading.text, [])
    correct = 0
    for index, section, title, url in held:
        sections = {
            name: [t for i, t in entries if i != index] for name, entries in by_section.items()
        }
        if suggest_section(title, url, sections=sections).section == section:
            correct += 1
    return correct, len(held)
