"""The HTML report: self-contained, deterministic, escaped; filtered and sorted in Chromium.

The browser tests drive Debian's ``/usr/bin/chromium`` with Playwright (never Playwright's
own browser download) and load the report as a ``file://`` URL, as a maintainer would.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from catalog import db
from catalog.candidates_view import Candidate, candidates_for_report
from catalog.formats import FORMATS
from catalog.formats import html as html_format
from catalog.importer import import_readme
from catalog.models import Check, Document, Entry, EntryLink, Link, PageMetadata, Section
from catalog.reports import Report, build_report
from catalog.urls import host_of, link_key
from catalog.vocabulary import EntryState, LinkKind, LinkStatus

NOW = datetime(2024, 6, 10, 12, 0, tzinfo=UTC)
DAY = timedelta(days=1)
LIST = """\
# Links

## Tools

- [Alpha](https://alpha.example/) - dead
- [Beta](https://beta.example/docs) - failing, with a hostile title
- [Gamma](https://gamma.example/old) - redirected
- [Delta](https://delta.example/) - ok

## Reading

- [Eta](https://eta.example/post) - ok
- [Theta](https://theta.example/) - blocked
- [Iota](https://iota.example/a) - suspect
- [Kappa](https://kappa.example/) - unchecked
- [Write to us](mailto:team@example.com)

### Deep

- [Lambda](https://lambda.example/) - failing for ten days
- [Alpha again](https://alpha.example/)
"""

HOSTILE = '<script>window.__pwned=1</script><img src=x onerror="window.__pwned=1"> @octocat'
HOSTILE_ERROR = "</script><script>window.__pwned=1</script> & reset"
HOSTILE_CANDIDATE = '<img src=x onerror="window.__pwned=1">New post</script>'
TOTAL = 10


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Documents are named relative to the working directory: ``README.md``."""
    monkeypatch.chdir(tmp_path)


def _link(s: Session, url: str) -> Link:
    link = s.scalar(select(Link).where(Link.url == url))
    assert link is not None, url
    return link


def _set(
    s: Session,
    url: str,
    status: LinkStatus,
    checks: Sequence[tuple[timedelta, str, int | None, str | None]],
    *,
    failing_since: timedelta | None = None,
    redirects: list[list[Any]] | None = None,
    final_url: str | None = None,
) -> Link:
    """Give *url* a status and a history of checks ``(ago, outcome, http_status, error)``."""
    link = _link(s, url)
    for ago, outcome, http_status, error in checks:
        s.add(
            Check(
                link_id=link.id,
                checked_at=NOW - ago,
                outcome=outcome,
                http_status=http_status,
                error=error,
                redirects=redirects,
            )
        )
    last_ago, _, last_status, last_error = min(checks, key=lambda c: c[0])
    link.status, link.http_status, link.error = status, last_status, last_error
    link.checked_at, link.final_url = NOW - last_ago, final_url
    if failing_since is not None:
        link.first_failed_at = NOW - failing_since
        link.consecutive_failures = sum(1 for c in checks if c[1] not in ("ok", "redirect"))
    return link


def make_catalog(engine: Engine, tmp_path: Path) -> str:
    """The list above with a history: every status, a hostile title, error and candidate."""
    readme = tmp_path / "README.md"
    readme.write_text(LIST, encoding="utf-8")
    with db.session_scope(engine) as s:
        doc = import_readme(s, readme).path
        perm = "permanent"
        _set(
            s,
            "https://alpha.example/",
            LinkStatus.DEAD,
            [(ago * DAY, perm, 404, "Not Found") for ago in (3, 2, 1)],
            failing_since=3 * DAY,
        )
        beta = _set(
            s,
            "https://beta.example/docs",
            LinkStatus.FAILING,
            [(timedelta(hours=5), "ok", 200, None), (timedelta(hours=2), "transient", None, "")],
            failing_since=timedelta(hours=2),
        )
        beta.error = HOSTILE_ERROR
        s.add(PageMetadata(link_id=beta.id, title=HOSTILE))
        _set(
            s,
            "https://gamma.example/old",
            LinkStatus.REDIRECTED,
            [(DAY, "redirect", 200, None)],
            redirects=[[301, "https://gamma.example/new"], [302, "https://gamma.example/final"]],
            final_url="https://gamma.example/final",
        )
        _set(s, "https://delta.example/", LinkStatus.OK, [(DAY, "ok", 200, None)])
        _set(s, "https://eta.example/post", LinkStatus.OK, [(DAY, "ok", 200, None)])
        _set(s, "https://theta.example/", LinkStatus.BLOCKED, [(DAY, "blocked", 999, None)])
        _set(s, "https://iota.example/a", LinkStatus.SUSPECT, [(DAY, "soft404", 200, None)])
        _set(
            s,
            "https://lambda.example/",
            LinkStatus.FAILING,
            [(10 * DAY, "transient", 503, None), (DAY, "transient", None, "TimeoutError")],
            failing_since=10 * DAY,
        )
        add_candidate(s, doc, HOSTILE_CANDIDATE, "https://new.example/post", "Tools")
        add_candidate(s, doc, "Plain post", "https://new.example/plain", None)
    return doc


def add_candidate(s: Session, doc: str, title: str, url: str, section: str | None) -> None:
    document = s.scalar(select(Document).where(Document.path == doc))
    assert document is not None
    link = Link(key=link_key(url), url=url, kind=LinkKind.EXTERNAL, host=host_of(url))
    s.add(link)
    s.flush()
    section_id = None
    if section is not None:
        section_id = s.scalar(
            select(Section.id).where(Section.document_id == document.id, Section.heading == section)
        )
    entry = Entry(
        document_id=document.id,
        section_id=section_id,
        key=link.key,
        title=title,
        state=EntryState.CANDIDATE,
        origin="feed",
        origin_ref="https://feeds.example/rss.xml",
        added_at=NOW - DAY,
    )
    entry.links = [EntryLink(position=0, link_id=link.id, role="primary", text=title, url=url)]
    s.add(entry)


def report_of(engine: Engine) -> tuple[Report, list[Candidate]]:
    with db.session_factory(engine)() as s:
        return build_report(s, now=NOW), candidates_for_report(s)


def render(engine: Engine, tmp_path: Path, *, wayback: bool = True) -> str:
    make_catalog(engine, tmp_path)
    report, candidates = report_of(engine)
    return html_format.format_report(report, candidates=candidates, wayback=wayback)


# -- the file itself ---------------------------------------------------------------------


def test_registered_as_a_format() -> None:
    assert FORMATS["html"] is html_format.format_report


def test_self_contained_deterministic_and_escaped(engine: Engine, tmp_path: Path) -> None:
    make_catalog(engine, tmp_path)
    report, candidates = report_of(engine)
    page = html_format.format_report(report, candidates=candidates, wayback=True)
    assert page == html_format.format_report(report, candidates=candidates, wayback=True)
    assert page.startswith("<!DOCTYPE html>")
    # Nothing is fetched: no external script, style, image or font; a CSP forbids them.
    assert not re.search(r"<(link|img|iframe|object|embed)\b", page, re.IGNORECASE)
    assert not re.search(r"<[a-z][^>]*\ssrc=", page, re.IGNORECASE)
    assert "default-src &#39;none&#39;" in page
    # The web's text is never markup: neither in the HTML nor in the JSON block.
    for hostile in (HOSTILE, HOSTILE_ERROR, HOSTILE_CANDIDATE):
        assert hostile not in page
    assert page.count("<script") == 2  # the data block and our script
    assert "&lt;script&gt;window.__pwned=1&lt;/script&gt;" in page
    data = re.search(r'<script id="report-data" type="application/json">(.*?)</script>', page)
    assert data is not None and "<" not in data[1]
    rows = json.loads(data[1])["links"]
    assert [r["url"] for r in rows] == [link.url for link in report.links]
    assert rows[1]["title"] == HOSTILE  # the script gets the text back, as text
    # Wayback suggestions for the links that may be gone, only when asked for.
    assert 'href="https://web.archive.org/web/*/https://alpha.example/"' in page
    assert "web.archive.org/web/*/https://theta.example/" not in page  # blocked: not gone
    plain = html_format.format_report(report, candidates=candidates)
    assert "web.archive.org" not in plain
    # The sources with their lines, and the candidates.
    assert "<code>README.md:5</code> (Links &gt; Tools)" in page
    assert "<code>README.md:21</code> (Links &gt; Reading &gt; Deep)" in page
    assert "Candidates found by discovery (2)" in page
    assert "listkeeper candidates accept" in page


def test_only_http_urls_become_links() -> None:
    assert html_format.http_href("https://a.example/") == "https://a.example/"
    assert html_format.http_href("javascript:alert(1)") is None
    assert html_format.http_href(" JaVaScRiPt:alert(1)") is None
    assert html_format.http_href("data:text/html,<script>") is None
    assert html_format.http_href("mailto:a@b.example") is None
    assert html_format.wayback_url("https://a.example/x#y z") == (
        "https://web.archive.org/web/*/https://a.example/x%23y%20z"
    )


def test_empty_report_renders() -> None:
    from catalog.reports import Summary

    page = html_format.format_report(Report(generated_at=NOW, summary=Summary(), links=()))
    assert "history starts now" in page and "No candidates" in page


# -- in a real browser ---------------------------------------------------------------------


class Opened:
    """A report loaded in a page, with every console error and page error it raised."""

    def __init__(self, browser: Any, path: Path) -> None:
        self.context = browser.new_context(java_script_enabled=True)
        self.page = self.context.new_page()
        self.errors: list[str] = []
        self.page.on(
            "console",
            lambda msg: self.errors.append(f"console: {msg.text}") if msg.type == "error" else None,
        )
        self.page.on("pageerror", lambda exc: self.errors.append(f"pageerror: {exc}"))
        self.page.goto(path.resolve().as_uri())
        self.page.wait_for_load_state("load")

    def visible_urls(self) -> list[str]:
        """The URL of each visible row, top to bottom."""
        urls: list[str] = self.page.eval_on_selector_all(
            "#links-body tr:not([hidden])",
            "rows => rows.map(r => r.querySelector('.url').textContent)",
        )
        return urls

    def visible_rows(self) -> int:
        count: int = self.page.locator("#links-body tr:visible").count()
        return count

    def choose(self, control: str, value: str) -> int:
        if control == "since":
            self.page.fill("#filter-since", value)
        else:
            self.page.select_option(f"#filter-{control}", value)
        return self.visible_rows()

    def close(self) -> None:
        self.context.close()


@pytest.fixture
def opened(browser: Any, engine: Engine, tmp_path: Path) -> Iterator[Opened]:
    path = tmp_path / "report.html"
    path.write_text(render(engine, tmp_path), encoding="utf-8")
    page = Opened(browser, path)
    try:
        yield page
    finally:
        page.close()


def test_loads_without_errors_and_shows_the_summary(opened: Opened) -> None:
    page = opened.page
    assert page.title() == "Link report"
    assert page.inner_text('dd[data-status="dead"]') == "1"
    assert page.inner_text('dd[data-status="failing"]') == "2"
    assert page.inner_text('dd[data-status="total"]') == str(TOTAL)
    assert opened.visible_rows() == TOTAL
    assert page.inner_text("#shown") == f"{TOTAL} links"  # the script ran
    assert page.locator("article.evidence").count() == 6
    assert page.locator("#candidates-table tbody tr").count() == 2
    assert opened.errors == []


def test_filters_show_exactly_the_right_rows(opened: Opened) -> None:
    from playwright.sync_api import expect

    assert opened.choose("status", "dead") == 1
    assert opened.visible_urls() == ["https://alpha.example/"]
    assert opened.page.inner_text("#shown") == f"1 of {TOTAL} links shown"
    assert opened.page.locator("article.evidence:visible").count() == 1
    assert opened.choose("status", "failing") == 2
    assert set(opened.visible_urls()) == {"https://beta.example/docs", "https://lambda.example/"}
    assert opened.choose("status", "ok") == 2
    assert opened.choose("status", "excluded") == 1
    assert opened.choose("status", "attention") == 6  # dead, failing x2, suspect, blocked, redir.
    assert opened.choose("status", "") == TOTAL

    assert opened.choose("section", "Links > Reading > Deep") == 2
    assert opened.choose("section", "Links > Reading") == 7  # with its subsection
    assert opened.choose("status", "failing") == 1  # filters combine
    assert opened.visible_urls() == ["https://lambda.example/"]
    opened.choose("status", "")
    assert opened.choose("section", "") == TOTAL

    assert opened.choose("host", "alpha.example") == 1
    assert opened.choose("host", "") == TOTAL

    assert opened.choose("failing", "0") == 3  # alpha, beta, lambda
    assert opened.choose("failing", "86400") == 2  # at least a day: alpha, lambda
    assert opened.choose("failing", str(7 * 86_400)) == 1
    assert opened.visible_urls() == ["https://lambda.example/"]
    assert opened.choose("failing", "") == TOTAL

    assert opened.choose("since", "2024-06-07") == 2  # alpha (06-07), lambda (05-31)
    assert opened.choose("since", "2024-06-01") == 1
    assert opened.choose("since", "2024-05-01") == 0
    opened.page.click("#filter-reset")
    # expect() polls from Playwright's own script: wait_for_function evaluates a string in
    # the page, which the report's Content-Security-Policy rightly refuses.
    expect(opened.page.locator("#links-body tr:not([hidden])")).to_have_count(10)
    assert opened.page.fill("#filter-text", "gamma") is None
    assert opened.visible_urls() == ["https://gamma.example/old"]
    assert opened.errors == []


def test_sorting_by_clicking_headers(opened: Opened, engine: Engine) -> None:
    report, _ = report_of(engine)
    in_report = [link.url for link in report.links]
    assert opened.visible_urls() == in_report  # worst first, as built

    by_title = sorted(report.links, key=lambda link: (link.title or link.url).lower())
    link_header = opened.page.locator("#links-table th", has_text="Link")
    link_header.locator("button").click()
    assert link_header.get_attribute("aria-sort") == "ascending"
    assert opened.visible_urls() == [link.url for link in by_title]
    link_header.locator("button").click()
    assert link_header.get_attribute("aria-sort") == "descending"
    assert opened.visible_urls() == [link.url for link in reversed(by_title)]

    opened.page.click("#links-table th button[data-key=failures]")
    opened.page.click("#links-table th button[data-key=failures]")  # descending
    assert opened.visible_urls()[0] == "https://alpha.example/"  # 3 failed checks in a row

    opened.page.click("#links-table th button[data-key=since]")  # oldest failure first
    assert opened.visible_urls()[:3] == [
        "https://lambda.example/",
        "https://alpha.example/",
        "https://beta.example/docs",
    ]
    opened.page.click("#links-table th button[data-key=http]")
    codes = opened.page.eval_on_selector_all(
        "#links-body tr", "rows => rows.map(r => r.cells[4].textContent)"
    )
    numbers = [int(c) for c in codes if c]
    assert numbers == sorted(numbers) and codes[len(numbers) :] == [""] * (TOTAL - len(numbers))

    assert opened.choose("status", "ok") == 2  # filtering keeps the order
    assert opened.visible_urls() == ["https://delta.example/", "https://eta.example/post"]
    assert opened.errors == []


def test_a_hostile_title_is_shown_as_text(opened: Opened) -> None:
    from playwright.sync_api import expect

    page = opened.page
    title = page.locator("#links-body span.title", has_text="window.__pwned")
    expect(title).to_be_visible()
    assert title.text_content() == HOSTILE
    error = page.locator("#link-2 dd code.error")
    assert error.text_content() == HOSTILE_ERROR
    candidate = page.locator("#candidates-table span.title").first
    expect(candidate).to_have_text(HOSTILE_CANDIDATE)
    assert page.locator("img").count() == 0
    assert page.locator("script").count() == 2
    assert page.evaluate("typeof window.__pwned") == "undefined"
    # The data the script reads came back intact: the title it sorts on is the raw text.
    data = page.evaluate("JSON.parse(document.getElementById('report-data').textContent)")
    assert data["links"][1]["title"] == HOSTILE
    assert opened.errors == []
