"""README hygiene in every report: Markdown, JSON (`hygiene`), HTML, the pull request's body."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import lxml.html
import pytest

from catalog import pullrequest as prlogic
from catalog.errors import ConfigError
from catalog.formats import markdown
from catalog.hygiene import Hygiene
from catalog.relined import relined
from catalog.reports import Report, ReportLink, Source, Summary
from catalog.vocabulary import LinkKind, LinkStatus
from tests.catalogdb import select
from tests.readmes import cli
from tests.test_report_html import Opened

LIST = """\
# Links

<p>ðŸ‘‹ welcome</p>

| | | | | |
|:-:|:-:|:-:|:-:|:-:|
| [A](#a-companies) | [B](#b-companies) | [C](#c-companies) | [](#d-companies) | [E](#e-companies) |

#### A companies

- [How Acmeâ€™s Queue Works](https://acme.example/queue)
- [Acme again](https://acme.example/queue)

#### B companies

- [Beta](beta.example.com/post)

#### C companies

- [Gamma](https://gamma.example/)

#### D companies

- [Delta](https://delta.example/)

#### F compnies

- [Foxtrot](https://foxtrot.example/)

[All the docs](./docs/)

- More [docs](./docs/)

```
â”œâ”€â”€ docs/
```
"""
EXPECTED = [
    (3, "mojibake"),
    (7, "index-letter-without-heading"),  # E: no "E companies" heading
    (11, "mojibake"),
    (12, "duplicate"),
    (16, "no-scheme"),
    (22, "group-without-index"),  # D: its index cell is blank
    (26, "misspelled-group-heading"),
    (32, "duplicate"),  # ./docs/ after the same link in prose
    (35, "mojibake"),  # in a code block: reported
]


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    Path("README.md").write_text(LIST, encoding="utf-8")
    Path("listkeeper.toml").write_text('[readme]\npath = "README.md"\n')  # a list's folder
    (tmp_path / "docs").mkdir()
    return tmp_path


def test_every_report_lists_the_hygiene_problems(
    folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    imported = cli(capsys, "import", "README.md")
    assert imported.code == 0
    for line, kind in EXPECTED:
        assert f"README.md:{line}: {kind}: " in imported.out, (line, kind, imported.out)

    data = json.loads(cli(capsys, "report", "--format", "json").out)
    found = [(h["line"], h["kind"]) for h in data["hygiene"]]
    assert [f for f in found if f[1] != "broken-anchor"] == EXPECTED
    by_kind = {h["kind"]: h for h in data["hygiene"]}
    assert set(by_kind["no-scheme"]) >= {"kind", "line", "text", "fix"}
    assert (by_kind["no-scheme"]["text"], by_kind["no-scheme"]["fix"]) == (
        "beta.example.com/post",
        "https://beta.example.com/post",
    )
    assert by_kind["misspelled-group-heading"]["fix"] == "F companies"
    assert by_kind["group-without-index"]["fix"] == "write [D](#d-companies)"
    emoji = data["hygiene"][0]
    assert (emoji["text"], emoji["fix"]) == ("<p>ðŸ‘‹ welcome</p>", "<p>👋 welcome</p>")

    md = cli(capsys, "report", "--format", "markdown").out
    assert "### README hygiene (" in md
    assert "README.md:26 misspelled-group-heading" in md
    assert "README.md:16 no-scheme" in md

    page = lxml.html.fromstring(cli(capsys, "report", "--format", "html").out)
    rows = page.xpath("//table[@id='hygiene-table']/tbody/tr")
    kinds = [row.get("data-kind") for row in rows]
    assert [k for k in kinds if k != "broken-anchor"] == [kind for _, kind in EXPECTED]
    assert "README.md:16" in rows[kinds.index("no-scheme")].text_content()


def test_the_pull_request_body_keeps_hygiene_within_githubs_limit() -> None:
    problems = tuple(
        Hygiene("README.md", "mojibake", n, "Canâ€™t " * 20, "Can’t " * 20, "x" * 200)
        for n in range(1, 5_001)
    )
    report = Report(
        generated_at=datetime(2026, 1, 1, tzinfo=UTC),
        summary=Summary(),
        links=(),
        hygiene=problems,
    )
    body = prlogic.body(report, prlogic.Outcome(text=""), readme="README.md")
    assert len(body) < prlogic.BODY_LIMIT
    assert "### README hygiene (5000)" in body and "README.md:1 mojibake" in body
    assert "more: `listkeeper import README.md` lists them all" in body
    assert markdown.format_report(report, max_chars=10_000).count("\n") < 60


def test_a_link_without_scheme_is_judged_as_a_file_of_the_repository(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """GitHub makes `example.com/a` a relative link: broken for readers unless that path
    exists. It is never fetched as https://."""
    monkeypatch.chdir(tmp_path)
    Path("README.md").write_text(
        "# L\n\n- [B](beta.example.com/post)\n- [S](docs/setup.md)\n- [M](mirror.example.org/)\n"
    )
    Path("docs").mkdir()
    Path("docs/setup.md").write_text("setup\n")
    Path("mirror.example.org").mkdir()  # such a path exists in the repository: a file link
    Path("listkeeper.toml").write_text("")  # a list's folder
    assert cli(capsys, "import", "README.md").code == 0
    checked = cli(capsys, "check", "--fail-on", "never")
    assert checked.code == 0, checked.err
    rows = dict(
        select(Path("."), "select url, status from links where kind in ('no_scheme', 'relative')")
    )
    assert rows == {
        "beta.example.com/post": "failing",
        "docs/setup.md": "ok",
        "mirror.example.org/": "ok",
    }
    ((error,),) = select(Path("."), "select error from links where url = 'beta.example.com/post'")
    assert "write https://beta.example.com/post" in error


PROPOSED = """\
# L

- [How Acmeâ€™s Queue Works](acme.example.com/queue) - `Canâ€™t` stays in code
- [Kept](kept.example.com/x) <!-- listkeeper:ignore on purpose -->
- [Local](mirror.example.org/)

```
â”œâ”€â”€ docs/
```
"""


def test_the_pull_request_repairs_schemes_and_mojibake_never_in_code(tmp_path: Path) -> None:
    (tmp_path / "mirror.example.org").mkdir()
    today = datetime(2026, 1, 1, tzinfo=UTC).date()
    out = prlogic.repair_hygiene(
        prlogic.Outcome(text=PROPOSED), today=today, mojibake=True, base_dir=tmp_path
    )
    lines = out.text.splitlines()
    assert lines[2] == (
        "- [How Acme’s Queue Works](https://acme.example.com/queue) - `Canâ€™t` stays in code"
    )
    assert lines[3:5] == PROPOSED.splitlines()[3:5]  # kept on purpose; a path that exists
    assert lines[7] == "â”œâ”€â”€ docs/"  # in a code block: reported, never repaired
    assert [(a.change.kind, a.line) for a in out.applied] == [("scheme", 3), ("mojibake", 3)]
    body = prlogic.body(
        Report(generated_at=datetime(2026, 1, 1, tzinfo=UTC), summary=Summary(), links=()),
        out,
        readme="README.md",
    )
    assert "`acme.example.com/queue` → `https://acme.example.com/queue` (no scheme" in body
    assert "mojibake repaired" in body
    off = prlogic.repair_hygiene(
        prlogic.Outcome(text=PROPOSED), today=today, mojibake=False, base_dir=tmp_path
    )
    assert "Acmeâ€™s" in off.text and [a.change.kind for a in off.applied] == ["scheme"]
    assert not prlogic.settings({"pr": {"repair_mojibake": False}}).repair_mojibake
    assert prlogic.settings({}).repair_mojibake  # on by default
    with pytest.raises(ConfigError, match=r"repair_mojibake.*expected true or false"):
        prlogic.settings({"pr": {"repair_mojibake": "yes"}})


def test_the_pull_request_body_counts_lines_in_the_proposed_readme() -> None:
    source = Source("README.md", "L", 3)
    link = ReportLink(
        url="https://gone.example/",
        kind=LinkKind.EXTERNAL,
        status=LinkStatus.DEAD,
        http_status=404,
        final_url=None,
        error=None,
        checked_at=None,
        first_failed_at=None,
        consecutive_failures=2,
        title="Gone",
        sources=(source,),
    )
    report = Report(
        generated_at=datetime(2026, 1, 1, tzinfo=UTC),
        summary=Summary(total=1, dead=1),
        links=(link,),
        hygiene=(Hygiene("README.md", "mojibake", 3, "old", "new", "stale"),),
    )
    proposed = "# L\n\n- [New](https://new.example/)\n- [New 2](https://new2.example/)\n" + (
        "- [Gone](https://gone.example/) *(dead link)*\n- [Canâ€™t](https://c.example/)\n"
    )
    moved = relined(report, "README.md", proposed)
    assert moved.links[0].sources == (Source("README.md", "L", 5),)
    assert [(h.kind, h.line) for h in moved.hygiene] == [("mojibake", 6)]
    md = markdown.format_report(moved)
    assert "README.md:5" in md and "README.md:3" not in md


def test_the_html_report_shows_hygiene_in_chromium(
    folder: Path,
    capsys: pytest.CaptureFixture[str],
    browser: Any,
) -> None:
    """Hostile README text stays text; the table shows in a real browser, no error raised."""
    Path("README.md").write_text(
        LIST + "\n- [<img src=x onerror=window.__pwned=1>](evil.example.com/x)\n",
        encoding="utf-8",
    )
    assert cli(capsys, "import", "README.md").code == 0
    page_file = folder / "report.html"
    page_file.write_text(cli(capsys, "report", "--format", "html").out, encoding="utf-8")
    opened = Opened(browser, page_file)
    try:
        rows = opened.page.locator("#hygiene-table tbody tr")
        assert rows.count() > len(EXPECTED)
        misspelled = opened.page.locator('#hygiene-table tr[data-kind="misspelled-group-heading"]')
        assert "README.md:26" in misspelled.inner_text() and misspelled.is_visible()
        assert "evil.example.com/x" in opened.page.inner_text("#hygiene-table")
        assert opened.page.evaluate("window.__pwned === undefined")
        assert opened.errors == []
    finally:
        opened.close()


def test_after_render_the_report_counts_lines_in_the_rendered_readme(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    Path("listkeeper.toml").write_text(
        '[[render.regions]]\nname = "idx"\nkind = "az-index"\ngroup = "companies"\n\n'
        '[[render.regions]]\nname = "companies"\nkind = "letter-groups"\ngroup = "companies"\n'
    )
    Path("README.md").write_text(
        "# L\n\n<!-- listkeeper:begin idx -->\n<!-- listkeeper:end idx -->\n\n"
        "<!-- listkeeper:begin companies -->\n#### A companies\n\n"
        "- [Acme](https://acme.example/)\n<!-- listkeeper:end companies -->\n"
    )
    assert cli(capsys, "import", "README.md").code == 0
    assert cli(capsys, "render", "README.md").code == 0  # the index table adds lines above
    lines = Path("README.md").read_text().splitlines()
    data = json.loads(cli(capsys, "report", "--format", "json").out)
    (acme,) = [link for link in data["links"] if link["url"] == "https://acme.example/"]
    (source,) = acme["sources"]
    assert source["line"] > 9 and "https://acme.example/" in lines[source["line"] - 1]


def test_a_letter_heading_far_from_every_group_is_not_called_misspelled() -> None:
    from catalog.hygiene import problems
    from catalog.readme_parser import parse_markdown

    text = (
        "# Links\n\n#### A companies\n\n- [Acme](https://acme.example/)\n\n"
        "#### C companies\n\n- [Gamma](https://gamma.example/)\n\n"
        "#### B compnies\n\n- [Beta](https://beta.example/)\n\n"
        "#### Z zebras\n\n- [Zed](https://zed.example/)\n"
    )
    kinds = [(p.line, p.code) for p in problems(text, parse_markdown(text))]
    assert (11, "misspelled-group-heading") in kinds  # close to "companies"
    assert not [k for line, k in kinds if line == 15]  # "zebras" is no group misspelled
