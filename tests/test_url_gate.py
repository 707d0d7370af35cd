"""The one gate where a URL from the web enters the catalog (catalog.urls.web_url), and
every path that goes through it: feeds of each kind, sitemaps, listing pages, advertised
feeds, redirects, the crawl's start requests."""

from __future__ import annotations

import contextlib
import html
import json
import re
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from catalog import db
from catalog.candidates import add_feed
from catalog.errors import InputError
from catalog.feeds import discover_feeds, parse_feed
from catalog.feeds.listing import parse_listing
from catalog.models import Entry, EntryLink, Link
from catalog.queries import document_by_path
from catalog.urls import web_url
from catalog.vocabulary import EntryState, LinkKind
from jobs.offlineweb.server import OfflineWeb
from jobs.offlineweb.spec import Page, Web
from jobs.offlineweb.wiring import check_toml
from tests.catalogdb import default_url
from tests.catalogdb import select as select_rows
from tests.readmes import cli

BASE = "https://blog.example/posts/"

# Every scheme a feed, a sitemap or a page can hand over that is not the web's, in the
# spellings a browser would still take for it.
REFUSED = [
    "javascript:alert(document.cookie)",
    "JavaScript:alert(1)",
    " javascript:alert(1)",
    "\x00javascript:alert(1)",
    "java\nscript:alert(1)",
    "java\tscript:alert(1)",
    "jav&#x09;ascript:alert(1)",  # an entity a parser did not decode: a relative path
    "javascript://example.com/%0Aalert(1)",
    "vbscript:msgbox(1)",
    "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
    "DATA:text/plain,hi",
    "file:///etc/passwd",
    "file://localhost/etc/passwd",
    "FILE:///C:/Windows/win.ini",
    "ftp://ftp.example.com/pub/file",
    "sftp://example.com/x",
    "gopher://example.com:70/1",
    "ws://example.com/socket",
    "wss://example.com/socket",
    "mailto:someone@example.com",
    "tel:+1555",
    "s3://bucket/key",
    "about:blank",
    "blob:https://example.com/uuid",
    "chrome://settings",
    "view-source:https://example.com/",
    "urn:uuid:2f2c1b44-0000-0000-0000-000000000000",
    "tag:example.com,2024:post-1",
    "feed:https://example.com/rss",
    "http://",
    "https://",
    "http:///path-only",
    "http:example.com/no-slashes",
    "http://[::1",  # an unclosed IPv6 literal: Scrapy refuses it, the crawl stopped
    "http://example.com:99999/",  # port out of range
    "http://example.com:port/",
    "http://exa mple.com/",  # a space in the host
    "http://exa%20mple.com/",
    "http://ex<ample.com/",
    "",
    "   ",
]

ACCEPTED = [
    ("https://example.com/a", "https://example.com/a"),
    ("HTTPS://Example.com/A", "https://Example.com/A"),
    ("http://example.com", "http://example.com"),
    ("  https://example.com/padded\n", "https://example.com/padded"),
    ("https://exa\nmple.com/p", "https://example.com/p"),  # a browser drops the newline
    ("https://example.com/a b", "https://example.com/a%20b"),
    ("https://example.com/\x1b[2J", "https://example.com/%1B[2J"),
    ("https://example.com/x\x7fy\x85", "https://example.com/x%7Fy%C2%85"),
    ("https://example.com/\u202egnp.exe", "https://example.com/%E2%80%AEgnp.exe"),
    ("https://example.com/\u2066x\u2069", "https://example.com/%E2%81%A6x%E2%81%A9"),
    ("https://例え.jp/パス", "https://例え.jp/パス"),  # non-ASCII stays readable
    ("http://127.0.0.1:8080/x", "http://127.0.0.1:8080/x"),  # the guard decides, not the gate
    ("http://[::1]:8080/x", "http://[::1]:8080/x"),
    ("https://example.com/a)b", "https://example.com/a)b"),  # render encodes destinations
]

RELATIVE = [
    ("next-post/", "https://blog.example/posts/next-post/"),
    ("/about", "https://blog.example/about"),
    ("//cdn.example/x", "https://cdn.example/x"),
    ("?page=2", "https://blog.example/posts/?page=2"),
    ("../feed.xml", "https://blog.example/feed.xml"),
]


@pytest.mark.parametrize("url", REFUSED)
def test_the_gate_refuses_every_url_that_is_not_the_web(url: str) -> None:
    assert web_url(url) is None
    assert web_url(url, BASE) is None or web_url(url, BASE).startswith(BASE)  # type: ignore[union-attr]


@pytest.mark.parametrize(("url", "expected"), ACCEPTED)
def test_the_gate_passes_the_web_with_what_a_url_cannot_hold_encoded(
    url: str, expected: str
) -> None:
    assert web_url(url) == expected
    assert web_url(expected) == expected  # idempotent


@pytest.mark.parametrize(("url", "expected"), RELATIVE)
def test_relative_urls_resolve_against_the_page(url: str, expected: str) -> None:
    assert web_url(url, BASE) == expected
    assert web_url(url) is None  # no base: nothing to resolve against


def test_a_base_that_is_not_the_web_gives_nothing() -> None:
    for base in ("file:///etc/", "javascript:alert(1)", "data:text/html,x"):
        assert web_url("passwd", base) is None


# --- every path from the web goes through it ---------------------------------------------

GOOD = "https://blog.example/posts/good"


def _xml(text: str) -> str:
    return html.escape(text, quote=True)


def _rss(url: str) -> bytes:
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Blog</title>'
        "<link>https://blog.example/</link>"
        f"<item><title>Bad</title><link>{_xml(url)}</link><guid>bad</guid></item>"
        f"<item><title>Good</title><link>{GOOD}</link><guid>good</guid></item>"
        "</channel></rss>"
    ).encode()


def _atom(url: str) -> bytes:
    return (
        '<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">'
        "<title>Blog</title><id>urn:blog</id><updated>2024-05-01T00:00:00Z</updated>"
        f'<entry><title>Bad</title><id>bad</id><link href="{_xml(url)}"/>'
        "<updated>2024-05-01T00:00:00Z</updated></entry>"
        f'<entry><title>Good</title><id>good</id><link href="{GOOD}"/>'
        "<updated>2024-05-01T00:00:00Z</updated></entry></feed>"
    ).encode()


def _json_feed(url: str) -> bytes:
    items = [
        {"id": "bad", "url": url, "title": "Bad"},
        {"id": "bad2", "external_url": url, "title": "Bad too"},
        {"id": "good", "url": GOOD, "title": "Good"},
    ]
    feed = {"version": "https://jsonfeed.org/version/1.1", "title": "Blog", "items": items}
    feed["home_page_url"] = url
    return json.dumps(feed).encode()


def _sitemap(url: str) -> bytes:
    return (
        '<?xml version="1.0" encoding="utf-8"?>'
        '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        f"<url><loc>{_xml(url)}</loc></url><url><loc>{GOOD}</loc></url></urlset>"
    ).encode()


def _sitemap_index(url: str) -> bytes:
    return (
        '<?xml version="1.0" encoding="utf-8"?>'
        '<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        f"<sitemap><loc>{_xml(url)}</loc></sitemap>"
        "<sitemap><loc>https://blog.example/posts-sitemap.xml</loc></sitemap></sitemapindex>"
    ).encode()


FEEDS = {"rss": _rss, "atom": _atom, "json feed": _json_feed, "sitemap": _sitemap}
# XML 1.0 cannot carry these at all; JSON can (and the gate drops them there).
_NOT_IN_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]")


def _bad_forms(url: str) -> set[str]:
    """The refused URL as it could come out of a parser (stripped, resolved)."""
    forms = {url, url.strip()}
    with contextlib.suppress(ValueError):
        forms.add(urljoin(BASE, url.strip()))
    return forms - {"", BASE}


@pytest.mark.parametrize(
    ("kind", "url"),
    [
        (kind, url)
        for kind in FEEDS
        for url in REFUSED
        if kind == "json feed" or not _NOT_IN_XML.search(url)  # XML cannot carry those
    ],
)
def test_no_feed_or_sitemap_entry_carries_a_refused_url(kind: str, url: str) -> None:
    parsed = parse_feed(FEEDS[kind](url), BASE + "feed")
    urls = [e.url for e in parsed.entries]
    assert GOOD in urls
    for got in urls:
        assert got == "" or web_url(got) == got, got
        assert not any(got == bad for bad in _bad_forms(url) if web_url(bad) is None)
    assert parsed.site_url is None or web_url(parsed.site_url) == parsed.site_url


@pytest.mark.parametrize("url", [u for u in REFUSED if not _NOT_IN_XML.search(u)])
def test_a_sitemap_index_names_only_web_sitemaps(url: str) -> None:
    parsed = parse_feed(_sitemap_index(url), BASE + "sitemap.xml")
    assert "https://blog.example/posts-sitemap.xml" in parsed.sitemaps
    # what is left resolved against the sitemap, as a relative path on the site
    assert all(web_url(u) == u and u.startswith("https://blog.example/") for u in parsed.sitemaps)


@pytest.mark.parametrize("url", REFUSED)
def test_listing_cards_and_advertised_feeds_pass_the_gate(url: str) -> None:
    href = html.escape(url, quote=True)
    cards = "".join(
        f'<article><h2><a href="{h}">{t} article title here</a></h2><p>Summary of it.</p></article>'
        for h, t in ((href, "Bad"), (GOOD, "Good"), (GOOD + "2", "More"), (GOOD + "3", "Other"))
    )
    page = f'<html><head><link rel="alternate" type="application/rss+xml" href="{href}">'
    page += f"</head><body><main>{cards}</main></body></html>"
    for entry in parse_listing(page, BASE):
        assert web_url(entry.url) == entry.url, entry.url
    assert all(web_url(u) == u for u in discover_feeds(page, BASE))


@pytest.mark.parametrize("url", ["javascript:alert(1)", "file:///etc/passwd", "ftp://x/y"])
def test_following_a_feed_or_an_opml_site_takes_only_the_web(url: str, engine: Engine) -> None:
    with Session(engine) as s:
        with pytest.raises(InputError, match="http:// or https:// URL"):
            add_feed(s, url)
        feed, _ = add_feed(s, "https://blog.example/feed", site_url=url)
        assert feed.site_url is None


def test_stored_articles_are_gated_and_cleaned_on_every_backend(engine: Engine) -> None:
    """A feed entry that reached the catalog with a refused URL or NUL, controls and bidi
    overrides in its text (a parser that let them through): no article, no candidate for
    the first, clean text for the rest. PostgreSQL lost the whole poll to one NUL."""
    from catalog.candidates import Poll, record_poll
    from catalog.feeds.model import FeedEntry
    from catalog.importer import apply
    from catalog.models import Entry, Feed, FeedArticle
    from catalog.readme_parser import parse_markdown
    from catalog.vocabulary import EntryState

    readme = "# List\n\n## Articles\n\n- [Listed](https://listed.example/)\n"
    hostile = "Ti\x00tle \x1b]0;owned\x07\x1b[2J \u202eevil\u202c \u2067iso\u2069 \u200fRLM"
    with Session(engine) as s:
        doc = apply(s, "README.md", readme, parse_markdown(readme))
        feed, _ = add_feed(s, "https://blog.example/feed")
        feed_id = feed.id
        baseline = [FeedEntry(guid="old", url="https://blog.example/old", title="old")]
        record_poll(s, Poll(feed_id, 200), baseline, document_id=doc.document_id)
        entries = [
            *(FeedEntry(guid=f"bad{i}", url=u, title="bad") for i, u in enumerate(REFUSED)),
            FeedEntry(guid="n\x00ul", url=GOOD, title=hostile, summary=hostile, authors=(hostile,)),
        ]
        poll = Poll(feed_id, 200, problem="bad \x00 feed \x1b[31m", etag='"e\x00"')
        result = record_poll(s, poll, entries, document_id=doc.document_id)
        s.commit()
    with Session(engine) as s:
        articles = s.scalars(select(FeedArticle).where(FeedArticle.guid != "old")).all()
        assert [a.url for a in articles] == [GOOD]
        [article] = articles
        expected = "Title ]0;owned[2J evil iso \u200fRLM"
        assert article.title == expected and article.summary == expected
        assert article.guid == "nul"
        [candidate] = s.scalars(select(Entry).where(Entry.state == EntryState.CANDIDATE)).all()
        assert candidate.title == expected
        stored_feed = s.get(Feed, feed_id)
        assert stored_feed is not None
        assert stored_feed.last_error == "bad  feed [31m" and stored_feed.etag == '"e"'
    assert result.candidates == 1


# --- the crawl: what cannot be a request is recorded, never the end of the start requests --


def _workspace(folder: Path, ow: OfflineWeb, urls: dict[str, str], **check: Any) -> None:
    lines = ["# Offline", "", "## Links", "", *(f"- [{n}]({u})" for n, u in urls.items())]
    (folder / "README.md").write_text("\n".join(lines) + "\n")
    config = "[verdicts]\ndead_after_checks = 1\ndead_after_hours = 0.0\n\n"
    config += check_toml(ow, settings={"DOWNLOAD_TIMEOUT": 4}, **check)
    (folder / "listkeeper.toml").write_text(config)


def _links(folder: Path) -> dict[str, tuple[str, str | None]]:
    return {u: (s, e) for u, s, e in select_rows(folder, "select url, status, error from links")}


def test_a_link_that_cannot_be_a_request_is_recorded_and_the_rest_checked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    web = Web()
    for i in range(4):
        web.host(f"127.0.7.{i + 1}").page("/ok", Page(body=f"<title>ok {i}</title>fine"))
    with OfflineWeb(web) as ow:
        good = {f"good{i}": ow.url(f"127.0.7.{i + 1}", "/ok") for i in range(4)}
        # first in the list, and so first in the start requests
        broken = {"v6": "http://[::1/x", "port": "http://example.test:99999/"}
        _workspace(tmp_path, ow, {**broken, **good}, allow_networks=["127.0.7.0/24"])
        monkeypatch.chdir(tmp_path)
        assert cli(capsys, "import", "README.md").code == 0
        # a candidate a feed handed over before the gate existed, in an old catalog
        engine = db.make_engine(default_url(tmp_path))
        with db.session_scope(engine) as s:
            doc = document_by_path(s, "README.md")
            assert doc is not None
            js = "javascript:alert(1)"
            link = Link(key=js, url=js, kind=LinkKind.EXTERNAL)
            s.add(link)
            s.flush()
            entry = Entry(
                document_id=doc.id,
                key=js,
                title="js",
                state=EntryState.CANDIDATE,
                origin="feed",
                position=0,
            )
            entry.links = [
                EntryLink(position=0, link_id=link.id, role="primary", text="js", url=js)
            ]
            s.add(entry)
        engine.dispose()
        result = cli(capsys, "check")
        assert result.code == 0, result.err
        got = _links(tmp_path)
        assert {got[u][0] for u in good.values()} == {"ok"}, got
        for url in [*broken.values(), "javascript:alert(1)"]:
            status, error = got[url]
            assert status == "failing" and "not a URL that can be requested" in (error or ""), url


@pytest.mark.parametrize(
    ("location", "said"),
    [
        ("file:///etc/passwd", "to a file: URL, not followed"),
        ("FILE:///etc/passwd", "to a file: URL, not followed"),
        ("ftp://127.0.7.9/pub/x", "to a ftp: URL, not followed"),
        ("data:text/plain,hi", "to a data: URL, not followed"),
        ("javascript:alert(1)", "not followed"),
        ("gopher://127.0.7.9/1", "to a gopher: URL, not followed"),
        (None, "without a Location header"),
    ],
)
@pytest.mark.parametrize("allow_private", [False, True])
def test_a_redirect_out_of_the_web_says_what_happened(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    location: str | None,
    said: str,
    allow_private: bool,
) -> None:
    web = Web()
    web.host("127.0.7.1").page("/moved", Page(status=301, location=location))
    with OfflineWeb(web) as ow:
        url = ow.url("127.0.7.1", "/moved")
        _workspace(tmp_path, ow, {"moved": url}, allow_networks=["127.0.7.0/24"])
        monkeypatch.chdir(tmp_path)
        assert cli(capsys, "import", "README.md").code == 0
        args = ["check", "--allow-private"] if allow_private else ["check"]
        result = cli(capsys, *args)
        assert result.code in (0, 2), result.err
        status, error = _links(tmp_path)[url]
        assert status in ("failing", "dead") and "redirect (301)" in (error or ""), error
        assert said in (error or "") and "Ignoring non-200" not in (error or "")


def test_no_url_rule_can_make_the_crawl_read_a_file_even_with_the_guard_off(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("<title>secret</title>the maintainer's private file")
    web = Web()
    web.host("127.0.7.1").page("/ok", Page(body="<title>ok</title>fine"))
    with OfflineWeb(web) as ow:
        urls = {
            "file": ow.url("127.0.7.1", "/secret"),
            "data": ow.url("127.0.7.1", "/data"),
            "ok": ow.url("127.0.7.1", "/ok"),
        }
        remap = [
            r"^(http://127\.0\.7\.1:\d+)/secret " + secret.as_uri(),
            r"^(http://127\.0\.7\.1:\d+)/data data:text/html,<title>data</title>",
        ]
        _workspace(tmp_path, ow, urls, remap=remap)
        monkeypatch.chdir(tmp_path)
        assert cli(capsys, "import", "README.md").code == 0
        result = cli(capsys, "check", "--allow-private")
        assert result.code == 0, result.err
        got = _links(tmp_path)
        assert got[urls["ok"]][0] == "ok"
        for name in ("file", "data"):
            status, error = got[urls[name]]
            assert status == "failing" and "not a URL that can be requested" in (error or "")
        titles = select_rows(tmp_path, "select title from page_metadata")
        assert all("secret" not in str(t) and "data" not in str(t) for (t,) in titles)


def test_an_archived_copy_is_a_web_url_whatever_the_archive_answers() -> None:
    from datetime import date

    from catalog.cdx import choose

    rows = [
        ["x", "20200101000000", "https://a.example/\x1b[2J\x07\u202e", "text/html", "200"],
        ["x", "20200102000000", "https://a.example/ok", "text/html", "200"],
    ]
    for api in ("https://web.archive.org", "javascript:alert(1)//", "file:///"):
        capture = choose(rows, date(2020, 1, 1), api_url=api)
        if api.startswith("https"):
            assert capture is not None
            assert capture.archive_url == (
                "https://web.archive.org/web/20200101000000/https://a.example/%1B[2J%07%E2%80%AE"
            )
        else:
            assert capture is None


@pytest.mark.parametrize("fmt", ["markdown", "html"])
@pytest.mark.parametrize(
    "url", ["javascript:alert(1)", "data:text/html,<script>1</script>", "file:///etc/passwd"]
)
def test_no_report_makes_a_link_of_what_the_gate_refuses(fmt: str, url: str) -> None:
    """A link an old catalog holds as a web link (a feed's entry before the gate)."""
    from datetime import UTC, datetime

    from catalog.formats import FORMATS
    from catalog.reports import Report, ReportLink, Source, Summary
    from catalog.vocabulary import LinkStatus

    bad = ReportLink(
        url=url,
        kind=LinkKind.EXTERNAL,
        status=LinkStatus.FAILING,
        http_status=None,
        final_url=url,
        error="not a URL that can be requested",
        checked_at=None,
        first_failed_at=None,
        consecutive_failures=1,
        title="Click me",
        sources=(Source("README.md", "Articles", 3),),
    )
    now = datetime(2024, 5, 1, tzinfo=UTC)
    text = FORMATS[fmt](Report(now, Summary(total=1, failing=1), (bad,)))
    assert "Click me" in text or "Click me" in html.unescape(text)
    assert f"]({url}" not in text and f"](<{url}" not in text
    assert f'href="{html.escape(url)}' not in text and f'href="{url}' not in text
