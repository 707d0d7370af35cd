"""Blogs with only a listing page: followed by `feeds add`, read card by card by `discover`.

The two blogs' pages are ours, built after the shapes of the seed's two listings
(../shared/seeds/blog-listing-*.txt): one with reading times, a featured card shown twice
and "Read article" links; one with excerpts cut by "[…]" and no reading time.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from catalog import db
from catalog.candidates import add_feed
from jobs.offlineweb.server import OfflineWeb
from jobs.offlineweb.spec import Page, Web
from jobs.offlineweb.wiring import check_toml
from tests.catalogdb import default_url, select
from tests.readmes import cli
from tests.test_discover import CONFIG, README

NOTES = "127.0.6.1"  # "Design Notes": reading times, a featured card, "Read article"
DIGEST = "127.0.6.2"  # "Backend Digest": excerpts cut with […], no reading time
OTHER = "127.0.6.3"  # a page rendered by JavaScript, and a page that advertises its feed


def notes_card(slug: str, title: str, minutes: int, summary: str) -> str:
    return f"""
      <article class="card">
        <h3 class="card-title"><a href="/posts/{slug}/">{title}</a></h3>
        <div class="card-meta"><span>{minutes} min read</span>
          <time datetime="2026-03-0{minutes}">March {minutes}, 2026</time></div>
        <p>{summary} […]</p>
        <a class="more" href="/posts/{slug}/">Read article</a>
      </article>"""


NOTES_CARDS = [
    ("image-store", "Low Level Design of an Image Store", 5, "Uploads hit a gateway first"),
    ("metrics", "Collecting Metrics at Scale", 4, "A metrics service captures numbers"),
    ("outbox", "The Transactional Outbox", 6, "Writing to a database and a queue"),
]
NEW_NOTES_CARD = ("acme-ledger", "How Acme Partitions Its Ledger", 7, "Acme split its ledger")


def notes_page(cards: list[tuple[str, str, int, str]]) -> str:
    featured = notes_card(*cards[0])  # the newest card is featured, and listed again below
    listed = "".join(notes_card(*card) for card in cards)
    return f"""<!doctype html><html><head><title>Design Notes</title></head><body>
      <header><nav><a href="/">Home</a> <a href="/about/">About</a></nav></header>
      <main><section class="featured">{featured}</section>
        <section class="list">{listed}</section></main>
      <footer><a href="/privacy/">Privacy</a></footer></body></html>"""


DIGEST_POSTS = [
    ("api-gateway", "API Gateway: Low-Level Design", "2026-02-01"),
    ("typeahead", "Designing Typeahead", "2026-01-20"),
    ("leaderboard", "A Live Leaderboard", "2026-01-10"),
]
NEW_DIGEST_POST = ("umbrella-routes", "How Umbrella Routes Its Drivers", None)  # no date


def digest_page(posts: list[tuple[str, str, str | None]], layout: int) -> str:
    """Layout 1: div.post with an h2; layout 2 (a redesign): li > article with an h4,
    the same addresses, the date moved below the excerpt."""
    blocks = []
    for slug, title, day in posts:
        when = f'<time datetime="{day}">{day}</time>' if day else ""
        excerpt = (
            f"<p>{title} explained from the ground up, in the order you would build it […]</p>"
        )
        if layout == 1:
            blocks.append(
                f'<div class="post"><h2 class="entry-title"><a href="/articles/{slug}">'
                f"{title}</a></h2><div class=byline>{when}</div>"
                f'<div class="entry-summary">{excerpt}</div></div>'
            )
        else:
            blocks.append(
                f'<li><article class="tease"><a class="tease-link" href="/articles/{slug}">'
                f"<h4>{title}</h4></a>{excerpt}<footer>{when}</footer></article></li>"
            )
    body = "".join(blocks)
    if layout == 2:
        body = f'<ul class="teasers">{body}</ul>'
    return f"""<html><head><title>Backend Digest</title></head><body>
      <div id="content">{body}</div>
      <aside><h3><a href="/tags/">Tags</a></h3></aside></body></html>"""


SCRIPT_PAGE = """<!doctype html><html><head><title>App</title>
<script src="/static/app.js"></script></head><body><div id="root"></div></body></html>"""
ADVERTISING_PAGE = """<html><head><title>A blog</title>
<link rel="alternate" type="application/rss+xml" href="/feed.xml"></head>
<body><h2><a href="/a">A</a></h2><h2><a href="/b">B</a></h2></body></html>"""


def web(notes: list[tuple[str, str, int, str]], digest: str) -> Web:
    w = Web()
    w.host(NOTES).page("/blog/", Page(body=notes_page(notes)))
    w.host(DIGEST).page("/articles/", Page(body=digest))
    other = w.host(OTHER)
    other.page("/app/", Page(body=SCRIPT_PAGE))
    other.page("/blog/", Page(body=ADVERTISING_PAGE))
    other.page(
        "/feed.xml", Page(body="<rss version='2.0'><channel><title>x</title></channel></rss>")
    )
    return w


def test_listing_pages_followed_and_read_card_by_card(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    Path("README.md").write_text(README)
    first = web(NOTES_CARDS, digest_page(DIGEST_POSTS, layout=1))
    with OfflineWeb(first) as ow:
        port = ow.port
        Path("listkeeper.toml").write_text(CONFIG + check_toml(ow))  # no allowed network
        notes, digest = ow.url(NOTES, "/blog/"), ow.url(DIGEST, "/articles/")
        refused = cli(capsys, "feeds", "add", notes)
        assert refused.code == 3 and "--allow-private" in refused.err  # the guard holds
        assert len(refused.err.strip().splitlines()) == 1
        added = cli(capsys, "feeds", "add", "--allow-private", notes)
        assert added.code == 0, added.err
        assert "as a listing page" in added.out and "3 article cards" in added.out
        assert cli(capsys, "feeds", "add", "--allow-private", digest).code == 0
        script = cli(capsys, "feeds", "add", "--allow-private", ow.url(OTHER, "/app/"))
        assert script.code == 3, script.out + script.err
        assert "no article cards" in script.err and len(script.err.strip().splitlines()) == 1
        advertising = cli(capsys, "feeds", "add", "--allow-private", ow.url(OTHER, "/blog/"))
        assert advertising.code == 0 and ow.url(OTHER, "/feed.xml") in advertising.out
        listed = cli(capsys, "feeds", "list").out
        assert f"listing  {notes}" in listed and f"listing  {digest}" in listed
        assert f"feed     {ow.url(OTHER, '/feed.xml')}" in listed
        assert "/app/" not in listed  # refused: nothing stored

        without = cli(capsys, "discover")  # the guard refuses loopback without the flag
        assert "0 new candidates" in without.out and "private address" in without.err
        baseline = cli(capsys, "discover", "--allow-private")
        assert baseline.code == 0, baseline.err
        assert "0 new candidates, 0 failing" in baseline.out  # the first poll is the baseline

    # Between two polls: a new card on each blog, and the digest redesigned its page.
    second = web(
        [NEW_NOTES_CARD, *NOTES_CARDS],
        digest_page([NEW_DIGEST_POST, *DIGEST_POSTS], layout=2),
    )
    with OfflineWeb(second, port=port) as ow:
        polled = cli(capsys, "discover", "--allow-private")
        assert "2 new candidates, 0 failing" in polled.out, polled.out + polled.err
        assert all(
            "text/html" in dict((k.lower(), v) for k, v in r["headers"]).get("accept", "")
            for r in ow.stats(with_requests=True)["requests"]
            if _ours(r["url"]) and r["url"].endswith(("/blog/", "/articles/"))
        )
    candidates = cli(capsys, "candidates").out
    assert "How Acme Partitions Its Ledger" in candidates and "→ A companies" in candidates
    assert "How Umbrella Routes Its Drivers" in candidates and "→ U companies" in candidates
    assert candidates.count("\n      ") == 4  # two candidates (url + section lines each)
    assert f"http://{DIGEST}:{port}/articles/umbrella-routes" in candidates
    here = Path(".")
    rows = select(
        here,
        "select url, published from feed_articles where url like '%umbrella-routes%'"
        " or url like '%acme-ledger%' order by url",
    )
    assert rows[0][1] is not None and rows[1][1] is None  # the card without a date is kept

    # The digest becomes a page rendered by JavaScript: failing, said why, nothing new.
    third = web([NEW_NOTES_CARD, *NOTES_CARDS], SCRIPT_PAGE)
    with OfflineWeb(third, port=port):
        broken = cli(capsys, "discover", "--allow-private")
    assert broken.code == 0 and "0 new candidates, 1 failing" in broken.out
    assert "no article cards on the listing page" in broken.err
    ((kind, failures),) = select(
        here, "select kind, failures from feeds where url like '%articles%'"
    )
    assert (kind, failures) == ("listing", 1)


def _ours(url: str) -> bool:
    return NOTES in url or DIGEST in url


def test_a_followed_feed_that_is_a_listing_page_is_read_as_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Catalogs from before `feeds add` told them apart: the poll finds out and says so."""
    monkeypatch.chdir(tmp_path)
    Path("README.md").write_text(README)
    with OfflineWeb(web(NOTES_CARDS, digest_page(DIGEST_POSTS, 1))) as ow:
        Path("listkeeper.toml").write_text(CONFIG + check_toml(ow))
        assert cli(capsys, "discover").code == 0  # creates the catalog
        here = Path(".")
        engine = db.make_engine(default_url(here))
        with db.session_scope(engine) as session:
            add_feed(session, ow.url(NOTES, "/blog/"))  # stored as a feed, unread
        engine.dispose()
        polled = cli(capsys, "discover", "--allow-private")
    assert "0 new candidates, 0 failing" in polled.out, polled.out + polled.err
    ((kind, error),) = select(here, "select kind, last_error from feeds")
    assert kind == "listing" and "followed as a listing page" in error
    ((seen,),) = select(here, "select count(*) from feed_articles")
    assert seen == 3
