"""The README is never damaged: one line model, encoded destinations, a stable render.

Every test here failed on the main branch before the fix it pins (issue 11, section 1).
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import unquote

import pytest

from catalog import pullrequest as prlogic
from catalog.escape import encode_destination
from catalog.markdown import parse_markdown
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
    entries = "\n".join(f"- [Alf {n}](<{u}>) and [Bob {n}]({u})" for n, u in enumerate(urls))
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
