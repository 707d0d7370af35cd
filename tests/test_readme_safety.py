"""The README is never damaged: one line model, encoded destinations, a stable render.

Every test here failed on the main branch before the fix it pins.
"""

from __future__ import annotations

import os
import stat
import threading
from collections import Counter
from pathlib import Path
from urllib.parse import unquote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from catalog import markers
from catalog import pullrequest as prlogic
from catalog.config import Config, Region
from catalog.errors import ConfigError, InputError
from catalog.escape import encode_destination
from catalog.guard import GuardError, reimported, verify
from catalog.lines import split_lines
from catalog.parsed import ParsedDocument
from catalog.readme_parser import parse_markdown
from catalog.render import render_document
from tests.readmes import cli

# Every character str.splitlines() splits on that Markdown does not: ordinary text to it.
SEPARATORS = ["\v", "\f", "\x1c", "\x1d", "\x1e", "\x85", "\u2028", "\u2029"]

CONFIG = '[[render.regions]]\nname = "g"\nkind = "letter-groups"\ngroup = "things"\n'


def _readme(before: str, entry: str = "- [Alf](https://a.test/)", nl: str = "\n") -> str:
    lines = [
        "# L",
        "",
        before,
        "last prose line",
        "",
        "<!-- listkeeper:begin g -->",
        "",
        "#### A things",
        "",
        entry,
        "",
        "<!-- listkeeper:end g -->",
        "",
        "After",
        "",
    ]
    return nl.join(lines)


def _outside(text: str) -> tuple[str, str]:
    head, _, rest = text.partition("<!-- listkeeper:begin g -->")
    _, _, tail = rest.partition("<!-- listkeeper:end g -->")
    return head, tail


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    Path("listkeeper.toml").write_text(CONFIG)
    return tmp_path


def _render_twice(capsys: pytest.CaptureFixture[str], text: str) -> tuple[str, str]:
    Path("README.md").write_bytes(text.encode())
    r = cli(capsys, "render", "README.md")
    assert r.code == 0, r.err
    once = Path("README.md").read_bytes().decode()
    r = cli(capsys, "render", "README.md")
    assert r.code == 0, r.err
    twice = Path("README.md").read_bytes().decode()
    r = cli(capsys, "render", "--check", "README.md")
    assert r.code == 0, r.out + r.err
    return once, twice


def test_a_separator_in_the_prose_never_moves_the_region(
    folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # The reported case: a form feed in the prose above a region deleted the prose line
    # above the region and its begin marker; the next render exited 3. Every separator
    # str.splitlines() knows, each on a prose line of its own.
    prose = "\n".join(f"Prose{sep}more prose U+{ord(sep):04X}" for sep in SEPARATORS)
    original = _readme(prose, "- [Alf](https://a.test/)")
    once, twice = _render_twice(capsys, original)
    assert _outside(once) == _outside(original)
    assert twice == once
    assert [i.title for i in parse_markdown(once).items] == ["Alf"]


def test_a_separator_inside_an_entry_keeps_the_entry_whole(
    folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    entries = "\n".join(
        f"- [Al{sep}f {n}](https://a.test/{n}) - one{sep}two" for n, sep in enumerate(SEPARATORS)
    )
    original = _readme("Prose", entries)
    once, twice = _render_twice(capsys, original)
    assert _outside(once) == _outside(original) and twice == once
    items = parse_markdown(once).items
    assert sorted((i.title, i.links[0].url) for i in items) == [
        (f"Al f {n}", f"https://a.test/{n}") for n in range(len(SEPARATORS))
    ]


# C0 controls, DEL, C1 controls and the separators: none can stand in a destination
# (a line ending cannot be inside a link written in the README at all).
CONTROLS = [chr(c) for c in [*range(0x20), 0x7F, *range(0x80, 0xA0)] if chr(c) not in "\r\n"]
CONTROLS += ["\u2028", "\u2029"]


def test_a_control_character_in_a_url_is_encoded_and_render_settles(
    folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # The reported case: \x01 or DEL in a URL doubled the README on every render.
    urls = [f"https://a.test/{ord(ch)}/x{ch}y" for ch in CONTROLS]
    entries = "\n".join(f"- [Alf {n}](<{u}>)" for n, u in enumerate(urls))
    original = _readme("Prose", entries)
    once, twice = _render_twice(capsys, original)
    assert twice == once and _outside(once) == _outside(original)
    assert len(once) < len(original) * 2
    links = {ref.url for ref in parse_markdown(once).links}
    # Every link read before is there, encoded (the parser reads NUL as U+FFFD, as
    # CommonMark says); a bare destination ends at whitespace, so its rest is text.
    assert links == {encode_destination(ref.url) for ref in parse_markdown(original).links}
    assert {encode_destination(u.replace("\x00", "\ufffd")) for u in urls} <= links


# --- pull requests: a redirect target is written encoded, never raw --------------------

HOSTILE = [
    "https://new.example/a?b)[pwn](https://evil.example/)",
    "https://new.example/wiki/Foo_(bar))",
    "https://new.example/x>[pwn](https://evil.example/)<",
    'https://new.example/x" onclick="alert(1)',
    "https://new.example/x'><script>alert(1)</script>",
    "https://new.example/a b\x01\x7f\u2028c",
    "https://new.example/a?x=1&amp;y=2",
    "https://new.example/back\\slash)",
]

SYNTAXES = [
    "- [a](https://x.example/old) tail\n",
    '- [a](<https://x.example/old> "title") tail\n',
    "- <https://x.example/old> tail\n",
    "[ref]: https://x.example/old\n\n[a][ref] tail\n",
    "[ref]: <https://x.example/old>\n\n[a][ref] tail\n",
    '<p><a href="https://x.example/old">a</a> tail</p>\n',
    "<p><a href='https://x.example/old'>a</a> tail</p>\n",
]


@pytest.mark.parametrize("syntax", SYNTAXES)
@pytest.mark.parametrize("target", HOSTILE)
def test_a_redirect_target_cannot_end_the_link_or_add_markup(syntax: str, target: str) -> None:
    change = prlogic.Change("rewrite", "https://x.example/old", target)
    out = prlogic.apply_changes(syntax, [change], today=prlogic.date(2024, 6, 1))
    assert len(out.applied) == 1
    links = [ref.url for ref in parse_markdown(out.text).links]
    # One link, the target itself (percent-encoded where its syntax needs it): nothing
    # after it became a link, and nothing of it was lost.
    assert len(links) == 1 and unquote(links[0]) == unquote(target)
    assert out.text.rstrip("\n").endswith(("tail", "tail</p>"))


def test_ignore_comments_count_lines_as_the_parser_does() -> None:
    # A form feed above an ignore comment shifted the lines the comment covered.
    text = (
        "Prose\fmore\n"
        "- [a](https://a.example/) <!-- listkeeper:ignore kept -->\n"
        "- [b](https://b.example/)\n"
    )
    changes = [
        prlogic.Change("rewrite", f"https://{h}.example/", f"https://{h}.example/new") for h in "ab"
    ]
    out = prlogic.apply_changes(text, changes, today=prlogic.date(2024, 6, 1))
    assert "https://a.example/)" in out.text and "https://b.example/new)" in out.text
    lines = {ref.url: ref.line for ref in parse_markdown(out.text).links}
    assert [a.line for a in out.applied] == [lines["https://b.example/new"]]


# --- contributor text inside a region: kept, or refused with the lines -----------------


def _refused(capsys: pytest.CaptureFixture[str], text: str, *words: str) -> str:
    Path("README.md").write_bytes(text.encode())
    for args in (["render"], ["render", "--check"], ["render", "--diff"]):
        r = cli(capsys, *args, "README.md")
        assert r.code == 1, (args, r.out, r.err)
        assert len(r.err.strip().splitlines()) == 1 and "not written" in r.err
        assert all(w in r.err for w in words), r.err
    assert Path("README.md").read_bytes() == text.encode()
    return r.err


def test_entries_under_a_heading_that_is_no_group_are_never_dropped(
    folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = _readme("Prose", "- [Alf](https://a.test/)\n\n#### Misc\n\n- [Odd](https://odd.test/)")
    _refused(capsys, text, "line 14", "Odd")


def test_entries_before_the_first_heading_of_a_region_are_never_dropped(
    folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = _readme("Prose").replace(
        "<!-- listkeeper:begin g -->\n", "<!-- listkeeper:begin g -->\n- [Early](https://e.test/)\n"
    )
    _refused(capsys, text, "line 7", "Early")


@pytest.mark.parametrize(
    "entry",
    [
        "- [Alf](https://a.test/) - a **bold** claim",
        "- [Alf](https://a.test/) - runs `make test`",
        "- [Alf](https://a.test/) - an _emphatic_ one",
        "- [Alf](https://a.test/) - ~~old~~ new",
        "- [Alf](https://a.test/) - see <kbd>Ctrl</kbd>",
        "- [Alf](https://a.test/) - by ![logo](https://a.test/logo.png) Alf",
        "- [Alf](https://a.test/) - read [part two](https://a.test/2) first",
        "* [**Alf**](https://a.test/) and more\n  on a second line with `code`",
    ],
)
def test_markup_and_inline_links_in_an_entry_are_kept_as_written(
    folder: Path, capsys: pytest.CaptureFixture[str], entry: str
) -> None:
    # They were flattened (bold, code, images dropped) or moved (an inline link pulled
    # to the front of the entry): now the entry is written as its contributor wrote it,
    # in its place in the sorted group, and plain entries keep the template's form.
    original = _readme("Prose", f"- [Zed](https://z.test/)\n{entry}\n* [Bob](https://b.test/)")
    once, twice = _render_twice(capsys, original)
    kept = "- " + entry[2:]
    assert f"{kept}\n- [Bob](https://b.test/)\n- [Zed](https://z.test/)" in once, once
    assert twice == once and _outside(once) == _outside(original)


def test_a_template_that_cannot_keep_an_entry_is_refused(
    folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # A template of one's own that ignores entry.source: the guard refuses, naming the line.
    Path("templates").mkdir()
    Path("templates/_macros.md.j2").write_text(
        "{% macro entry_item(entry) -%}\n- [{{ entry.title|md }}]({{ entry.url|md_url }})"
        "{% if entry.description %} - {{ entry.description|md }}{% endif %}\n{%- endmacro %}\n"
    )
    Path("listkeeper.toml").write_text('[render]\ntemplates = "templates"\n\n' + CONFIG)
    entry = "- [Alf](https://a.test/) - read [part two](https://a.test/2) first"
    _refused(capsys, _readme("Prose", entry), "line 10", "Alf")


@pytest.mark.parametrize(
    "prose",
    [
        "A note a contributor wrote, with no link.",
        "> a quote",
        "1. an ordered step without a link",
        "<details>more</details>",
    ],
)
def test_prose_inside_a_region_is_never_dropped(
    folder: Path, capsys: pytest.CaptureFixture[str], prose: str
) -> None:
    _refused(capsys, _readme("Prose", f"- [Alf](https://a.test/)\n\n{prose}"), "line 12")


def test_plain_entries_still_render_and_sort(
    folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    entries = "* [Zed](https://z.test/) -- last\n* [Alf](https://a.test/), [two](https://a.test/2)"
    once, twice = _render_twice(capsys, _readme("Prose", entries))
    assert "- [Alf](https://a.test/), [two](https://a.test/2)\n- [Zed](https://z.test/) - last" in (
        once
    )
    assert twice == once


@pytest.mark.parametrize("level", ["0", "7", "-1", "100"])
def test_a_heading_level_outside_1_to_6_is_refused_before_anything_is_written(
    folder: Path, capsys: pytest.CaptureFixture[str], level: str
) -> None:
    Path("listkeeper.toml").write_text(CONFIG + f"heading_level = {level}\n")
    text = _readme("Prose", "- [Alf](https://a.test/)")
    Path("README.md").write_text(text)
    r = cli(capsys, "render", "README.md")
    assert r.code == 3 and "heading_level" in r.err and len(r.err.strip().splitlines()) == 1
    assert Path("README.md").read_text() == text


def test_a_template_that_never_settles_is_refused(
    folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    Path("templates").mkdir()
    Path("templates/letter_groups.md.j2").write_text(
        "{% for group in groups %}#### {{ group.heading }}\n\n"
        "{% for entry in group.entries %}- [{{ entry.title }}]({{ entry.url }}) - "
        "{{ range(10**9)|random }}\n{% endfor %}{% endfor %}\n"
    )
    Path("listkeeper.toml").write_text('[render]\ntemplates = "templates"\n\n' + CONFIG)
    _refused(capsys, _readme("Prose", "- [Alf](https://a.test/)"), "next render changes")


# --- writes: through links, into FIFOs, with the file's own mode and line endings -------


def test_render_writes_through_a_symlink_and_keeps_the_mode(
    folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    Path("docs").mkdir()
    stale = _readme("Prose", "- [Zed](https://z.test/)\n- [Alf](https://a.test/)")
    Path("docs/index.md").write_text(stale)
    Path("docs/index.md").chmod(0o640)
    Path("README.md").symlink_to("docs/index.md")
    r = cli(capsys, "render", "README.md")
    assert r.code == 0, r.err
    assert Path("README.md").is_symlink() and os.readlink("README.md") == "docs/index.md"
    written = Path("docs/index.md").read_text()
    assert written.index("Alf") < written.index("Zed")
    assert stat.S_IMODE(Path("docs/index.md").stat().st_mode) == 0o640
    assert sorted(p.name for p in Path("docs").iterdir()) == ["index.md"]  # no temp file left


def test_a_new_report_file_honours_the_umask_and_a_symlink_is_written_through(
    folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    old = os.umask(0o022)
    try:
        r = cli(capsys, "report", "--output", "new.md")
    finally:
        os.umask(old)
    assert r.code == 0, r.err
    assert stat.S_IMODE(Path("new.md").stat().st_mode) == 0o644
    Path("real.md").write_text("old")
    Path("link.md").symlink_to("real.md")
    assert cli(capsys, "report", "--output", "link.md").code == 0
    assert (
        Path("link.md").is_symlink() and Path("real.md").read_text() == Path("new.md").read_text()
    )


def test_report_output_onto_a_fifo_feeds_its_reader(
    folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    os.mkfifo("pipe")
    got: list[bytes] = []
    reader = threading.Thread(target=lambda: got.append(Path("pipe").read_bytes()), daemon=True)
    reader.start()
    try:
        r = cli(capsys, "report", "--output", "pipe")
        reader.join(timeout=20)
    finally:
        if reader.is_alive():  # unblock the reader so the test ends
            os.close(os.open("pipe", os.O_WRONLY | os.O_NONBLOCK))
            reader.join(timeout=5)
    assert r.code == 0, r.err
    assert stat.S_ISFIFO(os.stat("pipe").st_mode)
    assert got and got[0].startswith(b"#"), got


@pytest.mark.parametrize(
    "layout",
    ["crlf", "cr", "lf-with-one-crlf-line", "crlf-with-lf-region", "bom"],
)
def test_render_keeps_the_files_own_line_endings(
    folder: Path, capsys: pytest.CaptureFixture[str], layout: str
) -> None:
    base = _readme("Prose", "- [Zed](https://z.test/)\n- [Alf](https://a.test/)")
    if layout == "crlf":
        text = base.replace("\n", "\r\n")
    elif layout == "cr":
        text = base.replace("\n", "\r")
    elif layout == "lf-with-one-crlf-line":
        text = base.replace("Prose\n", "Prose\r\n")
    elif layout == "crlf-with-lf-region":
        head, _, tail = base.partition("<!-- listkeeper:begin g -->")
        text = head.replace("\n", "\r\n") + "<!-- listkeeper:begin g -->" + tail
    else:
        text = "\ufeff" + base
    Path("README.md").write_bytes(text.encode())
    assert cli(capsys, "render", "README.md").code == 0
    raw = Path("README.md").read_bytes()
    new = raw.decode()
    assert new.index("Alf") < new.index("Zed")
    assert _outside(new) == _outside(text)
    begin = text.index("<!-- listkeeper:begin g -->")
    rest = text[begin + len("<!-- listkeeper:begin g -->") :]
    nl = "\r\n" if rest.startswith("\r\n") else rest[0]  # the begin marker's ending
    inside = new.split("<!-- listkeeper:begin g -->")[1].split("<!-- listkeeper:end g -->")[0]
    assert inside.replace(nl, "").count("\r") + inside.replace(nl, "").count("\n") == 0
    assert cli(capsys, "render", "--check", "README.md").code == 0
    assert raw.startswith(b"\xef\xbb\xbf") == (layout == "bom")


# --- the property: any README, a plain render damages nothing ---------------------------

PROPERTY_CONFIG = Config(
    regions=(
        Region(name="g", kind="letter-groups", group="things"),
        Region(name="i", kind="az-index", group="things"),
        Region(name="t", kind="link-table", section="Tools"),
    )
)
# Any character but surrogates (a README on disk is UTF-8), with the troublemakers often.
ANY = st.characters(blacklist_categories=("Cs",))
TRICKY = st.sampled_from(
    [
        *SEPARATORS,
        "\r",
        "\n",
        "\t",
        "\x00",
        "\x01",
        "\x7f",
        "\x9b",
        "\u202e",
        "\ufeff",
        *"()[]<>*_`\\&#|!-:",
    ]
)
TEXT = st.text(st.one_of(ANY, TRICKY), max_size=12)
URL = st.builds(lambda a, b: f"https://{a or 'x'}.test/{b}", st.text("abc", max_size=3), TEXT)
ENTRY = st.builds(
    lambda t, u, d: f"- [{t}]({u}){' - ' + d if d else ''}",
    TEXT,
    st.one_of(URL, URL.map(lambda u: f"<{u}>")),
    TEXT,
)
LINE = st.one_of(
    TEXT,
    ENTRY,
    st.builds(lambda c, t: f"#### {c} things{t}", st.sampled_from("ABZ#q"), TEXT),
    st.builds(lambda t: f"## {t}", st.sampled_from(["Tools", "Misc", ""])),
    st.just(""),
)


def _region(name: str) -> st.SearchStrategy[list[str]]:
    return st.lists(LINE, max_size=6).map(
        lambda body: [f"<!-- listkeeper:begin {name} -->", *body, f"<!-- listkeeper:end {name} -->"]
    )


@st.composite
def readmes(draw: st.DrawFn) -> str:
    blocks: list[list[str]] = [[line] for line in draw(st.lists(LINE, max_size=8))]
    for name in draw(st.lists(st.sampled_from("git"), unique=True, max_size=3)):
        at = draw(st.integers(0, len(blocks)))
        blocks.insert(at, draw(_region(name)))
    lines = [line for block in blocks for line in block]
    endings = draw(st.lists(st.sampled_from(["\n", "\r\n", "\r"]), min_size=len(lines)))
    last = draw(st.sampled_from(["", "\n"]))
    return "".join(line + end for line, end in zip(lines, endings, strict=False)) + last


def _render(text: str, parsed: ParsedDocument | None = None) -> str:
    entries = reimported(parsed or parse_markdown(text), {})
    return render_document(text, PROPERTY_CONFIG, entries)


def _outside_lines(text: str) -> list[str]:
    lines = split_lines(text)
    inside = {n for s in markers.find(text) for n in range(s.begin + 1, s.end)}
    return [line for n, line in enumerate(lines) if n not in inside]


@settings(
    max_examples=300,
    derandomize=True,  # the same examples on every run and machine: CI never flakes
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
@given(readmes())
def test_any_readme_a_render_damages_nothing_or_says_why(text: str) -> None:
    try:
        new = _render(text)
        verify(
            text,
            new,
            where="README",
            action="render",
            rerender=_render,
            outside_kept=True,
            kinds={r.name: r.kind for r in PROPERTY_CONFIG.regions},
        )
    except (InputError, ConfigError, GuardError) as exc:
        message = str(exc)  # reported: one line, and the file is left as it is
        assert message.strip() and "\n" not in message and "\r" not in message
        return
    # Independently of the guard: every byte outside the regions is the same ...
    assert _outside_lines(new) == _outside_lines(text)
    # ... a second render changes nothing ...
    assert _render(new) == new
    # ... and every entry (by its first link) and every link is still there.
    for attr in ("items", "links"):
        before = parse_markdown(text)
        after = parse_markdown(new)
        if attr == "items":
            old = Counter(unquote(i.links[0].url) for i in before.items)
            got = Counter(unquote(i.links[0].url) for i in after.items)
        else:
            old = Counter(unquote(r.url) for r in before.links if not r.url.startswith("#"))
            got = Counter(unquote(r.url) for r in after.links if not r.url.startswith("#"))
        assert not (old - got), attr
