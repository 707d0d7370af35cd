"""README rendering: adoption of the seed list, minimal diffs, identity, escaping."""

from __future__ import annotations

import difflib
import json
import re
import string
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from catalog.config import Config, Region
from catalog.errors import ConfigError, InputError
from catalog.queries import RenderEntry, RenderLink
from catalog.readme_parser import parse_markdown
from catalog.render import render_document
from tests.conftest import needs_shared, shared_path
from tests.readmes import cli

CORPUS = ("corpora", "readmes")


def _article_links(text: str) -> Counter[str]:
    return Counter(ref.url for ref in parse_markdown(text).links if not ref.url.startswith("#"))


def _index_tables(text: str) -> dict[str, list[tuple[str, str]]]:
    """Region name → the (letter, anchor) cells of each A–Z table in the file."""
    out = {}
    for m in re.finditer(
        r"<!-- listkeeper:begin (\S+-index) -->\n(.*?)<!-- listkeeper:end \1 -->", text, re.S
    ):
        out[m.group(1)] = re.findall(r"\[([#A-Z])\]\(#([^)]*)\)", m.group(2))
    return out


@pytest.fixture
def adopted_seed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys) -> tuple[str, str]:  # type: ignore[no-untyped-def]
    seed = shared_path("seeds", "README.md")
    monkeypatch.chdir(tmp_path)
    Path("README.md").write_bytes(seed.read_bytes())
    assert cli(capsys, "init", "--from", "README.md").code == 0
    adopted = cli(capsys, "render", "--adopt", "README.md")
    assert adopted.code == 0, adopted.err
    assert adopted.out.startswith("--- a/README.md")
    return seed.read_text(), Path("README.md").read_text()


@needs_shared()
def test_init_from_seed_recognises_groups_and_indexes(adopted_seed, capsys) -> None:  # type: ignore[no-untyped-def]
    config = Path("listkeeper.toml").read_text()
    for name in ("companies", "technologies", "interview", "white-papers"):
        assert f'name = "{name}"' in config
        assert f'name = "{name}-index"' in config


@needs_shared()
def test_seed_adoption_keeps_every_link_and_indexes_resolve(adopted_seed, capsys) -> None:  # type: ignore[no-untyped-def]
    original, adopted = adopted_seed
    assert _article_links(adopted) == _article_links(original)
    anchors = {h.anchor for h in parse_markdown(adopted).headings}
    tables = _index_tables(adopted)
    assert set(tables) == {
        "companies-index",
        "technologies-index",
        "interview-index",
        "white-papers-index",
    }
    for cells in tables.values():
        assert all(anchor in anchors for _, anchor in cells)
    # Every letter whose group has entries is linked, and only those (seed, by hand).
    linked = {name: "".join(letter for letter, _ in cells) for name, cells in tables.items()}
    assert linked == {
        "companies-index": "#ABCDFGHIKMNPQRSTUWYZ",
        "technologies-index": "FJKLPW",
        "interview-index": "ASTW",
        "white-papers-index": "X",
    }
    assert cli(capsys, "render", "--check", "README.md").code == 0
    # Outside the markers, every byte of the adopted file stays as it is on re-render.
    assert cli(capsys, "render", "README.md").code == 0
    assert Path("README.md").read_text() == adopted


@needs_shared()
def test_edit_import_render_gives_minimal_diff(adopted_seed, capsys) -> None:  # type: ignore[no-untyped-def]
    _, before = adopted_seed
    added = "- [How Uber Computes ETA](https://newsletter.systemdesign.one/p/uber-eta-2)"
    old_title = "- [How Reddit Works](https://newsletter.systemdesign.one/p/reddit-architecture)"
    new_title = (
        "- [How Reddit Really Works](https://newsletter.systemdesign.one/p/reddit-architecture)"
    )
    removed = "- [How Stripe Prevents Double Payment Using Idempotent API](https://newsletter.systemdesign.one/p/idempotent-api)"
    lines = before.splitlines(keepends=True)
    assert old_title + "\n" in lines and removed + "\n" in lines
    edited = []
    for line in lines:
        if line == removed + "\n":
            continue
        edited.append(new_title + "\n" if line == old_title + "\n" else line)
    # A contributor appends at the end of the U group, out of order.
    u_at = edited.index("#### U companies\n")
    end_of_list = next(i for i in range(u_at + 2, len(edited)) if not edited[i].startswith("- "))
    edited.insert(end_of_list, added + "\n")
    Path("README.md").write_text("".join(edited))
    assert cli(capsys, "import", "README.md").code == 0
    assert cli(capsys, "render", "README.md").code == 0
    after = Path("README.md").read_text()
    changes = [
        d
        for d in difflib.unified_diff(before.splitlines(), after.splitlines(), lineterm="", n=0)
        if d[:1] in "+-" and not d.startswith(("---", "+++"))
    ]
    assert sorted(changes) == sorted([f"+{added}", f"-{old_title}", f"+{new_title}", f"-{removed}"])
    # The seed's company groups are kept in hand order (`init --from` saw it): the entry
    # stays where the contributor wrote it, last in its group.
    assert 'sort = "position"' in Path("listkeeper.toml").read_text()
    u_group = after[after.index("#### U companies") :].split("####", 2)[1]
    assert u_group.rstrip().splitlines()[-1] == added


def _corpus_files() -> list[str]:
    index = shared_path(*CORPUS, "index.json")
    return [r["file"] for r in json.loads(index.read_text())["readmes"]]


@needs_shared()
@pytest.mark.parametrize("index", range(5))
def test_corpus_readme_unmanaged_render_is_identity_and_managed_is_stable(
    index: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:  # type: ignore[no-untyped-def]
    files = _corpus_files()
    source = shared_path(*CORPUS, files[index])
    monkeypatch.chdir(tmp_path)
    original = source.read_bytes()
    Path("README.md").write_bytes(original)
    assert cli(capsys, "import", "README.md").code == 0
    assert cli(capsys, "render", "README.md").code == 0
    assert Path("README.md").read_bytes() == original

    # Manage the first section that holds a bullet list: wrap it in a link-table region.
    text = original.decode()
    parsed = parse_markdown(text)
    item = next(
        i for i in parsed.items if i.kind == "bullet" and i.heading is not None and i.depth == 0
    )
    heading = parsed.headings[item.heading]  # type: ignore[index]
    lines = text.splitlines(keepends=True)
    last = max(i.end_line for i in parsed.items if i.heading == item.heading and i.kind == "bullet")
    nl = "\r\n" if "\r\n" in text else "\n"
    managed = [
        *lines[: item.line - 1],
        f"<!-- listkeeper:begin picked -->{nl}{nl}",
        *lines[item.line - 1 : last],
        f"{nl}<!-- listkeeper:end picked -->{nl}",
        *lines[last:],
    ]
    Path("README.md").write_text("".join(managed), newline="")
    Path("listkeeper.toml").write_text(
        '[[render.regions]]\nname = "picked"\nkind = "link-table"\n'
        f"section = {json.dumps(heading.text)}\n"
    )
    rendered = cli(capsys, "render", "README.md")
    linkless = [
        n for n in range(item.line - 1, last) if re.match(r"\s*[-*+] (?!.*(?:\]\(|://))", lines[n])
    ]
    if linkless:
        # The section holds list items without a link ("- macOS" over its sub-list): a
        # link table cannot hold their text, so the render refuses, naming a line, and
        # writes nothing (it used to drop that text silently).
        assert rendered.code == 1 and "not written" in rendered.err, rendered.err
        assert Path("README.md").read_bytes() == "".join(managed).encode()
        return
    assert rendered.code == 0, rendered.err
    once = Path("README.md").read_bytes()
    assert cli(capsys, "render", "README.md").code == 0
    assert Path("README.md").read_bytes() == once
    assert cli(capsys, "render", "--check", "README.md").code == 0
    kept = _article_links(once.decode())
    assert kept == _article_links("".join(managed))


# -- escaping: what comes from anywhere survives a render and a re-import ----------------

TITLES = st.text(
    alphabet=st.characters(blacklist_categories=("Cc", "Cs", "Zl", "Zp")), min_size=1
).filter(lambda t: t.strip() != "")
URL_CHARS = string.ascii_letters + string.digits + "-._~:/?#[]@!$&'()*+,;=%\\"
URLS = st.text(alphabet=URL_CHARS, max_size=30).map(lambda p: "https://example.test/" + p)

CONFIG = Config(regions=(Region(name="g", kind="letter-groups", group="things"),))
SHELL = "# List\n\n<!-- listkeeper:begin g -->\n<!-- listkeeper:end g -->\n\nAfter.\n"


def _entry(i: int, title: str, url: str, extra: list[tuple[str, str]]) -> RenderEntry:
    from datetime import UTC, datetime

    links = (RenderLink(url, title, "primary"), *(RenderLink(u, t, "related") for t, u in extra))
    return RenderEntry(i, title, "", "A things", i, None, datetime(2026, 1, 1, tzinfo=UTC), links)


# No deadline: a shared CI machine's timing is not what these properties are about.
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(st.tuples(TITLES, URLS), min_size=1, max_size=5),
    st.lists(st.tuples(TITLES, URLS), max_size=2),
)
def test_titles_and_urls_survive_render_and_reimport(
    pairs: list[tuple[str, str]], extra: list[tuple[str, str]]
) -> None:
    entries = [_entry(i, t, u, extra if i == 0 else []) for i, (t, u) in enumerate(pairs)]
    text = render_document(SHELL, CONFIG, entries)
    assert text.endswith("<!-- listkeeper:end g -->\n\nAfter.\n")
    items = parse_markdown(text).items
    got = sorted((i.title, i.links[0].url) for i in items)
    assert got == sorted((" ".join(t.split()), u) for t, u in pairs)
    first = next(
        i
        for i in items
        if (i.title, i.links[0].url) == (" ".join(pairs[0][0].split()), pairs[0][1])
    )
    assert [(r.text, r.url) for r in first.links[1:]] == [
        (" ".join(t.split()), u) for t, u in extra
    ]
    assert render_document(text, CONFIG, entries) == text  # deterministic and stable


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=300))
def test_malformed_readme_never_raises_anything_but_a_clear_error(noise: str) -> None:
    for text in (noise, SHELL.replace("After.", noise), noise + "\n<!-- listkeeper:begin g -->\n"):
        try:
            render_document(text, CONFIG, [])
        except (InputError, ConfigError) as exc:
            assert str(exc).strip() and "\n" not in str(exc)


def test_unknown_region_and_unclosed_marker_are_clear_errors(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.chdir(tmp_path)
    Path("README.md").write_text(
        "# X\n\n<!-- listkeeper:begin nope -->\n<!-- listkeeper:end nope -->\n"
    )
    r = cli(capsys, "render", "README.md")
    assert r.code == 3 and "region `nope`" in r.err and len(r.err.strip().splitlines()) == 1
    Path("README.md").write_text("# X\n\n<!-- listkeeper:begin nope -->\n")
    r = cli(capsys, "render", "README.md")
    assert r.code == 3 and "never closed" in r.err and "README.md:3" in r.err


def test_render_check_exits_2_when_stale_and_changes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.chdir(tmp_path)
    Path("listkeeper.toml").write_text(
        '[[render.regions]]\nname = "g"\nkind = "letter-groups"\ngroup = "things"\nsort = "title"\n'
    )
    stale = (
        "# L\n\n<!-- listkeeper:begin g -->\n#### A things\n\n"
        "- [Zed](https://z.test/)\n- [Alf](https://a.test/)\n<!-- listkeeper:end g -->\n"
    )
    Path("README.md").write_text(stale)
    r = cli(capsys, "render", "--check", "README.md")
    assert r.code == 2 and "stale" in r.out
    assert Path("README.md").read_text() == stale
    r = cli(capsys, "render", "--diff", "README.md")
    assert r.code == 0 and "+- [Alf](https://a.test/)" in r.out
    assert Path("README.md").read_text() == stale
    assert cli(capsys, "render", "README.md").code == 0
    assert cli(capsys, "render", "--check", "README.md").code == 0
    assert Path("README.md").read_text().index("Alf") < Path("README.md").read_text().index("Zed")


def test_init_from_keeps_the_order_each_group_family_is_in() -> None:
    from catalog.adopt import detect

    text = (
        "#### A tools\n\n- [Apple](https://a.example/1)\n- [avocado](https://a.example/2)\n\n"
        "#### B tools\n\n- [Banana](https://b.example/1)\n\n"
        "#### A books\n\n- [Zebra](https://z.example/)\n- [Ant](https://ant.example/)\n\n"
        "#### B books\n\n- [Bee](https://bee.example/)\n"
    )
    sorts = {r.name: r.sort for r in detect(text, parse_markdown(text))}
    assert sorts == {"tools": "title", "books": "position"}  # books: kept in hand order


def test_sort_position_keeps_the_readme_order_in_groups_and_tables() -> None:
    from catalog.render import letter_groups, table_rows

    def entry(n: int, title: str, section: str) -> RenderEntry:
        return RenderEntry(
            id=n,
            title=title,
            description="",
            section=section,
            position=n,
            line=n,
            added_at=datetime(2024, 1, 1, tzinfo=UTC),
            links=(),
        )

    entries = [
        entry(1, "Zeta", "Z things"),
        entry(2, "Zarf", "Z things"),
        entry(3, "Yak", "Papers"),
    ]
    entries += [entry(4, "Alpha", "Papers")]
    for sort, zs, papers in (
        ("title", ["Zarf", "Zeta"], ["Alpha", "Yak"]),
        ("position", ["Zeta", "Zarf"], ["Yak", "Alpha"]),
    ):
        groups = Region(name="g", kind="letter-groups", group="things", sort=sort)
        [z] = letter_groups(entries, groups)
        assert [e.title for e in z.entries] == zs
        table = Region(name="t", kind="link-table", section="Papers", sort=sort)
        assert [r.cells[0] for r in table_rows(entries, table)] == papers
