"""What the Markdown parser finds in a README: plain data, no database, no I/O."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Syntax = Literal["inline", "reference", "autolink", "html", "bare"]


@dataclass(frozen=True)
class Heading:
    text: str  # plain text, inline markup stripped ("A companies", "# companies")
    level: int  # 1..6
    line: int  # 1-based line of the heading in the file
    anchor: str  # GitHub's slug, with the -1, -2 suffix of repeated headings
    path: tuple[str, ...]  # texts of the enclosing headings, this one last


@dataclass(frozen=True)
class LinkRef:
    """One link as written in the file (images included, flagged)."""

    url: str  # the destination as written, references resolved, <> and whitespace stripped
    text: str  # plain text of the label
    line: int  # 1-based line where the link starts
    syntax: Syntax
    image: bool = False
    heading: int | None = None  # index into ParsedDocument.headings of the enclosing heading


@dataclass
class Item:
    """A list item or a table body row that holds at least one link that is an entry.

    Links to in-page anchors and images never make an item; an item's links are its own
    inline content (not those of nested lists, which are items of their own).
    """

    kind: Literal["bullet", "row"]
    line: int  # first line of the item
    end_line: int  # last line of the item's own content
    title: str  # plain text label of the first link
    description: str  # the item's remaining plain text, separators trimmed ("" if none)
    links: list[LinkRef]  # the item's non-image, non-anchor links, in order
    heading: int | None  # index of the enclosing heading
    depth: int = 0  # nesting depth of lists (0 at top level)


@dataclass(frozen=True)
class Problem:
    """A hygiene problem, reported with its line; never fatal."""

    line: int
    code: str  # no-scheme | http-and-https | duplicate | mojibake | broken-anchor | missing-file
    # (catalog.hygiene adds index-letter-without-heading | group-without-index |
    # misspelled-group-heading)
    message: str
    text: str = ""  # what is written (the URL, the line, the heading)
    fix: str = ""  # what to write instead, or what to do; "" when only a person can tell


@dataclass
class ParsedDocument:
    headings: list[Heading] = field(default_factory=list)
    links: list[LinkRef] = field(default_factory=list)  # every link, in file order
    items: list[Item] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    title: str | None = None  # text of the first level-1 heading
    code_lines: frozenset[int] = frozenset()  # lines of fenced and indented code blocks
