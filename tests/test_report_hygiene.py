"""README hygiene in every report: Markdown, JSON (`hygiene`), HTML, the pull request's body."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import lxml.html
import pytest

from catalog import pullrequest as prlogic
from catalog.formats import markdown
from catalog.hygiene import Hygiene
from catalog.reports import Report, Summary
from tests.readmes import cli

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
