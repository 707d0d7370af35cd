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

The score is the weighted sum; the section with the highest score wins, ties broken by
the order of ``sections``. ``Suggestion.reason`` names the signals that decided.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

import ftfy

if TYPE_CHECKING:
    from catalog.parsed import ParsedDocument

W_COMPANY = 4.0
W_LETTER = 1.5
W_FAMILY = 1.5
W_TOPIC = 2.0
W_HINT = 1.0

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


def suggest_section(
    title: str,
    url: str,
    *,
    sections: Mapping[str, Sequence[str]],
    feed_hint: str | None = None,
    rules: Sequence[Rule] = (),
) -> Suggestion:
    """The section of ``sections`` (heading -> titles already in it) where an article fits.

    See the module docstring for the signals and their order; ``reason`` says which ones
    decided, e.g. ``"company 'uber' already in 'U companies'; initial letter U"``.
    """
    if not sections:
        return Suggestion(None, 0.0, "no sections to choose from")
    for rule in rules:
        if rule.override and rule.section in sections and rule.matches(title, url):
            return Suggestion(rule.section, math.inf, f"rule {rule.pattern!r} -> {rule.section}")

    names = list(sections)
    groups = {name: _Group(*g) for name in names if (g := letter_group(name)) is not None}
    families = {group.family for group in groups.values()}

    generic = generic_words((g.letter, sections[name]) for name, g in groups.items())

    term_docs = {name: [terms(t) for t in sections[name]] for name in names}
    tfidf = _Tfidf(doc for docs in term_docs.values() for doc in docs)
    title_terms = terms(title)
    title_vec = tfidf.vector(title_terms)

    # family resemblance looks at the wording, not at the names ("How X Works",
    # "System Design Interview: Design X")
    def style(text: str) -> list[str]:
        return [
            stem(token)
            for token in raw_tokens(text)
            if token.lower() in generic and token.lower() not in STOP_WORDS
        ]

    family_vecs = {
        family: tfidf.vector(
            term
            for name, group in groups.items()
            if group.family == family
            for entry_title in sections[name]
            for term in style(entry_title)
        )
        for family in families
    }
    title_style = tfidf.vector(style(title))
    title_stems = set(title_terms)
    family_score = {
        family: _Tfidf.cosine(title_style, family_vecs[family])
        + (1.0 if title_stems & _family_stem(family) else 0.0)
        for family in families
    }
    best_family = max(family_score.values(), default=0.0)

    hint_terms = set(terms(feed_hint)) if feed_hint else set()
    scores: dict[str, float] = {}
    reasons: dict[str, list[str]] = {}
    for name in names:
        score = 0.0
        why: list[str] = []
        group: _Group | None = groups.get(name)
        section_titles_lower = [
            {token.lower() for token in raw_tokens(entry_title)} for entry_title in sections[name]
        ]
        if group is not None:
            fam = family_score.get(group.family, 0.0)
            family_ratio = fam / best_family if best_family > 0 else 1.0
            candidates = _name_tokens(title, generic)
            letter_names = [n for n in candidates if n[0].upper() == group.letter]
            # 1. a name of this letter already used by the section's titles: full weight for
            # the subject, less for a name further on, less again outside the title's family
            hits = [n for n in letter_names if any(n in words for words in section_titles_lower)]
            if hits:
                weight = 1.0 if hits[0] == candidates[0] else 0.6
                score += W_COMPANY * weight * (0.5 + 0.5 * family_ratio)
                why.append(f"company {hits[0]!r} already in {name!r}")
            # 2. the subject's initial letter
            if candidates and candidates[0][0].upper() == group.letter:
                score += W_LETTER
                why.append(f"initial letter {group.letter}")
            elif letter_names:
                score += W_LETTER / 2
                why.append(f"a name starting with {group.letter}")
            # 3. family resemblance, relative to the best family
            if best_family > 0:
                score += W_FAMILY * family_ratio
                if fam == best_family:
                    why.append(f"like the {group.family} titles")
        else:
            # a name shared with a plain section's titles is evidence too, a weaker one
            candidates = _name_tokens(title, generic)
            hits = [n for n in candidates if any(n in words for words in section_titles_lower)]
            if hits:
                score += W_COMPANY / 2
                why.append(f"name {hits[0]!r} already in {name!r}")
        # 4. topic overlap: similarity to the closest title and to the section as a whole
        if term_docs[name]:
            section_vec = tfidf.vector(term for doc in term_docs[name] for term in doc)
            closest = max(_Tfidf.cosine(title_vec, tfidf.vector(doc)) for doc in term_docs[name])
            topic = 0.5 * closest + 0.5 * _Tfidf.cosine(title_vec, section_vec)
            if topic > 0:
                # a letter section is defined by its letter: its topics are incidental
                score += W_TOPIC * topic * (0.5 if group is not None else 1.0)
                if topic >= 0.2:
                    why.append(f"topic overlap {topic:.2f}")
        # 5. feed hint and rules
        if feed_hint:
            if feed_hint.strip().lower() == name.strip().lower():
                score += W_HINT * 2
                why.append("feed hint names it")
            elif hint_terms and hint_terms & set(terms(name)):
                score += W_HINT
                why.append("feed hint")
        for rule in rules:
            if rule.section == name and rule.matches(title, url):
                score += rule.weight
                why.append(f"rule {rule.pattern!r}")
        scores[name] = score
        reasons[name] = why
    best = max(names, key=lambda n: (scores[n], -names.index(n)))
    reason = "; ".join(reasons[best]) or "no evidence: first section"
    return Suggestion(best, round(scores[best], 4), reason, scores)


def holdout_accuracy(
    parsed: ParsedDocument, *, families: Sequence[str] | None = None
) -> tuple[int, int]:
    """Hold out each entry of a letter-group section, suggest its section from the rest.

    ``parsed`` is ``catalog.markdown.parse_markdown``'s result. Sections are the headings
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
