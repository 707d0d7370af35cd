"""catalog.metadata.extract: each source, URL resolution, charsets, the corpus targets."""

from __future__ import annotations

import importlib.util
import json
import sys
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from catalog.metadata import JSON_KEYS, PageMeta, decode_html, extract
from tests.conftest import SHARED, needs_shared, require

URL = "https://news.example.org/2021/03/04/a-story/"
CORPUS = SHARED / "corpora" / "html_metadata"


def page(head: str = "", body: str = "", lang: str = "en") -> str:
    return f'<!DOCTYPE html><html lang="{lang}"><head>{head}</head><body>{body}</body></html>'


def test_jsonld_article() -> None:
    ld = {
        "@context": "https://schema.org",
        "@type": "NewsArticle",
        "headline": "Storage engines explained",
        "description": "How LSM trees work",
        "author": [{"@type": "Person", "name": "Ada Lovelace"}, "Grace Hopper"],
        "datePublished": "2021-03-04T09:30:00+02:00",
        "dateModified": "2021-03-05",
        "image": {"@type": "ImageObject", "url": "/img/lsm.png"},
        "publisher": {"@type": "Organization", "name": "Example News"},
    }
    html = page(f'<script type="application/ld+json">{json.dumps(ld)}</script>')
    meta = extract(html, URL)
    assert meta.title == "Storage engines explained"
    assert meta.description == "How LSM trees work"
    assert meta.authors == ["Ada Lovelace", "Grace Hopper"]
    assert meta.published == datetime(2021, 3, 4, 7, 30, tzinfo=UTC)
    assert meta.modified == datetime(2021, 3, 5, tzinfo=UTC)
    assert meta.image == "https://news.example.org/img/lsm.png"
    assert meta.site_name == "Example News"


def test_jsonld_graph_with_references() -> None:
    ld = {
        "@context": "https://schema.org",
        "@graph": [
            {"@type": "WebSite", "@id": "#site", "name": "Example News"},
            {"@type": "Person", "@id": "#ada", "name": "Ada Lovelace"},
            {
                "@type": "BlogPosting",
                "headline": "Graphs in JSON-LD",
                "author": {"@id": "#ada"},
                "datePublished": "2021-03-04",
            },
        ],
    }
    meta = extract(page(f'<script type="application/ld+json">{json.dumps(ld)}</script>'), URL)
    assert meta.title == "Graphs in JSON-LD"
    assert meta.authors == ["Ada Lovelace"]
    assert meta.published == datetime(2021, 3, 4, tzinfo=UTC)
    assert meta.site_name == "Example News"


def test_broken_jsonld_is_repaired_or_skipped() -> None:
    broken = """<script type="application/ld+json">
    { "@type": "Article", // a comment
      "headline": "Comments and commas",
      "author": {"name": "Ada Lovelace"}, }
    </script><script type="application/ld+json">{ not json at all</script>"""
    meta = extract(page(broken), URL)
    assert meta.title == "Comments and commas"
    assert meta.authors == ["Ada Lovelace"]


def test_opengraph() -> None:
    head = """
    <meta property="og:title" content="An OpenGraph title">
    <meta property="og:description" content="OG description">
    <meta property="og:site_name" content="OG Site">
    <meta property="og:image" content="//cdn.example.org/a.jpg">
    <meta property="og:locale" content="fr_FR">
    <meta property="article:published_time" content="2021-03-04T10:00:00Z">
    <meta property="article:modified_time" content="2021-03-06T10:00:00Z">
    <meta property="article:author" content="Ada Lovelace">"""
    meta = extract(page(head), URL)
    assert meta.title == "An OpenGraph title"
    assert meta.description == "OG description"
    assert meta.site_name == "OG Site"
    assert meta.image == "https://cdn.example.org/a.jpg"
    assert meta.lang == "en"  # <html lang> is the page's own statement
    assert meta.published == datetime(2021, 3, 4, 10, tzinfo=UTC)
    assert meta.modified == datetime(2021, 3, 6, 10, tzinfo=UTC)
    assert meta.authors == ["Ada Lovelace"]


def test_dublin_core() -> None:
    head = """<title>Dublin Core in HTML</title>
    <meta name="DC.title" content="Expressing Dublin Core">
    <meta name="DC.creator" content="Andy Powell">
    <meta name="DCTERMS.issued" content="2003-11-01">
    <meta name="DCTERMS.abstract" content="How to encode DC">
    <meta name="DC.language" content="en-GB">"""
    meta = extract(page(head, lang=""), "https://dublincore.org/documents/dcq-html/")
    assert meta.title == "Expressing Dublin Core"
    assert meta.authors == ["Andy Powell"]
    assert meta.published == datetime(2003, 11, 1, tzinfo=UTC)
    assert meta.description == "How to encode DC"
    assert meta.lang == "en-GB"


def test_plain_meta_tags_and_site_suffix() -> None:
    head = """<title>Why caches fail | Example Blog</title>
    <meta name="description" content="A plain description">
    <meta name="author" content="By Ada Lovelace">
    <meta name="application-name" content="Example Blog">
    <meta name="date" content="2020-01-02">"""
    meta = extract(page(head), "https://blog.example.com/why-caches-fail")
    assert meta.title == "Why caches fail"
    assert meta.description == "A plain description"
    assert meta.authors == ["Ada Lovelace"]
    assert meta.site_name == "Example Blog"
    assert meta.published == datetime(2020, 1, 2, tzinfo=UTC)


def test_visible_page_only() -> None:
    body = (
        """<header><nav>Home About</nav></header>
    <article><h1>Visible headline</h1>
    <p class="byline">By <a rel="author" href="/ada">Ada Lovelace</a></p>
    <time datetime="2019-05-06" pubdate>May 6</time>
    <p>"""
        + "word " * 460
        + "</p></article><footer>footer text</footer>"
    )
    meta = extract(page("<title>Visible headline - Example</title>", body), URL)
    assert meta.title == "Visible headline"
    assert meta.authors == ["Ada Lovelace"]
    assert meta.word_count > 460
    assert meta.reading_minutes == 3


def test_url_date_cross_checks_metadata() -> None:
    # a metadata date long after the date in the URL is the last modification
    head = '<meta property="article:published_time" content="2023-08-01T00:00:00Z">'
    meta = extract(page(head), URL)
    assert meta.published == datetime(2021, 3, 4, tzinfo=UTC)
    # a metadata date within a day of the URL's keeps its time of day
    head = '<meta property="article:published_time" content="2021-03-04T23:30:00-05:00">'
    meta = extract(page(head), URL)
    assert meta.published == datetime(2021, 3, 5, 4, 30, tzinfo=UTC)


def test_url_month_only_path_is_not_a_day() -> None:
    # /2016/12/ is a month: not the 2nd of January
    meta = extract(page("<title>Python 3.6.0</title>"), "http://blog.example.org/2016/12/py.html")
    assert meta.published is None or meta.published.month == 12


def test_visible_headings_confirm_the_title() -> None:
    # <h2> headline inside a "Headline | Site" title; a site header <h1> is not the title
    head = "<title>Kleine Schafskunde | Maescot das Schaf</title>"
    body = "<h1>Maescot das Schaf</h1><h2>Kleine Schafskunde</h2>"
    assert extract(page(head, body), "http://www.example.de/kleine/").title == (
        "Kleine Schafskunde"
    )
    # a meta title cut short is completed by the heading that another source confirms
    head = """<meta property="og:title" content="Senator calls the president">
    <title>Senator calls the president "unfit"</title>"""
    body = '<h2>Senator calls the president "unfit"</h2>'
    assert extract(page(head, body), URL).title == 'Senator calls the president "unfit"'
    # a heading with a kicker keeps the metadata title
    head = '<meta property="og:title" content="Why thinking beats smarts">'
    assert extract(page(head, "<h1>Open Future Why thinking beats smarts</h1>"), URL).title == (
        "Why thinking beats smarts"
    )
    # a title that only names the site gives way to the page's heading, except at home
    head = "<title>Example Rail Enquiries -</title>"
    body = "<h2>Replacement buses</h2>"
    assert extract(page(head, body), "https://www.examplerail.co.uk/x/1.aspx").title == (
        "Replacement buses"
    )
    assert extract(page("<title>examplerail</title>"), "https://examplerail.de/").title == (
        "examplerail"
    )


def test_bylines_outside_comments() -> None:
    body = """<article><p>Von Claudia Lindner</p><p>text</p></article>
    <div id="comments"><span class="comment-author">Jamie_NYC</span>
    <a rel="author" href="/u/1">Commenter</a></div>"""
    assert extract(page("", body), URL).authors == ["Claudia Lindner"]
    body = '<span class="Post-Author">Por <a href="/author/a">Alberto Ávila</a></span>'
    assert extract(page("", body), URL).authors == ["Alberto Ávila"]
    body = '<span class="image-author">Foto: Ingo Schneider</span>'
    assert extract(page("", body), URL).authors == []


def test_relative_urls_resolve_against_page_and_base() -> None:
    head = """<link rel="canonical" href="../a-story/">
    <link rel="alternate" type="application/rss+xml" href="/feed.xml">
    <link rel="alternate" type="application/atom+xml" href="atom.xml">
    <link rel="alternate" type="application/feed+json" href="//news.example.org/feed.json">
    <link rel="alternate" type="application/json" href="/wp-json/wp/v2/posts/1">
    <link rel="alternate" hreflang="de" href="/de/">
    <meta property="og:image" content="img/cover.png">"""
    meta = extract(page(head), URL)
    assert meta.canonical == "https://news.example.org/2021/03/04/a-story/"
    assert meta.feeds == [
        "https://news.example.org/feed.xml",
        "https://news.example.org/2021/03/04/a-story/atom.xml",
        "https://news.example.org/feed.json",
    ]
    assert meta.image == "https://news.example.org/2021/03/04/a-story/img/cover.png"
    based = extract(page('<base href="https://cdn.example.net/x/">' + head), URL)
    assert based.feeds[1] == "https://cdn.example.net/x/atom.xml"


WIN1252 = "Größe und Café – “quoted”"
SJIS = "日本語のページ、文字コードの確認"


@pytest.mark.parametrize(
    ("text", "encoding", "declared"),
    [
        (WIN1252, "windows-1252", "meta"),
        (WIN1252, "windows-1252", "header"),
        (WIN1252, "windows-1252", None),
        (SJIS, "shift_jis", "meta"),
        (SJIS, "shift_jis", "header"),
        (SJIS, "shift_jis", None),
        (SJIS, "utf-8-sig", None),
    ],
)
def test_non_utf8_pages_decode(text: str, encoding: str, declared: str | None) -> None:
    head = f'<meta charset="{encoding}">' if declared == "meta" else ""
    html = page(f"{head}<title>{text}</title>", f"<p>{text} {text} {text}</p>" * 5)
    content_type = f"text/html; charset={encoding}" if declared == "header" else None
    meta = extract(html.encode(encoding), URL, content_type=content_type)
    assert meta.title == text


def test_declared_utf8_that_is_not() -> None:
    html = page('<meta charset="utf-8"><title>Café crème à la française</title>')
    assert extract(html.encode("cp1252"), URL).title == "Café crème à la française"


@pytest.mark.parametrize("declared", ['<meta charset="utf-8">', ""])
def test_utf8_with_stray_windows_1252_bytes(declared: str) -> None:
    # A UTF-8 page with one old windows-1252 footer: each part decodes in its own charset.
    title = "Größe, Café und Soße – Rezepte aus Köln"
    body = "<p>Übersicht der Gerichte für Gäste</p>" * 3
    html = page(f"{declared}<title>{title}</title>", body).encode()
    html = html.replace(b"</body>", "<p>Küche © 2009</p></body>".encode("cp1252"))
    text = decode_html(html)
    assert title in text and "Übersicht" in text and "Küche © 2009" in text
    assert extract(html, URL).title == title


def test_to_json_keys_and_iso_dates() -> None:
    meta = PageMeta(title="t", published=datetime(2021, 3, 4, tzinfo=UTC), authors=["a"])
    data = meta.to_json()
    assert tuple(data) == JSON_KEYS
    assert data["published"] == "2021-03-04T00:00:00+00:00"
    json.dumps(data)


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=2000))
def test_arbitrary_bytes_never_raise(body: bytes) -> None:
    meta = extract(body, URL)
    assert isinstance(meta, PageMeta)
    json.dumps(meta.to_json())


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=500), st.sampled_from(["", "not a url", URL, "ftp://x/y"]))
def test_arbitrary_text_never_raises(body: str, url: str) -> None:
    assert isinstance(extract("<html><head>" + body, url), PageMeta)


def test_empty_inputs_give_empty_metadata() -> None:
    assert extract(b"", URL) == PageMeta()
    assert extract("   ", URL) == PageMeta()


def _bench() -> ModuleType:
    path = Path(__file__).resolve().parents[1] / "bench" / "metadata.py"
    spec = importlib.util.spec_from_file_location("bench_metadata", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


# Measured on the corpus (see bench/metadata.py): the floors are the measured figures, a field
# below its target xfails. Title's target is 0.93 (the misses left are annotation
# disagreements). Dates are scored per half by accuracy (below).
FLOORS = {"title": 0.93, "author": 0.80, "canonical": 0.98, "feeds": 0.98}
# Date accuracy measured per half (A 80/88, B 94/104): both meet the 0.90 target, which
# each half must hold.
DATE_TARGET = 0.90


@pytest.fixture(scope="module")
def corpus_run() -> tuple[Any, list[Any], list[dict[str, Any]]]:
    require(CORPUS / "manifest.json")
    bench = _bench()
    cases = bench.load_cases(CORPUS)
    predictions, _ = bench.run_system(bench.listkeeper, cases)
    return bench, cases, predictions


@pytest.fixture(scope="module")
def corpus_scores(
    corpus_run: tuple[Any, list[Any], list[dict[str, Any]]],
) -> dict[str, tuple[float, float]]:
    bench, cases, predictions = corpus_run
    return {f: (s.precision, s.recall) for f, s in bench.score(cases, predictions).items()}


@needs_shared()
@pytest.mark.parametrize("field", ["title", "author", "canonical", "feeds"])
def test_corpus_targets(field: str, corpus_scores: dict[str, tuple[float, float]]) -> None:
    precision, recall = corpus_scores[field]
    assert precision >= FLOORS[field] and recall >= FLOORS[field], (field, precision, recall)
    target = _bench().TARGETS[field]
    if min(precision, recall) < target:
        pytest.xfail(f"{field}: P {precision:.3f} R {recall:.3f} below the target {target}")


@needs_shared()
@pytest.mark.parametrize("half", ["A", "B"])
def test_corpus_dates_never_worse_than_htmldate(
    half: str, corpus_run: tuple[Any, list[Any], list[dict[str, Any]]]
) -> None:
    # On each half (split by site), date accuracy (pages without a date count:
    # nothing returned is right there) at least htmldate's own, and the 0.90 target.
    bench, cases, predictions = corpus_run
    index = [i for i, c in enumerate(cases) if bench.half_of(c.url) == half]
    part = [cases[i] for i in index]
    ours, total = bench.accuracy(part, [predictions[i] for i in index])
    theirs, _ = bench.accuracy(
        part, bench.run_system(bench.available_systems()["htmldate"], part)[0]
    )
    assert ours >= theirs, (half, ours, theirs, total)
    assert bench.TARGETS["date"] == DATE_TARGET
    assert ours / total >= DATE_TARGET, (half, ours, total)


@needs_shared()
def test_corpus_halves_share_no_site() -> None:
    bench = _bench()
    cases = bench.load_cases(require(CORPUS / "manifest.json").parent)
    halves: dict[str, set[str]] = {"A": set(), "B": set()}
    for case in cases:
        halves[bench.half_of(case.url)].add(bench.site_of(case.url))
    assert halves["A"] and halves["B"] and not halves["A"] & halves["B"]


def test_bench_resolves_derived_links_as_the_page_does(tmp_path: Path) -> None:
    # The derived truth holds the hrefs as written: relative ones resolve against the page's
    # <base href>, as a browser (and extract) resolves them; the JSON Feeds the page declares
    # are not in it (RSS and Atom only), so they are left out of what is scored.
    bench = _bench()
    (tmp_path / "p.html").write_text(
        '<html><head><base href="https://site.example/"><link rel="canonical" href="a/b">'
        '<link rel="alternate" type="application/rss+xml" href="rss.php">'
        '<link rel="alternate" type="application/json" title="JSON Feed" href="feed.json">'
        "</head><body><p>x</p></body></html>",
        encoding="utf-8",
    )
    entry = {
        "path": "p.html",
        "url": "https://site.example/deep/page/",
        "derived": {
            "canonical_link": "a/b",
            "feed_links": [{"href": "rss.php", "type": "application/rss+xml"}],
        },
    }
    (tmp_path / "manifest.json").write_text(json.dumps([entry]), encoding="utf-8")
    [case] = bench.load_cases(tmp_path)
    assert case.truth["canonical"] == "https://site.example/a/b"
    assert case.truth["feeds"] == ["https://site.example/rss.php"]
    predictions = bench.run_system(bench.listkeeper, [case])[0]
    assert predictions[0]["feeds"] == [
        "https://site.example/rss.php",
        "https://site.example/feed.json",
    ]
    feeds = bench.score([case], predictions)["feeds"]
    assert (feeds.precision, feeds.recall) == (1.0, 1.0)


def test_names_feeds_and_modified_days_are_read_once_and_only_when_readable() -> None:
    html = (
        '<html><head><meta name="author" content="Ann  Lee"><meta name="author" content="ann lee">'
        '<meta property="article:modified_time" content="soon">'
        '<meta property="article:modified_time" content="2021-03-04T05:06:07Z">'
        '<link rel="alternate" type="application/rss+xml" href="/feed.xml">'
        '<link rel="alternate" type="application/atom+xml" href="https://s.example/feed.xml">'
        "</head><body><p>Text.</p></body></html>"
    )
    meta = extract(html, "https://s.example/a")
    assert meta.authors == ["Ann Lee"]  # the same name twice, spelled apart
    assert meta.modified == datetime(2021, 3, 4, 5, 6, 7, tzinfo=UTC)  # "soon" is no day
    assert meta.feeds == ["https://s.example/feed.xml"]  # one URL, written twice
