"""`listkeeper discover`: feeds polled through Scrapy, new articles become candidates."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

import pytest

from jobs.offlineweb.server import OfflineWeb
from jobs.offlineweb.spec import Page, Web
from jobs.offlineweb.wiring import check_toml
from tests.catalogdb import select
from tests.readmes import cli

README = """\
# Reading list

<!-- listkeeper:begin companies -->
#### A companies

- [How Acme Shards Its Orders](https://acme.example/orders)
- [Acme Moves to Kafka](https://acme.example/kafka)

#### U companies

- [How Umbrella Computes ETAs](https://umbrella.example/eta)
<!-- listkeeper:end companies -->
"""
CONFIG = """\
[[render.regions]]
name = "companies"
kind = "letter-groups"
group = "companies"
"""
ARTICLES = [
    ("How Umbrella Shards Its Queue", "https://umbrella.example/queue"),
    ("How Acme Scaled Search", "https://acme.example/search"),
    ("How Umbrella Computes ETAs", "https://umbrella.example/eta"),  # already listed
    ("Old post one", "https://blog.example/one"),
    ("Old post two", "https://blog.example/two"),
]


def rss(items: list[tuple[str, str]]) -> str:
    start = datetime(2026, 1, 1, tzinfo=UTC)
    body = "".join(
        f"<item><title>{t}</title><link>{u}</link><guid>{u}</guid>"
        f"<pubDate>{format_datetime(start - timedelta(days=i))}</pubDate></item>"
        for i, (t, u) in enumerate(items)
    )
    head = '<?xml version="1.0"?><rss version="2.0"><channel><title>News</title>'
    return f"{head}{body}</channel></rss>"


def web(items: list[tuple[str, str]], etag: str) -> Web:
    w = Web()
    host = w.host("127.0.2.1")
    host.page("/feed.xml", Page(body=rss(items), content_type="application/rss+xml", etag=etag))
    host.page("/moved.xml", Page(status=301, location="/feed2.xml"))
    host.page("/feed2.xml", Page(body=rss(items[3:]), content_type="application/rss+xml"))
    host.page("/broken.xml", Page(body="<rss><channel><item><title>x</ti", content_type="text/xml"))
    return w


def test_discover_baseline_new_articles_conditional_get_and_moves(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    Path("README.md").write_text(README)
    older = web(ARTICLES[2:], etag='"v1"')  # the feed before its two newest entries
    with OfflineWeb(older) as ow:
        port = ow.port
        Path("listkeeper.toml").write_text(CONFIG + check_toml(ow, allow_networks=["127.0.2.0/24"]))
        for path in ("/feed.xml", "/moved.xml", "/broken.xml", "/missing.xml"):
            assert cli(capsys, "feeds", "add", ow.url("127.0.2.1", path)).code == 0
        first = cli(capsys, "discover")
        assert first.code == 0, first.err
        assert "0 new candidates" in first.out  # the first poll is the baseline
    with OfflineWeb(web(ARTICLES, etag='"v2"'), port=port) as ow:
        second = cli(capsys, "discover")
        assert "2 new candidates" in second.out, second.out + second.err
        third = cli(capsys, "discover")  # conditional GET: 304, nothing new
        assert "0 new candidates" in third.out
        polls = [
            dict((k.lower(), v) for k, v in r["headers"])
            for r in ow.stats(with_requests=True)["requests"]
            if r["url"].endswith("/feed.xml")
        ]
    assert polls[-1].get("if-none-match") == '"v2"'
    listed = cli(capsys, "candidates").out
    assert "How Umbrella Shards Its Queue" in listed and "→ U companies" in listed
    assert "How Acme Scaled Search" in listed and "→ A companies" in listed
    assert "Computes ETAs" not in listed  # already in the list
    feeds = cli(capsys, "feeds", "list").out
    assert f"http://127.0.2.1:{port}/feed2.xml" in feeds  # a 301 moved the stored URL
    assert "moved.xml" not in feeds
    here = Path(".")
    ((error,),) = select(here, "select last_error from feeds where url like '%broken%'")
    ((failures, why),) = select(
        here, "select failures, last_error from feeds where url like '%missing%'"
    )
    assert error  # malformed: parsed as far as it goes, the problem said, never fatal
    assert failures == 3 and "404" in why  # each failed poll counted

    entry = "select id from entries where title = :title"
    ((queue_id,),) = select(here, entry, title="How Umbrella Shards Its Queue")
    ((search_id,),) = select(here, entry, title="How Acme Scaled Search")
    assert cli(capsys, "candidates", "accept", str(queue_id)).code == 0
    assert cli(capsys, "candidates", "reject", str(search_id)).code == 0
    assert cli(capsys, "render", "README.md").code == 0
    text = Path("README.md").read_text()
    u_group = text.split("#### U companies", 1)[1]
    assert "- [How Umbrella Shards Its Queue](https://umbrella.example/queue)" in u_group
    assert "Acme Scaled Search" not in text
    bad = cli(capsys, "candidates", "accept", "99999")
    assert bad.code == 3 and "no candidate" in bad.err


INDEXED = README.replace(
    "<!-- listkeeper:begin companies -->",
    "<!-- listkeeper:begin companies-index -->\n<!-- listkeeper:end companies-index -->\n\n"
    "<!-- listkeeper:begin companies -->",
)
INDEX_CONFIG = (
    CONFIG + '\n[[render.regions]]\nname = "companies-index"\nkind = "az-index"\n'
    'group = "companies"\n'
)


def test_a_candidate_for_a_letter_the_list_lacks_creates_its_group(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    Path("README.md").write_text(INDEXED)
    etsy = ("How Etsy Ships Search Relevance Changes Safely", "https://etsy.example/search")
    with OfflineWeb(web(ARTICLES[2:], etag='"v1"')) as ow:
        port = ow.port
        Path("listkeeper.toml").write_text(
            INDEX_CONFIG + check_toml(ow, allow_networks=["127.0.2.0/24"])
        )
        assert cli(capsys, "feeds", "add", ow.url("127.0.2.1", "/feed.xml")).code == 0
        assert cli(capsys, "discover").code == 0  # the baseline
    with OfflineWeb(web([etsy, *ARTICLES[2:]], etag='"v2"'), port=port):
        assert "1 new candidates" in cli(capsys, "discover").out
    # the list has no E heading: the suggestion finds E itself
    assert "→ E companies" in cli(capsys, "candidates").out
    ((etsy_id,),) = select(Path("."), "select id from entries where title = :t", t=etsy[0])
    # a letter group of a family the list does not have is still no section
    wrong = cli(capsys, "candidates", "accept", str(etsy_id), "--section", "E gadgets")
    assert wrong.code == 3 and "no section “E gadgets”" in wrong.err
    accepted = cli(capsys, "candidates", "accept", str(etsy_id), "--section", "E companies")
    assert accepted.code == 0, accepted.err
    assert cli(capsys, "render", "README.md").code == 0
    text = Path("README.md").read_text()
    headings = [line for line in text.splitlines() if line.startswith("#### ")]
    assert headings == ["#### A companies", "#### E companies", "#### U companies"]
    assert f"- [{etsy[0]}]({etsy[1]})" in text.split("#### E companies")[1]
    assert "[E](#e-companies)" in text  # the index links the new group
    assert cli(capsys, "render", "--check", "README.md").code == 0


OPML = """\
<?xml version="1.0" encoding="UTF-8"?>
<opml version="2.0"><head><title>Blogs I read</title></head><body>
<outline text="Engineering">
  <outline type="rss" text="Acme Engineering" xmlUrl="https://acme.example/feed.xml"
           htmlUrl="https://acme.example/blog/"/>
  <outline type="rss" text="Umbrella" xmlUrl="https://umbrella.example/atom.xml"/>
</outline>
</body></opml>
"""


def test_feeds_import_opml_follows_each_feed_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    Path("README.md").write_text(README)
    Path("listkeeper.toml").write_text(CONFIG)
    Path("blogs.opml").write_text(OPML)
    first = cli(capsys, "feeds", "import-opml", "blogs.opml")
    assert first.code == 0, first.err
    assert first.out.strip() == "blogs.opml: 2 feeds, 2 new, 0 already followed"
    again = cli(capsys, "feeds", "import-opml", "blogs.opml")
    assert again.out.strip() == "blogs.opml: 2 feeds, 0 new, 2 already followed"
    listed = cli(capsys, "feeds", "list").out
    assert (
        "https://acme.example/feed.xml" in listed and "https://umbrella.example/atom.xml" in listed
    )
    Path("notes.opml").write_text("<html><body>not an outline</body></html>")
    for name, says in (("missing.opml", "cannot read"), ("notes.opml", "not an OPML file")):
        bad = cli(capsys, "feeds", "import-opml", name)
        assert bad.code == 3 and bad.out == ""
        assert bad.err.strip().splitlines() == [bad.err.strip()] and says in bad.err, bad.err
