"""The last check before a README is written (render, render --adopt, pr).

Tests pin what render does; this guard checks, at run time, what it did, on the very text
about to be written: the new text is parsed again and compared with the old one. Nothing
is written when

- a link or an entry of the old text is missing from the new one (URLs compared with
  percent-encoding undone: encoding a destination is no loss; a rewrite ``pr`` meant to
  make counts as the same link),
- inline markup of the old text (emphasis, code, images, HTML tags) is gone,
- for a plain render, a byte outside the managed regions changed,
- a second render of the new text would change it again.

The caller turns :class:`GuardError` into one line on stderr and exit 1.
"""

from __future__ import annotations

import dataclasses
import html
import re
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import unquote

from markdown_it import MarkdownIt

from catalog import markers
from catalog.errors import ListkeeperError
from catalog.lines import split_lines
from catalog.parsed import Item, ParsedDocument
from catalog.queries import RenderEntry, RenderLink
from catalog.readme_parser import BARE_URL, MarkdownError, parse_markdown, trim_bare

_HTML = MarkdownIt("commonmark").enable(["table", "strikethrough"])
# Tags that carry what a contributor wrote; block structure (lists, tables, paragraphs)
# is the region's to choose, and links are compared one by one.
_TAG = re.compile(r"<(?!/)([a-zA-Z][a-zA-Z0-9]*)")
_STRUCTURE = frozenset(
    {"p", "ul", "ol", "li", "table", "thead", "tbody", "tr", "th", "td", "hr", "br", "a"}
    | {f"h{n}" for n in range(1, 7)}
)
_EPOCH = datetime(2000, 1, 1, tzinfo=UTC)


class GuardError(ListkeeperError):
    """The text about to be written would damage the README: nothing was written."""


@dataclass(frozen=True)
class _Found:
    key: str
    line: int
    shown: str


def link_key(url: str, renames: Mapping[str, str]) -> str:
    """What makes two written URLs the same link here: the same after percent-decoding
    (``render`` encodes what a destination cannot hold), and a planned rewrite's two ends
    count as one."""
    key = unquote(url.strip())
    return renames.get(key, key)


def _links(doc: ParsedDocument, renames: Mapping[str, str]) -> list[_Found]:
    return [
        _Found(link_key(ref.url, renames), ref.line, ref.url)
        for ref in doc.links
        if not ref.url.strip().startswith("#")  # A–Z cells come and go with their letters
    ]


def _entries(doc: ParsedDocument, renames: Mapping[str, str]) -> list[_Found]:
    return [
        _Found(link_key(item.links[0].url, renames), item.line, item.title) for item in doc.items
    ]


def _missing(old: Iterable[_Found], new: Iterable[_Found]) -> list[_Found]:
    have = Counter(f.key for f in new)
    gone = []
    for f in old:
        if have[f.key] > 0:
            have[f.key] -= 1
        else:
            gone.append(f)
    return gone


_MARKER = re.compile(r"^[ \t]*(?:[-*+]|\d{1,9}[.)])[ \t]+|^[ \t]*\|")
_ANCHOR = re.compile(r'<a href="([^"]*)"[^>]*>(.*?)</a>', re.DOTALL)
_SEPARATOR = re.compile(r"^[-–—,:;|&]*$")
_WORD = re.compile(r"\S+")


def _source(lines: list[str], item: Item) -> str:
    """An entry as written, without its list marker or the table's first pipe."""
    text = "".join(lines[item.line - 1 : item.end_line])
    return _MARKER.sub("", text, count=1)


def _words(source: str, renames: Mapping[str, str]) -> list[str]:
    """An entry's text in order: its words, and each link as one token where it stands
    (separators such as ``-``, ``,`` and ``|`` are the template's to choose)."""
    keys: list[str] = []

    def token(url: str) -> str:
        keys.append(link_key(url, renames))
        return f" \x00{len(keys) - 1}\x00 "

    def anchor(m: re.Match[str]) -> str:
        # A label is words, never a second (bare) link, even when it reads as a URL.
        return token(html.unescape(m[1])) + m[2].replace("://", ":\x01//")

    rendered = _ANCHOR.sub(anchor, _HTML.renderInline(source))
    plain = html.unescape(re.sub(r"<[^>]*>", " ", rendered))
    # Bare URLs are links too (the parser reads them so; GitHub links them).
    plain = BARE_URL.sub(lambda m: token(trim_bare(m[0])) + m[0][len(trim_bare(m[0])) :], plain)
    out = []
    for word in _WORD.findall(plain):
        if word.startswith("\x00"):
            out.append("\x00" + keys[int(word.strip("\x00"))])
            continue
        word = word.strip(",;:|")
        if word and not _SEPARATOR.match(word):
            out.append(word)
    return out


def _subsequence(small: list[str], big: list[str]) -> bool:
    it = iter(big)
    return all(any(w == b for b in it) for w in small)


def _moved(
    old_lines: list[str],
    before: ParsedDocument,
    new_lines: list[str],
    after: ParsedDocument,
    renames: Mapping[str, str],
) -> list[_Found]:
    """Entries whose text the new version reorders or loses (an inline link moved to the
    front, words dropped); an entry turned from a list item into a table row (a region's
    kind) may reorder, never lose."""
    pool: dict[str, list[Item]] = {}
    for item in after.items:
        pool.setdefault(link_key(item.links[0].url, renames), []).append(item)
    found = []
    for item in before.items:
        key = link_key(item.links[0].url, renames)
        if not pool.get(key):
            continue  # reported as a dropped entry
        twin = pool[key].pop(0)
        old_src, new_src = _source(old_lines, item), _source(new_lines, twin)
        if old_src == new_src:
            continue
        old_words, new_words = _words(old_src, renames), _words(new_src, renames)
        if item.kind == twin.kind:
            kept = _subsequence(old_words, new_words)
        else:
            kept = not (Counter(old_words) - Counter(new_words))
        if not kept or _tags(old_src, inline=True) - _tags(new_src, inline=True):
            found.append(_Found(key, item.line, item.title))
    return found


def loses_text(source: str, form: str) -> bool:
    """Whether writing an entry as *form* instead of *source* (both without the list
    marker) would drop, move or flatten what its contributor wrote."""
    if _subsequence(_words(source, {}), _words(form, {})):
        return bool(_tags(source, inline=True) - _tags(form, inline=True))
    return True


def _tags(text: str, *, inline: bool = False) -> Counter[str]:
    rendered = _HTML.renderInline(text) if inline else _HTML.render(text)
    return Counter(t.lower() for t in _TAG.findall(rendered) if t.lower() not in _STRUCTURE)


def _changed_tags(old: list[str], new: list[str]) -> tuple[Counter[str], Counter[str]]:
    """The markup tags of the lines only one side has (a long list, sorted or with one
    entry added, is mostly the same lines: rendering all of it would cost seconds)."""
    a, b = Counter(old), Counter(new)
    gone = [line for line in old if a[line] > b[line]]
    came = [line for line in new if b[line] > a[line]]
    return _tags("".join(gone)), _tags("".join(came))


def _lines_of(found: list[_Found]) -> str:
    lines = sorted({f.line for f in found})
    shown = ", ".join(str(n) for n in lines[:5]) + (", …" if len(lines) > 5 else "")
    return f"line{'s' if len(lines) > 1 else ''} {shown}"


_DELIMITER = re.compile(r"^[ \t]*\|?[ \t]*:?-{3,}")


def _regions(
    text: str, where: str, kinds: Mapping[str, str]
) -> tuple[list[str], list[str], list[tuple[int, str]]]:
    """The lines outside the managed regions (markers included), the lines inside them,
    and (0-based index, line) of the lines inside that hold text written by hand: not
    an A–Z index, a heading, nor a table's header (those the region writes itself)."""
    lines = split_lines(text)
    inside: set[int] = set()
    written: list[tuple[int, str]] = []
    for span in markers.find(text, where):
        inside.update(range(span.begin + 1, span.end))
        if kinds.get(span.name) == "az-index":
            continue
        header: set[int] = set()
        for i in range(span.begin + 1, span.end):
            if _DELIMITER.match(lines[i]):
                header.update((i - 1, i))
        for i in range(span.begin + 1, span.end):
            if i not in header and not lines[i].lstrip().startswith("#") and lines[i].strip():
                written.append((i, lines[i]))
    outside = [line for i, line in enumerate(lines) if i not in inside]
    return outside, [line for i, line in enumerate(lines) if i in inside], written


def _dropped_text(
    old: list[tuple[int, str]], new: list[tuple[int, str]], renames: Mapping[str, str]
) -> list[_Found]:
    """Words written inside a region that the new text no longer has (prose a region
    cannot render, say): compared over the lines that changed only."""
    a, b = Counter(line for _, line in old), Counter(line for _, line in new)
    gone = [(i, line) for i, line in old if a[line] > b[line]]
    came = [_MARKER.sub("", line, count=1) for _, line in new if b[line] > a[line]]
    have = Counter(w for line in came for w in _words(line, renames))
    lost = []
    for i, line in gone:
        words = _words(_MARKER.sub("", line, count=1), renames)
        missing = Counter(words) - have
        if missing:
            lost.append(_Found("", i + 1, next(iter(missing)).lstrip("\x00")))
        have -= Counter(words)
    return lost


def verify(
    old: str,
    new: str,
    *,
    where: str,
    action: str,
    rerender: Callable[[str, ParsedDocument], str] | None = None,
    outside_kept: bool = False,
    renames: Mapping[str, str] | None = None,
    text_kept: bool = True,
    kinds: Mapping[str, str] | None = None,
) -> None:
    """Raise GuardError when writing *new* over *old* would lose something (see above).

    *rerender* renders a text (given parsed) again: the second render must change nothing;
    *outside_kept*: every line outside the regions must be byte for byte the same;
    *renames*: URLs *action* replaces on purpose, old → new;
    *kinds*: region name → kind (an A–Z index is the region's own text, not compared);
    *text_kept*: False when *action* edits entries' text on purpose (``pr`` repairs and
    marks): then only entries, links and the second render are checked.
    """
    if new == old:
        return
    names = {unquote(a): unquote(b) for a, b in (renames or {}).items()}
    try:
        before = parse_markdown(old)
        after = parse_markdown(new)
    except MarkdownError as exc:
        raise GuardError(
            f"{where}: not written: {action} made text that cannot be read ({exc})"
        ) from exc
    refuse = f"{where}: not written: {action} would"
    gone = _missing(_entries(before, names), _entries(after, names))
    if gone:
        raise GuardError(
            f"{refuse} drop {len(gone)} entr{'ies' if len(gone) > 1 else 'y'} on "
            f"{_lines_of(gone)} ({gone[0].shown!r}); in a managed region keep entries "
            "under its group headings, or move that text out of the region"
        )
    moved = _moved(split_lines(old), before, split_lines(new), after, names) if text_kept else []
    if moved:
        raise GuardError(
            f"{refuse} rewrite {len(moved)} entr{'ies' if len(moved) > 1 else 'y'} written by "
            f"hand on {_lines_of(moved)} ({moved[0].shown!r}), moving, dropping or flattening "
            "its text or markup; write it as `- [title](url) - description`, or move it out "
            "of the managed region"
        )
    gone = _missing(_links(before, names), _links(after, names))
    if gone:
        raise GuardError(
            f"{refuse} drop {len(gone)} link{'s' if len(gone) > 1 else ''} on "
            f"{_lines_of(gone)} ({gone[0].shown}); move that text out of the managed region"
        )
    if outside_kept:
        old_out, old_in, old_written = _regions(old, where, kinds or {})
        new_out, new_in, new_written = _regions(new, where, kinds or {})
        if old_out != new_out:
            at = next(
                (i for i, (a, b) in enumerate(zip(old_out, new_out, strict=False)) if a != b),
                min(len(old_out), len(new_out)),
            )
            raise GuardError(
                f"{refuse} change text outside the managed regions (around line {at + 1}); "
                "please report this as a listkeeper bug"
            )
        dropped = _dropped_text(old_written, new_written, names) if text_kept else []
        if dropped:
            raise GuardError(
                f"{refuse} drop text written by hand inside a managed region on "
                f"{_lines_of(dropped)} ({dropped[0].shown!r}); only entries under the "
                "region's headings are kept there: move that text out of the region"
            )
        old_tags, new_tags = _changed_tags(old_in, new_in)
    else:
        old_tags, new_tags = _changed_tags(split_lines(old), split_lines(new))
    lost = old_tags - new_tags if text_kept else Counter[str]()
    if lost:
        what = ", ".join(f"<{t}>" for t in sorted(lost))
        raise GuardError(
            f"{refuse} flatten markup written by hand in a managed region ({what}); "
            "write that entry outside the region, or without the markup"
        )
    if rerender is not None and rerender(new, after) != new:
        raise GuardError(
            f"{refuse} write text that the next render changes again (a heading of the "
            "region's own section inside it, or a template that does not read back as it "
            "writes?); keep headings a region renders from outside its markers"
        )


def reimported(doc: ParsedDocument, known: Mapping[str, RenderLink]) -> list[RenderEntry]:
    """The entries a fresh import of *doc* gives, as the renderer sees them (for a second
    render without a catalog). *known* maps a URL to what the catalog knows of its link
    (status, repository facts: whatever a template may show), kept as it is."""

    def link(i: int, url: str, text: str) -> RenderLink:
        role = "primary" if i == 0 else "related"
        if url in known:
            return dataclasses.replace(known[url], url=url, text=text, role=role)
        return RenderLink(url, text, role)

    return [
        RenderEntry(
            id=pos,
            title=item.title,
            description=item.description,
            section=doc.headings[item.heading].text if item.heading is not None else "",
            position=pos,
            line=item.line,
            added_at=_EPOCH,
            links=tuple(link(i, ref.url, ref.text) for i, ref in enumerate(item.links)),
        )
        for pos, item in enumerate(doc.items)
    ]
