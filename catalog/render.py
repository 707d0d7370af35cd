"""Catalog → README: regenerate the managed regions and leave every other byte alone.

Rendering is a pure function of the README text, the config and the catalog's entries,
so rendering twice gives the same bytes. It runs in two passes: first the letter groups
and link tables, then the A–Z indexes, whose cells link only to headings that the first
pass actually wrote (so no cell ever points at a missing anchor).
"""

from __future__ import annotations

import dataclasses
import difflib
import re
import string
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import jinja2

from catalog import markers
from catalog.config import Config, Region
from catalog.errors import ConfigError
from catalog.escape import md_heading, md_text, md_url
from catalog.guard import loses_text
from catalog.lines import ending, split_lines
from catalog.queries import RenderEntry, RenderLink
from catalog.readme_parser import block_tokens, headings_of
from catalog.repos import repo_badges, without_badges

LETTERS = ("#", *string.ascii_uppercase)
TEMPLATES = {"az-index": "az_index.md.j2", "letter-groups": "letter_groups.md.j2"}
TEMPLATES["link-table"] = "link_table.md.j2"


@dataclass
class Group:
    letter: str
    heading: str
    entries: list[RenderEntry] = field(default_factory=list)


@dataclass(frozen=True)
class Cell:
    letter: str
    anchor: str | None


@dataclass(frozen=True)
class Row:
    cells: tuple[str, ...]
    links: tuple[RenderLink, ...]


def environment(user_templates: Path | None = None) -> jinja2.Environment:
    """Templates from the user's folder first, then the built-in ones."""
    loaders: list[jinja2.BaseLoader] = []
    if user_templates is not None:
        loaders.append(jinja2.FileSystemLoader(str(user_templates)))
    loaders.append(jinja2.PackageLoader("catalog", "templates"))
    env = jinja2.Environment(
        loader=jinja2.ChoiceLoader(loaders),
        autoescape=False,  # Markdown, escaped by the md filters instead
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
    )
    env.filters.update(md=md_text, md_heading=md_heading, md_url=md_url)
    # GitHub repositories' facts, for templates that show them (letter_groups_github.md.j2).
    env.filters.update(repo_badges=repo_badges, without_badges=without_badges)
    return env


def letter_of(heading: str, group: str) -> str | None:
    """``"A companies"`` → ``"A"`` for group ``companies``; None when not of that group."""
    head, _, rest = heading.strip().partition(" ")
    head = head.removeprefix("\\")
    if rest.strip().casefold() != group.casefold() or len(head) != 1:
        return None
    letter = head.upper()
    return letter if letter in LETTERS else None


def letter_groups(entries: Sequence[RenderEntry], region: Region) -> list[Group]:
    groups: dict[str, Group] = {}
    for entry in entries:
        letter = letter_of(entry.section, region.group)
        if letter is None:
            continue
        heading = f"{letter} {entry.section.split(' ', 1)[1].strip()}"
        groups.setdefault(letter, Group(letter, heading)).entries.append(entry)
    for group in groups.values():
        if region.sort == "title":
            group.entries.sort(key=lambda e: (e.title.casefold(), e.title, e.position, e.id))
    return [groups[letter] for letter in LETTERS if letter in groups]


def table_rows(entries: Sequence[RenderEntry], region: Region) -> list[Row]:
    wanted = region.section.casefold()
    width = max(len(region.header) - 1, 1)
    rows = []
    for e in entries:
        if e.section.casefold() != wanted:
            continue
        cells = e.description.split(" | ") if e.description else [e.title]
        rows.append(Row(tuple((cells + [""] * width)[:width]), e.links))
    if region.sort == "title":  # a table sorts on its first column
        rows.sort(key=lambda r: (r.cells[0].casefold(), r.cells[0]))
    return rows


Ranges = dict[str, list[tuple[int, int]]]


def _owned(entries: Sequence[RenderEntry], ranges: list[tuple[int, int]]) -> list[RenderEntry]:
    """A region's entries: those written inside it, and those not in the README yet.

    Text after a region's end marker may sit under the region's last heading; it is prose
    the region does not own, even though its section says otherwise.
    """
    return [e for e in entries if e.line is None or any(a <= e.line <= b for a, b in ranges)]


def render_document(
    text: str,
    config: Config,
    entries: Sequence[RenderEntry],
    *,
    where: str = "README",
    env: jinja2.Environment | None = None,
    owned_lines: Ranges | None = None,
) -> str:
    """The README with every managed region regenerated.

    ``entries`` come from the import of this very text, so a region owns the entries whose
    line lies between its markers; ``owned_lines`` overrides that (1-based, inclusive) for
    adoption, where the markers were just added and the lines are those of the old text.
    """
    env = env or environment(config.templates)
    spans = markers.find(text, where)
    regions = {span.name: _region(config, span.name, where) for span in spans}
    _known_groups(config, list(regions.values()), entries, where)
    ranges: Ranges = {s.name: [(s.begin + 1, s.end + 1)] for s in spans}
    ranges.update(owned_lines or {})
    mine = {name: _owned(entries, ranges[name]) for name in regions}
    if owned_lines is None:  # entries' lines are this text's (not so while adopting)
        lines = split_lines(text)
        for name, r in regions.items():
            if r.kind == "letter-groups":
                mine[name] = [_as_written(env, e, lines) for e in mine[name]]
    first = {
        name: _template(env, r).render(
            region=r, groups=letter_groups(mine[name], r), rows=table_rows(mine[name], r)
        )
        for name, r in regions.items()
        if r.kind != "az-index"
    }
    text = _replace(text, spans, first)
    index_regions = {n: r for n, r in regions.items() if r.kind == "az-index"}
    if not index_regions:
        return text
    blocks = block_tokens(text)  # one block parse serves both the markers and the headings
    spans = markers.find(text, where, blocks[0])
    headings = headings_of(text, blocks)
    managed_lines = [(s.begin, s.end) for s in spans if regions[s.name].kind == "letter-groups"]
    second = {}
    for name, r in index_regions.items():
        # Letters count where the group's managed region (if any) has entries for them.
        managers = [
            n
            for n, g in regions.items()
            if g.kind == "letter-groups" and g.group.casefold() == r.group.casefold()
        ]
        pool = [e for n in managers for e in mine[n]] if managers else entries
        have = {letter_of(e.section, r.group) for e in pool} - {None}
        anchors: dict[str, str] = {}
        # Headings inside a managed region win over stray ones elsewhere in the file.
        ranked = sorted(
            headings,
            key=lambda h: not any(b <= h.line - 1 <= e for b, e in managed_lines),
        )
        for h in ranked:
            letter = letter_of(h.text, r.group)
            if letter is not None and letter in have and letter not in anchors:
                anchors[letter] = h.anchor
        cells = [Cell(letter, anchors.get(letter)) for letter in LETTERS]
        rows = [cells[i : i + r.columns] for i in range(0, len(cells), r.columns)]
        second[name] = _template(env, r).render(region=r, rows=rows)
    return _replace(text, spans, second)


def _known_groups(
    config: Config, regions: Sequence[Region], entries: Sequence[RenderEntry], where: str
) -> None:
    """A region's ``group`` must be one the README's letter headings ("A companies") or a
    letter-groups region know: a typo (``companys``) would empty an index or drop a region's
    entries without a word. A README with no letter headings at all is not judged (a new
    list)."""
    suffixes = {
        rest.strip()
        for e in entries
        for head, _, rest in [e.section.strip().partition(" ")]
        if len(head.removeprefix("\\")) == 1 and head.removeprefix("\\").upper() in LETTERS
    }
    managed = {r.group.casefold() for r in regions if r.kind == "letter-groups"}
    for r in regions:
        if r.kind not in ("az-index", "letter-groups") or not suffixes:
            continue
        if any(s.casefold() == r.group.casefold() for s in suffixes):
            continue
        if r.kind == "az-index" and r.group.casefold() in managed:
            continue
        choices = sorted(suffixes)
        close = difflib.get_close_matches(r.group, choices, n=1, cutoff=0.6)
        hint = f'did you mean group = "{close[0]}"?' if close else f"known: {', '.join(choices)}"
        raise ConfigError(
            f"{config.path or 'listkeeper.toml'}: [[render.regions]] {r.name}: group = "
            f'"{r.group}" names no letter heading of {where} ("A {r.group}"): {hint}'
        )


_BULLET = re.compile(r"^ {0,3}[-*+][ \t]+")
_CONTINUATION = re.compile(r"^[ \t]+(?![-*+][ \t]|\d{1,9}[.)][ \t])\S")
# "[title](url) - plain words": nothing a template could flatten or move (most entries;
# the template is not asked about them, which keeps long lists fast to render).
_PLAIN = re.compile(
    r"\[(?:[^\]\\`*_<>!\[]|\\.)*\]\([^()\s<>]*\)(?:[ \t]+[-–—:][ \t]+[^*_`~<>!&\\\[\]]*)?[ \t]*"
)


def _as_written(env: jinja2.Environment, entry: RenderEntry, lines: list[str]) -> RenderEntry:
    """*entry*, carrying its source when the template's form would lose or move some of
    what its contributor wrote (``**bold**``, `` `code` ``, a link inside the description):
    kept as written rather than flattened. Plain entries are left to the template."""
    if entry.line is None or not 0 < entry.line <= len(lines):
        return entry
    first = lines[entry.line - 1].rstrip("\r\n")
    marker = _BULLET.match(first)
    if marker is None:
        return entry
    body = [first[marker.end() :]]
    at = entry.line
    while at < len(lines) and _CONTINUATION.match(lines[at]):
        body.append("  " + lines[at].strip())
        at += 1
    if len(body) == 1 and _PLAIN.fullmatch(body[0]):
        return entry
    form = str(env.get_template("_macros.md.j2").module.entry_item(entry))  # type: ignore[attr-defined]
    mine = _BULLET.sub("", form, count=1)
    if "\n".join(body) == mine or not loses_text("\n".join(body), mine):
        return entry
    return dataclasses.replace(entry, source="- " + "\n".join(body))


def _region(config: Config, name: str, where: str) -> Region:
    region = config.region(name)
    if region is None:
        raise ConfigError(
            f"{where}: region `{name}` has markers but no [[render.regions]] entry named "
            f"`{name}` in {config.path or 'listkeeper.toml'}"
        )
    # The config's schema refuses these too; a region that got this far must not write a
    # "heading" the next render cannot read back (it would then drop every entry).
    if region.kind == "letter-groups" and not (
        isinstance(region.heading_level, int) and 1 <= region.heading_level <= 6
    ):
        raise ConfigError(
            f"region `{name}`: heading_level must be 1 to 6 (a Markdown heading), "
            f"not {region.heading_level!r}; fix it in {config.path or 'listkeeper.toml'}"
        )
    if region.kind == "az-index" and not (isinstance(region.columns, int) and region.columns >= 1):
        raise ConfigError(
            f"region `{name}`: columns must be a whole number of at least 1, "
            f"not {region.columns!r}; fix it in {config.path or 'listkeeper.toml'}"
        )
    return region


def _template(env: jinja2.Environment, region: Region) -> jinja2.Template:
    name = region.template or TEMPLATES[region.kind]
    try:
        return env.get_template(name)
    except jinja2.TemplateNotFound as exc:
        raise ConfigError(f"region `{region.name}`: template {name} not found") from exc


def _replace(text: str, spans: list[markers.Span], bodies: dict[str, str]) -> str:
    """Each region's lines replaced by its body, written with the line ending of the
    region's own begin marker (a mixed file keeps every other line as it is)."""
    lines = split_lines(text)
    for span in sorted(spans, key=lambda s: s.begin, reverse=True):
        if span.name not in bodies:
            continue
        newline = ending(lines[span.begin]) or "\n"
        body = bodies[span.name].strip("\n")
        inner = ["", *body.split("\n"), ""] if body else []
        lines[span.begin + 1 : span.end] = [line + newline for line in inner]
    return "".join(lines)


def unified_diff(old: str, new: str, path: str) -> str:
    return "".join(
        difflib.unified_diff(
            split_lines(old),
            split_lines(new),
            fromfile=f"a/{path}",
            tofile=f"b/{path}",
        )
    )
