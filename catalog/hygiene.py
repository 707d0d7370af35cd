"""Hygiene a maintainer can act on: what the parser finds, plus the A–Z index and its groups.

``catalog.readme_parser`` finds problems of single links and lines (no scheme, mojibake,
duplicates, missing files and headings). This module adds what needs the letter groups
(``#### A companies``) and their A–Z index tables seen together:

- ``index-letter-without-heading``: a letter shown in an index whose group has no heading
  (the reader clicks it and goes nowhere; blank cells stay ``broken-anchor``);
- ``group-without-index``: a group heading that its index does not link to;
- ``misspelled-group-heading``: ``#### Q technolgies`` beside ``technologies`` groups.

``for_documents`` reads the documents a report covers, so that every report (Markdown,
JSON, HTML, the pull request's body) lists the same problems with today's line numbers.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from catalog.adopt import GroupInfo, find_groups
from catalog.adopt import split_heading as _split
from catalog.models import Document
from catalog.parsed import ParsedDocument, Problem
from catalog.readme_parser import MarkdownError, parse_markdown
from catalog.urls import split_fragment

_INDEX_ANCHOR = re.compile(r"^(?P<letter>[a-z]?)-(?P<slug>.+)$")
INDEX_LINKS = 5  # as many letter links as make a table an A–Z index (catalog.adopt)
SIMILAR = 0.8  # difflib ratio from which a heading's group word is a misspelling


@dataclass(frozen=True)
class Hygiene:
    """One problem of one document, as every report shows it."""

    document: str
    kind: str
    line: int
    text: str
    fix: str
    message: str


def problems(text: str, parsed: ParsedDocument) -> list[Problem]:
    """The parser's problems with index and group problems added, in line order."""
    every = find_groups(parsed)
    with_index = _indexed_groups(parsed, every)
    several = find_groups(parsed, min_letters=2)
    groups = [g for g in every if g in several or g.slug in with_index]
    if not groups:
        return list(parsed.problems)
    by_slug = {g.slug: g for g in groups}
    anchors = {h.anchor.lower() for h in parsed.headings}
    found: list[Problem] = []
    indexed: dict[str, set[str]] = {}  # group slug -> anchors its index shows a letter for
    labels = {(ref.line, ref.url): ref.text for ref in parsed.links}
    for p in parsed.problems:
        target = _index_target(p.text, by_slug) if p.code == "broken-anchor" else None
        label = labels.get((p.line, p.text), "").strip()
        if target is not None and label:
            letter, group = target
            heading = f"{letter} {group.name}"
            message = f"the index shows {label} but there is no “{heading}” heading"
            fix = f"add a “{heading}” group, or blank the index cell"
            found.append(Problem(p.line, "index-letter-without-heading", message, p.text, fix))
        else:
            found.append(p)
    for ref in parsed.links:
        target = _index_target(ref.url, by_slug)
        if target is not None and ref.text.strip():
            indexed.setdefault(target[1].slug, set()).add(_fragment(ref.url))
    found += _unindexed(parsed, by_slug, indexed, anchors)
    found += _misspelled(parsed, groups)
    found.sort(key=lambda p: p.line)
    return found


def _indexed_groups(parsed: ParsedDocument, groups: list[GroupInfo]) -> set[str]:
    """Slugs of the groups that an A–Z index links to: at least INDEX_LINKS links to
    ``#<letter>-<slug>`` anchors (read from the links found, not by parsing again: this
    runs at every import, on lists of 100,000 entries too)."""
    by_slug = {g.slug: g for g in groups}
    counts: dict[str, int] = {}
    for ref in parsed.links:
        target = _index_target(ref.url, by_slug)
        if target is not None:
            counts[target[1].slug] = counts.get(target[1].slug, 0) + 1
    return {slug for slug, n in counts.items() if n >= INDEX_LINKS}


def _fragment(url: str) -> str:
    return split_fragment(url.strip())[1].lower()


def _index_target(url: str, groups: dict[str, GroupInfo]) -> tuple[str, GroupInfo] | None:
    """(letter, group) when ``url`` is ``#<letter>-<group slug>`` of a known group."""
    if not url.strip().startswith("#"):
        return None
    match = _INDEX_ANCHOR.match(_fragment(url))
    if match is None or match["slug"] not in groups:
        return None
    return (match["letter"].upper() or "#"), groups[match["slug"]]


def _unindexed(
    parsed: ParsedDocument,
    groups: dict[str, GroupInfo],
    indexed: dict[str, set[str]],
    anchors: set[str],
) -> list[Problem]:
    out = []
    for h in parsed.headings:
        split = _split(h.text)
        if split is None:
            continue
        letter, rest = split
        group = groups.get(_slug_of(rest, groups))
        if group is None or group.slug not in indexed or h.anchor.lower() in indexed[group.slug]:
            continue  # no index for this group at all, or the index links it
        cell = f"[{letter}](#{h.anchor})"
        message = f"the “{h.text}” group is not linked from its A–Z index"
        out.append(Problem(h.line, "group-without-index", message, h.text, f"write {cell}"))
    return out


def _misspelled(parsed: ParsedDocument, groups: list[GroupInfo]) -> list[Problem]:
    names = {g.name.casefold(): g for g in groups}
    out = []
    for h in parsed.headings:
        split = _split(h.text)
        if split is None or split[1].casefold() in names:
            continue
        letter, rest = split
        close = difflib.get_close_matches(rest.casefold(), list(names), n=1, cutoff=SIMILAR)
        if not close:
            continue
        right = f"{letter} {names[close[0]].name}"
        message = f"“{h.text}” looks like the group “{right}” misspelled"
        out.append(Problem(h.line, "misspelled-group-heading", message, h.text, right))
    return out


def _slug_of(rest: str, groups: dict[str, GroupInfo]) -> str:
    for slug, g in groups.items():
        if g.name.casefold() == rest.casefold():
            return slug
    return ""


def for_documents(session: Session, document_path: str | None = None) -> tuple[Hygiene, ...]:
    """The hygiene of the catalog's documents (or of one) as they are on disk now.

    A document not found from the working directory (a report made elsewhere) has none.
    """
    query = select(Document.path).order_by(Document.path)
    if document_path is not None:
        query = query.where(Document.path == document_path)
    out: list[Hygiene] = []
    for path in session.scalars(query):
        file = Path(path)
        try:
            text = file.read_text(encoding="utf-8-sig")
            parsed = parse_markdown(text, base_dir=file.parent)
        except (OSError, UnicodeDecodeError, MarkdownError):
            continue
        out += [
            Hygiene(path, p.code, p.line, p.text, p.fix, p.message) for p in problems(text, parsed)
        ]
    return tuple(out)
