"""The seed list as its maintainer would run it, following the README: `init --from`, the
one-time adoption, `check`, `discover` (a blog that has only a listing page, and a feed) and
`report`, on the offline web that plays the seed's hosts."""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from catalog.readme_parser import parse_markdown
from catalog.urls import classify
from catalog.vocabulary import LinkKind
from jobs.offlineweb.pages import article_html, rss_feed
from jobs.offlineweb.server import OfflineWeb
from jobs.offlineweb.spec import Page, Web
from jobs.offlineweb.wiring import check_toml, port_remap, port_unmap
from tests.conftest import needs_shared, shared_path
from tests.readmes import cli
from tests.test_discover_listing import NEW_NOTES_CARD, NOTES_CARDS, notes_page

NETS = ["127.77.0.0/16"]  # where the web's named hosts live
BLOG = "notes.blog.test"  # a blog that has only a listing page
NEWS = "news.feed.test"  # a newsletter with a feed
NEW_ARTICLE = ("How Uber Rebuilt Its Payments Ledger", f"https://{NEWS}/p/uber-ledger")


def seed_web(readme: str, *, today: bool) -> Web:
    """Every external page of the seed (an article each), the listing page and the feed;
    ``today`` they have one new article each."""
    web = Web()
    parsed = parse_markdown(readme)
    for ref in parsed.links:
        if ref.image or classify(ref.url) is not LinkKind.EXTERNAL:
            continue
        parts = urlsplit(ref.url)
        path = parts.path or "/"
        name = parts.hostname or ""
        body = article_html(ref.text or path, name, ref.url, "2024-05-01", ref.text)
        web.host(name).page(path, Page(body=body))
    cards = [NEW_NOTES_CARD, *NOTES_CARDS] if today else NOTES_CARDS
    web.host(BLOG).page("/blog/", Page(body=notes_page(cards)))
    items = [("Queue Weekly #112", f"https://{NEWS}/p/112", "Sat, 01 Jun 2024 08:00:00 GMT")]
    if today:
        items.insert(0, (*NEW_ARTICLE, "Sun, 02 Jun 2024 08:00:00 GMT"))
    feed = rss_feed("News", f"https://{NEWS}/", items)
    web.host(NEWS).page("/feed.xml", Page(body=feed, content_type="application/rss+xml"))
    return web


@needs_shared("seeds")
def test_the_seed_from_init_to_report(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("GITHUB_TOKEN", raising=False)
    seed = shared_path("seeds", "README.md").read_text(encoding="utf-8")
    Path("README.md").write_text(seed, encoding="utf-8")

    # The import lists every kind of hygiene problem the seed has.
    imported = cli(capsys, "import", "README.md")
    assert imported.code == 0, imported.err
    for found in (
        "README.md:25: mojibake: 'ðŸ‘‹' should read '👋'",
        "README.md:376: mojibake: 'â”œâ”€â”€ README.md",
        "README.md:159: mojibake:",
        "README.md:244: no-scheme:",
        "README.md:364: duplicate: ./case-studies/ is already listed on line 259",
        "README.md:365: duplicate: ./fundamentals/ is already listed on line 287",
        "README.md:38: index-letter-without-heading: the index shows L",
    ):
        assert found in imported.out, found

    # init --from keeps the hand order of the company groups: nothing is reordered.
    assert cli(capsys, "init", "--from", "README.md", "--force").code == 0
    config = Path("listkeeper.toml").read_text()
    assert 'name = "companies"\nkind = "letter-groups"' in config
    assert (
        config.split('name = "companies"\n', 1)[1].split("\n\n", 1)[0].endswith('sort = "position"')
    )
    adopted = cli(capsys, "render", "--adopt", "README.md")
    assert adopted.code == 0, adopted.err

    with OfflineWeb(seed_web(seed, today=False), tls=True) as ow:
        port = ow.port
        wiring = check_toml(ow, allow_networks=NETS, remap=port_remap(ow, ""), unmap=port_unmap(""))
        Path("listkeeper.toml").write_text(config + "\n" + wiring)
        checked = cli(capsys, "check", "--fail-on", "never")
        assert checked.code == 0, checked.err
        summary = checked.out.strip().splitlines()[-1].split("; ", 1)[1]
        checked_links = sum(int(part.split()[-1]) for part in summary.split(", "))
        for url in (f"https://{BLOG}/blog/", f"https://{NEWS}/feed.xml"):
            added = cli(capsys, "feeds", "add", url)
            assert added.code == 0, added.err
        assert "as a listing page" in added.out or "listing" in cli(capsys, "feeds", "list").out
        assert "0 new candidates, 0 failing" in cli(capsys, "discover").out
    with OfflineWeb(seed_web(seed, today=True), tls=True, port=port) as ow:
        wiring = check_toml(ow, allow_networks=NETS, remap=port_remap(ow, ""), unmap=port_unmap(""))
        Path("listkeeper.toml").write_text(config + "\n" + wiring)  # today's test CA
        polled = cli(capsys, "discover")
    assert "2 new candidates, 0 failing" in polled.out, polled.out + polled.err
    candidates = cli(capsys, "candidates").out
    assert NEW_ARTICLE[0] in candidates and NEW_NOTES_CARD[1] in candidates
    assert "→ U companies" in candidates  # the Uber article, by the list's own groups

    data = json.loads(cli(capsys, "report", "--format", "json").out)
    # Retired: the 76 old index anchors that the adoption replaced are neither checked nor
    # reported; check's summary and the report count the same links.
    written = {
        ref.url for ref in parse_markdown(Path("README.md").read_text()).links if not ref.image
    }
    assert data["summary"]["total"] == len({link["url"] for link in data["links"]})
    assert {link["url"] for link in data["links"]} <= written | {
        link["url"] for link in data["links"] if link["status"] == "excluded"
    }
    assert checked_links == data["summary"]["total"]  # 261 against 185 before
    by_url = {link["url"]: link for link in data["links"]}
    no_scheme = by_url["newsletter.systemdesign.one/p/how-api-gateway-works"]
    assert no_scheme["status"] == "failing" and "write https://" in no_scheme["error"]
    kinds = {h["kind"] for h in data["hygiene"]}
    assert {"mojibake", "no-scheme", "duplicate"} <= kinds
    markdown = cli(capsys, "report", "--format", "markdown").out
    assert "### README hygiene (" in markdown
    # Line numbers are those of the README as it is now (adopted, rendered).
    lines = Path("README.md").read_text().splitlines()
    for link in data["links"][:20]:
        for source in link["sources"]:
            assert link["url"] in lines[source["line"] - 1] or link["url"].startswith("#")
