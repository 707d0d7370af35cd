"""Entries displaced from their letter groups: where each belongs, how sure, and why.

A jumbled list has runs of entries that left their ``#### C technologies``-style groups for
prose sections. ``placements`` looks at every movable entry outside the letter groups and
suggests the group it belongs to, with a confidence and the evidence, learnt only from what
the list's own groups hold:

* **Which family** (companies, technologies, ...): a naive Bayes model over the words of
  the titles and URLs each family holds and the *shape* of its entries (a bare name and
  URL, a link, a link with a description; the title's length, capitals and figures). A
  family never takes an entry of a shape it does not hold, nor, when its entries share
  hosts, an entry from a host it never uses; a family that already files the entry's URL
  does not take it twice.
* **Which letter**: four letter signals (``LETTER_SIGNALS``), each weighted by how often it
  names the right letter for the entries the family already files, counted apart for the
  entries whose signals disagree (a family of names files "The Daily WTF" by its first
  character, a family of articles by the company it is about). A family of names files by
  the first character; a family of articles by the thing an article is about: its first
  name word, or the title word its URL repeats ("How to Scale Code Reviews" at
  ``/how-to-do-code-review`` is about code review: C), which comes first on a tie.
* **The index and runs**: a (family, letter) whose A-Z index cell is labelled but whose
  heading is gone is likelier (``INDEX_ORPHAN``), for the family and for the letter alike;
  entries next to each other most likely left one family together, less so where their
  letter changes (the next group of a run may be of another family).

The confidence is P(family) x P(letter | family). ``--regroup`` moves an entry only when it
reaches ``MOVE_CONFIDENCE`` (tuned on one fixed half of the jumble benchmark); the rest are
suggestions. Pure: no database, no I/O.
"""

from __future__ import annotations

import bisect
import itertools
import math
import re
from collections import ChainMap, Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from catalog.adopt import group_extents
from catalog.config import Region
from catalog.lines import split_lines
from catalog.parsed import Item, ParsedDocument
from catalog.render import LETTERS, letter_of
from catalog.slugs import slugify
from catalog.suggest import STOP_WORDS, generic_words, raw_tokens, stem, terms
from catalog.urls import classify, host_of, link_key

# The lowest confidence whose moves were right 95% of the time on the tuning half of
# bench/regroup.py (a wrong move is worse than none); the other half is reported beside it.
MOVE_CONFIDENCE = 0.85
NB_SMOOTHING = 0.5  # additive smoothing of the family word model
# naive Bayes counts correlated features (a one-word title is also a short, one-capital one)
# as independent evidence: its log-odds are divided by this before they become a confidence
NB_TEMPERATURE = 2.0
# how much a family's size counts before any evidence (0: all families alike; 1: the share
# of the filed entries it holds); damage is rarely spread in proportion to family sizes
PRIOR_WEIGHT = 0.0
FURNITURE_SHARE = 0.3  # a URL word in more than this share of entries names the site, not them
SHARED_HOSTS = 0.5  # a family whose top site holds this share keeps to its sites
INDEX_ORPHAN = 4.0  # odds for a family whose index names the letter and lost its heading
INDEX_UNLINKED = 0.5  # odds for a family whose index shows the letter without a group
RUN_STAYS = 0.98  # entries next to each other outside the groups: same family this often
RUN_STAYS_NEW_LETTER = 0.8  # ... when the next one is filed under another letter
MIN_FAMILY = 3  # a family with fewer entries says too little about what it holds
GENERIC_AT_LEAST = 2  # uses under other letters that make a word generic, not a name

_LIST_MARK = re.compile(r"^\s*(?:[-*+]|\d{1,9}[.)])\s+")
_URL_WORD = re.compile(r"[a-z0-9]+")


@dataclass(frozen=True)
class Filed:
    """An entry of a letter group, or one outside any."""

    title: str
    url: str
    shape: str
    letter: str | None = None  # its group's letter; None outside any group
    page: str = ""  # what the page says about itself (stored metadata), when known


@dataclass(frozen=True)
class Placement:
    """Where an entry outside any group belongs (``section`` None: nowhere found)."""

    item: int  # index into ParsedDocument.items
    line: int
    end_line: int
    title: str
    url: str
    section: str | None  # "C technologies"
    region: str | None  # the letter-groups region that will hold it
    confidence: float
    evidence: tuple[str, ...]
    new_group: bool = False  # no heading for its letter yet

    @property
    def confident(self) -> bool:
        return self.section is not None and self.confidence >= MOVE_CONFIDENCE


# -- features ------------------------------------------------------------------------------


def shape(item: Item) -> str:
    """What an entry looks like: "name+url" (a bare URL after a name) or "link", then
    "+text" when a description follows and "+links" when it has more links."""
    first = item.links[0]
    out = "name+url" if first.syntax in ("bare", "autolink") else "link"
    if item.description and out == "link":
        out += "+text"
    if len(item.links) > 1:
        out += "+links"
    return out


def url_words(url: str) -> list[str]:
    """Lower-case words of the URL's host (without www and the top-level domain) and path."""
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return []
    labels = [label for label in (parts.hostname or "").split(".") if label != "www"][:-1]
    return _URL_WORD.findall(" ".join(labels) + " " + parts.path.lower())


def _same_word(title_word: str, url_word: str) -> bool:
    if title_word == url_word or stem(title_word) == stem(url_word):
        return True
    shorter, longer = sorted((title_word, url_word), key=len)
    return len(shorter) >= 4 and longer.startswith(shorter)


def site_of(url: str) -> str:
    """The host without its subdomains ("newsletter.example.com" -> "example.com"), with a
    short second-level label kept ("news.example.co.uk" -> "example.co.uk")."""
    labels = (host_of(url) or "").split(".")
    keep = 3 if len(labels) >= 3 and len(labels[-1]) == 2 and len(labels[-2]) <= 3 else 2
    return ".".join(labels[-keep:])


def _furniture(families: Sequence[Sequence[Filed]]) -> set[str]:
    """URL words that many entries share, and page words (``page:``) that many entries of
    every family share: they name the site, not the entry ("newsletter", "engineering")."""
    filed = [f for entries in families for f in entries]
    counts: Counter[str] = Counter()
    for f in filed:
        counts.update(set(url_words(f.url)))
    out = {w for w, n in counts.items() if n > FURNITURE_SHARE * len(filed)}
    shared: set[str] | None = None
    for entries in families:
        pages: Counter[str] = Counter()
        for f in entries:
            pages.update({f"page:{w}" for w in terms(f.page)})
        common = {w for w, n in pages.items() if n > FURNITURE_SHARE * len(entries)}
        shared = common if shared is None else shared & common
    return out | (shared or set())


def _letter(char: str) -> str | None:
    if char.isdigit():
        return "#"
    upper = char.upper()
    return upper if upper in LETTERS and upper != "#" else None


class Context:
    """What a family's groups hold, for the letter signals: its generic words (a word its
    titles use under other letters, at least twice, more than under its own) and the URL
    words that name the list's site rather than its entries."""

    def __init__(self, filed: Sequence[Filed], furniture: set[str]) -> None:
        by_letter: dict[str, list[str]] = {}
        for f in filed:
            by_letter.setdefault(f.letter or "", []).append(f.title)
        self.generic = generic_words(by_letter.items(), at_least=GENERIC_AT_LEAST)
        self.furniture = furniture
        self._names: dict[str, list[str]] = {}

    def names(self, title: str) -> list[str]:
        """The title's words that may name something, lower-cased, in title order."""
        known = self._names.get(title)
        if known is None:
            known = self._names[title] = self._read_names(title)
        return known

    def _read_names(self, title: str) -> list[str]:
        out: list[str] = []
        for token in raw_tokens(title):
            word = token.lower()
            if word in STOP_WORDS or word in self.generic or token[0].isdigit():
                continue
            if word not in out:
                out.append(word)
        return out


# -- letter signals --------------------------------------------------------------------------

Vote = tuple[str, str]  # (letter, evidence)
Known = Mapping[str, Counter[str]]  # name -> letters of the family's groups whose titles hold it


def _initial(f: Filed, ctx: Context, known: Known) -> Vote | None:
    letter = _letter(f.title.strip()[:1]) if f.title.strip() else None
    return (letter, f"title starts with {f.title.strip()[:1]!r}") if letter else None


def _first_name(f: Filed, ctx: Context, known: Known) -> Vote | None:
    names = ctx.names(f.title)
    letter = _letter(names[0][0]) if names else None
    return (letter, f"first name word {names[0]!r}") if letter else None


def _url_subject(f: Filed, ctx: Context, known: Known) -> Vote | None:
    # the URL's words, in its order, name what the page is about: "/how-to-do-code-review"
    # for "How to Scale Code Reviews" is about code review
    names = ctx.names(f.title)
    for word in url_words(f.url):
        if word in ctx.furniture or word in STOP_WORDS:
            continue
        name = next((n for n in names if _same_word(n, word)), None)
        if name is not None:
            letter = _letter(name[0])
            return (letter, f"about {name!r} (title and URL)") if letter else None
    return None


def _known_name(f: Filed, ctx: Context, known: Known) -> Vote | None:
    for name in ctx.names(f.title):
        letters = known.get(name)
        if letters:
            letter = _letter(name[0])
            if letter and letters[letter]:
                return letter, f"{name!r} already filed under {letter}"
    return None


LetterSignal = Callable[[Filed, Context, Known], "Vote | None"]
# Each signal's weight is how often it named the right letter for the family's own entries.
LETTER_SIGNALS: dict[str, LetterSignal] = {
    "initial": _initial,
    "first name": _first_name,
    "url subject": _url_subject,
    "known name": _known_name,
}


# The letter signals from the likeliest subject of an entry to the least: on a tie between
# letters, the letter of the first signal in this order is taken.
TIE_ORDER = ("url subject", "known name", "first name", "initial")


def _known(entries: Sequence[Filed], ctx: Context) -> dict[str, Counter[str]]:
    known: dict[str, Counter[str]] = {}
    for f in entries:
        for name in ctx.names(f.title):
            if f.letter and _letter(name[0]) == f.letter:
                known.setdefault(name, Counter())[f.letter] += 1
    return known


def _without(known: dict[str, Counter[str]], f: Filed, ctx: Context) -> Known:
    """``known`` as if ``f`` were not filed (for measuring a signal on the family itself):
    its own names overlaid, the rest shared, so that this costs no more than the title."""
    mine: dict[str, Counter[str]] = {}
    for name in ctx.names(f.title):
        if f.letter and name in known and _letter(name[0]) == f.letter:
            left = known[name].copy()
            left[f.letter] -= 1
            mine[name] = +left
    return ChainMap(mine, known) if mine else known


# -- families ----------------------------------------------------------------------------------


class _Family:
    def __init__(self, name: str, region: str, entries: list[Filed], furniture: set[str]) -> None:
        self.name, self.region, self.entries = name, region, entries
        self.ctx = ctx = Context(entries, furniture)
        self.letters = {f.letter for f in entries}
        self.words: Counter[str] = Counter()
        for f in entries:
            self.words.update(features(f, furniture))
        self.total = sum(n for w, n in self.words.items() if _kind(w) is None)
        self.values: Mapping[str, int] = {}  # kind -> how many values it takes in the list
        self.shapes = Counter(f.shape for f in entries)
        hosts = Counter(site_of(f.url) for f in entries)
        top = hosts.most_common(1)[0][1] if hosts else 0
        self.hosts = set(hosts) if entries and top >= SHARED_HOSTS * len(entries) else None
        self.urls = {link_key(f.url) for f in entries}
        self.known = _known(entries, ctx)
        # how often each signal names the right letter for the family's own entries: when
        # the signals agree, and when another signal names another letter ("The Daily WTF":
        # a family filed by its first character keeps "The"; one filed by the company an
        # article is about skips "How")
        self.reliability: dict[str, float] = {}
        self.contested: dict[str, float] = {}
        tally: dict[tuple[str, bool], list[int]] = {}
        for f in entries:
            without = _without(self.known, f, ctx)
            votes = {
                signal: vote[0]
                for signal, rule in LETTER_SIGNALS.items()
                if (vote := rule(f, ctx, without)) is not None
            }
            split = len(set(votes.values())) > 1
            for signal, letter in votes.items():
                for key in ((signal, False), (signal, True)) if split else ((signal, False),):
                    counts = tally.setdefault(key, [0, 0])
                    counts[0] += 1
                    counts[1] += letter == f.letter
        for signal in LETTER_SIGNALS:
            fired, right = tally.get((signal, False), [0, 0])
            self.reliability[signal] = (right + 1) / (fired + 2)
            fired, right = tally.get((signal, True), [0, 0])
            self.contested[signal] = (right + 1) / (fired + 2)

    def takes(self, f: Filed) -> str | None:
        """Why this family cannot take ``f``, or None when it can."""
        if not self.shapes[f.shape]:
            return f"{self.name} hold no entries shaped like it ({f.shape})"
        if self.hosts is not None and site_of(f.url) not in self.hosts:
            return f"{self.name} keep to their own sites"
        if link_key(f.url) in self.urls:
            return f"{self.name} already file its URL"
        return None

    def log_likelihood(
        self, words: Sequence[str], vocabulary: int, filed: int, without: Counter[str] | None
    ) -> float:
        """log P(family) + sum of log P(feature | family), as if the entry whose features
        are ``without`` were not filed here (for calibrating on the family's own entries).
        Words are drawn from the family's bag of words; a kind of its own (the entry's
        shape, length, ...) is one value per entry, smoothed over the values it takes."""
        minus = without or Counter()
        entries = len(self.entries) - (1 if without else 0)
        bag = self.total - sum(n for w, n in minus.items() if _kind(w) is None)
        prior = PRIOR_WEIGHT * math.log(max(entries, 1) / filed)
        out = prior
        for w in words:
            kind = _kind(w)
            if kind is None:
                denominator = bag + NB_SMOOTHING * vocabulary
            else:
                denominator = entries + NB_SMOOTHING * (self.values.get(kind, 0) + 1)
            out += math.log((self.words[w] - minus[w] + NB_SMOOTHING) / denominator)
        return out

    def letter(self, f: Filed) -> tuple[dict[str, float], dict[str, list[str]]] | None:
        """P(letter) for each letter, and the evidence for each letter some signal named."""
        ctx = self.ctx
        votes = {
            signal: vote
            for signal, rule in LETTER_SIGNALS.items()
            if (vote := rule(f, ctx, self.known)) is not None
        }
        if not votes:
            return None
        split = len({voted for voted, _ in votes.values()}) > 1
        reliability = self.contested if split else self.reliability
        odds: dict[str, float] = {}
        for letter in LETTERS:
            p = 1.0
            for signal, (voted, _) in votes.items():
                r = reliability[signal]
                p *= r if voted == letter else (1 - r) / (len(LETTERS) - 1)
            odds[letter] = p
        total = sum(odds.values())
        # on a tie the letter of the likelier subject comes first (max keeps the first): the
        # word the title and its URL share names what an entry is about before its first word
        why: dict[str, list[str]] = {}
        for signal in sorted(votes, key=TIE_ORDER.index):
            voted, text = votes[signal]
            why.setdefault(voted, []).append(f"{text} [{signal} {reliability[signal]:.2f}]")
        return {letter: v / total for letter, v in odds.items()}, why


def _caps(token: str) -> str:
    if token[0].isdigit():
        return "9"
    if token.isupper() and len(token) > 1:
        return "A"
    return "U" if token[0].isupper() else "l"


# features that take one value per entry (the rest are words of a bag)
KINDS = ("shape", "length", "caps", "figures", "depth", "tld", "site named after it")


def _kind(feature: str) -> str | None:
    head, sep, _ = feature.partition(":")
    return head if sep and head in KINDS else None


def features(f: Filed, furniture: set[str]) -> list[str]:
    """What the family model reads: the title's terms, its length, capitalisation pattern
    ("UU" for "Jane Roe") and whether it has figures ("10 Million Users"), the URL's words,
    path depth and top-level domain, whether the site is named after the title, and the
    entry's shape."""
    tokens = raw_tokens(f.title)
    words = [w for w in url_words(f.url) if w not in furniture]
    try:
        parts = urlsplit(f.url.strip())
    except ValueError:
        parts = urlsplit("")
    host = parts.hostname or ""
    depth = len([segment for segment in parts.path.split("/") if segment])
    named = any(len(t) >= 3 and t.lower() in host.replace("-", "") for t in tokens)
    return [
        *terms(f.title),
        *(f"url:{w}" for w in words),
        f"shape:{f.shape}",
        f"length:{min(len(tokens), 7)}",
        "caps:" + "".join(_caps(token) for token in tokens[:4]),
        f"figures:{any(token[0].isdigit() for token in tokens)}",
        f"depth:{min(depth, 3)}",
        f"tld:{host.rsplit('.', 1)[-1]}",
        f"site named after it:{named}",
        *(page for w in terms(f.page) if (page := f"page:{w}") not in furniture),
    ]


# -- the document ------------------------------------------------------------------------------


def movable(item: Item, lines: Sequence[str], kinds: set[str]) -> bool:
    """A top-level list item that is an entry: its first link first, a web URL."""
    if item.kind != "bullet" or item.depth or not item.links:
        return False
    if classify(item.links[0].url).value not in kinds:
        return False
    if item.links[0].syntax in ("bare", "autolink"):
        return item.title != item.links[0].url  # "Name https://..."
    text = _LIST_MARK.sub("", lines[item.line - 1], count=1).lstrip()
    return text.startswith(("[", "<"))


def placements(
    text: str,
    parsed: ParsedDocument,
    regions: Sequence[Region],
    pages: Mapping[str, str] | None = None,
) -> tuple[list[Placement], dict[int, int]]:
    """Where each movable entry outside the letter groups belongs.

    ``pages``: link key -> what the catalog stored about the page (its title, site name and
    description, from its last check), read as evidence beside the title and URL.

    Returns the placements (in README order) and, for the caller's report, the number of
    entries each family files (keyed by region index).
    """
    lines = split_lines(text)
    pages = pages or {}
    groups = [r for r in regions if r.kind == "letter-groups" and r.group]
    kinds = {"external", "no_scheme"}
    inside: set[int] = set()
    filed: dict[str, list[Filed]] = {}
    for region in groups:
        extents = group_extents(lines, parsed, region.group)
        entries = filed.setdefault(region.name, [])
        for index, item in enumerate(parsed.items):
            if not any(a <= item.line - 1 <= b for a, b in extents):
                continue
            inside.add(index)
            heading = parsed.headings[item.heading].text if item.heading is not None else ""
            letter = letter_of(heading, region.group)
            if letter and movable(item, lines, kinds):
                url = item.links[0].url
                page = pages.get(link_key(url), "")
                entries.append(Filed(item.title, url, shape(item), letter, page))
    outside = [
        index
        for index, item in enumerate(parsed.items)
        if index not in inside and movable(item, lines, kinds)
    ]
    if not outside:  # the usual case: nothing to learn the families for
        return [], {i: len(filed.get(r.name, [])) for i, r in enumerate(groups)}
    furniture = _furniture([entries for entries in filed.values() if entries])
    families = [
        _Family(r.group, r.name, filed[r.name], furniture)
        for r in groups
        if len(filed.get(r.name, [])) >= MIN_FAMILY
    ]
    vocabulary = len({w for fam in families for w in fam.words if _kind(w) is None}) + 1
    values = Counter(kind for w in {w for fam in families for w in fam.words} if (kind := _kind(w)))
    for fam in families:
        fam.values = values
    headings = {h.text.casefold() for h in parsed.headings}
    calibration = Calibration(families, furniture, vocabulary)
    index_cells = _index_cells(parsed, families)
    orphan_odds = _orphan_odds(index_cells, len(outside))
    found: list[_Found] = []
    for index in outside:
        item = parsed.items[index]
        url = item.links[0].url
        f = Filed(item.title, url, shape(item), page=pages.get(link_key(url), ""))
        words = features(f, furniture)
        refusals = {fam.name: no for fam in families if (no := fam.takes(f)) is not None}
        open_ = [fam for fam in families if fam.name not in refusals]
        posterior = _posterior(words, open_, vocabulary) if open_ else {}
        x = _Found(index, item, f, words, refusals, open_, posterior)
        x.letters = {fam.name: got for fam in open_ if (got := fam.letter(f)) is not None}
        _weigh_by_index(x, index_cells, orphan_odds)
        found.append(x)
    for run in _runs(found):
        _smooth(run, [fam.name for fam in families])
    out = [_place(x, furniture, headings, calibration) for x in found]
    return out, {i: len(filed.get(r.name, [])) for i, r in enumerate(groups)}


@dataclass
class _Found:
    """An entry outside the groups, while it is being placed."""

    index: int
    item: Item
    f: Filed
    words: list[str]
    refusals: dict[str, str]
    open_: list[_Family]
    posterior: dict[str, float]
    run: int = 1
    # family -> (P(letter), the evidence for each letter a signal named)
    letters: dict[str, tuple[dict[str, float], dict[str, list[str]]]] = field(default_factory=dict)
    index_note: dict[str, str] = field(default_factory=dict)


def _index_cells(parsed: ParsedDocument, families: Sequence[_Family]) -> dict[tuple[str, str], str]:
    """(family, letter) -> "orphan" when the family's A-Z index labels the letter but no
    heading has it (the group lost its heading: its entries are somewhere), "unlinked" when
    the index shows the letter without a label and no heading has it (no group expected)."""
    out: dict[tuple[str, str], str] = {}
    names = {slugify(fam.name): fam.name for fam in families}
    have = {
        (fam.name, letter)
        for fam in families
        for h in parsed.headings
        if (letter := letter_of(h.text, fam.name)) is not None
    }
    # an index cell is a link to "#<letter>-<family>" labelled with that letter or nothing
    # (read from the links the parse found: no second parse of a long list)
    for ref in parsed.links:
        if not ref.url.startswith("#") or len(ref.text.strip()) > 1:
            continue
        head, _, rest = ref.url[1:].lower().partition("-")
        family, letter = names.get(rest), head.upper() or "#"
        if family is None or letter not in LETTERS or (family, letter) in have:
            continue
        if ref.text.strip() and ref.text.strip().upper() != letter:
            continue
        labelled = "orphan" if ref.text.strip() else "unlinked"
        if out.get((family, letter)) != "orphan":
            out[(family, letter)] = labelled
    return out


def _orphan_odds(cells: dict[tuple[str, str], str], outside: int) -> dict[str, float]:
    """Family -> the odds an orphan cell of its index gives its letter: ``INDEX_ORPHAN``,
    less when the index labels more headless letters than there are entries outside the
    groups to have left them (an index that labels every letter, groups or not)."""
    orphans = Counter(family for (family, _), cell in cells.items() if cell == "orphan")
    return {family: 1 + (INDEX_ORPHAN - 1) * min(1.0, outside / n) for family, n in orphans.items()}


def _weigh_by_index(
    x: _Found, cells: dict[tuple[str, str], str], orphan_odds: Mapping[str, float]
) -> None:
    """Each (family, letter) weighed by the family's A-Z index: a letter the index labels
    but whose heading is gone is likelier (its group's entries are somewhere), one the index
    shows without a label less likely. Both the family posterior and its letters follow."""
    joint: dict[str, float] = {}
    for name, p_family in x.posterior.items():
        weights = {"orphan": orphan_odds.get(name, INDEX_ORPHAN), "unlinked": INDEX_UNLINKED}
        found = x.letters.get(name)
        if found is None:
            joint[name] = p_family
            continue
        dist, why = found
        weighted = {
            letter: p * weights.get(cells.get((name, letter), ""), 1.0)
            for letter, p in dist.items()
        }
        mass = sum(weighted.values())
        joint[name] = p_family * mass
        if mass > 0:
            x.letters[name] = ({letter: v / mass for letter, v in weighted.items()}, why)
        best = max(why, key=lambda c: x.letters[name][0][c])
        cell = cells.get((name, best))
        if cell is not None:
            x.index_note[name] = (
                f"the {name} index links {best} but no {best} {name} heading is left"
                if cell == "orphan"
                else f"the {name} index shows no {best} {name} group"
            )
    total = sum(joint.values())
    if total > 0:
        x.posterior = {name: v / total for name, v in joint.items()}


def _runs(found: list[_Found]) -> list[list[_Found]]:
    """Entries that follow each other in one list under one heading: a run that most likely
    left one family together."""
    runs: list[list[_Found]] = []
    for x in found:
        last = runs[-1][-1] if runs else None
        if (
            last is not None
            and last.index + 1 == x.index
            and last.item.heading == x.item.heading
            and last.posterior
            and x.posterior
        ):
            runs[-1].append(x)
        else:
            runs.append([x])
    return runs


def _lead_letter(x: _Found) -> str | None:
    """The letter of the entry's likeliest family (before its neighbours are read)."""
    named = [name for name in x.posterior if name in x.letters]
    if not named:
        return None
    dist, why = x.letters[max(named, key=lambda name: x.posterior[name])]
    return max(why, key=lambda c: dist[c])


def _smooth(run: list[_Found], names: list[str]) -> None:
    """Each entry's family posterior, given its neighbours' (forward-backward over the run:
    the next entry stays in the family with probability ``RUN_STAYS`` when it is filed
    under the same letter, ``RUN_STAYS_NEW_LETTER`` when the letter changes: a run that
    left a group together shares its letter, the next group may be of another family)."""
    if len(run) < 2 or len(names) < 2:
        return
    leads = [_lead_letter(x) for x in run]
    stays = [RUN_STAYS] + [
        RUN_STAYS if a is not None and a == b else RUN_STAYS_NEW_LETTER
        for a, b in itertools.pairwise(leads)
    ]

    def move(stay: float, m: str, n: str) -> float:
        return stay if m == n else (1 - stay) / (len(names) - 1)

    def step(prev: dict[str, float], emit: dict[str, float], stay: float) -> dict[str, float]:
        out = {n: emit.get(n, 0.0) * sum(prev[m] * move(stay, m, n) for m in names) for n in names}
        total = sum(out.values()) or 1.0
        return {n: v / total for n, v in out.items()}

    uniform = {n: 1.0 / len(names) for n in names}
    forward = []
    prev = uniform
    for x, stay in zip(run, stays, strict=True):
        prev = step(prev, x.posterior, stay)
        forward.append(prev)
    backward = [uniform] * len(run)
    after = {n: 1.0 for n in names}
    for i in range(len(run) - 1, 0, -1):
        emit = run[i].posterior
        after = {
            m: sum(move(stays[i], m, n) * emit.get(n, 0.0) * after[n] for n in names) for m in names
        }
        total = sum(after.values()) or 1.0
        after = {n: v / total for n, v in after.items()}
        backward[i - 1] = after
    for x, fw, bw in zip(run, forward, backward, strict=True):
        joint = {n: fw[n] * bw[n] for n in names if n in x.posterior}
        total = sum(joint.values())
        if total > 0:
            x.posterior = {n: v / total for n, v in joint.items()}
            x.run = len(run)


def _place(
    x: _Found, furniture: set[str], headings: set[str], calibration: Calibration
) -> Placement:
    index, item, f, refusals, open_, posterior = (
        x.index,
        x.item,
        x.f,
        x.refusals,
        x.open_,
        x.posterior,
    )
    words = x.words
    nowhere = Placement(
        index, item.line, item.end_line, f.title, f.url, None, None, 0.0, tuple(refusals.values())
    )
    if not open_:
        return nowhere
    best: tuple[float, _Family, str, list[str]] | None = None
    for fam in open_:
        found = x.letters.get(fam.name)
        if found is None:
            continue
        dist, whys = found
        # a letter no signal named is never chosen, whatever the index says
        letter = max(whys, key=lambda c: dist[c])
        p_letter, why = dist[letter], whys[letter]
        score = posterior[fam.name] * p_letter
        if best is None or score > best[0]:
            best = (score, fam, letter, why)
    if best is None:
        return nowhere
    _, fam, letter, why = best
    p_letter = best[0] / posterior[fam.name]
    sure = calibration(posterior[fam.name])
    score = sure * p_letter
    evidence = list(why)
    evidence.append(_family_evidence(fam, open_, posterior, sure, words))
    if fam.name in x.index_note:
        evidence.append(x.index_note[fam.name])
    if x.run > 1:
        evidence.append(f"one of a run of {x.run} entries outside the groups")
    evidence += refusals.values()
    section = f"{letter} {fam.name}"
    new_group = not any(h == section.casefold() or h == f"\\{section}".casefold() for h in headings)
    if new_group:
        evidence.append(f"no {section} heading yet: it would be created")
    return Placement(
        index,
        item.line,
        item.end_line,
        f.title,
        f.url,
        section,
        fam.region,
        round(score, 4),
        tuple(evidence),
        new_group,
    )


def _posterior(
    words: Sequence[str],
    families: Sequence[_Family],
    vocabulary: int,
    loo: tuple[_Family, Counter[str]] | None = None,
) -> dict[str, float]:
    """P(family | words), tempered; ``loo``: one family's entry left out of it."""

    def without(fam: _Family) -> Counter[str] | None:
        return loo[1] if loo is not None and loo[0] is fam else None

    def seen(word: str) -> bool:
        return any(fam.words[word] - (without(fam) or Counter())[word] > 0 for fam in families)

    known = [w for w in words if seen(w)]
    filed = sum(len(fam.entries) for fam in families) - (1 if loo else 0)
    logs = {
        fam.name: fam.log_likelihood(known, vocabulary, filed, without(fam)) / NB_TEMPERATURE
        for fam in families
    }
    top = max(logs.values())
    total = sum(math.exp(v - top) for v in logs.values())
    return {name: math.exp(v - top) / total for name, v in logs.items()}


class Calibration:
    """How often the family model is right at a given posterior, measured on the families'
    own entries, each left out in turn: a posterior of 0.9 among look-alike families may be
    right far less often than 9 times in 10."""

    NEAREST = 10

    def __init__(self, families: Sequence[_Family], furniture: set[str], vocabulary: int) -> None:
        points: list[tuple[float, bool]] = []
        if len(families) > 1:
            for fam in families:
                for f in fam.entries:
                    words = features(f, furniture)
                    post = _posterior(words, families, vocabulary, (fam, Counter(words)))
                    best = max(post, key=lambda name: post[name])
                    points.append((post[best], best == fam.name))
        self.points = sorted(points)
        # precision of the predictions at or above each point's posterior (the last
        # NEAREST at least), then made non-decreasing: a higher posterior is never trusted
        # less than a lower one
        self.floors = [p for p, _ in self.points]
        self.precision: list[float] = []
        top = 0.0
        for i in range(len(self.points)):
            above = [right for _, right in self.points[min(i, len(self.points) - self.NEAREST) :]]
            top = max(top, (sum(above) + 0.5) / (len(above) + 1))
            self.precision.append(top)

    def __call__(self, posterior: float) -> float:
        if not self.points:
            return posterior  # one family: nothing to tell it from
        i = bisect.bisect_left(self.floors, posterior - 1e-9)
        return min(posterior, self.precision[min(i, len(self.precision) - 1)])


def _family_evidence(
    fam: _Family,
    open_: Sequence[_Family],
    posterior: dict[str, float],
    sure: float,
    words: list[str],
) -> str:
    """Why this family: its share, and against the runner-up, the words that decided."""
    text = f"like the {fam.name} entries ({posterior[fam.name]:.2f}; right {sure:.2f} of the time)"
    others = sorted((f for f in open_ if f is not fam), key=lambda f: -posterior[f.name])
    if not others:
        return text
    rival = others[0]
    lift = Counter(
        {
            w: math.log((fam.words[w] + NB_SMOOTHING) / (fam.total + 1))
            - math.log((rival.words[w] + NB_SMOOTHING) / (rival.total + 1))
            for w in set(words)
            if fam.words[w]
        }
    )
    decisive = [w.removeprefix("url:") for w, v in lift.most_common(3) if v > 0]
    if decisive:
        text += f", not {rival.name} ({posterior[rival.name]:.2f}): {', '.join(decisive)}"
    return text
