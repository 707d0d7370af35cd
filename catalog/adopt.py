"""Adopting an unmarked README: recognise its A–Z indexes and letter groups.

``detect`` is what ``listkeeper init --from README.md`` writes into the config.
``restructure`` is the one-time change of ``render --adopt``: each recognised letter group
(a ``#### A companies`` heading and the list right under it) moves into one managed region
placed where the group's first letter was, and each A–Z table becomes a managed region in
place. Prose between the groups stays where it was, byte for byte.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from markdown_it import MarkdownIt

from catalog import markers
from catalog.config import Region, Sort
from catalog.lines import dominant_ending, split_lines
from catalog.parsed import ParsedDocument
from catalog.render import LETTERS, letter_of
from catalog.slugs import slugify


@dataclass(frozen=True)
class GroupInfo:
    name: str  # the group word(s) as written: "companies", "white papers"
    slug: str  # "white-papers": region names and anchors use it
    level: int


def split_heading(heading: str) -> tuple[str, str] | None:
    """("A", "companies") for "A companies" (and "#", ... for "\\# companies"), else None."""
    head, _, rest = heading.strip().partition(" ")
    head = head.removeprefix("\\").upper()
    if len(head) == 1 and head in LETTERS and rest.strip():
        return head, rest.strip()
    return None


def find_groups(parsed: ParsedDocument, min_letters: int = 1) -> list[GroupInfo]:
    """Heading families like "A companies", "B companies"."""
    letters: dict[str, set[str]] = defaultdict(set)
    levels: dict[str, Counter[int]] = defaultdict(Counter)
    names: dict[str, str] = {}
    for h in parsed.headings:
        split = split_heading(h.text)
        if split is None:
            continue
        letter, rest = split
        key = rest.casefold()
        letters[key].add(letter)
        levels[key][h.level] += 1
        names.setdefault(key, rest)
    return [
        GroupInfo(names[k], slugify(names[k]), levels[k].most_common(1)[0][0])
        for k in names
        if len(letters[k]) >= min_letters
    ]


def index_tables(text: str, groups: list[GroupInfo]) -> list[tuple[GroupInfo, int, int]]:
    """Tables whose cells are mostly links to ``#<letter>-<group>`` anchors."""
    found = []
    tokens = MarkdownIt("commonmark").enable("table").parse(text)
    table: tuple[int, int] | None = None
    hrefs: list[str] = []
    for tok in tokens:
        if tok.type == "table_open" and tok.map:
            table, hrefs = (tok.map[0], tok.map[1] - 1), []
        elif tok.type == "inline" and table is not None:
            hrefs += [
                str(c.attrs.get("href", "")) for c in tok.children or [] if c.type == "link_open"
            ]
        elif tok.type == "table_close" and table is not None:
            for g in groups:
                wanted = {("" if c == "#" else c.lower()) + "-" + g.slug for c in LETTERS}
                hits = sum(1 for h in hrefs if h.startswith("#") and h[1:].lower() in wanted)
                if hits >= 5 and hits * 2 >= len(hrefs):
                    found.append((g, *table))
                    break
            table = None
    return found


def detect(text: str, parsed: ParsedDocument) -> list[Region]:
    """The regions ``init --from`` proposes for an unmarked README."""
    groups = find_groups(parsed)
    indexed = {g.slug for g, _, _ in index_tables(text, groups)}
    regions: list[Region] = []
    for g in groups:
        if g.slug not in indexed and g not in find_groups(parsed, min_letters=2):
            continue  # a lone "A note" heading is no group, unless an A–Z table says so
        if g.slug in indexed:
            regions.append(Region(name=f"{g.slug}-index", kind="az-index", group=g.name))
        regions.append(
            Region(
                name=g.slug,
                kind="letter-groups",
                group=g.name,
                heading_level=g.level,
                sort=order_in_use(parsed, g),
            )
        )
    return regions


def order_in_use(parsed: ParsedDocument, group: GroupInfo) -> Sort:
    """``title`` when every letter group of *group* lists its entries sorted by title (as
    ``render`` sorts them), else ``position``: a list kept in hand order stays so."""
    titles: dict[int, list[str]] = defaultdict(list)
    for item in parsed.items:
        if item.heading is not None and item.depth == 0:
            titles[item.heading].append(item.title)
    for index, h in enumerate(parsed.headings):
        split = split_heading(h.text)
        if split is None or split[1].casefold() != group.name.casefold():
            continue
        listed = titles.get(index, [])
        if listed != sorted(listed, key=lambda t: (t.casefold(), t)):
            return "position"
    return "title"


def group_extents(lines: list[str], parsed: ParsedDocument, group: str) -> list[tuple[int, int]]:
    """0-based inclusive line ranges: a group heading and the list right under it."""
    items_by_heading: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for item in parsed.items:
        if item.heading is not None and item.kind == "bullet":
            items_by_heading[item.heading].append((item.line - 1, item.end_line - 1))
    extents = []
    for index, h in enumerate(parsed.headings):
        if letter_of(h.text, group) is None:
            continue
        end = h.line - 1
        covered = sorted(items_by_heading.get(index, []))
        cursor = end + 1
        for first, last in covered:
            # The list must follow the heading with only blank lines in between.
            if any(lines[i].strip() for i in range(cursor, first)):
                break
            end, cursor = max(end, last), max(cursor, last + 1)
        while end + 1 < len(lines) and not lines[end + 1].strip():
            end += 1
        extents.append((h.line - 1, end))
    return extents


def restructure(
    text: str,
    parsed: ParsedDocument,
    regions: list[Region],
    moves: Sequence[tuple[int, int, str]] = (),
) -> tuple[str, dict[str, list[tuple[int, int]]]]:
    """Put markers around what the regions will manage; the render fills them.

    ``moves`` are entries to take out of the prose into a letter-groups region (1-based
    first and last line, region name): ``render --adopt --regroup``. Returns the new text
    and, per region, the 1-based line ranges of the old text whose entries it now owns (for
    ``render_document(owned_lines=...)``).
    """
    lines = split_lines(text)
    newline = dominant_ending(text)
    spans = {span.name: span for span in markers.find(text)}
    edits: list[tuple[int, int, list[str]]] = []  # (start, end inclusive, replacement)
    owned: dict[str, list[tuple[int, int]]] = {}
    for r in regions:
        if r.name in spans:
            continue
        if r.kind == "letter-groups":
            extents = group_extents(lines, parsed, r.group)
            owned[r.name] = [(start + 1, end + 1) for start, end in extents]
            for i, (start, end) in enumerate(extents):
                block = [markers.begin(r.name), markers.end(r.name), ""] if i == 0 else []
                edits.append((start, end, block))
    index_regions = {r.group.casefold(): r for r in regions if r.kind == "az-index"}
    for g, start, end in index_tables(text, find_groups(parsed)):
        index = index_regions.get(g.name.casefold())
        if index is not None and index.name not in spans:
            edits.append((start, end, [markers.begin(index.name), markers.end(index.name)]))
    taken: list[tuple[int, int]] = []
    for first, last, name in moves:
        if name not in owned:  # a region adopted earlier: it keeps what its markers hold
            span = spans.get(name)
            owned[name] = [(span.begin + 1, span.end + 1)] if span else []
        owned[name].append((first, last))
        taken.append((first - 1, last - 1))
    out = list(lines)
    for start, end, block in sorted(edits + _runs(taken), reverse=True):
        before = out[start - 1] if start > 0 else "\n"
        after = out[end + 1] if end + 1 < len(out) else "\n"
        replacement = [line + newline for line in block]
        if block and before.strip():
            replacement.insert(0, newline)
        if not block and before.strip() and after.strip():
            # keep prose apart ("text\n---" would become a heading); a list stays one list
            both_items = _LIST_ITEM.match(before) and _LIST_ITEM.match(after)
            replacement = [] if both_items else [newline]
        out[start : end + 1] = replacement
    return "".join(out), owned


_LIST_ITEM = re.compile(r"^\s*(?:[-*+]|\d{1,9}[.)])\s")


def _runs(taken: list[tuple[int, int]]) -> list[tuple[int, int, list[str]]]:
    """Adjacent line ranges merged, as removals."""
    runs: list[list[int]] = []
    for start, end in sorted(taken):
        if runs and start <= runs[-1][1] + 1:
            runs[-1][1] = max(runs[-1][1], end)
        else:
            runs.append([start, end])
    return [(start, end, []) for start, end in runs]
