"""Regroup benchmark: jumble intact lists, put them back with ``--regroup``, score it.

    .venv/bin/python bench/regroup.py [--jumbles 8] [--threshold 0.9] [--sweep] [--misses]

Intact lists: the letter groups of ../shared/seeds/README.md that its damage left intact
(every group heading with its list right under it: companies, technologies, interview,
white papers) and of kilimchoi/engineering-blogs in ../shared/corpora/readmes (companies,
individuals, technologies). Each is written out clean: its groups under one heading per
family, then prose sections named after the source's own prose headings.

A jumble (seeded, reproducible) takes groups of one half of the alphabet: each with
probability 1/2, half of them lose their heading and move whole into a prose section, the
other half move a run of half their entries. Runs of entries from the other lists of
../shared/corpora/readmes (sections of system-design-primer, awesome-python, awesome) are
dropped into the prose too: they belong to no group and must stay.

Fixed halves: jumbles displacing groups ``#``-``L`` are the tuning half (``MOVE_CONFIDENCE``
was chosen on it), ``M``-``Z`` the held-out half. Both are reported.

Scores, through the real pipeline (detect -> placements -> restructure -> render, the
entries of the render built from the parse as the catalog holds them):
recall = displaced entries back under their original group heading / displaced entries;
precision = right moves / moves (a foreign entry moved is a wrong move); links lost = links
of the jumble missing from the result; moved out = entries of a group in the jumble that
are not in it afterwards.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from catalog import adopt, regroup  # noqa: E402
from catalog.config import Config  # noqa: E402
from catalog.lines import split_lines  # noqa: E402
from catalog.parsed import ParsedDocument  # noqa: E402
from catalog.queries import RenderEntry, RenderLink  # noqa: E402
from catalog.readme_parser import parse_markdown  # noqa: E402
from catalog.render import LETTERS, letter_of, render_document  # noqa: E402
from catalog.suggest import letter_group  # noqa: E402
from catalog.urls import classify  # noqa: E402

SHARED = ROOT.parent / "shared"
SEED = SHARED / "seeds" / "README.md"
READMES = SHARED / "corpora" / "readmes"
LISTS = {"seed": SEED, "engineering-blogs": READMES / "kilimchoi__engineering-blogs__README.md"}
FOREIGN = [
    READMES / "donnemartin__system-design-primer__README.md",
    READMES / "vinta__awesome-python__README.md",
    READMES / "sindresorhus__awesome__readme.md",
]
HALVES = {"tune": LETTERS[: LETTERS.index("L") + 1], "held-out": LETTERS[LETTERS.index("M") :]}


@dataclass
class Intact:
    """A list's intact letter groups: family -> letter -> entry lines (verbatim)."""

    name: str
    families: dict[str, dict[str, list[str]]] = field(default_factory=dict)
    prose: list[str] = field(default_factory=list)  # prose headings of the source


def intact(name: str, path: Path) -> Intact:
    text = path.read_text(encoding="utf-8")
    parsed = parse_markdown(text)
    lines = split_lines(text)
    out = Intact(name)
    for region in adopt.detect(text, parsed):
        if region.kind != "letter-groups":
            continue
        for start, end in adopt.group_extents(lines, parsed, region.group):
            letter = letter_of(lines[start].lstrip("#").strip(), region.group)
            items = [
                item
                for item in parsed.items
                if start <= item.line - 1 <= end and regroup.movable(item, lines, _WEB)
            ]
            if letter and items:
                family = out.families.setdefault(region.group, {})
                family.setdefault(letter, []).extend(_lines(lines, item) for item in items)
    out.prose = [
        h.text
        for h in parsed.headings
        if letter_group(h.text) is None and h.level <= 3 and h.text.strip()
    ][:6] or ["Notes", "More"]
    return out


_WEB = {"external", "no_scheme"}


def _lines(lines: list[str], item: object) -> str:
    first, last = item.line, item.end_line  # type: ignore[attr-defined]
    return "".join(lines[first - 1 : last]).rstrip("\r\n")


def foreign_runs() -> list[list[str]]:
    """Runs of three consecutive entries of each section of the other lists."""
    runs: list[list[str]] = []
    for path in FOREIGN:
        if not path.exists():
            continue
        text = path.read_text(encoding="utf-8")
        parsed = parse_markdown(text)
        lines = split_lines(text)
        by_heading: dict[int | None, list[str]] = {}
        for item in parsed.items:
            if regroup.movable(item, lines, _WEB) and item.end_line == item.line:
                by_heading.setdefault(item.heading, []).append(_lines(lines, item))
        for entries in by_heading.values():
            if len(entries) >= 3:
                runs.append(entries[:3])
    return runs


@dataclass
class Jumble:
    text: str
    truth: dict[str, str]  # entry line -> its original group heading ("C companies")
    foreign: set[str]


def jumble(
    source: Intact, letters: tuple[str, ...], rng: random.Random, foreign: list[list[str]]
) -> Jumble:
    prose: dict[str, list[str]] = {name: [] for name in source.prose}
    truth: dict[str, str] = {}
    body: list[str] = [f"# {source.name}", "", "An intact list, jumbled for the benchmark.", ""]
    for family in source.families:
        # an A-Z index like the sources' own: it names the family even when one group is left
        # labelled where the intact list has the group, as the sources' indexes are
        slug = family.replace(" ", "-")
        have = source.families[family]
        cells = [
            f"[{c if c in have else ''}](#{'' if c == '#' else c.lower()}-{slug})" for c in LETTERS
        ]
        body += [f"### {family.title()} index", "", "|" + " |" * 9, "|" + ":-:|" * 9]
        body += ["| " + " | ".join(cells[i : i + 9]) + " |" for i in range(0, 27, 9)] + [""]
    for family, groups in source.families.items():
        body += [f"## {family.title()}", ""]
        for letter in LETTERS:
            entries = groups.get(letter)
            if not entries:
                continue
            heading = ("\\#" if letter == "#" else letter) + f" {family}"
            name = f"{letter} {family}"
            displaced: list[str] = []
            if letter in letters and rng.random() < 0.5:
                if len(entries) == 1 or rng.random() < 0.5:
                    displaced = list(entries)
                else:
                    start = rng.randrange(len(entries) - len(entries) // 2 + 1)
                    displaced = entries[start : start + len(entries) // 2]
            kept = [e for e in entries if e not in displaced]
            for entry in displaced:
                truth[entry] = name
            if displaced:
                prose[rng.choice(source.prose)].extend(displaced)
            if kept:
                body += [f"#### {heading}", "", *kept, ""]
    strays: set[str] = set()
    for run in rng.sample(foreign, min(2, len(foreign))):
        prose[rng.choice(source.prose)].extend(run)
        strays.update(run)
    for name, entries in prose.items():
        body += [f"## {name}", "", "Prose of a section that holds no group.", ""]
        if entries:
            body += [*entries, ""]
    return Jumble("\n".join(body), truth, strays)


def entries_of(parsed: ParsedDocument) -> list[RenderEntry]:
    """The entries as the catalog would hold them after importing the text."""
    now = datetime(2026, 1, 1, tzinfo=UTC)
    return [
        RenderEntry(
            id=i,
            title=item.title,
            description=item.description,
            section=parsed.headings[item.heading].text if item.heading is not None else "",
            position=i,
            line=item.line,
            added_at=now,
            links=tuple(
                RenderLink(ref.url, ref.text, "primary" if n == 0 else "related")
                for n, ref in enumerate(item.links)
            ),
        )
        for i, item in enumerate(parsed.items)
    ]


def regroup_text(text: str, threshold: float) -> tuple[str, list[regroup.Placement]]:
    """``render --adopt --regroup`` without the catalog: the new text and the placements."""
    parsed = parse_markdown(text)
    regions = adopt.detect(text, parsed)
    placements = regroup.placements(text, parsed, regions)[0]
    moves = [p for p in placements if p.section is not None and p.confidence >= threshold]
    new, owned = adopt.restructure(
        text, parsed, regions, [(p.line, p.end_line, str(p.region)) for p in moves]
    )
    sections = {p.line: str(p.section) for p in moves}
    entries = [
        e if e.line not in sections else _with_section(e, sections[e.line])
        for e in entries_of(parsed)
    ]
    config = Config(regions=tuple(regions))
    return render_document(new, config, entries, owned_lines=owned), placements


def _with_section(entry: RenderEntry, section: str) -> RenderEntry:
    from dataclasses import replace

    return replace(entry, section=section)


@dataclass
class Score:
    displaced: int = 0
    back: int = 0
    moves: int = 0
    right_moves: int = 0
    links_lost: int = 0
    moved_out: int = 0
    misses: list[str] = field(default_factory=list)

    def add(self, other: Score) -> None:
        for name in ("displaced", "back", "moves", "right_moves", "links_lost", "moved_out"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.misses += other.misses

    def line(self) -> str:
        recall = self.back / self.displaced if self.displaced else 0.0
        precision = self.right_moves / self.moves if self.moves else 1.0
        return (
            f"recall {recall:.3f} ({self.back}/{self.displaced})  "
            f"precision {precision:.3f} ({self.right_moves}/{self.moves})  "
            f"links lost {self.links_lost}  moved out of a group {self.moved_out}"
        )


def _where(parsed: ParsedDocument) -> dict[str, list[str]]:
    """First URL of each entry -> headings it sits under (a URL may be listed twice)."""
    out: dict[str, list[str]] = {}
    for item in parsed.items:
        heading = parsed.headings[item.heading].text if item.heading is not None else ""
        out.setdefault(item.links[0].url, []).append(heading.removeprefix("\\"))
    return out


def _links(parsed: ParsedDocument) -> Counter[str]:
    return Counter(
        ref.url for ref in parsed.links if not ref.image and classify(ref.url).value != "anchor"
    )


def score(j: Jumble, threshold: float) -> Score:
    before = parse_markdown(j.text)
    new, placements = regroup_text(j.text, threshold)
    after = parse_markdown(new)
    s = Score()
    s.links_lost = sum((_links(before) - _links(after)).values())
    lines = split_lines(j.text)
    where_after = _where(after)
    truth = {}
    for item in before.items:
        raw = _lines(lines, item)
        if raw in j.truth:
            truth[item.line] = j.truth[raw]
    s.displaced = len(truth)
    for line, group in truth.items():
        item = next(i for i in before.items if i.line == line)
        if group in where_after.get(item.links[0].url, []):
            s.back += 1
    for p in placements:
        if p.section is None or p.confidence < threshold:
            continue
        s.moves += 1
        if truth.get(p.line) == p.section:
            s.right_moves += 1
        else:
            s.misses.append(
                f"{p.title[:60]!r} -> {p.section} (truth {truth.get(p.line)}) {p.confidence:.2f}"
            )
    sure = {p.line: p for p in placements if p.section is not None and p.confidence >= threshold}
    for line, group in truth.items():
        if line not in sure or sure[line].section != group:
            p2 = next((p for p in placements if p.line == line), None)
            if p2 is not None:
                s.misses.append(
                    f"  missed {p2.title[:60]!r} truth {group}: {p2.section} {p2.confidence:.2f}"
                )
    for item in before.items:
        heading = before.headings[item.heading].text if item.heading is not None else ""
        if letter_group(heading) is None:
            continue
        if heading.removeprefix("\\") not in where_after.get(item.links[0].url, []):
            s.moved_out += 1
    return s


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--jumbles", type=int, default=8, help="jumbles per list and half")
    parser.add_argument("--threshold", type=float, default=regroup.MOVE_CONFIDENCE)
    parser.add_argument("--sweep", action="store_true", help="scores for several thresholds")
    parser.add_argument("--temperature", type=float, default=regroup.NB_TEMPERATURE)
    parser.add_argument("--prior", type=float, default=regroup.PRIOR_WEIGHT)
    parser.add_argument("--stays", type=float, default=regroup.RUN_STAYS)
    parser.add_argument("--new-letter", type=float, default=regroup.RUN_STAYS_NEW_LETTER)
    parser.add_argument("--orphan", type=float, default=regroup.INDEX_ORPHAN)
    parser.add_argument("--only", choices=sorted(LISTS), help="one intact list")
    parser.add_argument("--misses", action="store_true", help="print the wrong and missed moves")
    args = parser.parse_args()
    regroup.NB_TEMPERATURE = args.temperature
    regroup.PRIOR_WEIGHT = args.prior
    regroup.RUN_STAYS = args.stays
    regroup.RUN_STAYS_NEW_LETTER = args.new_letter
    regroup.INDEX_ORPHAN = args.orphan
    sources = [
        intact(name, path)
        for name, path in LISTS.items()
        if path.exists() and args.only in (None, name)
    ]
    if not sources:
        print(f"no intact lists under {SHARED}", file=sys.stderr)
        return 3
    foreign = foreign_runs()
    started = time.perf_counter()
    thresholds = [0.5, 0.6, 0.7, 0.8, 0.85, 0.9, 0.95, 0.98] if args.sweep else [args.threshold]
    jumbles = {
        (half, source.name): [
            jumble(source, letters, random.Random(f"{source.name}/{half}/{n}"), foreign)
            for n in range(args.jumbles)
        ]
        for half, letters in HALVES.items()
        for source in sources
    }
    for threshold in thresholds:
        print(f"threshold {threshold:.2f}")
        for half in HALVES:
            total = Score()
            for source in sources:
                s = Score()
                for j in jumbles[(half, source.name)]:
                    s.add(score(j, threshold))
                print(f"  {half:8} {source.name:18} {s.line()}")
                total.add(s)
            print(f"  {half:8} {'all':18} {total.line()}")
            if args.misses:
                for miss in sorted(set(total.misses)):
                    print("     ", miss)
    print(f"{sum(len(v) for v in jumbles.values())} jumbles, {time.perf_counter() - started:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
