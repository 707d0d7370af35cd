"""Parse a README into headings, links, list/table entries and hygiene problems.

Pure: no database and no I/O beyond checking that relative link targets exist. Markdown
structure comes from markdown-it-py (CommonMark plus GFM tables); HTML blocks and inline
HTML are read with lxml; bare URLs are found by scanning text tokens only, so code spans
and code blocks never yield links.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import ftfy
import lxml.etree
from markdown_it import MarkdownIt
from markdown_it.rules_inline import backtick, html_inline, image, link
from markdown_it.rules_inline.state_inline import StateInline
from markdown_it.token import Token

from catalog.parsed import Heading, Item, LinkRef, ParsedDocument, Problem, Syntax
from catalog.slugs import Slugger
from catalog.urls import classify, link_key, resolve_relative, split_fragment
from catalog.vocabulary import LinkKind

__all__ = [
    "BARE_URL",
    "MarkdownError",
    "block_tokens",
    "headings_of",
    "parse_markdown",
    "trim_bare",
]


class MarkdownError(ValueError):
    """The input could not be parsed as a README."""


# -- markdown-it set-up ------------------------------------------------------------------

InlineRule = Callable[[StateInline, bool], bool]
_BREAKS = ("softbreak", "hardbreak")


def _tracked(rule: InlineRule) -> InlineRule:
    """Wrap an inline rule to record what the token stream alone cannot tell us.

    ``meta["nl"]`` on the last token pushed: newlines the rule consumed that no
    softbreak/hardbreak token represents (a link destination on the next line, a code span
    or an image alt across lines), so that line numbers stay exact. ``meta["syntax"]`` on
    a link_open or image token: "inline" when the source ends with ``)``, else "reference"
    (``[text][label]``, ``[text][]`` and ``[label]`` all end with ``]``).
    """

    def wrapped(state: StateInline, silent: bool) -> bool:
        start, first = state.pos, len(state.tokens)
        if not rule(state, silent):
            return False
        if silent:
            return True
        pushed = state.tokens[first:]
        consumed = state.src[start : state.pos]
        extra = consumed.count("\n") - sum(1 for tok in pushed if tok.type in _BREAKS)
        if pushed and extra > 0:
            pushed[-1].meta["nl"] = extra
        for tok in pushed:
            if tok.type in ("link_open", "image"):
                tok.meta["syntax"] = "inline" if consumed.endswith(")") else "reference"
                break
        return True

    return wrapped


class _Parser(MarkdownIt):
    """CommonMark + tables, with destinations kept as written (no percent-encoding) and
    every scheme let through (``javascript:`` is a link of kind "other", not text)."""

    def __init__(self) -> None:
        super().__init__("commonmark")
        self.enable(["table", "strikethrough"])
        self.inline.ruler.at("backticks", _tracked(backtick))
        self.inline.ruler.at("link", _tracked(link))
        self.inline.ruler.at("image", _tracked(image))
        self.inline.ruler.at("html_inline", _tracked(html_inline))

    def normalizeLink(self, url: str) -> str:
        return url

    def normalizeLinkText(self, link: str) -> str:
        return link

    def validateLink(self, url: str) -> bool:
        return True


_PARSER = _Parser()
_BLOCKS = _Parser().disable("inline")  # block structure only (headings_of)

# -- small text helpers -------------------------------------------------------------------

# GFM's extended autolinks: scheme, then anything up to whitespace or "<"; trailing
# punctuation and unbalanced ")" are trimmed below.
BARE_URL = re.compile(r"(?<![\w@/.+-])https?://[^\s<>]+", re.IGNORECASE)
_TRAILING = "?!.,:;*_~'\""
_SPACES = re.compile(r"\s+")
_SEPARATORS = " \t\n-–—:,|"
_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_HTML_LINK_TAG = re.compile(r"<(?:a|img)[\s/>]", re.IGNORECASE)
_MOJIBAKE_FIXER = ftfy.TextFixerConfig(
    # Only encoding repairs: curly quotes, ligatures and widths are not mojibake.
    unescape_html=False,
    remove_terminal_escapes=False,
    fix_latin_ligatures=False,
    fix_character_width=False,
    uncurl_quotes=False,
    fix_line_breaks=False,
    remove_control_chars=False,
    normalization=None,
    explain=False,
)


def _collapse(text: str) -> str:
    return _SPACES.sub(" ", text).strip()


def trim_bare(url: str) -> str:
    while url:
        unbalanced = url[-1] == ")" and url.count(")") > url.count("(")
        if url[-1] in _TRAILING or unbalanced:
            url = url[:-1]
        else:
            break
    return url


def fix_mojibake(text: str) -> str | None:
    """The repaired text when *text* holds mojibake, else None."""
    if text.isascii():
        return None
    fixed = ftfy.fix_text(text, _MOJIBAKE_FIXER)
    return fixed if fixed != text else None


# -- inline content --------------------------------------------------------------------


@dataclass
class _OpenLink:
    url: str
    syntax: Syntax
    line: int
    label: list[str] = field(default_factory=list)
    alts: list[str] = field(default_factory=list)
    slot: int = 0  # index of this link in the inline's link list


# A run of plain text and the link whose label it is (None when outside any link).
Segment = tuple[str, LinkRef | None]


@dataclass
class _Inline:
    links: list[LinkRef] = field(default_factory=list)
    segments: list[Segment] = field(default_factory=list)


class _Walker:
    """Reads links and plain text from inline tokens and HTML, for one document."""

    def __init__(self) -> None:
        self.html_parser = lxml.etree.HTMLParser(recover=True, no_network=True)
        self.html_ids: set[str] = set()  # id= and name= attributes: anchors too

    def html_elements(self, html: str) -> list[lxml.etree._Element]:
        try:
            root = lxml.etree.fromstring(_XML_INVALID.sub(" ", html), self.html_parser)
        except (ValueError, lxml.etree.LxmlError):
            return []
        if root is None:
            return []
        found = []
        for el in root.iter():
            if not isinstance(el.tag, str):
                continue  # comments and processing instructions
            for attr in ("id", "name"):
                value = el.get(attr)
                if value and el.tag != "html":
                    self.html_ids.add(value.lower())
            if el.tag in ("a", "img"):
                found.append(el)
        return found

    def html_block(self, html: str, first_line: int, heading: int | None) -> list[LinkRef]:
        links = []
        for el in self.html_elements(html):
            line = first_line + max((el.sourceline or 1) - 1, 0)
            if el.tag == "a":
                href = el.get("href")
                if href is None:
                    continue
                text = _collapse("".join(el.itertext()))
                if not text:
                    text = " ".join(img.get("alt", "") for img in el.iter("img")).strip()
                links.append(LinkRef(href.strip(), text, line, "html", False, heading))
            else:
                src = el.get("src")
                if src is not None:
                    alt = _collapse(el.get("alt", ""))
                    links.append(LinkRef(src.strip(), alt, line, "html", True, heading))
        return links

    def inline(self, children: Sequence[Token], line: int, heading: int | None) -> _Inline:
        slots: list[LinkRef | None] = []
        stack: list[_OpenLink | None] = []  # None: an HTML <a> without href
        raw: list[tuple[str, int]] = []  # text and the slot of the link it labels, or -1

        def add_text(text: str) -> None:
            top = stack[-1] if stack else None
            if top is not None:
                top.label.append(text)
            raw.append((text, top.slot if top is not None else -1))

        for tok in children:
            kind = tok.type
            if kind == "text":
                if stack:
                    add_text(tok.content)
                else:
                    _bare(tok.content, line, heading, slots, raw)
            elif kind == "code_inline":
                add_text(tok.content)
            elif kind in _BREAKS:
                add_text(" ")
                line += 1
            elif kind == "link_open":
                syntax: Syntax = "autolink" if tok.markup == "autolink" else "inline"
                syntax = tok.meta.get("syntax", syntax)
                url = str(tok.attrs.get("href", ""))
                stack.append(_OpenLink(url, syntax, line, slot=len(slots)))
                slots.append(None)
            elif kind == "link_close":
                _close(stack, slots, heading)
            elif kind == "image":
                alt = _collapse(tok.content)
                syntax = tok.meta.get("syntax", "inline")
                url = str(tok.attrs.get("src", ""))
                slots.append(LinkRef(url, alt, line, syntax, True, heading))
                if stack and stack[-1] is not None:
                    stack[-1].alts.append(alt)
            elif kind == "html_inline":
                self._html_inline(tok.content, line, heading, stack, slots, add_text)
            if tok.meta:
                line += tok.meta.get("nl", 0)
        while stack:
            _close(stack, slots, heading)
        segments: list[Segment] = [
            (text, slots[owner] if owner >= 0 else None) for text, owner in raw
        ]
        return _Inline([ref for ref in slots if ref is not None], segments)

    def _html_inline(
        self,
        html: str,
        line: int,
        heading: int | None,
        stack: list[_OpenLink | None],
        slots: list[LinkRef | None],
        add_text: Callable[[str], None],
    ) -> None:
        lowered = html.lower()
        if lowered.startswith("</a"):
            _close(stack, slots, heading)
            return
        if lowered.startswith("<br"):
            add_text(" ")
            return
        if not _HTML_LINK_TAG.match(html):
            if " id=" in lowered or " name=" in lowered:
                self.html_elements(html)  # registers the anchor
            return
        for el in self.html_elements(html):
            at = line + max((el.sourceline or 1) - 1, 0)
            if el.tag == "a":
                href = el.get("href")
                if href is None:
                    stack.append(None)
                else:
                    stack.append(_OpenLink(href.strip(), "html", at, slot=len(slots)))
                    slots.append(None)
            else:
                src = el.get("src")
                if src is not None:
                    alt = _collapse(el.get("alt", ""))
                    slots.append(LinkRef(src.strip(), alt, at, "html", True, heading))
                    if stack and stack[-1] is not None:
                        stack[-1].alts.append(alt)


def _close(stack: list[_OpenLink | None], slots: list[LinkRef | None], heading: int | None) -> None:
    if not stack:
        return
    top = stack.pop()
    if top is not None:
        text = _collapse("".join(top.label)) or _collapse(" ".join(top.alts))
        slots[top.slot] = LinkRef(top.url, text, top.line, top.syntax, False, heading)


def _bare(
    text: str,
    line: int,
    heading: int | None,
    slots: list[LinkRef | None],
    raw: list[tuple[str, int]],
) -> None:
    """Split a text token outside links into plain text and bare URLs."""
    pos = 0
    if "://" in text:
        for match in BARE_URL.finditer(text):
            url = trim_bare(match.group())
            if url.endswith("://"):
                continue
            raw.append((text[pos : match.start()], -1))
            raw.append((url, len(slots)))
            slots.append(LinkRef(url, url, line, "bare", False, heading))
            pos = match.start() + len(url)
    raw.append((text[pos:], -1))


# -- blocks: headings, list items, table rows ----------------------------------------------


@dataclass
class _Entry:
    """A list item or table body row being read."""

    kind: str
    line: int
    depth: int
    heading: int | None
    end_line: int = 0
    links: list[LinkRef] = field(default_factory=list)
    cells: list[list[Segment]] = field(default_factory=lambda: [[]])


def _entry_text(segments: Sequence[Segment], entries: set[int]) -> str:
    text = "".join(t for t, owner in segments if owner is None or id(owner) not in entries)
    return _collapse(text).strip(_SEPARATORS)


def _finish(entry: _Entry, kinds: _Kinds) -> Item | None:
    own = [ref for ref in entry.links if not ref.image and kinds(ref.url) is not LinkKind.ANCHOR]
    if not own:
        return None
    ids = {id(ref) for ref in own}
    first = own[0]
    if entry.kind == "row":
        parts = [_entry_text(cell, ids) for cell in entry.cells]
        description = " | ".join(part for part in parts if part)
    else:
        description = _entry_text([seg for cell in entry.cells for seg in cell], ids)
    title = first.text
    if first.syntax in ("bare", "autolink") and description and entry.kind == "bullet":
        # "* 8th Light https://8thlight.com/blog/": the name is the text, not the URL.
        title, description = description, ""
    return Item(
        kind="row" if entry.kind == "row" else "bullet",
        line=entry.line,
        end_line=max(entry.end_line, entry.line),
        title=title,
        description=description,
        links=own,
        heading=entry.heading,
        depth=entry.depth,
    )


class _Kinds:
    """classify(), memoised for one document (lists repeat hosts and URLs)."""

    def __init__(self) -> None:
        self._cache: dict[str, LinkKind] = {}

    def __call__(self, url: str) -> LinkKind:
        kind = self._cache.get(url)
        if kind is None:
            kind = self._cache[url] = classify(url)
        return kind


def _heading(
    found: _Inline, opener: Token, line: int, slugger: Slugger, path: list[Heading]
) -> Heading:
    """A heading from its inline content; ``path`` is the stack of enclosing headings."""
    text = _collapse("".join(t for t, _ in found.segments))
    level = int(opener.tag[1:])
    while path and path[-1].level >= level:
        path.pop()
    heading = Heading(text, level, line, slugger.slug(text), (*(h.text for h in path), text))
    path.append(heading)
    return heading


Blocks = tuple[list[Token], dict[str, Any]]


def block_tokens(text: str) -> Blocks:
    """Block structure only (no inline parsing), with the parse's env (link references)."""
    env: dict[str, Any] = {}
    return _BLOCKS.parse(text, env), env


def headings_of(text: str, blocks: Blocks | None = None) -> list[Heading]:
    """The headings of ``text``, as ``parse_markdown`` finds them, at a fraction of the
    cost: only heading lines get inline parsing (renders of long lists need no more).
    ``blocks`` reuses a ``block_tokens(text)`` already made."""
    tokens, env = blocks or block_tokens(text)
    walker, slugger = _Walker(), Slugger()
    path: list[Heading] = []
    out: list[Heading] = []
    for i, tok in enumerate(tokens):
        if tok.type != "heading_open" or i + 1 >= len(tokens):
            continue
        inline = tokens[i + 1]
        # parseInline runs the core chain too (text_join merges escapes like "\\#").
        children = _PARSER.parseInline(inline.content, env)[0].children or []
        first = inline.map[0] + 1 if inline.map else 1
        out.append(_heading(walker.inline(children, first, len(out)), tok, first, slugger, path))
    return out


def _read(text: str) -> tuple[ParsedDocument, _Walker, _Kinds]:
    doc = ParsedDocument()
    walker, kinds, slugger = _Walker(), _Kinds(), Slugger()
    tokens = _PARSER.parse(text)
    path: list[Heading] = []
    current: int | None = None  # index of the nearest preceding heading
    heading_open: Token | None = None
    entries: list[_Entry] = []
    row: _Entry | None = None
    in_body = False
    depth = 0
    code: set[int] = set()
    for tok in tokens:
        kind = tok.type
        if kind == "inline":
            first = tok.map[0] + 1 if tok.map else 1
            at = len(doc.headings) if heading_open is not None else current
            found = walker.inline(tok.children or [], first, at)
            doc.links.extend(found.links)
            if heading_open is not None:
                heading = _heading(found, heading_open, first, slugger, path)
                doc.headings.append(heading)
                current = len(doc.headings) - 1
                if heading.level == 1 and doc.title is None:
                    doc.title = heading.text
            elif row is not None or entries:
                target = row if row is not None else entries[-1]
                target.links.extend(found.links)
                target.cells[-1].extend(found.segments)
                target.cells[-1].append((" ", None))
                last = tok.map[1] if tok.map else first
                target.end_line = max(target.end_line, last)
        elif kind == "heading_open":
            heading_open = tok
        elif kind == "heading_close":
            heading_open = None
        elif kind in ("bullet_list_open", "ordered_list_open"):
            depth += 1
        elif kind in ("bullet_list_close", "ordered_list_close"):
            depth -= 1
        elif kind == "list_item_open":
            line = tok.map[0] + 1 if tok.map else 1
            entries.append(_Entry("bullet", line, max(depth - 1, 0), current))
        elif kind == "list_item_close":
            if entries and (item := _finish(entries.pop(), kinds)) is not None:
                doc.items.append(item)
        elif kind == "tbody_open":
            in_body = True
        elif kind == "tbody_close":
            in_body = False
        elif kind == "tr_open" and in_body:
            line = tok.map[0] + 1 if tok.map else 1
            row = _Entry("row", line, 0, current, end_line=line, cells=[])
        elif kind == "tr_close":
            if row is not None and (item := _finish(row, kinds)) is not None:
                doc.items.append(item)
            row = None
        elif kind in ("td_open", "th_open") and row is not None:
            row.cells.append([])
        elif kind == "html_block":
            first = tok.map[0] + 1 if tok.map else 1
            doc.links.extend(walker.html_block(tok.content, first, current))
        elif kind in ("fence", "code_block") and tok.map:
            code.update(range(tok.map[0] + 1, tok.map[1] + 1))
    doc.items.sort(key=lambda item: item.line)
    doc.code_lines = frozenset(code)
    return doc, walker, kinds


# -- hygiene problems -------------------------------------------------------------------


def _problems(
    doc: ParsedDocument, walker: _Walker, kinds: _Kinds, base_dir: Path | None, text: str = ""
) -> list[Problem]:
    problems: list[Problem] = []
    anchors = {h.anchor.lower() for h in doc.headings} | walker.html_ids
    keys: dict[int, str] = {}
    external: set[str] = set()
    for ref in doc.links:
        kind = kinds(ref.url)
        if kind in (LinkKind.EXTERNAL, LinkKind.NO_SCHEME):
            keys[id(ref)] = key = link_key(ref.url, kind=kind)
            external.add(key)
    exists: dict[str, bool] = {}
    for ref in doc.links:
        kind = kinds(ref.url)
        if kind is LinkKind.NO_SCHEME:
            fix = f"https://{ref.url.strip()}"
            message = f"{ref.url} has no scheme: GitHub makes it a relative link; write {fix}"
            problems.append(Problem(ref.line, "no-scheme", message, ref.url, fix))
        elif kind is LinkKind.EXTERNAL:
            key = keys[id(ref)]
            if key.startswith("http://") and "https://" + key[7:] in external:
                message = f"{ref.url} is also listed as https; use https:// here"
                fix = "https://" + ref.url.strip()[7:]
                problems.append(Problem(ref.line, "http-and-https", message, ref.url, fix))
        elif kind is LinkKind.ANCHOR:
            fragment = unquote(split_fragment(ref.url.strip())[1]).lower()
            target = fragment.removeprefix("user-content-")
            if fragment not in ("", "top") and target not in anchors:
                message = f"{ref.url} matches no heading of this document"
                problems.append(Problem(ref.line, "broken-anchor", message, ref.url))
        elif kind is LinkKind.RELATIVE and base_dir is not None:
            relative = resolve_relative(ref.url)
            if relative not in exists:
                exists[relative] = _exists(base_dir, relative)
            if not exists[relative]:
                message = f"{ref.url}: no such file {relative} beside the document"
                problems.append(Problem(ref.line, "missing-file", message, ref.url))
    problems += _duplicates(doc, keys, kinds)
    problems += _mojibake(doc, text)
    problems.sort(key=lambda p: p.line)
    return problems


def _duplicates(doc: ParsedDocument, keys: dict[int, str], kinds: _Kinds) -> list[Problem]:
    """Entries whose link was written before, by another entry or by a link in prose
    (``[Browse all](./case-studies/)`` then ``- [By theme](./case-studies/)``)."""
    owner: dict[int, int] = {}
    for number, item in enumerate(doc.items):
        for ref in item.links:
            owner[id(ref)] = number
    first_seen: dict[str, tuple[object, int]] = {}
    problems = []
    for ref in doc.links:
        kind = kinds(ref.url)
        if ref.image or kind is LinkKind.ANCHOR:
            continue
        key = keys.get(id(ref)) or link_key(ref.url, kind=kind)
        mine: object = owner.get(id(ref), ("prose", ref.line))
        seen = first_seen.setdefault(key, (mine, ref.line))
        if id(ref) in owner and seen[0] != mine:
            message = f"{ref.url} is already listed on line {seen[1]}"
            fix = f"remove this entry or the one on line {seen[1]}"
            problems.append(Problem(ref.line, "duplicate", message, ref.url, fix))
    return problems


def _mojibake(doc: ParsedDocument, text: str) -> list[Problem]:
    """Every line with mojibake (titles, prose, emoji in HTML, box drawing in code), with
    the line repaired; in code it is reported, never repaired by listkeeper."""
    problems = []
    for number, line in enumerate(text.split("\n"), 1):
        fixed = fix_mojibake(line)
        if fixed is None:
            continue
        written, repaired = line.strip(), fixed.strip()
        message = f"{written!r} should read {repaired!r}"
        if number in doc.code_lines:
            message += " (in a code block: repair it by hand)"
        problems.append(Problem(number, "mojibake", message, written, repaired))
    return problems


def _exists(base_dir: Path, relative: str) -> bool:
    try:
        return (base_dir / relative).exists()
    except (OSError, ValueError):  # a name the file system cannot hold
        return False


# -- entry point --------------------------------------------------------------------------


def parse_markdown(text: str, *, base_dir: Path | None = None) -> ParsedDocument:
    """Parse README *text*: its headings, every link with its line, its entries (list items
    and table body rows with a link) and its hygiene problems.

    *base_dir* is the README's directory; when given, relative links are checked to exist.
    Raises MarkdownError (a ValueError) for input that cannot be read, and nothing else.
    """
    if not isinstance(text, str):
        raise MarkdownError(f"expected the README's text as str, got {type(text).__name__}")
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    try:
        doc, walker, kinds = _read(text)
        doc.problems = _problems(doc, walker, kinds, base_dir, text)
    except MarkdownError:
        raise
    except RecursionError as exc:
        raise MarkdownError("the README nests too deeply to parse") from exc
    except Exception as exc:  # a parser bug must not escape as something else
        raise MarkdownError(f"cannot parse the README: {type(exc).__name__}: {exc}") from exc
    return doc
