"""The dead-link report: what it gathers, the JSON shape (the machine interface), Markdown."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, select, text
from sqlalchemy.orm import Session

from catalog import db
from catalog.formats import json as json_format
from catalog.formats import markdown
from catalog.importer import import_readme
from catalog.models import Check, Link, PageMetadata
from catalog.reports import Report, ReportLink, Source, Summary, build_report
from catalog.vocabulary import LinkKind, LinkStatus
from tests.readmes import cli, write

NOW = datetime(2024, 6, 10, 12, 0, tzinfo=UTC)

LIST = """\
# Links

## Tools

- [Alpha](https://alpha.example/) - the first
- [Beta](https://beta.example/docs)
- [Gamma](https://gamma.example/old)
- [Delta](https://delta.example/)
- [Write to us](mailto:team@example.com)

### More tools

- [Epsilon](https://epsilon.example/), see also [the alpha](https://alpha.example/)
"""

HOSTILE = "[x](javascript:alert(1)) | <script>alert(1)</script> @octocat fixes #1"

LINK_KEYS = [
    "url",
    "status",
    "http_status",
    "final_url",
    "error",
    "checked_at",
    "first_failed_at",
    "consecutive_failures",
    "title",
    "sources",
]
SUMMARY_KEYS = [
    "total",
    "ok",
    "redirected",
    "failing",
    "dead",
    "blocked",
    "suspect",
    "excluded",
    "unchecked",
    "archived",  # GitHub repositories (keys are added, never removed)
    "stale",
    "parked",  # suspect links whose page is a lander or another page
    "replaced",
]


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Documents are named relative to the working directory: ``README.md``."""
    monkeypatch.chdir(tmp_path)


def _link(s: Session, url: str) -> Link:
    link = s.scalar(select(Link).where(Link.url == url))
    assert link is not None, url
    return link


def _check(s: Session, link: Link, ago: timedelta, outcome: str, **kw: object) -> None:
    s.add(Check(link_id=link.id, checked_at=NOW - ago, outcome=outcome, **kw))


def simulate_history(s: Session) -> None:
    """Alpha dead, Beta failing (hostile title), Gamma redirected, Delta ok, Epsilon unchecked."""
    day = timedelta(days=1)
    alpha = _link(s, "https://alpha.example/")
    for ago in (3 * day, 2 * day, day):
        _check(s, alpha, ago, "permanent", http_status=404, error="Not Found")
    alpha.status, alpha.http_status, alpha.error = LinkStatus.DEAD, 404, "Not Found"
    alpha.checked_at, alpha.first_failed_at, alpha.consecutive_failures = (
        NOW - day,
        NOW - 3 * day,
        3,
    )

    beta = _link(s, "https://beta.example/docs")
    _check(s, beta, timedelta(hours=5), "ok", http_status=200)
    _check(s, beta, timedelta(hours=2), "transient", error="TimeoutError: took too long")
    beta.status, beta.error = LinkStatus.FAILING, "TimeoutError: took too long @octocat fixes #1"
    beta.checked_at, beta.first_failed_at, beta.consecutive_failures = (
        NOW - timedelta(hours=2),
        NOW - timedelta(hours=2),
        1,
    )
    s.add(PageMetadata(link_id=beta.id, title=HOSTILE))

    gamma = _link(s, "https://gamma.example/old")
    chain = [[301, "https://gamma.example/new"], [302, "https://gamma.example/final"]]
    _check(s, gamma, day, "redirect", http_status=200, redirects=chain)
    gamma.status, gamma.http_status = LinkStatus.REDIRECTED, 200
    gamma.final_url, gamma.checked_at = "https://gamma.example/final", NOW - day

    delta = _link(s, "https://delta.example/")
    _check(s, delta, day, "ok", http_status=200)
    delta.status, delta.http_status, delta.checked_at = LinkStatus.OK, 200, NOW - day
    s.add(PageMetadata(link_id=delta.id, title="Delta, the page"))


def make_catalog(engine: Engine, tmp_path: Path, *, history: bool = True) -> str:
    readme = write(tmp_path / "README.md", LIST)
    with db.session_scope(engine) as s:
        doc = import_readme(s, readme).path
        if history:
            simulate_history(s)
    return doc


def report_of(engine: Engine, document_path: str | None = None) -> Report:
    with db.session_factory(engine)() as s:
        return build_report(s, document_path=document_path, now=NOW)


def test_json_shape_ordering_sources_and_summary(engine: Engine, tmp_path: Path) -> None:
    doc = make_catalog(engine, tmp_path)
    assert doc == "README.md"
    data = json.loads(json_format.format_report(report_of(engine)))
    assert list(data) == ["summary", "links", "hygiene", "look"]
    assert list(data["summary"]) == SUMMARY_KEYS
    assert data["summary"] == {
        "total": 6,
        "ok": 1,
        "redirected": 1,
        "failing": 1,
        "dead": 1,
        "blocked": 0,
        "suspect": 0,
        "excluded": 1,
        "unchecked": 1,
        "archived": 0,
        "stale": 0,
        "parked": 0,
        "replaced": 0,
    }
    links = data["links"]
    for item in links:
        assert list(item)[: len(LINK_KEYS)] == LINK_KEYS
        assert set(item) <= {*LINK_KEYS, "evidence", "repository", "change"}
        assert "repository" not in item  # only on GitHub repository links
        assert all(list(src) == ["document", "section", "line"] for src in item["sources"])
    assert [(i["status"], i["url"]) for i in links] == [
        ("dead", "https://alpha.example/"),
        ("failing", "https://beta.example/docs"),
        ("redirected", "https://gamma.example/old"),
        ("unchecked", "https://epsilon.example/"),
        ("excluded", "mailto:team@example.com"),
        ("ok", "https://delta.example/"),
    ]
    alpha, beta, gamma, epsilon, mail, delta = links
    assert alpha == {
        "url": "https://alpha.example/",
        "status": "dead",
        "http_status": 404,
        "final_url": None,
        "error": "Not Found",
        "checked_at": "2024-06-09T12:00:00Z",
        "first_failed_at": "2024-06-07T12:00:00Z",
        "consecutive_failures": 3,
        "title": "Alpha",
        "sources": [
            {"document": doc, "section": "Links > Tools", "line": 5},
            {"document": doc, "section": "Links > Tools > More tools", "line": 13},
        ],
        "evidence": {
            "checks": [
                {
                    "checked_at": f"2024-06-0{d}T12:00:00Z",
                    "outcome": "permanent",
                    "http_status": 404,
                    "error": "Not Found",
                }
                for d in (9, 8, 7)
            ],
            "redirects": [],
            "failing_for_seconds": 3 * 86_400,
        },
        "change": None,
    }
    assert beta["title"] == HOSTILE  # JSON carries the text as is; only Markdown escapes
    assert [c["outcome"] for c in beta["evidence"]["checks"]] == ["transient", "ok"]
    assert gamma["final_url"] == "https://gamma.example/final"
    assert gamma["evidence"]["redirects"] == [
        {"status": 301, "url": "https://gamma.example/new"},
        {"status": 302, "url": "https://gamma.example/final"},
    ]
    assert gamma["evidence"]["failing_for_seconds"] is None
    assert epsilon["checked_at"] is None and epsilon["evidence"] is None
    assert epsilon["sources"] == [
        {"document": doc, "section": "Links > Tools > More tools", "line": 13}
    ]
    assert mail["title"] == "Write to us"
    assert delta["title"] == "Delta, the page"  # the page's own title wins over the entry's


def test_only_the_last_five_checks_are_evidence(engine: Engine, tmp_path: Path) -> None:
    make_catalog(engine, tmp_path)
    with db.session_scope(engine) as s:
        alpha = _link(s, "https://alpha.example/")
        for hours in range(10, 20):
            _check(s, alpha, timedelta(hours=hours), "transient", error=f"e{hours}")
    (alpha_report,) = [link for link in report_of(engine).links if link.status == "dead"]
    assert alpha_report.evidence is not None
    assert [c.error for c in alpha_report.evidence.checks] == ["e10", "e11", "e12", "e13", "e14"]


def test_document_filter(engine: Engine, tmp_path: Path) -> None:
    doc = make_catalog(engine, tmp_path)
    other = write(tmp_path / "OTHER.md", "# Other\n\n- [Zeta](https://zeta.example/)\n")
    with db.session_scope(engine) as s:
        import_readme(s, other)
    assert report_of(engine).summary.total == 7
    only = report_of(engine, document_path=doc)
    assert only.summary.total == 6
    assert {src.document for link in only.links for src in link.sources} == {doc}


def test_empty_catalog_says_history_starts_now(engine: Engine, tmp_path: Path) -> None:
    empty = report_of(engine)
    assert empty.history_starts_now and empty.links == ()
    assert json.loads(json_format.format_report(empty)) == {
        "summary": dict.fromkeys(SUMMARY_KEYS, 0),
        "links": [],
        "hygiene": [],
        "look": [],
    }
    assert "history starts now (2024-06-10 12:00 UTC)" in markdown.format_report(empty)
    make_catalog(engine, tmp_path, history=False)
    fresh = report_of(engine)
    assert fresh.summary.unchecked == 5 and fresh.summary.excluded == 1
    assert "history starts now" in markdown.format_report(fresh)


def test_markdown_groups_dead_first_with_evidence(engine: Engine, tmp_path: Path) -> None:
    make_catalog(engine, tmp_path)
    md = markdown.format_report(report_of(engine))
    assert "**6 links**: **1 dead**, 1 failing" in md
    order = [md.index(f"### {h}") for h in ("Dead (1)", "Failing (1)", "Redirected (1)")]
    assert order == sorted(order)
    assert md.index("<summary>Excluded (1)</summary>") < md.index("<summary>OK (1)</summary>")
    dead = md[md.index("### Dead") : md.index("### Failing")]
    assert "[Alpha](https://alpha.example/): failing for **3 days**" in dead
    assert "since 2024-06-07 12:00 UTC" in dead
    assert "in README.md:5 (Links > Tools), README.md:13 (Links > Tools > More tools)" in dead
    assert "last: HTTP 404 · Not Found" in dead
    failing = md[md.index("### Failing") : md.index("### Redirected")]
    assert "failing for **2 hours**" in failing
    redirected = md[md.index("### Redirected") :]
    assert "→ `https://gamma.example/final`" in redirected
    assert (
        "redirects: `https://gamma.example/old` → 301 `https://gamma.example/new`"
        " → 302 `https://gamma.example/final`"
    ) in redirected


def test_markdown_escapes_hostile_text(engine: Engine, tmp_path: Path) -> None:
    make_catalog(engine, tmp_path)
    md = markdown.format_report(report_of(engine))
    assert re.search(r"(?<!\\)\]\(javascript", md) is None  # no link opens on it
    assert "<script>" not in md and "</script>" not in md
    assert "@octocat" not in md and "@\u200doctocat" in md
    assert "fixes #1" not in md.lower() and "#1" not in md
    line = next(row for row in md.splitlines() if "javascript" in row)
    assert "\\[x\\]" in line and "\\|" in line and "\\<script\\>" in line
    assert line.startswith("- [\\[x\\](javascript:alert(1)) \\| \\<script\\>")


def test_neutralise_keeps_emails_readable() -> None:
    assert markdown.text("Closes #12, resolved GH-3; see a@b.example") == (
        "C\u200dloses #\u200d12, r\u200desolved GH\u200d-3; see a@\u200db.example"
    )
    assert markdown.code("a `tick`") == "`` a `tick` ``"


def _many(n_ok: int, n_dead: int) -> Report:
    src = (Source(document="README.md", section="Big > List", line=1),)
    links = [
        ReportLink(
            url=f"https://dead{i}.example/",
            kind=LinkKind.EXTERNAL,
            status=LinkStatus.DEAD,
            http_status=404,
            final_url=None,
            error="Not Found",
            checked_at=NOW,
            first_failed_at=NOW - timedelta(days=2),
            consecutive_failures=2,
            title=f"Dead {i}",
            sources=src,
        )
        for i in range(n_dead)
    ] + [
        ReportLink(
            url=f"https://ok{i:05}.example/a/rather/long/path/to/an/article-{i}",
            kind=LinkKind.EXTERNAL,
            status=LinkStatus.OK,
            http_status=200,
            final_url=None,
            error=None,
            checked_at=NOW,
            first_failed_at=None,
            consecutive_failures=0,
            title=f"An article with a reasonably long title, number {i}",
            sources=(Source(document="README.md", section="Big > List", line=i + 10),),
        )
        for i in range(n_ok)
    ]
    summary = Summary(total=len(links), ok=n_ok, dead=n_dead)
    return Report(generated_at=NOW, summary=summary, links=tuple(links), history_since=NOW)


@pytest.mark.parametrize("max_chars", [markdown.MAX_CHARS, 10_000])
def test_markdown_size_cap(max_chars: int) -> None:
    report = _many(5_000, 3)
    md = markdown.format_report(report, max_chars=max_chars)
    assert len(md) < max_chars
    shown = md.count("\n- ")
    rest = 5_003 - shown
    assert 0 < shown < 5_000
    assert f"…and {rest} more links ({rest} ok); see the full report" in md
    assert md.count("</details>") == md.count("<details>")
    assert all(f"[Dead {i}](https://dead{i}.example/)" in md for i in range(3))


def test_cli_report_json_to_file_and_markdown_to_stdout(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, catalog_url: str
) -> None:
    url = catalog_url
    write(tmp_path / "README.md", LIST)
    assert cli(capsys, "--db", url, "import", "README.md").code == 0
    out = tmp_path / "out" / "report.json"
    out.parent.mkdir()
    args = ["--db", url, "report", "--format", "json", "--output", str(out)]
    result = cli(capsys, *args, "--document", "README.md")
    assert (result.code, result.out) == (0, "")
    data = json.loads(out.read_text(encoding="utf-8"))
    assert data["summary"]["total"] == 6 and data["summary"]["unchecked"] == 5
    assert [p.name for p in out.parent.iterdir()] == ["report.json"]  # no temporary left
    md = cli(capsys, "--db", url, "report")
    assert md.code == 0 and md.out.startswith("## Link report")
    assert "### Not checked yet (5)" in md.out
    missing = cli(capsys, "--db", url, "report", "--document", "NOPE.md")
    assert missing.code == 3 and "NOPE.md is not in the catalog" in missing.err
    assert cli(capsys, "--db", url, "report", "--format", "xml").code == 3


@pytest.fixture
def pg_engine(pg_url: str) -> Iterator[Engine]:
    """A fresh database on the session's PostgreSQL server, at head."""
    name = f"lk_reports_{uuid.uuid4().hex[:12]}"
    admin = create_engine(pg_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = pg_url.rsplit("/", 1)[0] + "/" + name
    db.upgrade(url)
    engine = db.make_engine(url)
    try:
        yield engine
    finally:
        engine.dispose()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE "{name}"'))
        admin.dispose()


@pytest.mark.postgres
def test_report_on_postgres(pg_engine: Engine, tmp_path: Path) -> None:
    make_catalog(pg_engine, tmp_path)
    data = json.loads(json_format.format_report(report_of(pg_engine)))
    assert [i["status"] for i in data["links"]] == [
        "dead",
        "failing",
        "redirected",
        "unchecked",
        "excluded",
        "ok",
    ]
    assert data["links"][0]["first_failed_at"] == "2024-06-07T12:00:00Z"
    assert len(data["links"][0]["evidence"]["checks"]) == 3
    assert data["links"][2]["evidence"]["redirects"][0] == {
        "status": 301,
        "url": "https://gamma.example/new",
    }


def test_a_suspect_link_is_titled_by_the_readmes_text(engine: Engine, tmp_path: Path) -> None:
    """Its page is not the article (a soft 404, a home page): "Introduction" says nothing."""
    make_catalog(engine, tmp_path)
    with db.session_scope(engine) as s:
        delta = _link(s, "https://delta.example/")
        delta.status = LinkStatus.SUSPECT
        page = s.get(PageMetadata, delta.id)
        assert page is not None
        page.title = "Introduction"
    links = {link.url: link for link in report_of(engine).links}
    assert links["https://delta.example/"].title == "Delta"
    assert links["https://beta.example/docs"].title == HOSTILE  # failing: the page's own
