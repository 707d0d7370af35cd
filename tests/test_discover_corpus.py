"""`listkeeper discover` against the real feeds of ../shared/corpora/feeds.

Every feed is served from the offline web on loopback and polled by the real CLI (the
Scrapy FeedsSpider in its child process, the feeds pipeline, the catalog). What is checked
comes from the corpus's own index files, never from listkeeper's parser:

- ``real_world/index.json``: ``entry_count`` per feed (feedparser's count);
- ``with_expected_output/{fastfeedparser,feed_rs}/index.json``: ``expected_entry_count``;
- ``feedparser_suite/expectations.json``: what an ill-formed feed should still yield.

A discover run costs seconds (a child process, and parsing the whole corpus), so one web
holds every case and is polled twice (`scenario`); each test asserts its part:

1. entry counts: every indexed feed, first poll (the baseline);
2. conditional GET: the second poll sends If-None-Match / If-Modified-Since, gets 304s,
   finds nothing new;
3. new articles: two real feeds served without their newest entries, then whole;
4. a 301 moves the stored feed URL (a 302 does not);
5. malformed feeds and an HTML page among the good ones never stop the run.
"""

from __future__ import annotations

import contextlib
import io
import json
import re
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

import feedparser
import lxml.etree
import pytest

from jobs.cli import run
from jobs.offlineweb.server import OfflineWeb
from jobs.offlineweb.spec import Page, Web
from jobs.offlineweb.wiring import check_toml
from tests.conftest import needs_shared, shared_path
from tests.readmes import Result

NETWORK = "127.0.3.0/24"
HOSTS = {  # one loopback host per corpus, so per-host politeness spreads the polls
    "real_world": "127.0.3.1",
    "fastfeedparser": "127.0.3.2",
    "feed_rs": "127.0.3.3",
    "feedparser_suite": "127.0.3.4",
    "other": "127.0.3.5",
}
LAST_MODIFIED = "Tue, 17 Feb 2026 11:00:00 GMT"
NEW_LAST_MODIFIED = {1: "Wed, 11 Feb 2026 09:00:00 GMT", 2: "Thu, 12 Feb 2026 09:00:00 GMT"}
README = """\
# Reading list

## Blogs

- [Example blog](https://example.org/blog/) - an entry the feeds below never link to.
"""

# Feeds whose recorded count differs from the index's, each for a reason that
# `test_entry_counts_match_the_index_files` checks on the file itself. The catalog records
# an article per distinct guid with a web link: an entry without a link can never become
# a candidate (there is nothing to list), so `record_poll` does not record it.
NO_LINKS = {
    # 1046 <item>s with title, date and description, but no <link> and no <guid>
    "real_world/areweanticheatyet.com__cc314ce5.xml",
    # a lone <entry> document whose only id is a urn:uuid
    "with_expected_output/feed_rs/atom/atom_entry_1.xml",
    # an entry with a tag: id and content, no <link>
    "with_expected_output/feed_rs/atom/atom_example_7.xml",
    # the Atom Publishing Protocol example: urn:uuid id, no link
    "with_expected_output/feed_rs/atom/atom_pub_spec_1.xml",
    # an RSS 0.91 item with title and description only
    "with_expected_output/feed_rs/rss0/rss_0.91_missing_id.xml",
    # the RSS 0.92 spec example: three items with a description only
    "with_expected_output/feed_rs/rss0/rss_0.92_spec_1.xml",
    # an item with only <media:content> and <content:encoded>
    "with_expected_output/feed_rs/rss2/rss_2.0_ghost_1.xml",
}
# The index's count is feedparser's, which gives up on this feed (a broken prolog, then
# `<rss:item>` with an undeclared prefix): 0 entries. listkeeper's lxml recovery reads its
# 35 <rss:item>s, two of which share one guid (the same article listed twice): 34 articles.
RECOVERED = {"real_world/dylanharris.org__7ef13a42.xml": 34}

# 3: corpus feed -> how many of its newest entries appear between the two polls
NEW_ARTICLES = {
    "real_world/stratechery.com__73c63ac2.xml": 3,  # RSS 2.0, 10 entries
    "real_world/nithinbekal.com__db0e953a.xml": 2,  # Atom, 10 entries
}
# 4: a feed that moved for good (301) and one that answers elsewhere for now (302)
MOVED = "real_world/blog.kagi.com__8ac7670d.xml"  # RSS 2.0, 42 entries
TEMPORARY = "real_world/ctoomey.com__2d032f37.xml"  # Atom, 18 entries
# 5: malformed feeds
REAL_MALFORMED = "real_world/blog.kroy.io__b0e71155.xml"  # junk after the document element
TRUNCATED = "real_world/markheath.net__93a9689b.xml"  # RSS 2.0, 10 items: cut in the 4th
ILLFORMED = "feedparser_suite/illformed/aaa_illformed.xml"  # `<rss version="2.0"></rss`
AMPERSANDS = "feedparser_suite/illformed/rss_item_link_corrupted_ampersands.xml"
NOT_A_FEED = (
    "<!doctype html><html><head><title>Blog</title></head>"
    "<body><h1>Blog</h1><p>The feed moved; see <a href='/'>home</a>.</p></body></html>"
)


@dataclass(frozen=True)
class CorpusFeed:
    rel: str  # path under corpora/feeds
    expected: int  # the index file's entry count
    path: Path
    wellformed: bool = False  # real_world/index.json: well-formed XML, feedparser not bozo


def corpus_root() -> Path:
    return shared_path("corpora", "feeds")


def indexed_feeds() -> list[CorpusFeed]:
    """Every corpus feed for which an index file states an entry count."""
    root = corpus_root()
    feeds = [
        CorpusFeed(
            e["file"],
            e["entry_count"],
            root / e["file"],
            wellformed=bool(e["xml_wellformed"]) and not e["feedparser_bozo"],
        )
        for e in json.loads((root / "real_world" / "index.json").read_text())
    ]
    for corpus in ("fastfeedparser", "feed_rs"):
        index = json.loads((root / "with_expected_output" / corpus / "index.json").read_text())
        feeds += [
            CorpusFeed(e["feed"], e["expected_entry_count"], root / e["feed"])
            for e in index
            if e.get("expected_entry_count") is not None
        ]
    return feeds


def host_for(rel: str) -> str:
    return next((a for key, a in HOSTS.items() if f"{key}/" in rel), HOSTS["other"])


def content_type(path: Path, body: bytes) -> str:
    """What a static server would say: the feed's media type, no charset it cannot know."""
    if path.suffix == ".json":
        return "application/feed+json"
    head = body[:2048].lower()
    if b"<rss" in head:
        return "application/rss+xml"
    if b"<feed" in head:
        return "application/atom+xml"
    if b"rdf:rdf" in head:
        return "application/rdf+xml"
    return "application/xml"


def feed_page(
    path: Path, body: bytes | None = None, validators: dict[str, str] | None = None
) -> Page:
    """`path` served as a feed (or `body`, a variant of it), with the given validators."""
    v = validators or {}
    etag, last_modified = v.get("etag"), v.get("last_modified")
    if body is None:
        ctype = content_type(path, path.read_bytes())
        return Page(body_file=str(path), content_type=ctype, etag=etag, last_modified=last_modified)
    ctype = content_type(path, body)
    return Page(
        body=body.decode("utf-8"), content_type=ctype, etag=etag, last_modified=last_modified
    )


def run_cli(*args: str) -> Result:
    """`tests.readmes.cli` for a module-scoped fixture, where capsys is not available."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = run(list(args))
    return Result(code, out.getvalue(), err.getvalue())


def query(sql: str, *args: Any) -> list[tuple[Any, ...]]:
    with sqlite3.connect("listkeeper.db") as con:
        return con.execute(sql, args).fetchall()


def local_name(element: Any) -> str:
    tag = element.tag if isinstance(element.tag, str) else ""
    return tag.rsplit("}", 1)[-1].rsplit(":", 1)[-1].lower()


def entries_with_links(path: Path) -> tuple[int, int]:
    """(items/entries, those with a web link), read with lxml alone: RSS <link> text,
    Atom <link href> that is alternate (or has no rel)."""
    parser = lxml.etree.XMLParser(recover=True, resolve_entities=False, no_network=True)
    root = lxml.etree.fromstring(path.read_bytes(), parser=parser)
    items = [el for el in root.iter() if local_name(el) in ("item", "entry")]
    linked = 0
    for item in items:
        for child in item:
            if local_name(child) != "link":
                continue
            href = child.get("href") if child.get("href") is not None else (child.text or "")
            if child.get("rel", "alternate") == "alternate" and href.strip():
                linked += 1
                break
    return len(items), linked


def published(entry: Any) -> Any:
    return entry.get("published_parsed") or entry.get("updated_parsed")


def drop_newest(body: bytes, n: int) -> tuple[bytes, list[str]]:
    """The feed without its first `n` items/entries, cut out of the text (everything else
    byte for byte), and the links of the cut ones. feedparser checks the surgery: the
    rest parses to the same entries, and the cut ones are the newest."""
    tag = b"entry" if b"<feed" in body[:4096] else b"item"
    spans = [m.span() for m in re.finditer(rb"<%s[\s>].*?</%s>\s*" % (tag, tag), body, re.S)]
    older = body[: spans[0][0]] + body[spans[n - 1][1] :]
    full, rest = feedparser.parse(body), feedparser.parse(older)
    assert not full.bozo and not rest.bozo
    links = [e.link for e in full.entries]
    assert [e.link for e in rest.entries] == links[n:]
    newest = sorted(full.entries, key=published, reverse=True)[:n]
    assert {e.link for e in newest} == set(links[:n])
    assert min(published(e) for e in newest) > max(published(e) for e in rest.entries)
    return older, links[:n]


def truncate_in_item(body: bytes, number: int) -> bytes:
    """A feed cut off a few characters into the title of its `number`-th item."""
    start = [m.start() for m in re.finditer(rb"<item[\s>]", body)][number - 1]
    title = body.index(b"<title>", start) + len(b"<title>")
    return body[: title + 5]


# -- the scenario: one web, two polls ----------------------------------------------------


class FeedRow(NamedTuple):
    failures: int
    last_error: str | None
    etag: str | None
    last_modified: str | None


@dataclass
class Snapshot:
    """One `listkeeper discover` and the state it left."""

    result: Result
    counts: dict[str, int]  # feed URL -> articles recorded for it
    requests: list[dict[str, Any]]  # the web's records (headers as `h`, lower-cased)
    feeds: dict[str, FeedRow]  # feed URL -> its row in the catalog
    listed: str  # `feeds list`


@dataclass
class Scenario:
    corpus: dict[str, CorpusFeed]  # served URL -> indexed corpus feed
    validators: dict[str, dict[str, str]]  # served URL -> the ETag or Last-Modified it has
    urls: dict[str, str]  # the other cases' URLs as followed, by name
    new_links: dict[str, list[str]]  # URL -> links of the entries added between the polls
    truncated_items: int  # complete items in the truncated feed
    first: Snapshot
    second: Snapshot
    candidates: str  # `candidates` after the second poll
    articles: list[tuple[str, str]]  # (feed URL, article URL) after the second poll
    candidate_articles: list[tuple[str, str]]  # the same, for those that became candidates


def build_web(version: int, corpus: list[CorpusFeed]) -> tuple[Web, dict[str, Any]]:
    """The web of poll `version` (1 or 2), and what the tests need to know about it."""
    root = corpus_root()
    web = Web()
    validators: dict[str, dict[str, str]] = {}
    for i, feed in enumerate(corpus):
        # Half the feeds carry an ETag, half a Last-Modified: each validator alone.
        v = {"etag": f'"c{i}"'} if i % 2 == 0 else {"last_modified": LAST_MODIFIED}
        web.host(host_for(feed.rel)).page("/" + feed.rel, feed_page(feed.path, validators=v))
        validators["/" + feed.rel] = v
    # 3: first without the newest entries, then whole; new validators for the new version
    new_links: dict[str, list[str]] = {}
    for i, (rel, n) in enumerate(NEW_ARTICLES.items()):
        body = (root / rel).read_bytes()
        older, links = drop_newest(body, n)
        new_links["/new/" + rel] = links
        v = {"etag": f'"n{version}"'} if i == 0 else {"last_modified": NEW_LAST_MODIFIED[version]}
        served = older if version == 1 else body
        web.host(HOSTS["real_world"]).page("/new/" + rel, feed_page(root / rel, served, v))
    # 4: moved for good to another host; moved for now on the same host
    moved_to = f"http://{HOSTS['other']}:{{port}}/feeds/kagi.xml"
    web.host(HOSTS["real_world"]).page("/moved.xml", Page(status=301, location=moved_to))
    web.host(HOSTS["other"]).page(
        "/feeds/kagi.xml", feed_page(root / MOVED, validators={"etag": '"kagi"'})
    )
    web.host(HOSTS["real_world"]).page("/for-now.xml", Page(status=302, location="/today.xml"))
    web.host(HOSTS["real_world"]).page(
        "/today.xml", feed_page(root / TEMPORARY, validators={"etag": '"ct"'})
    )
    # 5: malformed, ill-formed, not a feed at all
    suite = web.host(HOSTS["feedparser_suite"])
    suite.page("/illformed.xml", feed_page(root / ILLFORMED))
    suite.page("/ampersands.xml", feed_page(root / AMPERSANDS))
    truncated = truncate_in_item((root / TRUNCATED).read_bytes(), 4)
    web.host(HOSTS["other"]).page("/truncated.xml", feed_page(root / TRUNCATED, truncated))
    web.host(HOSTS["other"]).page("/feed/", Page(body=NOT_A_FEED))
    facts = {
        "validators": validators,
        "new_links": new_links,
        "moved_to": moved_to,
        "truncated_items": truncated.count(b"</item>"),
        "paths": {
            "moved": (HOSTS["real_world"], "/moved.xml"),
            "for_now": (HOSTS["real_world"], "/for-now.xml"),
            "illformed": (HOSTS["feedparser_suite"], "/illformed.xml"),
            "ampersands": (HOSTS["feedparser_suite"], "/ampersands.xml"),
            "truncated": (HOSTS["other"], "/truncated.xml"),
            "html": (HOSTS["other"], "/feed/"),
            **{f"new:{rel}": (HOSTS["real_world"], "/new/" + rel) for rel in NEW_ARTICLES},
        },
    }
    return web, facts


def poll(ow: OfflineWeb) -> Snapshot:
    ow.reset_stats()
    result = run_cli("discover")
    rows = query(
        "select f.url, count(a.id) from feeds f"
        " left join feed_articles a on a.feed_id = f.id group by f.id"
    )
    records = [
        {**r, "h": {k.lower(): v for k, v in r["headers"]}}
        for r in ow.stats(with_requests=True)["requests"]
    ]
    feeds = query("select url, failures, last_error, etag, last_modified from feeds")
    return Snapshot(
        result=result,
        counts={url: n for url, n in rows},
        requests=records,
        feeds={url: FeedRow(*row) for url, *row in feeds},
        listed=run_cli("feeds", "list").out,
    )


def import_opml(urls: list[str], name: str) -> None:
    """Follow ``urls`` through an OPML file, in this order, without fetching them."""
    outlines = "".join(f'<outline type="rss" text="x" xmlUrl="{u}"/>' for u in urls)
    Path(name).write_text(f'<opml version="2.0"><body>{outlines}</body></opml>')
    imported = run_cli("feeds", "import-opml", name)
    assert imported.code == 0 and f"{len(urls)} feeds, {len(urls)} new" in imported.out, imported


@pytest.fixture(scope="module")
def scenario(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Scenario]:
    corpus = indexed_feeds()
    web, facts = build_web(1, corpus)
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(tmp_path_factory.mktemp("discover-corpus"))
        Path("README.md").write_text(README)
        with OfflineWeb(web) as ow:
            port = ow.port
            Path("listkeeper.toml").write_text(check_toml(ow, allow_networks=[NETWORK]))
            urls = {name: ow.url(*where) for name, where in facts["paths"].items()}
            urls["moved_to"] = ow.expand(facts["moved_to"])
            by_url = {ow.url(host_for(f.rel), "/" + f.rel): f for f in corpus}
            # the broken ones first: a run that stopped at a failure would poll nothing else.
            # `feeds add` refuses what is neither a feed nor a listing page; a list's OPML
            # still brings such URLs in (blogs move and die), and every poll reports them.
            broken = [urls[k] for k in ("illformed", "html")]
            for url in broken:
                refused = run_cli("feeds", "add", url)
                assert refused.code == 3 and url in refused.err and not refused.out, refused
            import_opml(broken, "broken.opml")
            for url in [urls[k] for k in ("ampersands", "truncated", "moved", "for_now")]:
                added = run_cli("feeds", "add", url)  # each read once, in a crawl process
                assert added.code == 0 and "following" in added.out, added.err
            # The corpus's many feeds come in as a list's OPML does: `feeds add` would start
            # a crawl process for each, a second apiece, to learn what the poll reads anyway.
            import_opml([*by_url, *(urls[f"new:{rel}"] for rel in NEW_ARTICLES)], "feeds.opml")
            first = poll(ow)
        with OfflineWeb(build_web(2, corpus)[0], port=port) as ow:
            second = poll(ow)
        candidates = run_cli("candidates").out
        articles = query(
            "select f.url, a.url, a.entry_id from feed_articles a join feeds f on f.id = a.feed_id"
        )
    validators = facts["validators"]
    yield Scenario(
        corpus=by_url,
        validators={u: validators["/" + f.rel] for u, f in by_url.items()},
        urls=urls,
        new_links={urls[f"new:{rel}"]: facts["new_links"]["/new/" + rel] for rel in NEW_ARTICLES},
        truncated_items=facts["truncated_items"],
        first=first,
        second=second,
        candidates=candidates,
        articles=[(f, a) for f, a, _ in articles],
        candidate_articles=[(f, a) for f, a, entry in articles if entry is not None],
    )


@needs_shared()
def test_both_polls_finish_with_the_documented_exit_code_and_summary(scenario: Scenario) -> None:
    # README: `discover` exits 0; a feed that fails is counted and reported, never fatal.
    total = len(scenario.corpus) + 2 + 4 + len(NEW_ARTICLES)
    new = sum(len(links) for links in scenario.new_links.values())
    first, second = scenario.first.result, scenario.second.result
    assert first.code == 0 and second.code == 0, first.err + second.err
    # every first poll is a baseline: articles recorded, none offered as a candidate
    assert f"polled {total} feeds: 0 new candidates, 2 failing" in first.out, first.out
    assert f"polled {total} feeds: {new} new candidates, 2 failing" in second.out, second.out


# -- 1 -----------------------------------------------------------------------------------


@needs_shared()
def test_entry_counts_match_the_index_files(scenario: Scenario) -> None:
    assert len(scenario.corpus) >= 120  # 48 real-world + 10 fastfeedparser + 64 feed-rs
    expected: dict[str, int] = {}
    recorded: dict[str, int] = {}
    for url, feed in scenario.corpus.items():
        want = feed.expected
        if feed.rel in NO_LINKS:  # the stated reason, checked on the file with lxml alone
            assert entries_with_links(feed.path) == (feed.expected, 0), feed.rel
            want = 0
        elif feed.rel in RECOVERED:
            raw = feed.path.read_bytes()
            guids = re.findall(rb"<rss:guid[^>]*>([^<]+)</rss:guid>", raw)
            assert (feed.expected, raw.count(b"<rss:item>"), len(guids)) == (0, 35, 35)
            want = len(set(guids))
            assert want == RECOVERED[feed.rel]
        expected[feed.rel] = want
        recorded[feed.rel] = scenario.first.counts[url]
    assert recorded == expected
    assert sum(recorded.values()) > 1000  # the counts are real, not a run of zeros
    assert [u for u in scenario.corpus if scenario.first.feeds[u].failures] == []


# -- 2 -----------------------------------------------------------------------------------


@needs_shared()
def test_second_poll_is_conditional_gets_304_and_finds_nothing(scenario: Scenario) -> None:
    corpus, validators = scenario.corpus, scenario.validators
    # the first poll asked each feed once, unconditionally, and got the feed
    first = [r for r in scenario.first.requests if r["url"] in corpus]
    assert sorted(r["url"] for r in first) == sorted(corpus)
    assert all(r["status"] == 200 for r in first)
    assert not [r["url"] for r in first if {"if-none-match", "if-modified-since"} & set(r["h"])]
    # the second asked each once more, with the validator the feed had given, and got a 304
    second = [r for r in scenario.second.requests if r["url"] in corpus]
    assert sorted(r["url"] for r in second) == sorted(corpus)
    sent = {}
    for r in second:
        names = (("etag", "if-none-match"), ("last_modified", "if-modified-since"))
        sent[r["url"]] = {k: r["h"][h] for k, h in names if h in r["h"]}
    assert sent == validators
    assert {r["url"]: r["status"] for r in second} == dict.fromkeys(corpus, 304)
    etags = sum("etag" in v for v in validators.values())
    assert 0 < etags < len(validators)  # both validators were exercised, each alone
    # ... and found nothing new: no article, no candidate, the validators kept for next time
    assert {u: scenario.second.counts[u] for u in corpus} == {
        u: scenario.first.counts[u] for u in corpus
    }
    assert [f for f, _ in scenario.candidate_articles if f in corpus] == []
    stored = {u: scenario.second.feeds[u]._asdict() for u in corpus}
    kept = {
        u: {k: row[k] for k in ("etag", "last_modified") if row[k]} for u, row in stored.items()
    }
    assert kept == validators


# -- 3 -----------------------------------------------------------------------------------


@needs_shared()
def test_newest_entries_of_real_feeds_become_exactly_the_candidates(scenario: Scenario) -> None:
    counts = {f.rel: f.expected for f in scenario.corpus.values()}
    new = {scenario.urls[f"new:{rel}"]: rel for rel in NEW_ARTICLES}
    # the baseline recorded the older feeds, the second poll the whole ones
    assert {u: scenario.first.counts[u] for u in new} == {
        u: counts[rel] - NEW_ARTICLES[rel] for u, rel in new.items()
    }
    assert {u: scenario.second.counts[u] for u in new} == {u: counts[rel] for u, rel in new.items()}
    # changed validators: the whole feed came back (a conditional GET that missed)
    answers = [(r["url"], r["status"]) for r in scenario.second.requests if r["url"] in new]
    assert sorted(answers) == sorted((u, 200) for u in new)
    # exactly the entries cut from the first version became candidates, from their feed
    links = {link for ls in scenario.new_links.values() for link in ls}
    assert len(links) == sum(NEW_ARTICLES.values())
    shown = {
        line.strip()
        for line in scenario.candidates.splitlines()
        if line.strip().startswith(("http://", "https://"))
    }
    assert shown == links
    assert sorted(scenario.candidate_articles) == sorted(
        (u, link) for u, ls in scenario.new_links.items() for link in ls
    )


# -- 4 -----------------------------------------------------------------------------------


@needs_shared()
def test_a_301_moves_the_stored_feed_url_and_a_302_does_not(scenario: Scenario) -> None:
    counts = {f.rel: f.expected for f in scenario.corpus.values()}
    old, new, for_now = (scenario.urls[k] for k in ("moved", "moved_to", "for_now"))
    listed = scenario.first.listed
    assert new in listed and old not in listed  # the 301 moved the stored URL
    assert for_now in listed  # a 302 is temporary: the URL as followed stays
    assert old not in scenario.first.feeds and new in scenario.first.feeds
    assert scenario.first.counts[new] == counts[MOVED]
    assert scenario.first.counts[for_now] == counts[TEMPORARY]
    # the next poll asks the new URL directly (conditionally), and the 302 one still via 302
    asked = [(r["url"], r["status"]) for r in scenario.second.requests]
    assert [url for url, _ in asked if url == old] == [] and asked.count((new, 304)) == 1
    assert asked.count((for_now, 302)) == 1
    assert scenario.second.counts[new] == counts[MOVED]


# -- 5 -----------------------------------------------------------------------------------


@needs_shared()
def test_malformed_feeds_are_reported_and_never_stop_the_run(scenario: Scenario) -> None:
    root = corpus_root()
    counts = {f.rel: f.expected for f in scenario.corpus.values()}
    urls = scenario.urls
    expectations = json.loads((root / "feedparser_suite" / "expectations.json").read_text())
    (amp_expect,) = [e["expect"] for e in expectations if e["file"] == AMPERSANDS]
    (amp_link,) = re.findall(r"entries\[0\]\.link == '([^']+)'", amp_expect)
    first, second = scenario.first, scenario.second
    # nothing readable: a failure, counted at each poll and reported
    for key in ("illformed", "html"):
        url = urls[key]
        assert (first.feeds[url].failures, second.feeds[url].failures) == (1, 2)
        assert str(first.feeds[url].last_error).startswith("not a feed: ")
        assert f"failing x1: {url}: not a feed: " in first.result.err
        assert f"failing x2: {url}: not a feed: " in second.result.err
        assert f"{url}  [polled " in second.listed and "failing x2: not a feed" in second.listed
        assert first.counts[url] == 0
    # malformed but readable: parsed as far as it goes, the problem noted, not a failure
    kroy = next(u for u, f in scenario.corpus.items() if f.rel == REAL_MALFORMED)
    for url in (urls["ampersands"], urls["truncated"], kroy):
        failures, problem = first.feeds[url].failures, first.feeds[url].last_error
        assert failures == 0 and problem and "SAXParseException" in problem, url
        assert f"{url}  [polled " in first.listed and problem in first.listed
    # the truncated feed: the three items before the cut, the one cut in its title is not
    assert scenario.truncated_items == 3
    before_cut = [e.link for e in feedparser.parse((root / TRUNCATED).read_bytes()).entries][:3]
    assert sorted(a for f, a in scenario.articles if f == urls["truncated"]) == sorted(before_cut)
    assert first.counts[kroy] == counts[REAL_MALFORMED]
    ampersands = [a for f, a in scenario.articles if f == urls["ampersands"]]
    assert ampersands == [amp_link]
    # the well-formed real feeds, polled alongside: every entry recorded, no problem noted
    good = [u for u, f in scenario.corpus.items() if f.wellformed and f.rel not in NO_LINKS]
    assert len(good) >= 40
    problems = {u: (first.feeds[u].failures, first.feeds[u].last_error) for u in good}
    assert problems == dict.fromkeys(good, (0, None))
    assert {u: first.counts[u] for u in good} == {u: scenario.corpus[u].expected for u in good}
